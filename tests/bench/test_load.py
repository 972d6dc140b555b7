"""`bench load`: a short run against gunicorn on SQLite answers every request and loses no
acknowledged write; the check that finds lost writes finds them."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.load import Written, lost_writes, percentile

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_load_on_sqlite_has_no_errors_and_loses_no_write():
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "bench", "load",
                           "--seconds", "3", "--connections", "4"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"^requests: [1-9]\d* in [\d.]+ s = [\d.]+/s$", out, re.M), out
    assert re.search(r"^latency ms: p50 [\d.]+  p90 [\d.]+  p99 [\d.]+  max [\d.]+$", out,
                     re.M), out
    assert re.search(r"^errors: 0$", out, re.M), out
    assert re.search(r"^lost writes: 0$", out, re.M), out
    created = re.search(r"^acknowledged writes: (\d+) partners and (\d+) leads", out, re.M)
    assert created and int(created.group(1)) > 0, out


class _Records(BaseHTTPRequestHandler):
    """Holds partner 1 as written; partner 2 was never stored; partner 3 missed an update."""
    stored = {1: {"id": 1, "name": "Hoa Sen", "city": "Huế"},
              3: {"id": 3, "name": "Blue River", "city": "London"}}

    def do_GET(self):  # noqa: N802 (http.server's name)
        record = self.stored.get(int(self.path.rsplit("/", 1)[1]))
        body = json.dumps(record or {"error": {"code": "not_found"}}).encode()
        self.send_response(200 if record else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_lost_writes_are_found():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Records)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        written = [Written("partner", 1, {"name": "Hoa Sen", "city": "Huế"}, "demo"),
                   Written("partner", 2, {"name": "Gone"}, "demo"),
                   Written("partner", 3, {"name": "Blue River", "city": "Singapore"}, "admin")]
        lost = sorted(lost_writes(base, "token", written, parallel=2))
    finally:
        server.shutdown()
    assert lost == ["partner 2: answered 404",
                    "partner 3: holds {'city': ('Singapore', 'London')} (expected, found)"]


def test_percentiles_take_the_nearest_rank():
    values = list(range(1, 101))
    assert (percentile(values, 50), percentile(values, 99), percentile([], 50)) == (50, 99, 0)
