"""Settings → Scheduled jobs: last run, result, next run, run now."""
from __future__ import annotations

from core.modules import get_registry, lifecycle


def test_jobs_page_lists_runs_and_runs_now(app, admin_client, clerk_client):
    assert clerk_client.get("/settings/jobs/").status_code == 403
    page = admin_client.get("/settings/jobs/").text
    row = page.split('data-job="fx_library.count_books"')[1].split("</tr>")[0]
    assert "Disabled" in row and "Run now" not in row
    skipped = admin_client.post("/settings/jobs/fx_library.count_books/run",
                                follow_redirects=True)
    assert "is disabled; nothing ran." in skipped.text
    with app.app_context():
        lifecycle.enable(get_registry(), ["fx_library"])
    ran = admin_client.post("/settings/jobs/fx_library.count_books/run", follow_redirects=True)
    assert "The job ran." in ran.text
    row = ran.text.split('data-job="fx_library.count_books"')[1].split("</tr>")[0]
    assert "Done" in row and "*/5 * * * *" in row and "Run now" in row
    assert admin_client.post("/settings/jobs/nope/run").status_code == 404
