"""Enable, disable, upgrade and uninstall modules. Each call plans first (so the UI and CLI
can show what else changes), then acts in one transaction: migrations, state rows and the
counter that tells other workers to reload commit together or not at all."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core import rollups
from core.db import db, utcnow

from . import migrations, validation
from .models import ModuleRecord, bump_counter


class LifecycleError(Exception):
    """Bad request to the lifecycle (unknown module, purge that would break another, ...)."""


@dataclass
class Plan:
    action: str  # enable | disable | upgrade | uninstall
    requested: list[str]
    modules: list[str] = field(default_factory=list)  # everything acted on, in order

    @property
    def extra(self) -> list[str]:
        """What changes beyond what was asked for: the part to confirm."""
        return [m for m in self.modules if m not in self.requested]


def _check_known(registry, names) -> None:
    unknown = [n for n in names if n not in registry.manifests]
    if unknown:
        raise LifecycleError(_l("unknown module: %(names)s", names=", ".join(unknown)))


def plan_enable(registry, names) -> Plan:
    _check_valid(registry, names)
    _check_known(registry, names)
    wanted: list[str] = []
    for name in names:
        wanted += registry.dependencies(name)
    on = set(registry.enabled) | set(wanted)
    changed = True
    while changed:  # auto_install modules follow once all they depend on is enabled
        changed = False
        for name, m in registry.manifests.items():
            if (m.auto_install and name not in on
                    and registry.state(name) in ("available", "uninstalled")
                    and all(d in on for d in m.depends)):
                on.add(name)
                wanted.append(name)
                changed = True
    todo = [n for n in registry.order(wanted) if not registry.is_enabled(n)]
    _check_valid(registry, todo)
    return Plan("enable", list(names), todo)


def _check_valid(registry, names) -> None:
    """Refuse to enable a module refused at start-up, or one whose contributions (menus,
    access, signals, templates) do not hold now; the error names the file at fault."""
    found = validation.enable_error(registry, names)
    if found is not None:
        name, error = found
        raise LifecycleError(_l("%(name)s cannot be enabled: %(error)s", name=name, error=error))


def plan_disable(registry, names) -> Plan:
    _check_known(registry, names)
    wanted = set(names)
    for name in names:
        wanted.update(registry.dependents(name))
    todo = [n for n in reversed(registry.order(wanted)) if registry.is_enabled(n)]
    return Plan("disable", list(names), todo)


def plan_upgrade(registry, names=None) -> Plan:
    _check_known(registry, names or [])
    names = list(names or registry.order(registry.enabled))
    not_on = [n for n in names if not registry.is_enabled(n)]
    if not_on:
        raise LifecycleError(_l("not enabled: %(names)s", names=", ".join(not_on)))
    return Plan("upgrade", names, registry.order(names))


def plan_uninstall(registry, names) -> Plan:
    _check_known(registry, names)
    for name in names:
        blocking = [d for d in registry.dependents(name)
                    if registry.is_installed(d) and d not in names]
        if blocking:
            raise LifecycleError(_l(
                "cannot purge %(name)s: %(others)s depend on it; uninstall them first",
                name=name, others=", ".join(blocking)))
    todo = [n for n in reversed(registry.order(names)) if registry.is_installed(n)]
    return Plan("uninstall", list(names), todo)


def enable(registry, names) -> Plan:
    plan = plan_enable(registry, names)
    with _transaction(registry) as (conn, cfg):
        for name in plan.modules:
            migrations.upgrade(cfg, name)
            _set_state(conn, name, "enabled", registry.manifests[name].version)
            # what changed while it was off (a merged customer's orders) is summed again
            rollups.rebuild_module(conn, registry, name)
            for hook in registry.enable_hooks.get(name, ()):
                hook(conn)
    return plan


def disable(registry, names) -> Plan:
    plan = plan_disable(registry, names)
    with _transaction(registry) as (conn, _cfg):
        for name in plan.modules:
            _set_state(conn, name, "disabled", registry.installed_version(name))
    return plan


def upgrade(registry, names=None) -> Plan:
    """Run newer migrations of enabled modules (and core's) and record their versions."""
    plan = plan_upgrade(registry, names)
    with _transaction(registry) as (conn, cfg):
        migrations.upgrade(cfg, "core")
        for name in plan.modules:
            was = registry.installed_version(name)
            migrations.upgrade(cfg, name)
            _set_state(conn, name, "enabled", registry.manifests[name].version)
            if was != registry.manifests[name].version:  # its sums may be new or defined anew
                rollups.rebuild_module(conn, registry, name)
    return plan


def uninstall(registry, names) -> Plan:
    """Purge: run the modules' migrations down (dropping their tables) and forget them."""
    plan = plan_uninstall(registry, names)
    with _transaction(registry) as (conn, cfg):
        for name in plan.modules:
            migrations.downgrade_to_base(cfg, name)
            _set_state(conn, name, "uninstalled", None)
    return plan


def install_core(registry) -> None:
    """Create or upgrade core's own tables (what `init` and `modules upgrade` start with)."""
    with db.engine.begin() as conn:
        migrations.upgrade(migrations.alembic_config(registry, conn), "core")
    db.session.remove()
    registry.sync()


class _transaction:
    """One transaction on the session's connection; bump the state counter first, which
    also takes the write lock, so two admins toggling at once are serialised."""

    def __init__(self, registry):
        self.registry = registry

    def __enter__(self):
        conn = db.session.connection()
        bump_counter("modules", conn)
        return conn, migrations.alembic_config(self.registry, conn)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            db.session.commit()
        else:
            db.session.rollback()
        self.registry.version = None  # force a reload from the database
        self.registry.sync()
        return False


def _set_state(conn, name: str, state: str, version: str | None) -> None:
    values = {"state": state, "installed_version": version, "updated_at": utcnow()}
    updated = conn.execute(
        sa.update(ModuleRecord).where(ModuleRecord.name == name).values(**values)
    ).rowcount
    if not updated:
        conn.execute(sa.insert(ModuleRecord).values(name=name, **values))
