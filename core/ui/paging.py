"""A page of a report's rows (receivables, credit holds): the rows are summed in SQL and
few, but rendering thousands of them is what a page must not do. The template includes
generic/_pager.html with the pager this returns."""
from __future__ import annotations

from flask import request, url_for


def paged(rows: list, per_page: int, endpoint: str) -> tuple[list, dict]:
    """(the rows of the page the request asks for, its pager: previous and next links,
    first and last row shown, and their count)."""
    page = max(1, min(request.args.get("page", 1, type=int) or 1,
                      (len(rows) + per_page - 1) // per_page or 1))
    start = (page - 1) * per_page
    shown = rows[start:start + per_page]
    return shown, {
        "prev": url_for(endpoint, page=page - 1) if page > 1 else None,
        "next": url_for(endpoint, page=page + 1) if start + per_page < len(rows) else None,
        "first": start + 1, "last": start + len(shown), "count": len(rows)}
