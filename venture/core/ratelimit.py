"""Counting attempts in fixed windows, in a store every worker shares.

Where the counters live (``RATE_LIMIT_STORE``):

- ``redis`` (the default when ``REDIS_URL`` is set): one Redis for every
  worker on every server;
- ``database`` (the default otherwise): a table in the application's
  PostgreSQL, so several servers on one database count together. With SQLite
  the table lives in a file of its own next to the instance
  (``ratelimits.sqlite3``): SQLite has one write lock per file, and a writing
  request holds the main file's from its first statement, so a second
  connection to it would wait for the request it serves;
- ``memory``: each process counts for itself. Only for a single process
  (tests, ``flask run``); production refuses to start with it, and so does
  gunicorn with more than one worker (see ``refuse_per_process``).

Counters are written outside the request's transaction, on connections of
their own: a refused log-in rolls the request back, and its failure must
still count.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import Engine, String, case, create_engine, delete, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import CreateIndex, CreateTable

from venture.core.models import Base, UTCDateTime
from venture.core.timeutil import utcnow

KINDS = ("redis", "database", "memory")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window resets


class Store(Protocol):
    def incr(self, key: str, window: int) -> tuple[int, int]: ...
    def peek(self, key: str) -> tuple[int, int]: ...
    def decr(self, key: str) -> None: ...
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

    def peek(self, key: str) -> tuple[int, int]:
        now = time.monotonic()
        with self._lock:
            count, reset_at = self._counts.get(key, (0, 0.0))
            return (count, max(1, int(reset_at - now))) if reset_at > now else (0, 0)

    def decr(self, key: str) -> None:
        with self._lock:
            count, reset_at = self._counts.get(key, (0, 0.0))
            if count > 0 and reset_at > time.monotonic():
                self._counts[key] = (count - 1, reset_at)

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

    def peek(self, key: str) -> tuple[int, int]:
        pipe = self._redis.pipeline()
        pipe.get(key)
        pipe.ttl(key)
        value, ttl = pipe.execute()
        return (int(value), max(1, int(ttl))) if value else (0, 0)

    def decr(self, key: str) -> None:
        if self._redis.decr(key) <= 0:  # gone, or expired in between
            self._redis.delete(key)

    def reset(self, key: str) -> None:
        self._redis.delete(key)


class RateLimitCounter(Base):
    """One fixed-window counter. The key is stored as a digest: counters are
    about e-mail and network addresses, and a digest names neither."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int]
    window_ends_at: Mapped[datetime] = mapped_column(index=True)


class DatabaseStore:
    """Counters in ``rate_limit_counters``, one atomic upsert per hit."""

    PURGE_EVERY = 1000  # hits between sweeps of the windows that have ended

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._table = RateLimitCounter.__table__
        self._hits = 0

    @staticmethod
    def _digest(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    def incr(self, key: str, window: int) -> tuple[int, int]:
        table = self._table
        now = utcnow()
        ends = now + timedelta(seconds=window)
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        over = table.c.window_ends_at <= now
        statement = dialect.insert(table).values(key=self._digest(key), count=1, window_ends_at=ends)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"count": case((over, 1), else_=table.c.count + 1),
                  "window_ends_at": case((over, literal(ends, UTCDateTime())), else_=table.c.window_ends_at)},
        ).returning(table.c.count, table.c.window_ends_at)
        with self.engine.begin() as connection:
            count, window_ends_at = connection.execute(statement).one()
            self._hits += 1
            if self._hits % self.PURGE_EVERY == 0:
                connection.execute(delete(table).where(table.c.window_ends_at <= now))
        return int(count), max(1, int((window_ends_at - now).total_seconds()))

    def peek(self, key: str) -> tuple[int, int]:
        table = self._table
        with self.engine.connect() as connection:
            row = connection.execute(select(table.c.count, table.c.window_ends_at)
                                     .where(table.c.key == self._digest(key))).first()
        now = utcnow()
        if row is None or row.window_ends_at <= now:
            return 0, 0
        return int(row.count), max(1, int((row.window_ends_at - now).total_seconds()))

    def decr(self, key: str) -> None:
        table = self._table
        with self.engine.begin() as connection:
            connection.execute(update(table).where(table.c.key == self._digest(key), table.c.count > 0)
                               .values(count=table.c.count - 1))

    def reset(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(self._table).where(self._table.c.key == self._digest(key)))


class RateLimiter:
    def __init__(self, store: Store, prefix: str = "venture:rl:") -> None:
        self.store = store
        self.prefix = prefix

    def hit(self, key: str, limit: int, window: int) -> Verdict:
        """Count one attempt; allowed while the count stays within the limit."""
        count, retry_after = self.store.incr(self.prefix + key, window)
        return Verdict(count <= limit, count, retry_after)

    def check(self, key: str, limit: int) -> Verdict:
        """Whether one more attempt would be allowed, without counting it
        (for limits that count only failures)."""
        count, retry_after = self.store.peek(self.prefix + key)
        return Verdict(count < limit, count, retry_after)

    def refund(self, key: str) -> None:
        """Take back one counted attempt: it succeeded, and only failures count.
        Counting first and refunding after keeps a burst of parallel attempts
        from all passing one check before any of them is counted."""
        self.store.decr(self.prefix + key)

    def reset(self, key: str) -> None:
        self.store.reset(self.prefix + key)


def store_kind(config: Mapping[str, Any]) -> str:
    """The store the settings (or environment variables of the same names) ask for."""
    kind = str(config.get("RATE_LIMIT_STORE") or "").strip().lower()
    if not kind:
        kind = "redis" if config.get("REDIS_URL") else "database"
    if kind not in KINDS:
        from venture.core.site import ConfigurationError

        raise ConfigurationError(f"RATE_LIMIT_STORE must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind == "redis" and not config.get("REDIS_URL"):
        from venture.core.site import ConfigurationError

        raise ConfigurationError("RATE_LIMIT_STORE=redis needs REDIS_URL")
    return kind


def refuse_per_process(config: Mapping[str, Any], workers: int) -> None:
    """Refuse to serve with several processes that would each count for themselves."""
    if workers > 1 and store_kind(config) == "memory":
        from venture.core.site import ConfigurationError

        raise ConfigurationError(
            f"{workers} workers with RATE_LIMIT_STORE=memory would each count attempts for themselves "
            "(a limit of 10 would let 10 per worker through): use the database store (the default) "
            "or set REDIS_URL")


def _database_engine(app: Flask) -> Engine:
    from venture.extensions import db, make_engine

    assert db.engine is not None, "the database is set up before the rate limiter"
    if db.engine.dialect.name != "sqlite":
        # A pool of its own: a request holding a connection must never wait
        # for a second one from the pool every waiting request holds.
        return create_engine(db.engine.url, pool_pre_ping=True, pool_size=2, max_overflow=20)
    engine = make_engine("sqlite:///" + str(Path(app.instance_path) / "ratelimits.sqlite3"))
    table = RateLimitCounter.__table__
    with engine.begin() as connection:  # the file is the store's own: no migrations
        connection.execute(CreateTable(table, if_not_exists=True))
        for index in table.indexes:
            connection.execute(CreateIndex(index, if_not_exists=True))
    return engine


def init_app(app: Flask) -> None:
    kind = store_kind(app.config)
    store: Store
    if kind == "redis":
        store = RedisStore(app.config["REDIS_URL"])
    elif kind == "database":
        store = DatabaseStore(_database_engine(app))
    else:
        store = MemoryStore()
    app.extensions["venture.ratelimit"] = RateLimiter(store)


def limiter() -> RateLimiter:
    return current_app.extensions["venture.ratelimit"]


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after
