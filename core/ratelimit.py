"""Limits on sign-in attempts (and other things worth guessing, such as password reset
requests), shared by every worker and host.

Two rules, each one atomic check-and-count in its store (an attempt is counted *before* the
password is checked, and given back when it was right, so ten requests racing each other
cannot all pass a check that lets five through):

- per account and address pair, `free` attempts, then a growing wait before each next
  one: 2, 4, 8... seconds, at most `max_delay` (`backoff`). Only that pair waits: the
  right password from another address is accepted however hard someone hammers the
  account, so a lock-out cannot be used to keep its owner out. A success forgets the pair.
- per address across all accounts, a cap of `limit` failures per `window` seconds: a
  burst of `limit`, then one more every window/limit seconds (`rate`, the generic cell
  rate algorithm: one stored time per key, so one row or one hash).

Where the counts live: Redis when ERP_RATELIMIT_REDIS_URL is set (Lua scripts); else the
database (table core_rate_limit, one conditional UPDATE per check), so the workers of one
host, or hosts sharing the database, count together; process memory only when
ERP_RATELIMIT_STORAGE = "memory" (each worker then counts alone: start-up warns)."""
from __future__ import annotations

import hashlib
import logging
import math
import random
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import begin_writing, db
from core.errors import render_error

log = logging.getLogger(__name__)
FORGET_AFTER = 24 * 3600  # a pair's failures are forgotten after a day without one
EPSILON = 1e-6


def clock() -> float:
    return time.time()


class RateLimit(db.Model):
    """One rate-limited key: for `backoff`, the attempts counted, the last one's time and
    the wait after it; for `rate`, `at` is the theoretical arrival time. Times are Unix
    seconds; a row is of no use after `expires`."""

    __tablename__ = "core_rate_limit"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    hits: Mapped[int] = mapped_column(default=0)
    at: Mapped[float] = mapped_column(sa.Float, default=0.0)
    wait: Mapped[float] = mapped_column(sa.Float, default=0.0)
    expires: Mapped[float] = mapped_column(sa.Float, index=True)


@dataclass
class Verdict:
    allowed: bool
    retry_after: float = 0.0  # seconds, when refused


def _next_wait(hits: int, wait: float, free: int, max_delay: float) -> float:
    if hits < free:
        return 0.0
    return min(max_delay, wait * 2 if wait else 2.0)


class MemoryStorage:
    """This process only: for tests and a single worker."""

    name = "memory"

    def __init__(self):
        self._rows: dict[str, list[float]] = {}  # key: [hits, at, wait, expires]
        self._lock = threading.Lock()

    def _row(self, key, now):
        row = self._rows.get(key)
        if row is None or row[3] < now:
            if len(self._rows) > 100_000:
                self._rows = {k: v for k, v in self._rows.items() if v[3] >= now}
            row = self._rows[key] = [0, 0.0, 0.0, now]
        return row

    def backoff(self, key, now, free, max_delay) -> Verdict:
        with self._lock:
            row = self._row(key, now)
            if row[2] and now < row[1] + row[2]:
                return Verdict(False, row[1] + row[2] - now)
            row[0] += 1
            row[1], row[2] = max(row[1], now), _next_wait(row[0], row[2], free, max_delay)
            row[3] = now + max(FORGET_AFTER, row[2])
            return Verdict(True)

    def rate(self, key, now, limit, window, cost=1) -> Verdict:
        interval = window / limit
        with self._lock:
            row = self._row(key, now)
            tat = max(row[1], now)
            if cost > 0 and tat + interval - now > window + EPSILON:
                return Verdict(False, tat + interval - window - now)
            row[1] = tat + cost * interval
            row[3] = max(row[1], now)
            return Verdict(True)

    def reset(self, key) -> None:
        with self._lock:
            self._rows.pop(key, None)


_BACKOFF_LUA = """
local now, free, max_delay, forget = tonumber(ARGV[1]), tonumber(ARGV[2]),
    tonumber(ARGV[3]), tonumber(ARGV[4])
local row = redis.call('HMGET', KEYS[1], 'hits', 'at', 'wait')
local hits, at, wait = tonumber(row[1]) or 0, tonumber(row[2]) or 0, tonumber(row[3]) or 0
if wait > 0 and now < at + wait then return {0, tostring(at + wait - now)} end
hits = hits + 1
at = math.max(at, now)
if hits < free then wait = 0
elseif wait == 0 then wait = 2
else wait = math.min(max_delay, wait * 2) end
redis.call('HSET', KEYS[1], 'hits', hits, 'at', string.format('%.17g', at), 'wait', wait)
redis.call('EXPIRE', KEYS[1], math.ceil(math.max(forget, wait)))
return {1, '0'}
"""

_RATE_LUA = """
local now, limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
    tonumber(ARGV[4])
local interval = window / limit
local tat = math.max(tonumber(redis.call('HGET', KEYS[1], 'at')) or 0, now)
if cost > 0 and tat + interval - now > window + 1e-6 then
    return {0, tostring(tat + interval - window - now)}
end
tat = tat + cost * interval
redis.call('HSET', KEYS[1], 'at', string.format('%.17g', tat))
redis.call('EXPIRE', KEYS[1], math.max(1, math.ceil(tat - now)))
return {1, '0'}
"""


class RedisStorage:
    """One hash per key, changed by a Lua script: Redis runs each script alone."""

    name = "redis"

    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url)
        self._backoff = self._redis.register_script(_BACKOFF_LUA)
        self._rate = self._redis.register_script(_RATE_LUA)
        kwargs = self._redis.connection_pool.connection_kwargs
        self.where = f"{kwargs.get('host', kwargs.get('path', '?'))}:{kwargs.get('port', '')}" \
                     f"/{kwargs.get('db', 0)}"

    @staticmethod
    def _key(key):
        return f"erp:rl:{key}"

    def backoff(self, key, now, free, max_delay) -> Verdict:
        allowed, wait = self._backoff(keys=[self._key(key)],
                                      args=[repr(now), free, max_delay, FORGET_AFTER])
        return Verdict(bool(allowed), float(wait))

    def rate(self, key, now, limit, window, cost=1) -> Verdict:
        allowed, wait = self._rate(keys=[self._key(key)], args=[repr(now), limit, window, cost])
        return Verdict(bool(allowed), float(wait))

    def reset(self, key) -> None:
        self._redis.delete(self._key(key))


class DatabaseStorage:
    """Rows of core_rate_limit, in the request's own transaction, which each call commits
    (so call it before making other changes). The check and the count are one UPDATE with
    the condition in its WHERE: PostgreSQL's row lock and SQLite's single writer make it
    atomic, and rowcount tells whether it was allowed."""

    name = "database"

    def _ensure(self, key, now) -> None:
        dialect = db.session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:  # pragma: no cover - the two databases we run on
            raise RuntimeError(f"no rate-limit storage for {dialect}")
        if random.random() < 0.01:  # now and then, forget what is of no use any more
            db.session.execute(sa.delete(RateLimit).where(RateLimit.expires < now))
        db.session.execute(insert(RateLimit).values(key=key, hits=0, at=0.0, wait=0.0,
                                                    expires=now)
                           .on_conflict_do_nothing(index_elements=["key"]))

    def _done(self) -> None:
        db.session.commit()
        begin_writing()  # the request goes on as the writer it began as (SQLite)

    def _counted(self, key, now, update, refused) -> Verdict:
        """Run the conditional `update` on `key`'s row: allowed when it changed the row,
        else `refused(row)`. Another request's reset (a sign-in that succeeded) or the
        clean-up may delete the row between the insert and the update: then insert again."""
        for _attempt in range(3):
            self._ensure(key, now)
            if db.session.execute(update, execution_options={
                    "synchronize_session": False}).rowcount:
                verdict = Verdict(True)
                break
            row = db.session.execute(
                sa.select(RateLimit.at, RateLimit.wait).where(RateLimit.key == key)).first()
            if row is not None:
                verdict = refused(row)
                break
        else:  # pragma: no cover - deleted three times over: count nothing, refuse nothing
            verdict = Verdict(True)
        self._done()
        return verdict

    def backoff(self, key, now, free, max_delay) -> Verdict:
        t = RateLimit
        stale = t.expires < now
        hits = sa.case((stale, 1), else_=t.hits + 1)
        wait = sa.case((hits < free, 0.0), (sa.or_(stale, t.wait == 0), 2.0),
                       (t.wait * 2 > max_delay, float(max_delay)), else_=t.wait * 2)
        update = (sa.update(t).where(t.key == key,
                                     sa.or_(stale, t.wait == 0, t.at + t.wait <= now))
                  .values(hits=hits, at=sa.case((t.at > now, t.at), else_=now), wait=wait,
                          expires=now + sa.case((wait > FORGET_AFTER, wait),
                                                else_=FORGET_AFTER)))
        return self._counted(key, now, update, lambda row: Verdict(False, row.at + row.wait - now))

    def rate(self, key, now, limit, window, cost=1) -> Verdict:
        t, interval = RateLimit, window / limit
        tat = sa.case((t.at > now, t.at), else_=now)
        update = sa.update(t).where(t.key == key)
        if cost > 0:
            update = update.where(tat + interval - now <= window + EPSILON)
        new_tat = tat + cost * interval
        update = update.values(at=new_tat, expires=sa.case((new_tat > now, new_tat), else_=now))
        return self._counted(key, now, update, lambda row: Verdict(
            False, max(row.at, now) + interval - window - now))

    def reset(self, key) -> None:
        db.session.execute(sa.delete(RateLimit).where(RateLimit.key == key))
        self._done()


class Attempt:
    """One counted attempt: `allowed`, else `retry_after` seconds; `succeeded()` when the
    secret was right gives the attempt back."""

    def __init__(self, limits, pair, address, verdict: Verdict):
        self._limits, self._pair, self._address = limits, pair, address
        self.allowed = verdict.allowed
        self.retry_after = 0 if verdict.allowed else max(1, math.ceil(verdict.retry_after - 0.001))

    def succeeded(self) -> None:
        storage = self._limits.storage
        storage.reset(self._pair)
        storage.rate(self._address, clock(), self._limits.per_address, self._limits.window,
                     cost=-1)


class Limits:
    """`free` attempts per (subject, address) pair, then waits growing to `max_delay`;
    `per_address` failures per `window` seconds from one address across all subjects."""

    def __init__(self, storage, name: str, free: int, per_address: int, window: int,
                 max_delay: int):
        self.storage, self.name = storage, name
        self.free, self.per_address = free, per_address
        self.window, self.max_delay = window, max_delay

    def attempt(self, subject: str, address: str | None) -> Attempt:
        address = address or "?"
        subject = (subject or "").strip().lower()
        digest = hashlib.sha256(f"{subject}\n{address}".encode()).hexdigest()[:40]
        pair, by_address = f"{self.name}:pair:{digest}", f"{self.name}:addr:{address[:64]}"
        now = clock()
        verdict = self.storage.rate(by_address, now, self.per_address, self.window)
        if verdict.allowed:
            verdict = self.storage.backoff(pair, now, self.free, self.max_delay)
            if not verdict.allowed:  # not tried, so not a failure of this address
                self.storage.rate(by_address, now, self.per_address, self.window, cost=-1)
        return Attempt(self, pair, by_address, verdict)


def make_storage(app):
    url = app.config.get("ERP_RATELIMIT_REDIS_URL")
    if url:
        return RedisStorage(url)
    kind = app.config.get("ERP_RATELIMIT_STORAGE") or "database"
    if kind == "memory":
        return MemoryStorage()
    if kind != "database":
        raise ValueError(f"ERP_RATELIMIT_STORAGE: {kind!r} is neither 'database' nor 'memory'")
    return DatabaseStorage()


def init_app(app) -> None:
    storage = make_storage(app)
    config = app.config
    app.extensions["erp.login_limits"] = Limits(
        storage, "login", free=config["ERP_LOGIN_FAILURES_PER_ACCOUNT"],
        per_address=config["ERP_LOGIN_ATTEMPTS_PER_ADDRESS"],
        window=config["ERP_LOGIN_WINDOW_SECONDS"], max_delay=config["ERP_LOGIN_MAX_DELAY_SECONDS"])
    # "Forgot your password?": a few requests per login or email and address, ten an hour
    # per address (core.auth.reset also caps the mails one user gets)
    app.extensions["erp.reset_limits"] = Limits(storage, "reset", free=3, per_address=10,
                                                window=3600, max_delay=3600)
    if storage.name == "memory":
        log.warning("login limits are kept in this process's memory: each worker counts "
                    "alone (set ERP_RATELIMIT_REDIS_URL, or leave ERP_RATELIMIT_STORAGE to "
                    "the database)")
    elif storage.name == "redis":
        log.info("login limits are kept in Redis at %s", storage.where)
        import redis

        @app.errorhandler(redis.RedisError)
        def _limits_unreachable(exc):
            # no limits, no sign-in: "try again" rather than a 500, or no limit at all
            log.error("login limits: Redis at %s failed: %s", storage.where, exc)
            return render_error(503, {"Retry-After": "30"})
    else:
        log.info("login limits are kept in the database (core_rate_limit)")
