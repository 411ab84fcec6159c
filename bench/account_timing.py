"""Do registration, password reset and log-in take the same time for a known
and an unknown e-mail address? In-process (no HTTP server), against a fresh
SQLite database, with the production Argon2 cost, the requests of both kinds
interleaved in random order; prints the medians, the difference with a
bootstrap 95% interval, and a Mann-Whitney U test per pair.

    .venv/bin/python bench/account_timing.py --count 200
    .venv/bin/python bench/account_timing.py --code /path/to/another/checkout

No timing asserts in the test suite: tests/web/test_account_hardening.py
checks instead that both paths call the same expensive functions.
"""
from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from itertools import count
from pathlib import Path
from typing import Any

PASSWORD = "correct horse battery staple"


def make_app(code: Path, folder: Path) -> Any:
    sys.path.insert(0, str(code))
    from venture import create_app
    from venture.extensions import make_engine
    from venture.migrate import upgrade

    url = "sqlite:///" + str(folder / "timing.sqlite3")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return create_app({
        "DATABASE_URL": url, "SECRET_KEY": "timing-" + "k" * 40, "INSTANCE_PATH": str(folder / "instance"),
        "MAIL_BACKEND": "outbox", "MAIL_OUTBOX_FOLDER": str(folder / "outbox"), "WTF_CSRF_ENABLED": False,
        "REDIS_URL": "", "BASE_URL": "http://localhost", "REQUIRE_2FA_FOR_STAFF": False,
        "FORM_LIMIT_PER_ADDRESS": 10**9, "RESET_MAILS_PER_ADDRESS": 10**9, "LOGIN_LIMIT_PER_ACCOUNT": 10**9,
        "LOGIN_LIMIT_PER_ADDRESS": 10**9, "LOGIN_LIMIT_ACCOUNT_TOTAL": 10**9,
    })


def timed(client: Any, path: str, data: dict[str, str]) -> float:
    start = time.perf_counter()
    response = client.post(path, data=data)
    elapsed = time.perf_counter() - start
    assert response.status_code in (200, 302, 422), (path, response.status_code)
    return elapsed * 1000


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation, ties averaged)."""
    pooled = sorted((value, group) for group, values in ((0, a), (1, b)) for value in values)
    ranks: list[float] = [0.0] * len(pooled)
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    rank_a = sum(rank for rank, (_, group) in zip(ranks, pooled, strict=True) if group == 0)
    n1, n2 = len(a), len(b)
    u = rank_a - n1 * (n1 + 1) / 2
    mean, sd = n1 * n2 / 2, math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
    z = (u - mean) / sd if sd else 0.0
    return math.erfc(abs(z) / math.sqrt(2))


def median_difference_interval(a: list[float], b: list[float], rounds: int = 2000) -> tuple[float, float]:
    rng = random.Random(7)
    differences = sorted(statistics.median(rng.choices(a, k=len(a))) - statistics.median(rng.choices(b, k=len(b)))
                         for _ in range(rounds))
    return differences[int(rounds * 0.025)], differences[int(rounds * 0.975)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=150, help="requests of each kind (default 150)")
    parser.add_argument("--only", choices=["register", "reset", "log-in"], help="measure one pair only")
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the checkout to measure (default: this one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(args.code, Path(folder))
        client = app.test_client()
        serial = count()
        client.post("/register", data={"display_name": "Known", "email": "known@example.org",
                                       "password": PASSWORD, "password_again": PASSWORD})
        kinds = {
            "register, taken address": ("/register", lambda: {
                "display_name": "Someone", "email": "known@example.org", "password": PASSWORD,
                "password_again": PASSWORD}),
            "register, free address": ("/register", lambda: {
                "display_name": "Someone", "email": f"new{next(serial)}@example.org", "password": PASSWORD,
                "password_again": PASSWORD}),
            "reset, known address": ("/password/forgot", lambda: {"email": "known@example.org"}),
            "reset, unknown address": ("/password/forgot", lambda: {"email": f"nobody{next(serial)}@example.org"}),
            "log-in, wrong password": ("/login", lambda: {"email": "known@example.org", "password": "wrong " * 3}),
            "log-in, unknown address": ("/login", lambda: {"email": f"ghost{next(serial)}@example.org",
                                                           "password": "wrong " * 3}),
        }
        if args.only:
            kinds = {name: value for name, value in kinds.items() if name.startswith(args.only)}
        plan = [name for name in kinds for _ in range(args.count)]
        random.Random(1).shuffle(plan)
        for name in list(kinds):  # warm up every path once
            path, data = kinds[name]
            timed(client, path, data())
        samples: dict[str, list[float]] = {name: [] for name in kinds}
        for name in plan:
            path, data = kinds[name]
            samples[name].append(timed(client, path, data()))
    print(f"code {args.code}, {args.count} requests of each kind, interleaved; times in ms")
    names = list(kinds)
    for first, second in zip(names[::2], names[1::2], strict=True):
        a, b = samples[first], samples[second]
        low, high = median_difference_interval(a, b)
        print(f"  {first:26} median {statistics.median(a):7.1f}   {second:26} median {statistics.median(b):7.1f}   "
              f"difference {statistics.median(a) - statistics.median(b):+6.1f} (95% {low:+.1f} to {high:+.1f})   "
              f"Mann-Whitney p={mann_whitney_p(a, b):.3f}")


if __name__ == "__main__":
    main()
