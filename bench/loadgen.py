"""A small, bounded HTTP load generator for loopback servers, used when wrk
is not installed, and for the single-client latency figures.

Every run is bounded twice, by time and by request count, and only talks
to 127.0.0.1. Run on its own it prints one JSON line::

    python bench/loadgen.py --port 8100 --path /calls/ --connections 16 --duration 10
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import threading
import time
from typing import Any

HOST = "127.0.0.1"  # loopback only, by construction
MAX_REQUESTS = 200_000


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _get(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> int:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def sequential(port: int, path: str, count: int = 200, timeout: float = 10.0,
               time_limit: float = 120.0) -> dict[str, Any]:
    """One client, one keep-alive connection, ``count`` requests in a row."""
    latencies: list[float] = []
    errors = 0
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    deadline = time.monotonic() + time_limit
    headers = {"Accept-Language": "zh-CN"}
    try:
        for _ in range(count):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            try:
                status = _get(connection, path, headers)
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


def load(port: int, path: str, connections: int = 16, duration: float = 10.0,
         max_requests: int = MAX_REQUESTS, timeout: float = 10.0) -> dict[str, Any]:
    """``connections`` threads, each with a keep-alive connection, sending
    requests back to back until ``duration`` seconds or ``max_requests``."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    sent = [0]
    deadline = time.monotonic() + duration

    def worker() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
        headers = {"Accept-Language": "zh-CN"}
        mine: list[float] = []
        failed = 0
        try:
            while time.monotonic() < deadline:
                with lock:
                    if sent[0] >= max_requests:
                        break
                    sent[0] += 1
                started = time.perf_counter()
                try:
                    status = _get(connection, path, headers)
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
    parser.add_argument("--path", required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=MAX_REQUESTS)
    args = parser.parse_args()
    duration = min(args.duration, 120.0)
    print(json.dumps(load(args.port, args.path, min(args.connections, 64), duration,
                          min(args.max_requests, MAX_REQUESTS))))


if __name__ == "__main__":
    main()
