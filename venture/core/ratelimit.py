"""Counting attempts in fixed windows, in memory or in Redis.

With ``REDIS_URL`` set the counters are shared by every worker; otherwise
each process counts for itself (fine for one worker and for tests).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

from flask import Flask, current_app


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window resets


class Store(Protocol):
    def incr(self, key: str, window: int) -> tuple[int, int]: ...
    def peek(self, key: str) -> int: ...
    def reset(self, key: str) -> None: ...


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, window: int) -> tuple[int, int]:
        now = time.monotonic()
        with self._lock:
            count, reset_at = self._counts.get(key, (0, now + window))
            if reset_at <= now:
                count, reset_at = 0, now + window
            count += 1
            self._counts[key] = (count, reset_at)
            if len(self._counts) > 100_000:
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            return count, max(1, int(reset_at - now))

    def peek(self, key: str) -> int:
        with self._lock:
            count, reset_at = self._counts.get(key, (0, 0.0))
            return count if reset_at > time.monotonic() else 0

    def reset(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)


class RedisStore:
    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2)

    def incr(self, key: str, window: int) -> tuple[int, int]:
        pipe = self._redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, window, nx=True)
        pipe.ttl(key)
        count, _, ttl = pipe.execute()
        return int(count), max(1, int(ttl))

    def peek(self, key: str) -> int:
        value = self._redis.get(key)
        return int(value) if value else 0

    def reset(self, key: str) -> None:
        self._redis.delete(key)


class RateLimiter:
    def __init__(self, store: Store, prefix: str = "venture:rl:") -> None:
        self.store = store
        self.prefix = prefix

    def hit(self, key: str, limit: int, window: int) -> Verdict:
        count, retry_after = self.store.incr(self.prefix + key, window)
        return Verdict(count <= limit, count, retry_after)

    def exceeded(self, key: str, limit: int) -> bool:
        return self.store.peek(self.prefix + key) >= limit

    def reset(self, key: str) -> None:
        self.store.reset(self.prefix + key)


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    store: Store = RedisStore(url) if url else MemoryStore()
    app.extensions["venture.ratelimit"] = RateLimiter(store)


def limiter() -> RateLimiter:
    return current_app.extensions["venture.ratelimit"]


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after
