"""Sliding-window rate limits (login attempts per account and per address): a key is
blocked while it has `limit` hits within the last `window` seconds. Hits are kept in memory
by default, or in Redis when ERP_RATELIMIT_REDIS_URL is set, so that every worker and host
shares them."""
from __future__ import annotations

import threading
import time
import uuid
from collections import deque


class MemoryStorage:
    def __init__(self):
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, window: int) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._hits) > 100_000:  # forget keys with nothing recent
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - window}
            self._hits.setdefault(key, deque(maxlen=1000)).append(now)

    def count(self, key: str, window: int) -> int:
        cutoff = time.monotonic() - window
        with self._lock:
            hits = self._hits.get(key)
            while hits and hits[0] <= cutoff:
                hits.popleft()
            return len(hits) if hits else 0

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)


class RedisStorage:
    """One sorted set of hit times per key."""

    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url)

    def hit(self, key: str, window: int) -> None:
        now = time.time()
        pipe = self._redis.pipeline()
        pipe.zadd(f"erp:rl:{key}", {f"{now}:{uuid.uuid4().hex[:8]}": now})
        pipe.expire(f"erp:rl:{key}", window)
        pipe.execute()

    def count(self, key: str, window: int) -> int:
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(f"erp:rl:{key}", 0, time.time() - window)
        pipe.zcard(f"erp:rl:{key}")
        return int(pipe.execute()[1])

    def reset(self, key: str) -> None:
        self._redis.delete(f"erp:rl:{key}")


class Limiter:
    def __init__(self, storage, limit: int, window: int):
        self.storage, self.limit, self.window = storage, limit, window

    def blocked(self, key: str) -> bool:
        return self.storage.count(key, self.window) >= self.limit

    def hit(self, key: str) -> None:
        self.storage.hit(key, self.window)

    def reset(self, key: str) -> None:
        self.storage.reset(key)


def init_app(app) -> None:
    url = app.config.get("ERP_RATELIMIT_REDIS_URL")
    storage = RedisStorage(url) if url else MemoryStorage()
    window = app.config["ERP_LOGIN_WINDOW_SECONDS"]
    app.extensions["erp.login_limits"] = {
        "account": Limiter(storage, app.config["ERP_LOGIN_FAILURES_PER_ACCOUNT"], window),
        "address": Limiter(storage, app.config["ERP_LOGIN_ATTEMPTS_PER_ADDRESS"], window),
    }
