import os
import uuid

import pytest

from venture.core.ratelimit import DatabaseStore, MemoryStore, RateLimiter, RedisStore

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}



def _database_store(request, backend: str) -> DatabaseStore:
    from tests.conftest import database_url
    from venture.extensions import make_engine

    engine = make_engine(database_url(request, backend))
    request.addfinalizer(engine.dispose)
    return DatabaseStore(engine)


@pytest.fixture(params=["memory", "redis", "database-sqlite", "database-postgresql"])
def limiter(request) -> RateLimiter:
    if request.param == "memory":
        return RateLimiter(MemoryStore())
    if request.param.startswith("database-"):
        store = _database_store(request, request.param.split("-", 1)[1])
        return RateLimiter(store, prefix=f"venture-test:{uuid.uuid4().hex}:")
    store = RedisStore("redis://127.0.0.1:6379/0")
    try:
        store.peek("ping")
    except Exception as error:  # noqa: BLE001
        if IN_CI:
            pytest.fail(f"Redis is required in CI: {error}")
        pytest.skip(f"Redis not reachable: {error}")
    return RateLimiter(store, prefix=f"venture-test:{uuid.uuid4().hex}:")


def test_allows_up_to_the_limit_then_refuses(limiter: RateLimiter) -> None:
    verdicts = [limiter.hit("k", 3, 60) for _ in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    assert verdicts[-1].retry_after > 0


def test_keys_are_separate_and_reset_clears(limiter: RateLimiter) -> None:
    for _ in range(3):
        limiter.hit("a", 3, 60)
    assert not limiter.hit("a", 3, 60).allowed
    assert limiter.hit("b", 3, 60).allowed
    limiter.reset("a")
    assert limiter.hit("a", 3, 60).allowed


def test_two_limiters_on_one_redis_share_counts() -> None:
    """Several gunicorn workers each have their own limiter object; with
    Redis they must count together."""
    try:
        first = RedisStore("redis://127.0.0.1:6379/0")
        first.peek("ping")
    except Exception as error:  # noqa: BLE001
        if IN_CI:
            pytest.fail(f"Redis is required in CI: {error}")
        pytest.skip(f"Redis not reachable: {error}")
    prefix = f"venture-test:{uuid.uuid4().hex}:"
    worker_a = RateLimiter(first, prefix=prefix)
    worker_b = RateLimiter(RedisStore("redis://127.0.0.1:6379/0"), prefix=prefix)
    assert worker_a.hit("login", 2, 60).allowed
    assert worker_b.hit("login", 2, 60).allowed
    assert not worker_a.hit("login", 2, 60).allowed


def test_check_does_not_count_and_refund_takes_one_back(limiter: RateLimiter) -> None:
    assert limiter.check("f", 2).allowed and limiter.check("f", 2).count == 0
    limiter.hit("f", 2, 60)
    limiter.hit("f", 2, 60)
    verdict = limiter.check("f", 2)
    assert not verdict.allowed and verdict.count == 2 and verdict.retry_after > 0
    limiter.refund("f")
    assert limiter.check("f", 2).allowed and limiter.check("f", 2).count == 1
    limiter.refund("f")
    limiter.refund("f")  # never below nothing
    assert limiter.check("f", 2).count == 0
    assert limiter.hit("f", 2, 60).count == 1


def test_a_window_that_has_ended_starts_again(limiter: RateLimiter) -> None:
    import time

    assert limiter.hit("w", 1, 1).allowed
    assert not limiter.hit("w", 1, 1).allowed
    time.sleep(2.1)
    assert limiter.check("w", 1).allowed
    assert limiter.hit("w", 1, 1).allowed


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_workers_on_one_database_share_counts(request, backend) -> None:
    """Five workers, each with its own store object and connection pool, on one
    database: a limit of 10 lets 10 through, not 50."""
    prefix = f"venture-test:{uuid.uuid4().hex}:"
    workers = [RateLimiter(_database_store(request, backend), prefix=prefix) for _ in range(5)]
    allowed = sum(worker.hit("login", 10, 60).allowed for _ in range(8) for worker in workers)
    assert allowed == 10


def test_workers_in_separate_processes_share_counts(tmp_path) -> None:
    """The same with real processes hammering one SQLite counter file at once."""
    import multiprocessing

    url = "sqlite:///" + str(tmp_path / "counters.sqlite3")
    from venture.core.ratelimit import RateLimitCounter
    from venture.extensions import make_engine

    engine = make_engine(url)
    RateLimitCounter.__table__.create(engine)
    engine.dispose()
    context = multiprocessing.get_context("spawn")
    with context.Pool(5) as pool:
        results = pool.starmap(_hit_many, [(url, 8)] * 5)
    assert sum(results) == 10


def _hit_many(url: str, times: int) -> int:
    from venture.extensions import make_engine

    limiter = RateLimiter(DatabaseStore(make_engine(url)), prefix="p:")
    return sum(limiter.hit("login", 10, 60).allowed for _ in range(times))
