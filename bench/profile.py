"""Where a page's time goes: serve PATH N times in-process (no HTTP server)
against DATABASE_URL with production settings, and print a profile.

    DATABASE_URL=sqlite:///bench/.data/venture-small.sqlite3 \
        .venv/bin/python bench/profile.py /calls/ --count 200

Uses pyinstrument when it is installed (`.venv/bin/pip install pyinstrument`;
it is not a dependency of the project), else cProfile.

    .venv/bin/python bench/profile.py --cpu

instead prints the CPU time per request of every measured page, in-process,
for the application and for the bare reference (bench/bare_app.py): the
framework's own cost, without HTTP, gunicorn or the load generator, and
little disturbed by other work on the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent


def signed_in(app: Any, email: str) -> Any:
    """A test client logged in through the log-in form as a seeded account."""
    import re

    from venture.bench.seed import PASSWORD

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    answer = client.post("/login", data={"csrf_token": token.group(1) if token else "", "email": email,
                                         "password": PASSWORD, "next": ""})
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"log-in as {email} failed ({answer.status_code})")
    return client


def cpu_compare(app: Any, count: int) -> None:
    sys.path.insert(0, str(BENCH))
    info = json.loads(subprocess.run([sys.executable, str(BENCH / "probe.py")], capture_output=True, text=True,
                                     check=True).stdout)
    os.environ["BENCH_REVIEWER_USER"] = str(info.get("reviewer_user_id") or "")
    import bare_app

    call, proposal, cursor = info["call_id"], info["proposal_id"], info["deep_cursor"]
    pages = [("home", "/", True), ("call list", "/calls/", True), ("listing", f"/calls/{call}/proposals", True),
             ("deep page", f"/calls/{call}/proposals?after={cursor}", True),
             ("proposal page", f"/proposals/{proposal}", True)]
    if info.get("busiest_id"):
        pages.append(("most discussed", f"/proposals/{info['busiest_id']}", True))
    pages.append(("search", "/search?q=%E9%95%BF%E8%80%85", True))
    if info.get("reviewer_email"):
        pages.append(("reviewer", "/review/", True))
    if info.get("results_call_id"):
        pages.append(("results page", f"/calls/{info['results_call_id']}/results", True))
    headers = {"Accept-Language": "zh-CN"}
    print(f"{'page':<15}{'app ms CPU':>12}{'bare ms CPU':>13}{'bare/app':>10}")
    for name, path, has_bare in pages:
        spent = []
        mine = signed_in(app, info["reviewer_email"]) if path == "/review/" else app.test_client()
        for client in [mine] + ([bare_app.app.test_client()] if has_bare else []):
            if client.get(path, headers=headers).status_code != 200:
                spent.append(None)
                continue
            for _ in range(4):
                client.get(path, headers=headers)
            started = time.process_time()
            for _ in range(count):
                client.get(path, headers=headers)
            spent.append((time.process_time() - started) / count * 1000)
        app_ms = spent[0]
        bare_ms = spent[1] if len(spent) > 1 else None
        ratio = f"{bare_ms / app_ms:.0%}" if app_ms and bare_ms else "n/a"
        print(f"{name:<15}{app_ms if app_ms is not None else float('nan'):>12.2f}"
              f"{bare_ms if bare_ms is not None else float('nan'):>13.2f}{ratio:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Profile one page in-process.")
    parser.add_argument("path", nargs="?", default="/")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--cprofile", action="store_true", help="use cProfile even if pyinstrument is there")
    parser.add_argument("--cpu", action="store_true", help="compare CPU per request with the bare reference")
    args = parser.parse_args()
    os.environ.setdefault("VENTURE_ENV", "production")
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    os.environ.setdefault("HTTPS_ONLY", "0")
    from venture import create_app

    app = create_app()
    if args.cpu:
        cpu_compare(app, args.count)
        return
    client = app.test_client()
    headers = {"Accept-Language": "zh-CN"}
    for _ in range(5):  # templates compiled, caches warm
        assert client.get(args.path, headers=headers).status_code == 200
    started = time.perf_counter()
    try:
        if args.cprofile:
            raise ImportError
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(args.count):
            client.get(args.path, headers=headers)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    except ImportError:
        import cProfile
        import pstats

        with cProfile.Profile() as profile:
            for _ in range(args.count):
                client.get(args.path, headers=headers)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    elapsed = time.perf_counter() - started
    print(f"{args.count} requests of {args.path} in {elapsed:.2f} s: {elapsed / args.count * 1000:.1f} ms each "
          "(with the profiler's overhead)")


if __name__ == "__main__":
    main()
