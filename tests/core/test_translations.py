"""Every message of core and of every module is translated into vi and zh_CN, the catalogs
are up to date with the sources, and the compiled catalogs match them."""
from __future__ import annotations

import io

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from core.i18n_tools import LOCALES, extract, targets

CATALOGS: dict = {}
for source, folder, skip in targets():
    CATALOGS.setdefault(folder, []).append((source, skip))


def load_po(path):
    with path.open("rb") as fh:
        return read_po(fh)


@pytest.mark.parametrize("folder", sorted(CATALOGS), ids=lambda p: p.parent.name)
def test_catalogs_are_complete_and_current(folder):
    wanted = {m.id for m in extract(CATALOGS[folder]) if m.id}
    assert wanted, f"no messages found for {folder}"
    for locale in LOCALES:
        po_path = folder / locale / "LC_MESSAGES" / "messages.po"
        assert po_path.is_file(), f"{po_path} is missing: run `make translations`"
        catalog = load_po(po_path)
        have = {m.id for m in catalog if m.id}
        assert wanted - have == set(), f"{po_path} lacks messages: run `make translations`"
        untranslated = sorted(str(m.id) for m in catalog if m.id and (
            m.fuzzy or not m.string or (isinstance(m.string, tuple) and not all(m.string))))
        assert untranslated == [], f"{po_path}: not translated: {untranslated}"
        with po_path.with_suffix(".mo").open("rb") as fh:
            compiled = {_key(m.id): _key(m.string)
                        for m in read_mo(io.BytesIO(fh.read())) if m.id}
        assert compiled == {_key(m.id): _key(m.string) for m in catalog if m.id}, (
            f"{po_path.with_suffix('.mo')} is stale: run `make translations`")


def _key(value):
    """Plural entries come back as lists from .mo files and tuples from .po files."""
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.parametrize("folder", sorted(CATALOGS), ids=lambda p: p.parent.name)
def test_no_message_has_a_bare_percent_sign(folder):
    """Templates format every translated string with its variables (Jinja's new-style
    gettext), so a lone '%' ("Tax %") breaks the page; write it out or use a placeholder."""
    import re

    bare = sorted(str(m.id) for m in extract(CATALOGS[folder])
                  if m.id and "%" in re.sub(r"%%|%\(\w+\)[sd]", "", str(m.id)))
    assert bare == []


@pytest.mark.parametrize("locale", LOCALES)
def test_a_message_means_one_thing_across_catalogs(locale):
    """Core's and the modules' catalogs are merged into one, so a message two of them
    translate differently shows one or the other depending on which apps are enabled
    ("Source" of a lead and of an invoice). Such messages need distinct English words."""
    seen: dict = {}
    for folder in sorted(CATALOGS):
        for message in load_po(folder / locale / "LC_MESSAGES" / "messages.po"):
            if message.id and message.string:
                seen.setdefault(_key(message.id), {})[folder.parent.name] = _key(
                    message.string)
    clashes = {str(key): found for key, found in seen.items() if len(set(found.values())) > 1}
    assert clashes == {}
