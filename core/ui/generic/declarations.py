"""What a module declares for its generic views: columns, filters, and the board, calendar
and report a model offers."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core import limits
from core.db import db


@dataclass
class Column:
    name: str
    label: str | None = None
    link: bool = False  # the column that opens the record
    related: str | None = None  # for a foreign key: show this column of the target
    total: bool = False  # sum it in groups and reports
    computed: bool = False  # another module's value (extensions.Extension), not a column


@dataclass
class Board:
    field: str  # the stage column
    title: str = "name"
    # shown on a card: a money column formatted, a user as initials and name, a column of
    # info widget "priority" as stars, "next_activity" the earliest planned activity
    details: tuple[str, ...] = ()
    total: str | None = None  # a numeric column summed per stage
    stages: object = None  # callable -> [(value, label)]; default: the column's choices
    per_column: int = 40
    move: object = None  # (record, value) -> None: the owner's rule for a move (else set it)
    # callable -> {value: action name or None}: the closing stages (won, lost), shown as
    # narrow drop zones pinned to the board's edge; a drop on one with an action runs that
    # action (core.actions) with its inputs, which the board asks for and requires
    folded: object = None
    create: tuple[str, ...] = ()  # the fields of a column's quick-create form ("+")


@dataclass
class Calendar:
    date: str
    title: str = "name"
    who: str | None = None  # a reference shown on each item (a team's calendar: whose it is)
    duration: str | None = None  # a column of minutes: how tall an item is in the week's grid


@dataclass
class Filter:
    """A filter that is not one column's value: `where(value)` gives the condition and
    `choices()` the values offered (e.g. a tag of a many-to-many, or a team)."""
    name: str
    label: object
    choices: object  # () -> {value: label}
    where: object  # (value: str) -> SQL condition


@dataclass
class Report:
    groups: tuple[str, ...]  # fields to group by (rows and columns of the pivot)
    measures: tuple[str, ...] = ()  # numeric fields to sum; "count" is always offered
    chart: str = "bar"


def team_filter(user_column) -> Filter:
    """Records whose user (`user_column`) is a member of the chosen team: a team's calendar,
    pipeline or queue."""
    from core.auth.models import Team, TeamMember

    def choices():
        return dict(db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name)).all())

    def where(value):
        return user_column.in_(sa.select(TeamMember.user_id).where(
            TeamMember.team_id == (limits.parse_id(value) or -1)))

    return Filter("team", _l("Team"), choices, where)
