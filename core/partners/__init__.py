"""Partners: the companies and people the business deals with (customers, prospects,
suppliers, contacts)."""


def register(module) -> None:
    """Core registers its own parts through the same contract as a module."""
    from core.api import Field

    from . import views
    from .models import Partner

    module.blueprint(views.bp)
    module.slot("partner.form.side", views.side_panel)
    module.expose(
        Partner,
        read=["name", "is_company", "parent_id", "kind", "email", "phone", "mobile", "website",
              "street", "city", "zip", "country", "tax_id", "industry", "source",
              "salesperson_id", "lang", "notes", "active", "marketing_consent",
              "opt_out", "created_at", "updated_at"],
        write=["name", "is_company", "parent_id", "kind", "email", "phone", "mobile", "website",
               "street", "city", "zip", "country", "tax_id", "industry", "source",
               "salesperson_id", "lang", "notes", "active", "marketing_consent", "opt_out"],
        filter=["name", "is_company", "parent_id", "kind", "email", "salesperson_id", "active",
                "country", "city", "marketing_consent", "opt_out"],
        extra=[Field("display_name", "string", load=display_names),
               Field("tag_ids", "ids", writable=True, load=tag_ids, store=store_tags,
                     references="partner_tag", description="ids of the partner's tags")],
    )
    module.saving(Partner, saving_partner)


def saving_partner(partner, values, creating) -> None:
    """A contact's company is another partner, never itself nor one of its own contacts
    (a loop no list, name or delete could walk)."""
    import sqlalchemy as sa
    from flask_babel import gettext as _

    from core.db import db
    from core.errors import Refusal

    from .models import Partner

    if creating or "parent_id" not in values or partner.parent_id is None:
        return  # a new contact has no contacts of its own to loop through
    seen, current = set(), partner.parent_id
    while current is not None and current not in seen and len(seen) < 100:
        if partner.id is not None and current == partner.id:
            message = _("A partner cannot belong to itself or to one of its own contacts.")
            raise Refusal(message, "invalid", {"parent_id": message})
        seen.add(current)
        current = db.session.execute(sa.select(Partner.parent_id).where(
            Partner.id == current)).scalar()


def tag_ids(partners) -> dict[int, list[int]]:
    """Each partner's tag ids, in one query for the whole page."""
    import sqlalchemy as sa

    from core.db import db

    from .models import PartnerTagLink as Link

    ids: dict[int, list[int]] = {p.id: [] for p in partners}
    for partner_id, tag_id in db.session.execute(sa.select(Link.partner_id, Link.tag_id)
                                                 .where(Link.partner_id.in_(list(ids)))
                                                 .order_by(Link.tag_id)):
        ids[partner_id].append(tag_id)
    return ids


def store_tags(partner, ids: list[int]) -> None:
    """Ids checked by the resource (they exist) -> the partner's tags."""
    import sqlalchemy as sa

    from core.db import db

    from .models import PartnerTag

    partner.tags = db.session.execute(
        sa.select(PartnerTag).where(PartnerTag.id.in_(ids))).scalars().all()


def display_names(partners) -> dict[int, str]:
    """"Company, Person" for contacts, in one query for the whole page."""
    import sqlalchemy as sa

    from core.db import db

    from .models import Partner

    parent_ids = {p.parent_id for p in partners if p.parent_id}
    parents = dict(db.session.execute(
        sa.select(Partner.id, Partner.name).where(Partner.id.in_(parent_ids))).all()
    ) if parent_ids else {}
    return {p.id: f"{parents[p.parent_id]}, {p.name}" if p.parent_id in parents else p.name
            for p in partners}
