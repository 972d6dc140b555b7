"""Fixed-window rate limits (login attempts per account and per address). Counts are kept in
memory by default, or in Redis when ERP_RATELIMIT_REDIS_URL is set, so that every worker
and host shares them."""
from __future__ import annotations

import threading
import time


class MemoryStorage:
    def __init__(self):
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def incr(self, key: str, window: int) -> int:
        slot = int(time.time()) // window
        with self._lock:
            if len(self._counts) > 100_000:  # forget old windows
                self._counts = {k: v for k, v in self._counts.items() if v[0] == slot}
            seen_slot, count = self._counts.get(key, (slot, 0))
            count = count + 1 if seen_slot == slot else 1
            self._counts[key] = (slot, count)
            return count

    def get(self, key: str, window: int) -> int:
        slot = int(time.time()) // window
        seen_slot, count = self._counts.get(key, (slot, 0))
        return count if seen_slot == slot else 0

    def reset(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)


class RedisStorage:
    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url)

    def _key(self, key: str, window: int) -> str:
        return f"erp:rl:{key}:{int(time.time()) // window}"

    def incr(self, key: str, window: int) -> int:
        full = self._key(key, window)
        pipe = self._redis.pipeline()
        pipe.incr(full)
        pipe.expire(full, window)
        return int(pipe.execute()[0])

    def get(self, key: str, window: int) -> int:
        return int(self._redis.get(self._key(key, window)) or 0)

    def reset(self, key: str) -> None:
        for full in self._redis.scan_iter(f"erp:rl:{key}:*"):
            self._redis.delete(full)


class Limiter:
    def __init__(self, storage, limit: int, window: int):
        self.storage, self.limit, self.window = storage, limit, window

    def blocked(self, key: str) -> bool:
        return self.storage.get(key, self.window) >= self.limit

    def hit(self, key: str) -> None:
        self.storage.incr(key, self.window)

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
