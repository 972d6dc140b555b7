"""The benchmarks run (on small data): they are how speed goals are checked, so they must
not rot. Their figures are not asserted: a test cannot know this machine's speed."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bench(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "bench", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_sales_benchmark_seeds_and_runs(tmp_path):
    data = tmp_path / "sales.sqlite3"
    bench("seed", "--orders", "1200", "--partners", "300", "--leads", "1200", "--db", str(data))
    out = bench("run", "--db", str(data), "--repeat", "1", "--service-runs", "1",
                "--service-db", str(tmp_path / "service.sqlite3"))
    for page in ("order list", "pipeline board", "forecast"):
        # name, median ms, then the query counts for everyone, 20 rows and 500 rows
        counts = re.search(rf"^{page}\s+[\d.]+\s+(\d+)\s+(\d+)\s+(\d+)$", out, re.M)
        assert counts, out
        assert len(set(counts.groups())) == 1, f"{page}: queries grow with rows: {out}"
    for step in ("create 2,000 partners", "create 500 orders x 3 lines", "confirm 500"):
        assert re.search(rf"^{step}\s+[\d.]+", out, re.M), out


def test_the_list_benchmark_runs(tmp_path):
    out = bench("lists", "--rows", "300", "--db", str(tmp_path / "lists.sqlite3"),
                "--repeat", "1")
    assert "ms" in out
