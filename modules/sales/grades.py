"""The customer grade, kept by sales for core's partners in its own table
(`sale_partner_grade`, models.PartnerGrade) and written only by the grading job
(analysis.grade_customers). While sales is enabled the contacts list shows it (a column, a
filter, a group and a report group), the `partner` API resource carries it (read-only,
filterable) and price lists by grade apply; disabled, partners show no grade and the rows
wait for it to come back."""
from __future__ import annotations

import sqlalchemy as sa

from core.db import db
from core.partners.models import Partner

from .models import GRADE_LEVELS, PartnerGrade

# The partner's grade, for any query over partners (a correlated subquery: NULL when none)
GRADE = (sa.select(PartnerGrade.grade).where(PartnerGrade.partner_id == Partner.id)
         .correlate(Partner).scalar_subquery())


def register(module) -> None:
    from flask_babel import lazy_gettext as _l

    from core.api import Field
    from core.ui.generic import Extension

    module.extend_views("partner", Extension(
        "grade", _l("Grade"), GRADE, choices=GRADE_LEVELS, where=graded))
    module.extend_resource("partner", fields=[
        Field("grade", "string", column=GRADE, filterable=True, choices=tuple(GRADE_LEVELS),
              load=grades, description="customer grade (A, B, C), set by the grading job")])
    module.connect("partner.exporting", on_exporting)


def grade_of_bound(name: str):
    """The grade of the partner whose id is the statement's parameter `name` (NULL when
    none): for statements built once and run with the id (services._PRICE_RULES)."""
    return (sa.select(PartnerGrade.grade).where(PartnerGrade.partner_id == sa.bindparam(name))
            .scalar_subquery())


def graded(value: str):
    """Partners of grade `value`, through the grade's index."""
    return Partner.id.in_(sa.select(PartnerGrade.partner_id).where(PartnerGrade.grade == value))


def grades(partners) -> dict[int, str | None]:
    """Each partner's grade, in one query for a page of partners."""
    ids = [p.id for p in partners]
    found = dict(db.session.execute(sa.select(PartnerGrade.partner_id, PartnerGrade.grade)
                                    .where(PartnerGrade.partner_id.in_(ids))).all())
    return {i: found.get(i) for i in ids}


def grade_of(partner_id: int) -> str | None:
    return db.session.execute(sa.select(PartnerGrade.grade)
                              .where(PartnerGrade.partner_id == partner_id)).scalar()


def on_exporting(partner) -> dict:
    """What sales holds about the partner beside its records: the grade."""
    return {"sales": {"grade": grade_of(partner.id)}}
