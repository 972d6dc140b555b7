"""What a page shows in English to a reader of another language: its visible text, its
options and its labels for screen readers, checked against every catalog's messages."""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
# the text a user reads or hears: visible lines, choices, placeholders, tooltips, labels
PAGE_TEXT = """() => {
  const seen = document.body.innerText.split('\\n');
  for (const el of document.querySelectorAll('option, [placeholder], [title], [aria-label]')) {
    if (el.closest('[translate="no"]')) continue;
    if (el.tagName === 'OPTION') seen.push(el.textContent);
    for (const name of ['placeholder', 'title', 'aria-label'])
      if (el.hasAttribute(name)) seen.push(el.getAttribute(name));
  }
  return seen;
}"""


@cache
def english_messages(lang: str) -> frozenset[str]:
    """The messages whose `lang` translation differs from the English: seen as they are,
    such a message was left untranslated on the page."""
    found = set()
    for path in [ROOT / "translations", *ROOT.glob("modules/*/translations")]:
        po = path / lang / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            continue
        with po.open("rb") as handle:
            for message in read_po(handle, locale=lang):
                if not message.id or isinstance(message.id, tuple) or "%" in message.id:
                    continue
                if message.string and message.string != message.id \
                        and re.search(r"[A-Za-z]{2}", message.id):
                    found.add(message.id)
    return frozenset(found)


def untranslated(page, lang: str) -> set[str]:
    """The English messages the page shows to a `lang` reader."""
    english = english_messages(lang)
    return {text.strip() for text in page.evaluate(PAGE_TEXT)
            if text and text.strip() in english}
