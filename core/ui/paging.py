"""A page of a report's rows (receivables, credit holds): rendering thousands of rows is
what a page must not do. The template includes generic/_pager.html with the pager."""
from __future__ import annotations

from flask import request, url_for


def page_of(count: int, per_page: int, endpoint: str) -> tuple[int, dict]:
    """(the index of the first row of the page the request asks for, its pager: previous
    and next links, first and last row shown, and the count)."""
    page = max(1, min(request.args.get("page", 1, type=int) or 1,
                      (count + per_page - 1) // per_page or 1))
    start = (page - 1) * per_page
    return start, {
        "prev": url_for(endpoint, page=page - 1) if page > 1 else None,
        "next": url_for(endpoint, page=page + 1) if start + per_page < count else None,
        "first": start + 1, "last": min(start + per_page, count), "count": count}


def paged(rows: list, per_page: int, endpoint: str) -> tuple[list, dict]:
    """The rows of the page the request asks for, and its pager (`page_of`)."""
    start, pager = page_of(len(rows), per_page, endpoint)
    return rows[start:start + per_page], pager
