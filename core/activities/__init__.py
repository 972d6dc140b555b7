"""Activities: calls, meetings, tasks and emails against contacts and records."""


def register(module) -> None:
    from flask_babel import lazy_gettext as _l

    from core import access
    from core.actions import Action, Param

    from . import on_records, views
    from .models import Activity

    module.blueprint(views.bp)
    module.record_rule("activity", "core.user", access.team(Activity.assignee_id))
    module.saving(Activity, on_records.check_about)
    module.slot("record.side", on_records.panel)  # on every page with a timeline
    module.slot("partner.form.side", lambda partner: on_records.panel(partner, force=True))
    module.slot("activity.form.side", views.about_card)
    module.widget("core.my_activities", "My activities", views.my_widget, sequence=10)
    module.expose(
        Activity,
        read=["subject", "kind", "state", "partner_id", "assignee_id", "due_at",
              "duration_minutes", "remind_minutes", "res_model", "res_id", "outcome",
              "created_at", "updated_at"],
        write=["subject", "kind", "state", "partner_id", "assignee_id", "due_at",
               "duration_minutes", "remind_minutes", "res_model", "res_id", "outcome"],
        filter=["kind", "state", "partner_id", "assignee_id", "due_at", "res_model", "res_id"],
    )
    module.actions(Activity, Action(
        "done", _l("Mark as done"), mark_done, icon="check2", style="success",
        when=lambda activity: activity.state == "planned",
        params=(Param("outcome", _l("Outcome")),), summary="Log the outcome and close it"))


def mark_done(activity, outcome=None):
    activity.state = "done"
    if outcome:
        activity.outcome = outcome
