"""gunicorn settings for the suite:

    gunicorn -c deploy/gunicorn.conf.py wsgi:app

Each setting can be changed by the environment variable named beside it (the systemd units
read them from /etc/erp/erp.env). `kill -HUP <master>` (systemctl reload erp-web) starts new
workers on the new code and configuration and lets the old ones finish their requests."""
import multiprocessing
import os


def _env(name: str, default):
    value = os.environ.get(name)
    return default if value in (None, "") else type(default)(value)


# Behind nginx on the same host; ERP_BIND=0.0.0.0:8000 or unix:/run/erp/web.sock otherwise.
bind = _env("ERP_BIND", "127.0.0.1:8000")
# Processes: the usual 2 x cores + 1, at most 12 by default (each holds the whole app,
# about 100 MB). SQLite takes one writer at a time whatever the count (see the README).
workers = _env("ERP_WEB_WORKERS", _env("WEB_CONCURRENCY",
                                       min(2 * multiprocessing.cpu_count() + 1, 12)))
# Threads per worker: 1 is gunicorn's sync worker (nginx buffers slow clients for it);
# more makes it a gthread worker, which overlaps requests that wait on the database.
threads = _env("ERP_WEB_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
# A request running longer than this is killed with its worker (big imports and exports
# belong to the task worker); nginx's proxy_read_timeout is set above it.
timeout = _env("ERP_WEB_TIMEOUT", 60)
graceful_timeout = _env("ERP_WEB_GRACEFUL_TIMEOUT", 30)  # on HUP and on stop
keepalive = 5  # gthread only; nginx -> gunicorn on the same host
# A worker is replaced after this many requests (with jitter so they do not all go at
# once): a slow leak in any library cannot grow without end. 0 turns it off.
max_requests = _env("ERP_WEB_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10
# Off: each worker imports the app and opens its own database engine after the fork, and
# HUP reloads the code. On (ERP_WEB_PRELOAD=1) saves memory and start-up time; post_fork
# below then drops the connections the master opened while loading, so that no two
# processes share a socket.
preload_app = _env("ERP_WEB_PRELOAD", 0) == 1
# Which proxies to believe is the app's decision (ERP_TRUSTED_PROXIES, Werkzeug's
# ProxyFix), not gunicorn's: it keeps its hands off X-Forwarded-Proto.
secure_scheme_headers = {}
forwarded_allow_ips = ""
# Logs on stdout/stderr (journald under systemd). The client's address (%(h)s) is the one
# ProxyFix found when ERP_TRUSTED_PROXIES is set; %(M)s is the time taken in ms.
accesslog = _env("ERP_ACCESS_LOG", "-") or None
access_log_format = '%(h)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
errorlog = "-"
loglevel = _env("ERP_LOG_LEVEL", "info")
proc_name = "erp-web"
# gunicorn 24+'s control socket defaults to one path in $HOME for every instance: off.
control_socket_disable = True
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # heartbeat files off a possibly slow disk

# Scheduled jobs and background tasks run in processes of their own (`scheduler run`,
# `tasks worker`), never once per web worker.
os.environ["ERP_RUN_SCHEDULER"] = "0"
os.environ["ERP_RUN_WORKER"] = "0"


def post_fork(server, worker):
    """With preload_app the master imported the app, and may have opened database
    connections: a forked copy of a connection shared by two processes corrupts both.
    Forget them here (without closing the master's) so that each worker opens its own."""
    if not server.cfg.preload_app:
        return
    app = getattr(server.app, "callable", None)
    if app is None or not hasattr(app, "app_context"):
        return
    from core.db import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
    server.log.info("worker %s: database connections of the preloaded app dropped",
                    worker.pid)


def post_worker_init(worker):
    """The app is loaded: what it made (models, routes, templates, catalogs) lives as long
    as the worker, so the garbage collector need not walk it again at every full
    collection (gc.freeze; about a tenth off the mean CPU of a list page, bench cost)."""
    import gc

    gc.collect()
    gc.freeze()
