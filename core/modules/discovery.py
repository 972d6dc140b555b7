"""Finding modules: sub-folders of the configured module packages that hold a
`manifest.toml`, and packages named by `erp.modules` entry points. Nothing is imported
here but the parent packages: broken modules are reported, valid ones go on."""
from __future__ import annotations

import importlib.util
import tomllib
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

from .manifest import Manifest, ManifestError, read_manifest

ENTRY_POINT_GROUP = "erp.modules"


@dataclass
class Discovery:
    manifests: dict[str, Manifest] = field(default_factory=dict)  # in dependency order
    errors: list[ManifestError] = field(default_factory=list)
    presets: dict[str, dict] = field(default_factory=dict)


def package_folders(package: str) -> list[Path]:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(p) for p in spec.submodule_search_locations]


def candidates(packages: list[str], use_entry_points: bool) -> list[tuple[Path, str]]:
    """(folder, import name) of every place that looks like a module."""
    found = []
    for package in packages:
        for root in package_folders(package):
            for folder in sorted(root.iterdir()):
                if (folder / "manifest.toml").is_file():
                    found.append((folder, f"{package}.{folder.name}"))
    if use_entry_points:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            for folder in package_folders(ep.value):
                found.append((folder, ep.value))
    return found


def discover(packages: list[str], use_entry_points: bool = True) -> Discovery:
    result = Discovery()
    read: dict[str, Manifest] = {}
    for folder, package in candidates(packages, use_entry_points):
        try:
            manifest = read_manifest(folder, package)
        except ManifestError as exc:
            result.errors.append(exc)
            continue
        if manifest.name in read:
            result.errors.append(ManifestError(
                folder / "manifest.toml",
                f"duplicate module name {manifest.name!r} "
                f"(already found in {read[manifest.name].path / 'manifest.toml'})",
            ))
            continue
        read[manifest.name] = manifest
    valid, errors = check_graph(read)
    result.errors.extend(errors)
    result.manifests = {name: valid[name] for name in dependency_order(valid)}
    for package in packages:
        for root in package_folders(package):
            result.presets.update(read_presets(root / "presets.toml", result.errors))
    return result


def check_graph(manifests: dict[str, Manifest]) -> tuple[dict[str, Manifest], list]:
    """Drop modules with unknown dependencies or in a cycle, and those that depend on a
    dropped one; return the rest and an error for each dropped module."""
    errors: list[ManifestError] = []
    bad: dict[str, str] = {}
    for name, m in manifests.items():
        unknown = [d for d in m.depends if d not in manifests]
        if unknown:
            bad[name] = "unknown dependency " + ", ".join(repr(d) for d in unknown)
    for cycle in find_cycles(manifests):
        text = " -> ".join(cycle)
        for name in cycle[:-1]:
            bad.setdefault(name, f"dependency cycle {text}")
    changed = True
    while changed:  # a module depending on a dropped one is dropped too
        changed = False
        for name, m in manifests.items():
            if name in bad:
                continue
            broken = [d for d in m.depends if d in bad]
            if broken:
                bad[name] = f"depends on {broken[0]!r}, which cannot be loaded"
                changed = True
    for name, message in bad.items():
        errors.append(ManifestError(manifests[name].path / "manifest.toml", message))
    return {n: m for n, m in manifests.items() if n not in bad}, errors


def find_cycles(manifests: dict[str, Manifest]) -> list[list[str]]:
    """Each dependency cycle once, written from its first module round to it again."""
    cycles, state, stack = [], {}, []
    seen_sets = set()

    def visit(name: str):
        state[name] = "open"
        stack.append(name)
        for dep in manifests[name].depends:
            if dep not in manifests:
                continue
            if state.get(dep) == "open":
                cycle = stack[stack.index(dep):] + [dep]
                key = frozenset(cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    cycles.append(cycle)
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[name] = "done"

    for name in sorted(manifests):
        if name not in state:
            visit(name)
    return cycles


def dependency_order(manifests: dict[str, Manifest]) -> list[str]:
    """Dependencies before dependents; ties by sequence then name, so the order is stable."""
    order: list[str] = []
    placed: set[str] = set()

    def place(name: str):
        if name in placed:
            return
        for dep in sorted(manifests[name].depends):
            place(dep)
        placed.add(name)
        order.append(name)

    for name in sorted(manifests, key=lambda n: (manifests[n].sequence, n)):
        place(name)
    return order


def read_presets(path: Path, errors: list) -> dict[str, dict]:
    """`presets.toml` beside the modules: `[preset-name]` tables with title, summary and
    the modules the preset starts with."""
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        errors.append(ManifestError(path, f"not valid TOML ({exc})"))
        return {}
    presets = {}
    for name, preset in data.items():
        modules = preset.get("modules") if isinstance(preset, dict) else None
        if not isinstance(modules, list) or not all(isinstance(m, str) for m in modules):
            errors.append(ManifestError(path, f"preset {name!r} needs a list 'modules'"))
            continue
        presets[name] = {
            "title": preset.get("title", name),
            "summary": preset.get("summary", ""),
            "modules": modules,
        }
    return presets
