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


# every page `bench run` times (modules/sales/bench.py): a page that goes or is renamed
# shows here
SALES_PAGES = [
    "home (dashboard and widgets)", "lead list", "lead list, search",
    "lead list, grouped by status", "lead report", "lead pool", "opportunity list",
    "opportunity list, open, by stage", "pipeline board", "pipeline calendar",
    "pipeline report", "order list (quotations and orders)", "order list, search q=",
    "order list, filter state", "order list, group by state", "order list, group by customer",
    "order list, filtered, by salesperson", "order report", "order page", "products",
    "campaign results", "forecast", "sales analysis (by customer)", "sales analysis by product",
    "sales analysis by month", "price analysis", "credit holds", "invoice list",
    "invoice list, search q=", "invoice list, posted, by customer", "invoice report",
    "invoice page", "payment list", "payment page", "receivables", "API sale.order list",
    "API sale.lead list", "API billing.invoice list"]


def test_the_sales_benchmark_seeds_and_runs(tmp_path):
    data = tmp_path / "sales.sqlite3"
    seeded = bench("seed", "--orders", "600", "--partners", "200", "--leads", "1040",
                   "--db", str(data))
    assert re.search(r"billing_invoice: [1-9]", seeded), seeded
    out = bench("run", "--db", str(data), "--repeat", "1", "--service-runs", "0")
    for page in SALES_PAGES:
        # name, page ms, raw SQL ms, page/raw, statements, then for 20 and 500 records
        # (- where a salesperson may not open it), runs, marks, URL
        row = re.search(rf"^{re.escape(page)}\s+[\d.]+\s+[\d.]+\s+([\d.]+|inf)\s+(\d+)"
                        rf"\s+(\d+|-)\s+(\d+|-)\s+1\s+.*/", out, re.M)
        assert row, f"{page}: {out}"
        assert int(row[2]) > 0, out
    # the lists a salesperson sees run as many statements for 20 records as for 500
    for page in ("order list (quotations and orders)", "pipeline board", "forecast",
                 "lead list", "API sale.order list"):
        row = re.search(rf"^{re.escape(page)}\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+\d+\s+(\d+)"
                        rf"\s+(\d+)\s", out, re.M)
        assert row and row[1] == row[2], f"{page}: statements grow with rows: {out}"
    assert "page/raw" in out and "q@20" in out and "q@500" in out


def test_the_list_benchmark_runs(tmp_path):
    out = bench("lists", "--rows", "300", "--db", str(tmp_path / "lists.sqlite3"),
                "--repeat", "1")
    assert "ms" in out
