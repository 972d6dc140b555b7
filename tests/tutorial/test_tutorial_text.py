"""The tutorial in docs/modules.md shows the module's real code. A code block marked
`<!-- tutorial-file: PATH -->` is the whole file tests/tutorial/PATH; one marked
`<!-- tutorial-part: PATH -->` is a piece of it, word for word. Every source file of the
module is shown whole, so the tutorial cannot leave one out or fall behind a change."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DOC = HERE.parents[1] / "docs" / "modules.md"
BLOCK = re.compile(r"^<!-- tutorial-(file|part): (\S+) -->\n```[\w-]*\n(.*?)^```$",
                   re.MULTILINE | re.DOTALL)


def blocks() -> list[tuple[str, str, str]]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def comparable(path: str, text: str) -> str:
    """A catalog's source locations (`#:` lines) name this copy's folder, not the
    modules/expenses/ the tutorial speaks of; they are left out of the comparison."""
    if path.endswith(".po"):
        return "".join(line for line in text.splitlines(keepends=True)
                       if not line.startswith("#:"))
    return text


@pytest.mark.parametrize("kind,path,shown", blocks(), ids=lambda v: str(v)[:40])
def test_a_marked_block_is_the_modules_code(kind, path, shown):
    source = HERE / path
    assert source.is_file(), f"docs/modules.md shows {path}, which does not exist"
    text = source.read_text(encoding="utf-8")
    if kind == "file":
        assert shown == text, f"docs/modules.md shows an old {path}: copy the file in"
    else:
        assert comparable(path, shown) in comparable(path, text), (
            f"docs/modules.md shows a piece of {path} that is not in it")


def test_every_source_file_of_the_module_is_shown_whole():
    module = HERE / "expenses"
    sources = {str(p.relative_to(HERE)) for p in module.rglob("*")
               if p.suffix in (".py", ".toml") and "__pycache__" not in p.parts}
    shown = {path for kind, path, _text in blocks() if kind == "file"}
    assert sources - shown == set(), "files of the tutorial's module the tutorial omits"
    assert len(blocks()) >= 12
