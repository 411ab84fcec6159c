"""Search speed and memory, in-process, against DATABASE_URL (and its index
in SEARCH_INDEX_FOLDER, built with `flask --app venture search rebuild`).

    DATABASE_URL=sqlite:////tmp/search/city.sqlite3 VENTURE_INSTANCE=/tmp/search/instance \
        .venv/bin/python bench/search_bench.py --count 20 [--client] [--profile]

Runs a fixed set of Chinese and English queries through
``venture.search.services.search`` (the function the /search page calls)
COUNT times each, and prints p50 / p95 wall and CPU milliseconds per query;
with --client, also through the test client on /search?q=... (the whole
page: form, filters, template). Prints the process's resident memory
(VmRSS) and its private memory (Private_Clean + Private_Dirty of
/proc/self/smaps_rollup: what no other process maps; that includes pages
of the index files only this process has touched, so the anonymous and
file parts of VmRSS are printed too) after the
application is loaded, after the first search and at the end.
With --profile, prints a pyinstrument profile of the in-process runs.
"""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import time
from pathlib import Path
from typing import Any

QUERIES = ["长者", "社区养老", "\"社区养老\"", "儿童 阅读", "elderly", "community garden", "volunteer", "老人", "志愿者"]
FILTERED = [("社区养老", {"type": "proposal"})]


def memory() -> dict[str, int]:
    """VmRSS and private memory of this process, in MiB."""
    found: dict[str, int] = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                found["rss"] = int(line.split()[1]) // 1024
            elif line.startswith(("RssAnon:", "RssFile:")):
                found[line.split(":")[0]] = int(line.split()[1]) // 1024
    private = 0
    with open("/proc/self/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                private += int(line.split()[1])
    found["private"] = private // 1024
    return found


def show_memory(label: str) -> None:
    mem = memory()
    print(f"memory {label:<22} VmRSS {mem['rss']:>5} MiB   private {mem['private']:>5} MiB   "
          f"(anonymous {mem['RssAnon']:>5} MiB, mapped files {mem['RssFile']:>5} MiB)", flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def report(name: str, walls: list[float], cpus: list[float], extra: str = "") -> None:
    print(f"{name:<28} p50 {statistics.median(walls):7.1f} ms  p95 {percentile(walls, 0.95):7.1f} ms"
          f"   cpu p50 {statistics.median(cpus):7.1f} p95 {percentile(cpus, 0.95):7.1f}  {extra}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20, help="runs of each query")
    parser.add_argument("--client", action="store_true", help="also through the test client on /search")
    parser.add_argument("--profile", action="store_true", help="pyinstrument profile of the in-process runs")
    args = parser.parse_args()
    os.environ.setdefault("VENTURE_ENV", "production")
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    os.environ.setdefault("HTTPS_ONLY", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # no request lines
    from venture import create_app
    from venture.search import services

    app = create_app()
    import venture

    print(f"code     {Path(venture.__file__).parent}\ndatabase {app.config['DATABASE_URL']}\n"
          f"index    {app.config['SEARCH_INDEX_FOLDER']}")
    show_memory("after create_app")

    def one(text: str, filters: dict[str, str]) -> tuple[float, float, Any]:
        with app.test_request_context("/search"):
            wall, cpu = time.perf_counter(), time.process_time()
            results = services.search(text, filters, 1)
            return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, results

    first_wall, first_cpu, _ = one(QUERIES[0], {})
    print(f"first search ({QUERIES[0]}): {first_wall:.1f} ms wall, {first_cpu:.1f} ms cpu")
    show_memory("after first search")
    for text in QUERIES:  # every query once: caches warm
        one(text, {})

    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    every_wall: list[float] = []
    for text, filters in [(text, {}) for text in QUERIES] + FILTERED:
        walls, cpus = [], []
        results = None
        for _ in range(args.count):
            wall, cpu, results = one(text, filters)
            walls.append(wall)
            cpus.append(cpu)
        every_wall += walls
        label = text + (" " + ",".join(f"{k}={v}" for k, v in filters.items()) if filters else "")
        report(label, walls, cpus, f"{results.total}{'+' if results.more else ''} hits")
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"{'all in-process':<28} p50 {statistics.median(every_wall):7.1f} ms  "
          f"p95 {percentile(every_wall, 0.95):7.1f} ms")
    show_memory("after in-process runs")

    if args.client:
        client = app.test_client()
        headers = {"Accept-Language": "zh-CN"}
        every_wall = []
        for text in QUERIES:
            walls, cpus = [], []
            for _ in range(args.count):
                wall, cpu = time.perf_counter(), time.process_time()
                response = client.get("/search", query_string={"q": text}, headers=headers)
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
                assert response.status_code == 200, response.status_code
            every_wall += walls
            report("page " + text, walls, cpus)
        print(f"{'all pages':<28} p50 {statistics.median(every_wall):7.1f} ms  "
              f"p95 {percentile(every_wall, 0.95):7.1f} ms")
        show_memory("after page runs")


if __name__ == "__main__":
    main()
