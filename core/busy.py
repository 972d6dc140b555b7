"""When the database is busy. A request whose transaction lost a race for a lock (SQLite's
"database is locked" for a transaction that read and then wrote while another connection
wrote; PostgreSQL's deadlock or serialization failure) was rolled back whole, so it is run
once more, as a writer (core.db.begin_writing: on SQLite it then waits its turn for the
write lock). One that still cannot get its lock, or a writer that waited the whole busy
timeout, answers 503 with Retry-After, as JSON for the API and as a page for people:
"try again", never a 500."""
from __future__ import annotations

import sqlalchemy as sa
from flask import request

from core.db import begin_writing, db, end_writing, is_contention, writing
from core.errors import render_error

RETRY_AFTER_SECONDS = 2


def init_app(app) -> None:
    dispatch = app.dispatch_request

    def dispatch_request():
        try:
            return dispatch()
        except sa.exc.OperationalError as exc:
            # a SQLite writer already waited the busy timeout: running it again would only
            # make the user wait twice as long
            if not is_contention(exc) or (writing() and db.engine.dialect.name == "sqlite"):
                raise
            app.logger.info("database busy on %s %s, running it again as a writer",
                            request.method, request.path)
        db.session.rollback()
        for upload in request.files.values():  # read again from the start
            if upload.stream.seekable():
                upload.stream.seek(0)
        begin_writing()
        return dispatch()

    app.dispatch_request = dispatch_request  # Flask.full_dispatch_request calls it

    @app.errorhandler(sa.exc.OperationalError)
    def _database_error(exc):
        db.session.rollback()
        if not is_contention(exc):
            app.logger.exception("unhandled error on %s", request.path)
            return render_error(500)
        app.logger.warning("database busy on %s %s: %s", request.method, request.path,
                           exc.orig)
        end_writing()  # the page is drawn by reading, which does not wait for the lock
        return render_error(503, {"Retry-After": str(RETRY_AFTER_SECONDS)})
