"""Reading and validating a module's `manifest.toml`. A manifest is data: it is parsed with
tomllib and checked here, never executed."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
PERMS_RE = re.compile(r"^[rcwd]+$")
REQUIRED = ("name", "title", "version", "summary")
KNOWN_KEYS = {
    "name", "title", "version", "summary", "category", "depends", "application",
    "auto_install", "icon", "sequence", "groups", "access", "rights", "menus", "jobs",
    "description", "signals",
}


class ManifestError(Exception):
    """A manifest that cannot be used; `str()` names the file and what is wrong."""

    def __init__(self, path: Path | str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = str(path)
        self.message = message


@dataclass(frozen=True)
class Manifest:
    name: str
    title: str
    version: str
    summary: str
    path: Path  # folder of the module
    package: str  # import name, e.g. "modules.sales"
    category: str = "Other"
    description: str = ""
    icon: str = "box"
    sequence: int = 100
    depends: tuple[str, ...] = ()
    application: bool = False
    auto_install: bool = False
    groups: tuple[dict, ...] = ()
    access: tuple[dict, ...] = ()  # rows {"model", "group", "perms"} of the access table
    rights: tuple[dict, ...] = ()
    menus: tuple[dict, ...] = ()
    jobs: tuple[dict, ...] = field(default=())
    signals: tuple[str, ...] = ()  # the signals it sends, which other modules may handle

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return parse_version(self.version)

    @property
    def migrations_dir(self) -> Path:
        return self.path / "migrations" / "versions"

    @property
    def has_migrations(self) -> bool:
        return self.migrations_dir.is_dir() and any(self.migrations_dir.glob("*.py"))

    @property
    def translations_dir(self) -> Path:
        return self.path / "translations"


def parse_version(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def load_toml(path: Path, required, known, error=ManifestError) -> dict:
    """Read a data file (manifest, theme): valid TOML, every required key, no unknown key;
    else raise `error` naming the file."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise error(path, "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(path, f"not valid TOML ({exc})") from None
    missing = [key for key in required if key not in data]
    if missing:
        raise error(path, "missing key " + ", ".join(repr(k) for k in missing))
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise error(path, "unknown key " + ", ".join(repr(k) for k in unknown))
    return data


def read_manifest(folder: Path, package: str, is_core: bool = False) -> Manifest:
    """Parse and validate `folder/manifest.toml`; raise ManifestError naming the file.
    Core's own manifest (menus and groups of the host) skips the module-name rules."""
    path = folder / "manifest.toml"
    data = load_toml(path, REQUIRED, KNOWN_KEYS)

    def fail(message: str):
        raise ManifestError(path, message)
    for key in ("name", "title", "version", "summary", "category", "description", "icon"):
        if key in data and not isinstance(data[key], str):
            fail(f"{key!r} must be a string")
    name = data["name"]
    if is_core:
        pass
    elif not NAME_RE.match(name) or name == "core":
        fail(f"bad module name {name!r} (lower case letters, digits and _; not 'core')")
    elif name != folder.name:
        fail(f"name {name!r} does not match its folder {folder.name!r}")
    if not VERSION_RE.match(data["version"]):
        fail(f"bad version {data['version']!r} (expected MAJOR.MINOR.PATCH, e.g. 1.0.0)")
    depends = _strings(data, "depends", "module names", fail)
    signals = _strings(data, "signals", "signal names", fail)
    if name in depends:
        fail(f"module {name!r} depends on itself")
    for key in ("application", "auto_install"):
        if not isinstance(data.get(key, False), bool):
            fail(f"{key!r} must be true or false")
    if not isinstance(data.get("sequence", 0), int):
        fail("'sequence' must be a whole number")

    groups = _tables(data, "groups", ("id", "title"), fail)
    access = _access(data.get("access", {}), fail)
    rights = _tables(data, "rights", ("id",), fail)
    menus = _tables(data, "menus", ("id", "title"), fail)
    jobs = _tables(data, "jobs", ("id", "func", "cron"), fail)
    for right in rights:
        holders = right.get("groups")
        if not isinstance(holders, list) or not holders or not all(
                isinstance(g, str) and g for g in holders):
            fail(f"right {right['id']!r}: 'groups' must list the groups that hold it")
        # a right of the module's own needs its title; one of another module's, without
        # a title, gives that right to the groups listed as well
        if right["id"].partition(".")[0] == name and not (
                isinstance(right.get("title"), str) and right["title"]):
            fail(f"[[rights]] entry without 'title' ({right['id']!r} is the module's own)")
    for job in jobs:
        if ":" not in job["func"]:
            fail(f"job {job['id']!r}: func must be 'package.module:function'")
        error = cron_error(job["cron"])
        if error:
            fail(f"job {job['id']!r}: bad cron {job['cron']!r} ({error})")
    menu_ids = {m["id"] for m in menus}
    for menu in menus:
        parent = menu.get("parent")
        if parent and parent not in menu_ids and "." not in parent:
            fail(f"menu {menu['id']!r}: unknown parent {parent!r}")

    return Manifest(
        name=name,
        title=data["title"],
        version=data["version"],
        summary=data["summary"],
        path=folder,
        package=package,
        category=data.get("category", "Other"),
        description=data.get("description", ""),
        icon=data.get("icon", "box"),
        sequence=data.get("sequence", 100),
        depends=tuple(d for d in depends if d != "core"),
        application=data.get("application", False),
        auto_install=data.get("auto_install", False),
        groups=groups,
        access=access,
        rights=rights,
        menus=menus,
        jobs=jobs,
        signals=tuple(signals),
    )


def _strings(data: dict, key: str, what: str, fail) -> list[str]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
        fail(f"{key!r} must be a list of {what}")
    return items


def _access(table, fail) -> tuple[dict, ...]:
    """The access table, one TOML table per group: `[access."sales.user"]` then
    `"sale.order" = "rcw"`; returned as rows {"model", "group", "perms"}."""
    shape = 'a table per group: [access."group.id"] then "model" = "rcwd"'
    if not isinstance(table, dict):
        fail(f"'access' must be {shape}")
    rows = []
    for group, models in table.items():
        if not isinstance(models, dict):
            fail(f"access: {group!r} must be {shape}")
        for model, perms in models.items():
            if isinstance(perms, dict):  # [access.sales.user]: the dot split the id
                fail(f"access: write group ids in quotes, [access.\"{group}.{model}\"]")
            if not isinstance(perms, str) or not PERMS_RE.match(perms):
                fail(f"access of {group!r} to {model!r}: perms must be letters of 'rcwd'")
            rows.append({"model": model, "group": group, "perms": perms})
    return tuple(rows)


def _tables(data: dict, key: str, required: tuple[str, ...], fail) -> tuple[dict, ...]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        fail(f"{key!r} must be a list of tables ([[{key}]])")
    seen = set()
    for item in items:
        for req in required:
            if not isinstance(item.get(req), str) or not item[req]:
                fail(f"[[{key}]] entry without {req!r}")
        ident = item[required[0]]
        if ident in seen:
            fail(f"[[{key}]] entry {ident!r} appears twice")
        seen.add(ident)
    return tuple(items)


def cron_error(expr: str) -> str | None:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expr)
    except ValueError as exc:
        return str(exc)
    return None
