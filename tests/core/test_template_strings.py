"""Every word a template shows is marked for translation: the raw text of each template
(Jinja's `data` tokens, outside {{ }} and {% %}) may hold HTML, whitespace, entities and
punctuation, but no letters, and neither may the user-facing attributes of its tags."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = [ROOT / "core" / "templates", *sorted((ROOT / "modules").glob("*/templates")),
           *sorted((ROOT / "themes").glob("*/templates"))]
# Lexing depends only on the delimiters; the extensions are the app's (Flask-Babel's i18n
# brings {% trans %}, whose text is translated).
ENV = jinja2.Environment(extensions=["jinja2.ext.i18n"])
ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
LETTERS = re.compile(r"[^\W\d_]+")  # a run of letters, in any script


def templates() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in folder.rglob("*.html"))


HOLE = "_"  # where a {{ }} or {% %} stood: not a letter, and harmless inside a tag


def skeleton(source: str) -> str:
    """The template's raw text with each Jinja construct replaced by HOLE, keeping the
    source's line breaks so that lines in it are the source's. Left out as well: text inside
    {% trans %} ... {% endtrans %} (translated), and blocks named like `body_class`, which
    fill a class attribute in the parent template."""
    parts: list[str] = []
    line = 1
    tag: list[str] = []  # names in the {% %} being read: ["block", "body_class"]
    in_tag = in_trans = False
    blocks: list[str] = []
    for lineno, kind, value in ENV.lex(source):
        if kind == "block_begin":
            in_tag, tag = True, []
        elif kind == "block_end":
            in_tag = False
            if tag[:1] == ["trans"]:
                in_trans = True
            elif tag[:1] == ["endtrans"]:
                in_trans = False
            elif tag[:1] == ["block"] and len(tag) > 1:
                blocks.append(tag[1])
            elif tag[:1] == ["endblock"] and blocks:
                blocks.pop()
        elif in_tag and kind == "name":
            tag.append(value)
        if kind != "data":
            continue
        parts.append(HOLE + "\n" * (lineno - line))  # a construct may span lines
        line = lineno + value.count("\n")
        if in_trans or (blocks and blocks[-1].endswith("class")):
            parts.append(HOLE + "\n" * value.count("\n"))
        else:
            parts.append(value)
    return "".join(parts)


class _Finder(HTMLParser):
    """Collects (line, text) for text outside tags and user-facing attribute values."""

    def __init__(self):
        super().__init__(convert_charrefs=False)  # entities (&nbsp; &times;) are not words
        self.found: list[tuple[int, str]] = []
        self._raw = None  # inside <script> or <style>: code, not text

    def _check(self, text: str, line: int) -> None:
        first = LETTERS.search(text or "")
        if first:  # reported on the line of its first word
            line += text[:first.start()].count("\n")
            self.found.append((line, " ".join(LETTERS.findall(text))))

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:  # values come unescaped: &times; is already "×"
            if name in ATTRIBUTES:
                self._check(value, self.getpos()[0])
        if tag in ("script", "style"):
            self._raw = tag

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == self._raw:
            self._raw = None

    def handle_data(self, data):
        if self._raw is None:
            self._check(data, self.getpos()[0])


def unmarked(source: str) -> list[tuple[int, str]]:
    """(line, words) for each run of text a user would see untranslated."""
    finder = _Finder()
    finder.feed(skeleton(source))
    finder.close()
    return finder.found


def test_the_checker_finds_what_it_should_and_nothing_else():
    source = (
        "<h1>{{ _('Fine') }}</h1>\n"
        "<p>Not marked</p>\n"
        '<a title="Plain title" aria-label="{{ _(\'ok\') }}" class="a{% if x %} active{% endif %}"'
        "{% if y %} disabled{% endif %}>&nbsp;&times; · — … →</a>\n"
        "{# a comment is fine #}<input placeholder=\"Tìm kiếm\">\n"
        "{% trans n=1 %}One {{ n }} text{% pluralize %}{{ n }} texts{% endtrans %}\n"
        "<img alt=\"{{ _('x') }}\" src=\"a.png\"><script src=\"x.js\"></script>\n"
        "{{ value }}{% if a %}\n"
        "  中文\n"
        "{% endif %}{% block body_class %}bare{% endblock %}\n"
        "<td>{{ size }} KB</td>\n"
    )
    assert unmarked(source) == [(2, "Not marked"), (3, "Plain title"), (4, "Tìm kiếm"),
                                (8, "中文"), (10, "KB")]


def test_the_walk_covers_core_modules_and_themes():
    found = templates()
    assert ROOT / "core" / "templates" / "base.html" in found
    assert len(found) >= 10


def test_template_text_is_marked_for_translation():
    problems = [f"{path.relative_to(ROOT)}:{line}: {words}"
                for path in templates()
                for line, words in unmarked(path.read_text(encoding="utf-8"))]
    assert not problems, ("text not marked for translation (wrap it in {{ _('...') }}):\n"
                          + "\n".join(problems))
