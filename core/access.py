"""Rights, in one place. Every page, API call, export, report and search reads records
through `select_for` / `get_for` and checks rights with `require`, so they cannot disagree.

- Groups come from manifests (core's and the enabled modules'); `implies` adds groups.
  `core.admin` may do everything.
- Model access (`[access."group"]` tables: r, c, w, d per model) adds up over a user's
  groups.
- Named rights (`[[rights]]`: "sales.override") say what a group may do beyond reading and
  writing records; `has_right` checks them. A field may need one to be written
  (`info={"write_right": ...}` on its column: `field_right`, enforced by core.records).
- Record rules are Python: `module.record_rule("sale.order", "sales.user", own_orders)`,
  a function of the user returning a SQL condition. A user sees the union of what all
  their groups' rules allow (a team lead's group may bring a wider rule without granting
  the right itself); a group that grants the right and has no rule sees every row.
Missing right: 403. A record outside the rules: 404, so its existence is not revealed."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import sqlalchemy as sa
from flask import abort, g
from flask_login import current_user, login_required

from core.auth.models import ADMIN_GROUP, Team, TeamMember, User
from core.db import db
from core.modules import get_registry

PERMS = {"r": "read", "c": "create", "w": "write", "d": "delete"}




def effective_groups(user) -> frozenset[str]:
    """The user's groups of enabled modules (and core), with what they imply."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    registry = get_registry()
    cache = g.setdefault("_erp_groups", {})
    key = (user.id, registry.version)
    if key not in cache:
        declared = registry.declared_groups()
        found: set[str] = set()
        stack = [gid for gid in user.group_ids if gid in declared]
        while stack:
            gid = stack.pop()
            if gid not in found:
                found.add(gid)
                stack.extend(i for i in declared[gid].get("implies", ()) if i in declared)
        cache[key] = frozenset(found)
    return cache[key]


def is_admin(user=None) -> bool:
    user = user or current_user
    return ADMIN_GROUP in effective_groups(user)


def can(model: str, perm: str = "r", user=None) -> bool:
    user = user or current_user
    if not getattr(user, "is_authenticated", False):
        return False
    groups = effective_groups(user)
    if ADMIN_GROUP in groups:
        return True
    table = get_registry().access_table().get(model, {})
    return any(perm in perms for group, perms in table.items() if group in groups)


def has_right(right_id: str, user=None) -> bool:
    """Whether the user holds the named right (`[[rights]]` in a manifest): administrators
    always, others through any of their groups. Only enabled modules' rights count."""
    groups = effective_groups(user or current_user)  # none when signed out
    if ADMIN_GROUP in groups:
        return True
    right = get_registry().declared_rights().get(right_id)
    return right is not None and not groups.isdisjoint(right["groups"])


def field_right(model_cls, name: str) -> str | None:
    """The named right writing field `name` of `model_cls` needs, as its column declares
    it (`info={"write_right": "sales.assign"}`; a many-to-many relationship's info too), or
    None when the model right is enough."""
    mapper = sa.inspect(model_cls)
    if name in mapper.column_attrs:
        return mapper.column_attrs[name].columns[0].info.get("write_right")
    relation = mapper.relationships.get(name)
    return relation.info.get("write_right") if relation is not None else None


def may_write_field(model_cls, name: str, user=None) -> bool:
    """Whether the user may change field `name` (see `field_right`); records.save enforces
    it, forms show the field read-only, the API documents it."""
    right = field_right(model_cls, name)
    return right is None or has_right(right, user)


def require(model: str, perm: str = "r") -> None:
    if not current_user.is_authenticated:
        abort(401)
    if not can(model, perm):
        abort(403)


def rule_condition(model_cls, perm: str = "r", user=None):
    """The SQL condition limiting `model_cls` rows to what the user may see, or None when
    they see everything."""
    user = user or current_user
    groups = effective_groups(user)
    if ADMIN_GROUP in groups:
        return None
    model = model_cls.__model__
    table = get_registry().access_table().get(model, {})
    granting = [grp for grp, perms in table.items() if grp in groups and perm in perms]
    rules = get_registry().active_rules(model)
    if any(grp not in rules for grp in granting):
        return None  # a group that grants the right with no rule sees every row
    conditions = [rule(user) for grp in sorted(groups) for rule in rules.get(grp, ())]
    return sa.or_(*conditions) if conditions else sa.false()


def select_for(model_cls, perm: str = "r", *columns):
    """`select()` of the rows of `model_cls` the current user may see (403 without the
    model right). Extra columns, when given, are selected instead of the model."""
    require(model_cls.__model__, perm)
    query = sa.select(*columns) if columns else sa.select(model_cls)
    condition = rule_condition(model_cls, perm)
    return query if condition is None else query.where(condition)


def get_for(model_cls, record_id, perm: str = "r", lock: bool = False):
    """One record the current user may see, or 404 (403 without the model right). `lock`
    holds its row until the transaction ends and reads it afresh, so a state change made
    meanwhile by another request is seen, not overwritten."""
    try:
        record_id = int(record_id)
    except (TypeError, ValueError):
        abort(404)
    if not 0 < record_id < 2**63:  # beyond what an id column holds: no such record
        abort(404)
    query = select_for(model_cls, perm).where(model_cls.id == record_id)
    if lock:
        query = query.with_for_update(of=model_cls).execution_options(populate_existing=True)
    return db.session.execute(query).scalar() or abort(404)


# -- rules modules use -------------------------------------------------------------------
def own(column) -> Callable:
    """Rule: records whose `column` is the user."""
    return lambda user: column == user.id


def team(column) -> Callable:
    """Rule: records whose `column` is the user, a member of a team they lead or belong to,
    or someone who reports to them (directly or not)."""
    return lambda user: sa.or_(column == user.id, column.in_(team_user_ids(user)))


def everything(_user):
    return sa.true()


def team_user_ids(user) -> sa.Select:
    """Subquery of ids of the user's team mates and reports (a recursive CTE down the
    manager hierarchy), computed in SQL whatever the team size."""
    my_teams = sa.select(Team.id).where(sa.or_(
        Team.leader_id == user.id,
        Team.id.in_(sa.select(TeamMember.team_id).where(TeamMember.user_id == user.id)),
    ))
    mates = sa.select(TeamMember.user_id).where(TeamMember.team_id.in_(my_teams))
    leaders = sa.select(Team.leader_id).where(Team.id.in_(my_teams), Team.leader_id.is_not(None))
    reports = sa.select(User.id).where(User.manager_id == user.id).cte("reports", recursive=True)
    reports = reports.union_all(sa.select(User.id).where(User.manager_id == reports.c.id))
    return sa.union(mates, leaders, sa.select(reports.c.id))


# -- view decorators: each declares who may call the view (the permission matrix test
# reads `view.access`) ---------------------------------------------------------------------
def _mark(view, access):
    view.access = access
    return view


def public(view):
    """Anyone, signed in or not."""
    return _mark(view, "public")


def signed_in(view):
    """Any signed-in user."""
    return _mark(login_required(view), "login")


def admin_required(view):
    """Members of core.admin only."""
    return _guard(view, lambda _kwargs: is_admin(), "admin")


def on_record(perm: str):
    """Views whose URL names the model (`<model>/<int:record_id>`): `perm` on that model."""
    return lambda view: _guard(view, lambda kwargs: can(kwargs["model"], perm), ("<model>", perm))


def requires(model: str, perm: str = "r"):
    """Users with `perm` on `model` (record rules still apply to what they reach)."""
    return lambda view: _guard(view, lambda _kwargs: can(model, perm), (model, perm))


def requires_right(right_id: str):
    """Users holding the named right `right_id` (see `has_right`)."""
    return lambda view: _guard(view, lambda _kwargs: has_right(right_id), ("right", right_id))


def _guard(view, allowed: Callable[[dict], bool], access):
    """`view` for signed-in users for whom `allowed(url_arguments)` holds (else 403),
    marked with `access`."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not allowed(kwargs):
            abort(403)
        return view(*args, **kwargs)

    return _mark(wrapper, access)
