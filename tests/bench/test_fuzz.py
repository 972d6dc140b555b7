"""A short run of `bench fuzz` (Schemathesis against the API's own OpenAPI document, as an
administrator and as a salesperson): no answer 500 and no response that breaks the
document. `bench fuzz --calls 10000` is the long run (docs/decisions.md)."""
from __future__ import annotations

import re

import pytest

from .test_commands import bench


def test_a_short_fuzz_run_gets_no_500_and_no_schema_violation():
    pytest.importorskip("schemathesis")
    out = bench("fuzz", "--calls", "500")  # exits 1 on a 500 or a schema violation
    calls = int(re.search(r"^calls made: ([\d,]+)$", out, re.M).group(1).replace(",", ""))
    assert calls >= 500, out
    assert re.search(r"^answers 500: 0; schema violations: 0$", out, re.M), out
