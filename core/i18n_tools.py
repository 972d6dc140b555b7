"""Message catalogs: extraction of core's and each module's messages (Python, templates and
manifests), and updating and compiling the vi and zh_CN catalogs beside them. Used by
`make translations` and by the test that fails on a missing translation. Core's catalog
is translations/ (it takes the themes' titles and templates too); a module's is
modules/<name>/translations/."""
from __future__ import annotations

import tomllib
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("vi", "zh_CN")
METHODS = [
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
    ("**/manifest.toml", "core.i18n_tools:extract_manifest"),
    ("**/presets.toml", "core.i18n_tools:extract_manifest"),
    ("**/theme.toml", "core.i18n_tools:extract_theme"),
]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "lazy_ngettext": (1, 2), "N_": None}  # N_: a default record name (see sales)


def targets() -> list[tuple[Path, Path, list[Path]]]:
    """(source folder, catalog folder, folders to leave out) for core and each module."""
    found = [(ROOT / "core", ROOT / "translations", []),
             (ROOT / "themes", ROOT / "translations", []),
             (ROOT / "modules", ROOT / "translations", [p for p in (ROOT / "modules").iterdir()
                                                         if (p / "manifest.toml").is_file()])]
    # and the tutorial's module (docs/modules.md), kept under tests/ so that it runs
    for manifest in [*sorted((ROOT / "modules").glob("*/manifest.toml")),
                     *sorted((ROOT / "tests" / "tutorial").glob("*/manifest.toml"))]:
        found.append((manifest.parent, manifest.parent / "translations", []))
    return found


def extract(sources: list[tuple[Path, list[Path]]]) -> Catalog:
    template = Catalog(project="erp-suite", charset="utf-8")
    for source, skip in sources:
        for filename, lineno, message, comments, context in extract_from_dir(
            str(source), METHODS, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        ):
            path = source / filename
            if any(path.is_relative_to(s) for s in skip) or "migrations" in path.parts:
                continue
            template.add(message, locations=[(str(path.relative_to(ROOT)), lineno)],
                         auto_comments=comments, context=context)
    return template


def update(folder: Path, template: Catalog) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "messages.pot").open("wb") as fh:
        write_po(fh, template, omit_header=False, sort_output=True)
    for locale in LOCALES:
        po_path = folder / locale / "LC_MESSAGES" / "messages.po"
        po_path.parent.mkdir(parents=True, exist_ok=True)
        if po_path.exists():
            with po_path.open("rb") as fh:
                catalog = read_po(fh, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="erp-suite", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with po_path.open("wb") as fh:
            write_po(fh, catalog, sort_output=True, width=100)
        with po_path.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog)


def update_all() -> list[Path]:
    """Extract, update and compile every catalog; the folders written."""
    groups: dict[Path, list[tuple[Path, list[Path]]]] = {}
    for source, folder, skip in targets():
        groups.setdefault(folder, []).append((source, skip))
    for folder, sources in groups.items():
        update(folder, extract(sources))
    return list(groups)


def extract_manifest(fileobj, keywords, comment_tags, options):
    """Babel extractor: titles and summaries in manifests and presets are shown to users."""
    data = tomllib.loads(fileobj.read().decode("utf-8"))
    for key in ("title", "summary", "category"):
        if isinstance(data.get(key), str):
            yield 0, None, data[key], [f"manifest {key}"]
    for section in ("groups", "menus"):
        for item in data.get(section, []):
            if isinstance(item.get("title"), str):
                yield 0, None, item["title"], [f"manifest {section}"]
    for preset in (v for v in data.values() if isinstance(v, dict) and "modules" in v):
        for key in ("title", "summary"):
            if isinstance(preset.get(key), str):
                yield 0, None, preset[key], ["preset"]


def extract_theme(fileobj, keywords, comment_tags, options):
    """Babel extractor: a theme's title and description are shown in the user menu."""
    data = tomllib.loads(fileobj.read().decode("utf-8"))
    for key in ("title", "description"):
        if isinstance(data.get(key), str):
            yield 0, None, data[key], [f"theme {key}"]
