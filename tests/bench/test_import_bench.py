"""`bench import` runs (on a small file): it is how the import's speed goal is checked."""
from __future__ import annotations

import re

from .test_commands import bench


def test_the_import_benchmark_imports_every_row(tmp_path):
    out = bench("import", "--rows", "250", "--db", str(tmp_path / "import.sqlite3"))
    assert "250 contacts" in out
    assert re.search(r"^in all: [\d.]+ s, [\d,]+ rows per second$", out, re.M), out
