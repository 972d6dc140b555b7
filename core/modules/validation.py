"""Checking what a module contributes, once its code has registered it: the pages its menus
link to, the groups and models its access tables name, the signals it handles and the
templates its templates extend. A module whose contributions do not hold is refused like a
bad manifest, with one error naming the file at fault: it is not loaded, the modules that
depend on it are not either, and everything else serves as before.

`check_loaded` runs once the app has registered every blueprint (a menu may link to any
module's page, or to core's); the lifecycle runs the same checks again before enabling."""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import jinja2
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from jinja2 import nodes

from .manifest import Manifest, ManifestError

log = logging.getLogger(__name__)


class ModuleError(ManifestError):
    """A module refused for what it contributes. `str()` names the file and what is wrong,
    in the reader's language (the message stays lazy until shown)."""

    def __init__(self, path: Path | str, message, module: str):
        Exception.__init__(self, str(path), message)
        self.path, self.message, self.module = str(path), message, module

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Known:
    """What a module may name: groups and signals some manifest declares (core's, and those
    of every module read, refused or not), and the models the registry maps."""
    groups: frozenset[str]
    signals: frozenset[str]
    models: frozenset[str]
    rights: frozenset[str]


def known(registry) -> Known:
    manifests = [registry.core_manifest, *registry.manifests.values(),
                 *registry.refused.values()]
    return Known(
        groups=frozenset(grp["id"] for m in manifests for grp in m.groups),
        signals=frozenset(s for m in manifests for s in m.signals),
        models=frozenset(registry.models),
        rights=frozenset(r["id"] for m in manifests for r in m.rights),
    )


def check_loaded(registry) -> None:
    """At start-up: refuse each module whose contributions do not hold, and the modules
    that depend on it, each with one error in `registry.errors`."""
    names = known(registry)
    bad: dict[str, ManifestError] = {}
    for name, manifest in registry.manifests.items():  # dependencies first
        broken = next((d for d in manifest.depends if d in bad), None)
        if broken is not None:
            bad[name] = ModuleError(manifest.path / "manifest.toml", _l(
                "depends on '%(module)s', which cannot be loaded", module=broken), name)
        else:
            error = problem(registry, manifest, names)
            if error is not None:
                bad[name] = error
    for name, error in bad.items():
        log.error("module not loaded: %s", error)
        registry.errors.append(error)
        registry.refused[name] = registry.manifests.pop(name)
    if bad:  # what was derived from the enabled set may count a refused module
        registry._set_states(registry.states, registry.version)


def enable_error(registry, names) -> tuple[str, ManifestError] | None:
    """Why one of `names` may not be enabled: the error that refused it at start-up, or
    the first of its contributions that does not hold now; None when all may be."""
    names_known = None
    for name in names:
        if name in registry.manifests:
            names_known = names_known or known(registry)
            error = problem(registry, registry.manifests[name], names_known)
            if error is not None:
                return name, error
            continue
        for error in registry.errors:
            if getattr(error, "module", None) == name or (
                    not hasattr(error, "module") and Path(error.path).parent.name == name):
                return name, error
    return None


def problem(registry, manifest: Manifest, names: Known) -> ModuleError | None:
    """The first contribution of the module that does not hold, or None."""
    for check in (_menus, _access, _signals, _field_rights, _templates):
        error = check(registry, manifest, names)
        if error is not None:
            return error
    return None


def _menus(registry, manifest: Manifest, names: Known) -> ModuleError | None:
    """Each menu links to a page that exists and that a link can reach: a GET route whose
    URL needs no values (a menu gives none)."""
    url_map = registry.app.url_map
    for menu in manifest.menus:
        endpoint = menu.get("endpoint")
        if endpoint is None:
            continue
        try:
            rules = list(url_map.iter_rules(endpoint)) if isinstance(endpoint, str) else []
        except KeyError:
            rules = []
        if not rules:
            return _error(manifest, "manifest.toml", _l(
                "menu '%(menu)s' links to '%(endpoint)s', which is no page's endpoint",
                menu=menu["id"], endpoint=endpoint))
        if not any("GET" in (rule.methods or ()) and rule.arguments <= set(rule.defaults or ())
                   for rule in rules):
            return _error(manifest, "manifest.toml", _l(
                "menu '%(menu)s' links to '%(endpoint)s', a page that needs values a menu "
                "cannot give", menu=menu["id"], endpoint=endpoint))
    return None


def _access(registry, manifest: Manifest, names: Known) -> ModuleError | None:
    """Each access table is of a declared group and names models that exist."""
    for rule in manifest.access:
        if rule["group"] not in names.groups:
            return _error(manifest, "manifest.toml", _l(
                "access names the group '%(group)s', which no module declares",
                group=rule["group"]))
        if rule["model"] not in names.models:
            return _error(manifest, "manifest.toml", _l(
                "access of '%(group)s' names the model '%(model)s', which no module defines",
                group=rule["group"], model=rule["model"]))
    return None


def _signals(registry, manifest: Manifest, names: Known) -> ModuleError | None:
    """Each signal the module handles is one that some module sends (declares)."""
    for module, signal in registry.connections:
        if module == manifest.name and signal not in names.signals:
            return _error(manifest, "__init__.py", _l(
                "register() connects to the signal '%(signal)s', which no module declares "
                "(the module that sends it lists it under 'signals' in its manifest)",
                signal=signal))
    return None


def _field_rights(registry, manifest: Manifest, names: Known) -> ModuleError | None:
    """Each right a field of the module's models needs (`info={"write_right": ...}`) is
    declared: a misspelt one would let only administrators write the field."""
    for model, cls in sorted(registry.models.items()):
        if registry.table_owner(cls.__table__.name) != manifest.name:
            continue
        mapper = sa.inspect(cls)
        for name, attr in [*mapper.column_attrs.items(), *mapper.relationships.items()]:
            info = attr.columns[0].info if hasattr(attr, "columns") else attr.info
            right = info.get("write_right")
            if right is not None and right not in names.rights:
                source = Path(sys.modules[cls.__module__].__file__)
                return _error(manifest, source.relative_to(manifest.path).as_posix(), _l(
                    "the field '%(field)s' of '%(model)s' needs the right '%(right)s', which "
                    "no module declares", field=name, model=model, right=right))
    return None


def _templates(registry, manifest: Manifest, names: Known) -> ModuleError | None:
    """Each of the module's templates parses, and the templates it extends exist."""
    folder = manifest.path / "templates"
    if not folder.is_dir():
        return None
    env = registry.app.jinja_env
    for path in sorted(p for p in folder.rglob("*") if p.is_file()
                       and not p.name.startswith(".")):
        try:
            extended = _extended(env, path)
        except jinja2.TemplateSyntaxError as exc:
            return ModuleError(path, _l("template error on line %(line)s: %(error)s",
                                        line=exc.lineno, error=exc.message), manifest.name)
        for name in extended:
            try:
                env.loader.get_source(env, name)
            except jinja2.TemplateNotFound:
                return ModuleError(path, _l(
                    "extends '%(template)s', which does not exist", template=name),
                    manifest.name)
    return None


_parsed: dict[tuple[str, int, int], tuple[str, ...]] = {}  # (path, mtime, size) -> extended


def _extended(env: jinja2.Environment, path: Path) -> tuple[str, ...]:
    """The templates `path` extends, by name (a name chosen at run time is left out). Parsed
    once per version of the file: every app built in one process shares the work."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _parsed:
        try:
            source = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # not a template (an image beside them)
            _parsed[key] = ()
        else:
            tree = env.parse(source, path.name, str(path))
            _parsed[key] = tuple(name for node in tree.find_all(nodes.Extends)
                                 for name in _names(node.template))
    return _parsed[key]


def _names(node: nodes.Node):
    """Template names an `{% extends %}` expression may give: "base.html", and both sides
    of `"base.html" if signed_in else "bare.html"`."""
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, nodes.CondExpr):
        yield from _names(node.expr1)
        if node.expr2 is not None:
            yield from _names(node.expr2)


def _error(manifest: Manifest, filename: str, message) -> ModuleError:
    return ModuleError(manifest.path / filename, message, manifest.name)
