"""A small, bounded HTTP load generator for loopback servers, used when wrk
is not installed, and for the single-client latency figures.

Every run is bounded twice, by time and by request count, and only talks
to 127.0.0.1. Run on its own it prints one JSON line::

    python bench/loadgen.py --port 8100 --path /calls/ --connections 16 --duration 10
    python bench/loadgen.py --port 8100 --path /review/ --header "Cookie: session=..."

``login`` signs in once through the application's own log-in form and
returns the Cookie header a browser would send afterwards.
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import re
import threading
import time
from typing import Any
from urllib.parse import urlencode

HOST = "127.0.0.1"  # loopback only, by construction
MAX_REQUESTS = 200_000


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


BASE_HEADERS = {"Accept-Language": "zh-CN", "User-Agent": "venture-bench"}


def _headers(extra: dict[str, str] | None) -> dict[str, str]:
    return {**BASE_HEADERS, **(extra or {})}


def _cookies(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        jar[name.strip()] = value.strip()


def login(port: int, email: str, password: str, timeout: float = 30.0) -> str:
    """Sign in with the log-in form (GET for the CSRF token, then POST) and
    return the Cookie header of the signed-in browser. Raises RuntimeError
    when the form does not let us in."""
    jar: dict[str, str] = {}
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", "/login", headers=_headers(None))
        response = connection.getresponse()
        page = response.read().decode("utf-8", "replace")
        _cookies(response, jar)
        found = (re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
                 or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page))
        if response.status != 200 or found is None:
            raise RuntimeError(f"GET /login answered {response.status} without a CSRF token")
        body = urlencode({"csrf_token": found.group(1), "email": email, "password": password, "next": ""})
        headers = _headers({"Content-Type": "application/x-www-form-urlencoded",
                            "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
        connection.request("POST", "/login", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        _cookies(response, jar)
        if response.status not in (302, 303):
            raise RuntimeError(f"POST /login answered {response.status}, not a redirect: the log-in failed")
    finally:
        connection.close()
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _get(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> int:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def _paths(path: str | list[str]) -> list[str]:
    return [path] if isinstance(path, str) else list(path)


def sequential(port: int, path: str | list[str], count: int = 200, timeout: float = 10.0,
               time_limit: float = 120.0, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """One client, one keep-alive connection, ``count`` requests in a row
    (to each of several paths in turn)."""
    paths = _paths(path)
    latencies: list[float] = []
    errors = 0
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    deadline = time.monotonic() + time_limit
    headers = _headers(headers)
    try:
        for turn in range(count):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            try:
                status = _get(connection, paths[turn % len(paths)], headers)
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
                continue
            latencies.append(time.perf_counter() - started)
            if status >= 400:
                errors += 1
    finally:
        connection.close()
    return {"requests": len(latencies), "errors": errors, "p50_ms": percentile(latencies, 50) * 1000,
            "p95_ms": percentile(latencies, 95) * 1000, "max_ms": max(latencies, default=0) * 1000}


def load(port: int, path: str | list[str], connections: int = 16, duration: float = 10.0,
         max_requests: int = MAX_REQUESTS, timeout: float = 10.0,
         headers: dict[str, str] | None = None) -> dict[str, Any]:
    """``connections`` threads, each with a keep-alive connection, sending
    requests back to back until ``duration`` seconds or ``max_requests``."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    sent = [0]
    deadline = time.monotonic() + duration
    sent_headers = _headers(headers)
    paths = _paths(path)

    def worker() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
        mine: list[float] = []
        failed = 0
        try:
            while time.monotonic() < deadline:
                with lock:
                    if sent[0] >= max_requests:
                        break
                    sent[0] += 1
                    turn = sent[0]
                started = time.perf_counter()
                try:
                    status = _get(connection, paths[turn % len(paths)], sent_headers)
                except (OSError, http.client.HTTPException):
                    failed += 1
                    connection.close()
                    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
                    continue
                mine.append(time.perf_counter() - started)
                if status >= 400:
                    failed += 1
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)
                errors[0] += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + timeout + 5)
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "errors": errors[0], "seconds": elapsed,
            "rps": len(latencies) / elapsed if elapsed else 0.0,
            "p50_ms": percentile(latencies, 50) * 1000, "p95_ms": percentile(latencies, 95) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True, action="append", help="repeat to request several in turn")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=MAX_REQUESTS)
    parser.add_argument("--header", action="append", default=[], metavar="'Name: value'",
                        help="an extra request header (repeatable), e.g. a Cookie")
    args = parser.parse_args()
    duration = min(args.duration, 120.0)
    extra = dict((part.strip() for part in h.split(":", 1)) for h in args.header if ":" in h)
    print(json.dumps(load(args.port, args.path, min(args.connections, 64), duration,
                          min(args.max_requests, MAX_REQUESTS), headers=extra)))


if __name__ == "__main__":
    main()
