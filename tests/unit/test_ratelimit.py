import os
import uuid

import pytest

from venture.core.ratelimit import MemoryStore, RateLimiter, RedisStore

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}



@pytest.fixture(params=["memory", "redis"])
def limiter(request) -> RateLimiter:
    if request.param == "memory":
        return RateLimiter(MemoryStore())
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
