"""What users do to leads, opportunities and orders, declared once: each gives the button
on the record's page, the bulk action on the list, the route, the API action and the
timeline entry (core.actions). The rules themselves are in services."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import access
from core.actions import Action, Param
from core.partners.models import Partner
from core.ui.forms import choices_of

from . import services
from .models import Lead, LostReason, Order


def _open(lead) -> bool:
    return lead.outcome == "open"


def _convert(lead, partner_id=None):
    """The chosen customer (one the user may see), or "new" for a new one; none: the
    likely duplicate of the lead's company, or a new one."""
    if partner_id == "new":
        return services.convert(lead, None, link_duplicate=False)
    if partner_id is not None:
        partner_id = access.get_for(Partner, partner_id).id
    return services.convert(lead, partner_id)


def _customers(lead) -> list[tuple]:
    from core.partners.duplicates import likely_duplicates

    found = likely_duplicates(lead.company_name or lead.contact_name or lead.name, lead.email,
                              lead.phone)
    new = _l("Create %(company)s as a new customer",
             company=lead.company_name or lead.contact_name or lead.name)
    return [(p.id, _l("Link to %(name)s", name=p.name)) for p in found] + [("new", new)]


LEAD_ACTIONS = (
    Action("claim", _l("Claim"), lambda lead: services.claim(lead, current_user),
           icon="hand-index", style="primary", done=_l("The lead is yours."),
           when=_open, show=lambda lead: lead.user_id is None,
           summary="Take the lead from the pool"),
    Action("release", _l("Release to the pool"), services.release, icon="box-arrow-left",
           done=_l("The lead is back in the pool."),
           when=lambda lead: lead.user_id == current_user.id and _open(lead)
           and lead.type == "lead"),
    Action("convert", _l("Convert to opportunity"), _convert, icon="arrow-right-circle",
           style="success", bulk=False, done=_l("Converted to an opportunity."),
           when=lambda lead: lead.type == "lead" and _open(lead),
           params=(Param("partner_id", _l("Customer"), kind="id", choices=_customers,
                         blank=_l("The likely duplicate, or a new customer")),),
           summary="Lead -> opportunity, for a customer (partner_id, or \"new\")"),
    Action("disqualify", _l("Disqualify"), services.disqualify, icon="x-circle",
           style="outline-danger", done=_l("The lead was disqualified."),
           when=lambda lead: lead.type == "lead" and _open(lead)),
    Action("quote", _l("New quotation"), lambda lead: services.new_order_for(
        lead, current_user.id), icon="file-earmark-plus", style="primary", bulk=False,
        also=(("sale.order", "c"),), done=_l("Quotation made."),
        when=lambda lead: lead.type == "opportunity" and _open(lead),
        summary="A quotation for the opportunity's customer"),
    Action("won", _l("Won"), services.mark_won, icon="trophy", style="success",
           done=_l("Marked as won."), when=_open),
    Action("lost", _l("Lost"), lambda lead, lost_reason_id: services.mark_lost(
        lead, lost_reason_id), icon="hand-thumbs-down", style="outline-danger",
        done=_l("Marked as lost."), when=lambda lead: lead.type == "opportunity" and _open(lead),
        # why deals are lost is what the loss analysis reads: asked on every path
        params=(Param("lost_reason_id", _l("Lost reason"), kind="id", required=True,
                      choices=lambda lead: choices_of(LostReason)),)),
    Action("reopen", _l("Reopen"), services.reopen, icon="arrow-counterclockwise",
           done=_l("Reopened."),
           when=lambda lead: lead.type == "opportunity" and not _open(lead)),
)

ORDER_ACTIONS = (
    Action("send", _l("Mark as sent"), services.mark_sent, icon="envelope",
           states=("draft",), done=_l("Marked as sent.")),
    Action("confirm", _l("Confirm"), lambda order, override=None: services.confirm(
        order, override=override), icon="check2-circle", style="success", bulk=False,
        states=("draft", "sent"), done=lambda order: _l("%(name)s is confirmed.",
                                                          name=order.name),
        params=(Param("override", _l("Reason to confirm past a refusal (managers)"),
                      right="sales.override"),),
        summary="Quotation -> sales order; a manager may give an override reason"),
    Action("done", _l("Close"), services.mark_done, icon="lock", states=("confirmed",)),
    Action("cancel", _l("Cancel"), services.cancel, icon="x-circle", style="outline-danger",
           states=("draft", "sent", "confirmed"), confirm=_l("Cancel this order?")),
    Action("draft", _l("Set back to quotation"), services.back_to_draft,
           icon="arrow-counterclockwise", states=("cancelled",)),
)


def declare(module) -> None:
    module.actions(Lead, *LEAD_ACTIONS)
    module.actions(Order, *ORDER_ACTIONS)
