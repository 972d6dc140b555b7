"""The registry: every discovered module, what each contributes, and which are enabled.

Every module's code is imported and its blueprint registered at start-up (Flask cannot add
routes once serving); what a disabled module contributes stays registered but inert, gated
by `is_enabled`. Each request compares a counter in the database with the one this process
last saw, so a toggle made by any worker or host is seen on the next request."""
from __future__ import annotations

import importlib
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import blinker
import sqlalchemy as sa
from flask import Blueprint
from markupsafe import Markup

from core.db import db

from .discovery import discover
from .manifest import Manifest, ManifestError, read_manifest
from .models import INSTALLED, ModuleRecord, read_counters

log = logging.getLogger(__name__)
CORE = "core"
CORE_DIR = Path(__file__).resolve().parent.parent
# the command names core (core.cli) and Flask keep for themselves: a module takes none
RESERVED_COMMANDS = frozenset({"init", "modules", "users", "demo", "scheduler", "bench",
                               "backup", "restore", "tasks",
                               "run", "shell", "routes"})
CORE_PARTS = ["core.partners", "core.activities", "core.taxes", "core.tasks"]


@dataclass(frozen=True)
class Exposure:
    """A model as its module declares it for the API (ModuleContext.expose)."""
    cls: type
    module: str
    read: tuple[str, ...]
    write: tuple[str, ...]
    filter: tuple[str, ...]
    extra: tuple = ()


@dataclass(frozen=True)
class TaskDef:
    """A background task as its module declares it (ModuleContext.task); core.tasks queues
    and runs it."""
    name: str  # "<module>.<name>"
    module: str
    function: Callable | str  # or "package.module:attribute", imported when it first runs
    title: object = None  # what "My background tasks" calls it (a lazy string)
    retries: int = 3  # tries after the first when it raises (a Refusal is never retried)
    retry_delay: int = 30  # seconds before the first retry, doubled before each next one

    def resolve(self) -> Callable:
        if callable(self.function):
            return self.function
        package, _, attribute = self.function.partition(":")
        return getattr(importlib.import_module(package), attribute)


@dataclass
class Widget:
    id: str
    module: str
    title: str
    render: Callable  # (user) -> Markup
    sequence: int = 100


class ModuleContext:
    """What a module's `register(module)` receives: every way it may add to the host."""

    def __init__(self, registry: ModuleRegistry, manifest: Manifest):
        self.registry = registry
        self.manifest = manifest
        self.name = manifest.name

    def blueprint(self, bp: Blueprint, url_prefix: str | None = None) -> None:
        self.registry.app.register_blueprint(bp, url_prefix=url_prefix)
        self.registry.blueprint_owner[bp.name] = self.name

    def connect(self, signal: str, handler: Callable) -> None:
        """Handle a named signal; the handler runs only while this module is enabled."""
        self.registry.connect(signal, handler, self.name)

    def slot(self, name: str, render: Callable) -> None:
        """Fill a template slot: `render(*args)` returns HTML shown where the slot is."""
        self.registry.slots[name].append((self.name, render))

    def widget(self, id: str, title: str, render: Callable, sequence: int = 100) -> None:
        self.registry.widgets.append(Widget(id, self.name, title, render, sequence))

    def expose(self, model_cls, read=(), write=(), filter=(), extra=()) -> None:
        """Serve `model_cls` in the JSON API: the fields clients read, write and filter on,
        and computed fields (`extra`, core.api.Field). Its actions and saving hooks are
        declared once for pages and API alike (`actions`, `saving`)."""
        for f in extra:
            f.module = self.name
        self.registry.exposed[model_cls.__model__] = Exposure(
            model_cls, self.name, tuple(read), tuple(write), tuple(filter), tuple(extra))

    def extend_resource(self, model: str, fields=()) -> None:
        """Add fields to another module's resource, shown while this module is enabled
        (e.g. credit fields on `partner`)."""
        for f in fields:
            f.module = self.name
            self.registry.resource_fields[model].append(f)

    def actions(self, model, *actions) -> None:
        """Declare what users may do to `model`'s records (a model class, or the name of
        another module's model, e.g. billing's "invoice" on "sale.order"): each
        core.actions.Action gives the button, the bulk action, the route, the API action
        and the timeline entry, while this module is enabled."""
        name = model if isinstance(model, str) else model.__model__
        for action in actions:
            action.module, action.model = self.name, name
            self.registry.actions[name][action.name] = action

    def saving(self, model_cls, hook: Callable) -> None:
        """`hook(record, values, creating)` runs on every save of a `model_cls` record, from
        a form, an import or the API (core.records.save); it may raise a Refusal."""
        self.registry.saving[model_cls.__model__].append((self.name, hook))

    def record_rule(self, model: str, group: str, rule: Callable) -> None:
        """Limit what `group` sees of `model`: `rule(user)` returns a SQL condition."""
        self.registry.rules[model].append((self.name, group, rule))

    def on_enable(self, hook: Callable) -> None:
        """`hook(connection)` runs inside the enabling transaction (e.g. default data)."""
        self.registry.enable_hooks[self.name].append(hook)

    def cli(self, command) -> None:
        """Add a click command or group to the CLI (`flask --app wsgi NAME`, `erp NAME`). It
        is there from start-up whether the module is enabled or not; run while the module
        is not enabled, it stops with a one-line error (core.cli.module_command)."""
        taken = self.registry.commands.get(command.name)
        if command.name in RESERVED_COMMANDS or (taken and taken[0] != self.name):
            raise ValueError(f"the command name {command.name!r} is taken")
        self.registry.commands[command.name] = (self.name, command)

    def bench(self, name: str, workload) -> None:
        """Add a workload to the benchmark runner (`flask --app wsgi bench NAME`): a click
        command, or "package.module:attribute" naming one, imported only when the runner
        lists or runs it (bench/ is in a source tree, not in installed packages)."""
        taken = self.registry.workloads.get(name)
        if taken and taken[0] != self.name:
            raise ValueError(f"the bench workload name {name!r} is taken")
        self.registry.workloads[name] = (self.name, workload)

    def task(self, name: str, function, title=None, retries: int = 3,
             retry_delay: int = 30) -> None:
        """Declare a background task `<module>.<name>`: core.tasks.enqueue(...) queues it
        with keyword arguments (JSON values) and a worker process (`tasks worker`) calls
        `function(**arguments)` in an app context, signed in as the user who queued it.
        It runs only while this module is enabled; what it raises is retried `retries`
        times with a growing wait, except a core.errors.Refusal, which is its answer."""
        full = f"{self.name}.{name}"
        if full in self.registry.tasks:
            raise ValueError(f"the task name {full!r} is taken")
        self.registry.tasks[full] = TaskDef(full, self.name, function, title, retries,
                                            retry_delay)

    def extend_views(self, model: str, *extensions) -> None:
        """Add values to another module's generic views of `model` (core.ui.generic.
        Extension: a column, a filter and a group of the list, and a report group), shown
        while this module is enabled (e.g. sales' customer grade on the contacts list)."""
        for extension in extensions:
            extension.module = self.name
            self.registry.view_extensions[model].append(extension)


class ModuleRegistry:
    def __init__(self, app):
        self.app = app
        found = discover(app.config["ERP_MODULE_PACKAGES"], app.config["ERP_MODULE_ENTRY_POINTS"])
        self.manifests: dict[str, Manifest] = found.manifests
        self.errors: list[ManifestError] = list(found.errors)
        self.presets = found.presets
        self.core_manifest = read_manifest(CORE_DIR, "core", is_core=True)
        self.blueprint_owner: dict[str, str] = {}
        self.signals = blinker.Namespace()
        self.connections: list[tuple[str, str]] = []  # (module, signal), checked by validation
        self.refused: dict[str, Manifest] = {}  # read but not loaded (import or validation)
        self.slots: dict[str, list] = defaultdict(list)
        self.widgets: list[Widget] = []
        self.enable_hooks: dict[str, list] = defaultdict(list)
        self.model_owner: dict[str, str] = {}  # table name -> module
        self.models: dict[str, type] = {}  # model name ("sale.order") -> class
        self.table_models: dict[str, type] = {}  # table name ("sale_order") -> class
        self.rules: dict[str, list] = defaultdict(list)  # model -> [(module, group, rule)]
        # model name -> what its module exposes in the API, and the fields others add
        # (core.api builds the resources served from these)
        self.exposed: dict[str, Exposure] = {}
        self.resource_fields: dict[str, list] = defaultdict(list)
        self.actions: dict[str, dict] = defaultdict(dict)  # model -> name -> Action
        self.saving: dict[str, list] = defaultdict(list)  # model -> [(module, hook)]
        self.commands: dict[str, tuple] = {}  # CLI name -> (module, click command)
        self.workloads: dict[str, tuple] = {}  # bench name -> (module, command or "mod:attr")
        self.tasks: dict[str, TaskDef] = {}  # "<module>.<name>" -> background task
        self.view_extensions: dict[str, list] = defaultdict(list)  # model -> [Extension]
        self._derived: dict = {}  # per enabled set: access table, groups
        self.states: dict[str, dict] = {}
        self.enabled: frozenset[str] = frozenset()
        self.version: int | None = None
        for error in self.errors:
            log.error("module not loaded: %s", error)

    # -- loading ---------------------------------------------------------------------
    def load(self) -> None:
        """Import each valid module and call its `register(module)`. A module whose code
        fails to import is reported like a bad manifest, with everything that needs it."""
        for package in CORE_PARTS:  # core's own parts use the same contract
            importlib.import_module(package).register(ModuleContext(self, self.core_manifest))
        failed: dict[str, str] = {}
        for name, manifest in list(self.manifests.items()):
            if any(dep in failed for dep in manifest.depends):
                failed[name] = "depends on a module that failed to load"
                continue
            try:
                package = importlib.import_module(manifest.package)
                register = getattr(package, "register", None)
                if register is not None:
                    register(ModuleContext(self, manifest))
            except Exception as exc:  # a broken module must not stop the host
                log.exception("module %s failed to load", name)
                failed[name] = f"failed to load: {exc.__class__.__name__}: {exc}"
        for name, message in failed.items():
            self.errors.append(ManifestError(self.manifests[name].path / "__init__.py", message))
            self.refused[name] = self.manifests.pop(name)
        self._map_tables()

    def _map_tables(self) -> None:
        packages = {m.package: name for name, m in self.manifests.items()}
        for mapper in db.Model.registry.mappers:
            cls = mapper.class_
            table = getattr(cls, "__table__", None)
            if table is None:
                continue
            owner = CORE
            for package, name in packages.items():
                if cls.__module__ == package or cls.__module__.startswith(package + "."):
                    owner = name
            self.model_owner[table.name] = owner
            if getattr(cls, "__model__", None):
                self.models[cls.__model__] = cls
                self.table_models[table.name] = cls

    def table_owner(self, table: str) -> str | None:
        return self.model_owner.get(table)

    def module_tables(self, name: str) -> list[str]:
        return sorted(t for t, owner in self.model_owner.items() if owner == name)

    # -- state -----------------------------------------------------------------------
    def sync(self, counters: dict | None | bool = False) -> None:
        """Reload the enabled set if any process changed it since we last looked:
        `counters` as the request read them (models.read_counters), else read now."""
        if counters is False:
            counters = read_counters()
        if counters is None:  # not initialised yet: nothing is enabled
            self._set_states({}, None)
            return
        version = counters.get("modules", 0)  # 0: no module ever changed state
        if version != self.version:
            rows = db.session.execute(sa.select(ModuleRecord)).scalars().all()
            self._set_states(
                {r.name: {"state": r.state, "installed_version": r.installed_version}
                 for r in rows},
                version,
            )

    def _set_states(self, states: dict, version: int | None) -> None:
        self.states = states
        self.enabled = frozenset(
            n for n, s in states.items() if s["state"] == "enabled" and n in self.manifests
        )
        self.version = version
        self._derived = {}

    def state(self, name: str) -> str:
        return self.states.get(name, {}).get("state", "available")

    def installed_version(self, name: str) -> str | None:
        return self.states.get(name, {}).get("installed_version")

    def is_enabled(self, name: str) -> bool:
        return name == CORE or name in self.enabled

    def is_installed(self, name: str) -> bool:
        return self.state(name) in INSTALLED

    # -- contributions, gated ----------------------------------------------------------
    def connect(self, signal: str, handler: Callable, module: str) -> None:
        def gated(sender, **kwargs):
            if self.is_enabled(module):
                return handler(sender, **kwargs)
            return None

        gated.__name__ = getattr(handler, "__name__", "handler")
        self.signals.signal(signal).connect(gated, weak=False)
        self.connections.append((module, signal))

    def send(self, signal: str, sender=None, **kwargs) -> list:
        """Send a named signal to the handlers of enabled modules; their results, in order."""
        return [r for _fn, r in self.signals.signal(signal).send(sender, **kwargs)]

    def render_slot(self, name: str, *args) -> Markup:
        parts = [render(*args) for module, render in self.slots.get(name, ())
                 if self.is_enabled(module)]
        return Markup("").join(p for p in parts if p)

    def active_widgets(self) -> list[Widget]:
        return sorted((w for w in self.widgets if self.is_enabled(w.module)),
                      key=lambda w: (w.sequence, w.id))

    def _cached(self, key: str, compute: Callable):
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    def declared_groups(self) -> dict[str, dict]:
        """Groups of core and the enabled modules, by id."""
        return self._cached("groups", lambda: {
            grp["id"]: grp for m in self.active_manifests() for grp in m.groups})

    def declared_rights(self) -> dict[str, dict]:
        """Named rights (`[[rights]]`) of core and the enabled modules, by id. A right's
        holders add up over the manifests that list it (a module may give its groups a
        right another module declares); a right only given, never declared, is none."""
        def compute():
            found: dict[str, dict] = {}
            for m in self.active_manifests():
                for right in m.rights:
                    held = found.setdefault(right["id"], {"id": right["id"], "groups": []})
                    held["groups"] = [*held["groups"], *right["groups"]]
                    if right.get("title"):
                        held["title"] = right["title"]
            return {rid: right for rid, right in found.items() if "title" in right}

        return self._cached("rights", compute)

    def all_groups(self) -> list[tuple[Manifest, dict]]:
        """Every discovered module's groups (for the user form), enabled or not."""
        return [(m, grp) for m in [self.core_manifest, *self.manifests.values()]
                for grp in m.groups]

    def access_table(self) -> dict[str, dict[str, str]]:
        """model -> group -> perms, from the enabled modules' access tables."""
        def compute():
            table: dict[str, dict[str, str]] = defaultdict(dict)
            for m in self.active_manifests():
                for rule in m.access:
                    granted = table[rule["model"]].get(rule["group"], "") + rule["perms"]
                    table[rule["model"]][rule["group"]] = "".join(sorted(set(granted)))
            return dict(table)

        return self._cached("access", compute)

    def active_rules(self, model: str) -> dict[str, list[Callable]]:
        """group -> record rules on `model`, of enabled modules only."""
        def compute():
            by_group: dict[str, list] = defaultdict(list)
            for module, group, rule in self.rules.get(model, ()):
                if self.is_enabled(module):
                    by_group[group].append(rule)
            return dict(by_group)

        return self._cached(f"rules:{model}", compute)

    def manifest(self, name: str) -> Manifest:
        """A module's manifest, or core's for "core"."""
        return self.core_manifest if name == CORE else self.manifests[name]

    def active_actions(self, model: str) -> dict:
        """name -> Action for `model`, of enabled modules only."""
        return {n: a for n, a in self.actions.get(model, {}).items()
                if self.is_enabled(a.module)}

    def saving_hooks(self, model: str) -> list[Callable]:
        return [hook for module, hook in self.saving.get(model, ()) if self.is_enabled(module)]

    def active_view_extensions(self, model: str) -> list:
        """What enabled modules add to `model`'s generic views (module.extend_views)."""
        return [e for e in self.view_extensions.get(model, ()) if self.is_enabled(e.module)]

    def active_manifests(self) -> list[Manifest]:
        """Core's manifest and those of the enabled modules."""
        return [self.core_manifest] + [m for n, m in self.manifests.items() if n in self.enabled]

    # -- dependency closures -----------------------------------------------------------
    def dependencies(self, name: str) -> list[str]:
        """`name` and everything it needs, dependencies first."""
        seen: list[str] = []

        def walk(n: str):
            for dep in self.manifests[n].depends:
                walk(dep)
            if n not in seen:
                seen.append(n)

        walk(name)
        return seen

    def dependents(self, name: str) -> list[str]:
        """Modules that need `name`, directly or not (not `name` itself), in load order."""
        needed = {name}
        for n in self.manifests:  # manifests are in dependency order
            if any(dep in needed for dep in self.manifests[n].depends):
                needed.add(n)
        return [n for n in self.manifests if n in needed and n != name]

    def order(self, names) -> list[str]:
        names = set(names)
        return [n for n in self.manifests if n in names]

