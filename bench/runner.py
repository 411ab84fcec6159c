"""The benchmark runner behind ``bench/run`` (and ``make bench``).

1. Uses a seeded database (``--database`` or BENCH_DATABASE_URL; by default a
   SQLite file under bench/.data/, seeded with ``flask bench seed`` when empty).
2. Serves Venture with gunicorn and gunicorn.conf.py, production settings
   (VENTURE_ENV=production, a generated SECRET_KEY, HTTPS_ONLY=0), and the
   bare reference (bench/bare_app.py) with the same worker settings, each on
   its own loopback port.
3. Drives a bounded load at each page from another process (wrk -t2 -c16
   -d10s if installed, else bench/loadgen.py), then 200 sequential requests
   per page from a single client, sampling each worker's RSS meanwhile.
   The reviewer dashboard is measured signed in: the runner logs in once as
   the seeded reviewer with the most assignments, through the log-in form
   (bench/loadgen.py ``login``), and sends that session cookie with every
   request to the page (the bare reference reads the same reviewer's rows
   without a sign-in).
4. Times a full search-index rebuild if ``flask search rebuild`` exists, and
   the computation of a result for a call of 2,000 proposals × 5 reviews ×
   6 criteria (bench/results_compute.py).
5. On PostgreSQL (BENCH_PG_URL, else a local server at 127.0.0.1:5432 if
   one answers), runs the deadline rush (bench/rush.py) in a database of
   its own that it creates and drops.
6. Prints the figures and writes them into docs/PERFORMANCE.md.

All traffic goes to 127.0.0.1; every loop is bounded in time and count.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / ".data"
BIN = ROOT / ".venv" / "bin"
DOC = ROOT / "docs" / "PERFORMANCE.md"
sys.path.insert(0, str(BENCH))
import loadgen  # noqa: E402

TARGET_RATIO = 0.60
TARGET_PAGE_P95_MS = 30.0
TARGET_SEARCH_P95_MS = 50.0
TARGET_RSS_MB = 200.0
# The search page is loaded with these in turn: words, a quoted phrase, two words, English.
SEARCH_QUERIES = ("长者", "社区养老", '"社区养老"', "儿童 阅读", "助餐", "elderly", "community garden", "volunteer")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass
class Page:
    name: str
    path: str | None  # None: the page does not exist yet
    bare: bool = True
    search: bool = False
    note: str = ""
    login: str | None = None  # sign in as this seeded account first; its cookie goes with every request
    more: list[str] = field(default_factory=list)  # further paths, requested in turn with ``path``
    headers: dict[str, str] = field(default_factory=dict)
    app: dict[str, Any] = field(default_factory=dict)
    bare_load: dict[str, Any] = field(default_factory=dict)
    single: dict[str, Any] = field(default_factory=dict)
    bare_single: dict[str, Any] = field(default_factory=dict)


def log(message: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def run(argv: list[str], env: dict[str, str], *, capture: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, cwd=ROOT, text=True, timeout=timeout,
                          stdout=subprocess.PIPE if capture else None, stderr=subprocess.STDOUT if capture else None)


def flask(*args: str) -> list[str]:
    return [str(BIN / "flask"), "--app", "venture", *args]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# Environment ---------------------------------------------------------------------------------

SECRET = secrets.token_hex(32)


def app_env(database_url: str, key: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}
    for name in ("VENTURE_DEBUG", "PORT", "REDIS_URL", "MAIL_SMTP_HOST", "WERKZEUG_RUN_MAIN"):
        env.pop(name, None)
    instance = DATA / "instance"
    env.update(DATABASE_URL=database_url, VENTURE_ENV="production", SECRET_KEY=SECRET, HTTPS_ONLY="0",
               VENTURE_INSTANCE=str(instance), UPLOAD_FOLDER=str(instance / f"uploads-{key}"),
               SEARCH_INDEX_FOLDER=str(instance / f"search-{key}"), MAIL_BACKEND="outbox",
               MAIL_OUTBOX_FOLDER=str(instance / f"outbox-{key}"), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


# Servers ----------------------------------------------------------------------------------------

class Server:
    """A gunicorn master started by the runner, and stopped by it (by pid)."""

    def __init__(self, name: str, target: list[str], env: dict[str, str], workers: int | None) -> None:
        self.name = name
        self.port = free_port()
        self.env = dict(env, BIND=f"127.0.0.1:{self.port}")
        if workers:
            self.env["WEB_CONCURRENCY"] = str(workers)
        # gunicorn 23+ opens a control socket in ~/.gunicorn/ by default; two
        # masters at once would fight over it.
        quiet = ["--no-control-socket"] if _has_control_socket() else []
        self.argv = [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), *quiet, *target]
        self.log_path = DATA / "logs" / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.peak_rss: dict[int, int] = {}

    def __enter__(self) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.log_path.open("wb")
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} server exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=5) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.name} server did not answer in 60 s; see {self.log_path}")

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the group this runner created for it
            self.proc.wait(10)

    def workers(self) -> list[int]:
        if self.proc is None:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if fields.get("PPid", "").strip() == str(self.proc.pid):
                found.append(int(entry.name))
        return found

    def sample_rss(self) -> None:
        for pid in self.workers():
            rss = rss_kb(pid)
            if rss:
                self.peak_rss[pid] = max(self.peak_rss.get(pid, 0), rss)


_CONTROL: list[bool] = []


def _has_control_socket() -> bool:
    if not _CONTROL:
        helped = subprocess.run([str(BIN / "gunicorn"), "--help"], capture_output=True, text=True)
        _CONTROL.append("--no-control-socket" in helped.stdout)
    return _CONTROL[0]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    def __init__(self, servers: list[Server], every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.servers = servers
        self.every = every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            for server in self.servers:
                server.sample_rss()


# Load -------------------------------------------------------------------------------------------

def drive(port: int, path: str, args: argparse.Namespace, headers: dict[str, str] | None = None,
          more: list[str] | None = None) -> dict[str, Any]:
    """A bounded load from a separate process: wrk if installed, else loadgen;
    ``more`` paths are requested in turn with ``path``."""
    url = f"http://127.0.0.1:{port}{path}"
    turns = [path, *more] if more else []
    extra = [f"{name}: {value}" for name, value in (headers or {}).items()]
    if shutil.which("wrk") and not args.python_load:
        sent = [f"{name}: {value}" for name, value in loadgen.BASE_HEADERS.items()] + extra
        out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
                              "--timeout", "10s", *(arg for h in sent for arg in ("-H", h)),
                              "-s", str(BENCH / "wrk_report.lua"), url, *(["--", *turns] if turns else [])],
                             capture_output=True, text=True, timeout=args.duration + 60)
        line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk gave no figures: {out.stdout}\n{out.stderr}")
        raw = json.loads(line.split(" ", 1)[1])
        seconds = raw["duration_us"] / 1e6
        errors = sum(v for k, v in raw.items() if k.startswith("errors_"))
        return {"tool": "wrk", "requests": raw["requests"], "rps": raw["requests"] / seconds if seconds else 0,
                "p50_ms": raw["p50_us"] / 1000, "p95_ms": raw["p95_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
                "errors": errors}
    out = subprocess.run([str(BIN / "python"), str(BENCH / "loadgen.py"), "--port", str(port),
                          *(arg for each in (turns or [path]) for arg in ("--path", each)),
                          "--connections", str(args.connections), "--duration", str(args.duration),
                          *(arg for h in extra for arg in ("--header", h))],
                         capture_output=True, text=True, timeout=args.duration + 60)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["tool"] = "loadgen"
    return figures


def warm(port: int, path: str, headers: dict[str, str] | None = None) -> None:
    loadgen.load(port, path, connections=8, duration=1.5, max_requests=400, headers=headers)


# Steps --------------------------------------------------------------------------------------------

def ensure_seeded(database_url: str, scale: str, env: dict[str, str],
                  own: bool = False) -> tuple[dict[str, Any], float | None]:
    """Migrate, and seed an empty database. ``own``: the runner's default
    file under bench/.data/, which it may wipe and seed again when it
    predates the review stage (a database given with --database is never wiped)."""
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    log(f"migrating {redact(database_url)}")
    done = run(flask("db", "upgrade"), env)
    if done.returncode:
        raise RuntimeError(f"db upgrade failed:\n{done.stdout}")
    info = probe(env)
    seconds = None
    stale = bool(info["counts"]["users"]) and not info["counts"].get("reviews")
    if stale and not own:
        log("this database has no reviews (seeded before the review stage was): the reviewer dashboard and the "
            "results page will say n/a; seed it again with `flask bench seed --force` to measure them")
    if not info["counts"]["users"] or (stale and own):
        force = ["--force"] if stale else []
        log(f"seeding the {scale} data set (flask bench seed --scale {scale}{' --force' if stale else ''})"
            + ("; the old one predates the review stage" if stale else ""))
        started = time.perf_counter()
        done = run(flask("bench", "seed", "--scale", scale, *force), env, capture=False, timeout=1200)
        seconds = time.perf_counter() - started
        if done.returncode:
            raise RuntimeError("seeding failed")
        info = probe(env)
    return info, seconds


def probe(env: dict[str, str]) -> dict[str, Any]:
    done = run([str(BIN / "python"), str(BENCH / "probe.py")], env)
    if done.returncode:
        raise RuntimeError(f"probe failed:\n{done.stdout}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def search_rebuild(env: dict[str, str]) -> float | None:
    helped = run(flask("search", "--help"), env)
    if helped.returncode or "rebuild" not in helped.stdout:
        return None
    log("rebuilding the search index (flask search rebuild)")
    started = time.perf_counter()
    done = run(flask("search", "rebuild"), env, timeout=1800)
    if done.returncode:
        log(f"search rebuild failed:\n{done.stdout[-2000:]}")
        return None
    return time.perf_counter() - started


def results_compute() -> dict[str, Any] | None:
    """bench/results_compute.py at its defaults (2,000 × 5 × 6, in-memory SQLite), three runs."""
    log("timing a result computation: 2,000 proposals × 5 reviews × 6 criteria (bench/results_compute.py)")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "VENTURE_ENV")}
    done = run([str(BIN / "python"), str(BENCH / "results_compute.py"), "--repeat", "3", "--json"], env, timeout=900)
    if done.returncode:
        log(f"results_compute.py failed:\n{done.stdout[-2000:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def pages_for(info: dict[str, Any]) -> list[Page]:
    call, proposal = info.get("call_id"), info.get("proposal_id")
    pages = [Page("home", "/"), Page("call list", "/calls/")]
    pages.append(Page("proposal listing", f"/calls/{call}/proposals" if call else None))
    deep = info.get("deep_cursor")
    pages.append(Page("listing, deep page", f"/calls/{call}/proposals?after={deep}" if call and deep else None,
                      note=f"after proposal {info.get('deep_offset')} of {info.get('call_public')}"))
    pages.append(Page("proposal page", f"/proposals/{proposal}" if proposal else None,
                      note=f"{info.get('proposal_comments')} comments"))
    if info.get("busiest_id"):
        pages.append(Page("most discussed proposal", f"/proposals/{info['busiest_id']}",
                          note=f"{info.get('busiest_comments')} comments; the bare page shows 50"))
    pages.append(Page("search", f"/search?q={quote(SEARCH_QUERIES[0])}", search=True,
                      more=[f"/search?q={quote(q)}" for q in SEARCH_QUERIES[1:]],
                      note=f"{len(SEARCH_QUERIES)} queries in turn: " + ", ".join(SEARCH_QUERIES)))
    reviewer = info.get("reviewer_email")
    pages.append(Page("reviewer dashboard", "/review/" if reviewer else None, login=reviewer,
                      note=(f"signed in; {info.get('reviewer_assignments')} assignments on "
                            f"{info.get('reviewer_panels')} panels") if reviewer else "no reviews seeded"))
    results = info.get("results_call_id")
    pages.append(Page("results page", f"/calls/{results}/results" if results else None,
                      note=(f"{info.get('results_phase')} call, {info.get('results_lines')} lines") if results
                      else "no call in notice or published"))
    return pages


def status_of(port: int, path: str, headers: dict[str, str] | None = None) -> int:
    """The status of the very answer (a redirect to the log-in page is a 302, not the log-in page's 200)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={**loadgen.BASE_HEADERS, **(headers or {})})
        response = connection.getresponse()
        response.read()
        return int(response.status)
    finally:
        connection.close()


def sign_in(page: Page, port: int) -> None:
    """Log in once through the form; the page's requests then carry the session cookie."""
    from venture.bench.seed import PASSWORD

    assert page.login is not None
    try:
        page.headers = {"Cookie": loadgen.login(port, page.login, PASSWORD)}
    except (RuntimeError, OSError) as error:
        page.note = f"could not sign in: {error}"
        page.path = None


def measure(pages: list[Page], app: Server, bare: Server, args: argparse.Namespace) -> None:
    for page in pages:
        if page.path is not None and page.login:
            sign_in(page, app.port)
        if page.path is None:
            continue
        status = status_of(app.port, page.path, page.headers)
        if status != 200:
            page.note = f"answers {status}" + (": no search endpoint yet" if page.search else "")
            page.path = None
            continue
        if page.bare and status_of(bare.port, page.path, page.headers) != 200:
            page.bare = False
    sampler = RssSampler([app, bare])
    sampler.start()
    try:
        live = [p for p in pages if p.path]
        for page in live:
            assert page.path is not None
            warm(app.port, page.path, page.headers)
            if page.bare:
                warm(bare.port, page.path, page.headers)
        for page in live:
            assert page.path is not None
            log(f"load: {page.name} {page.path[:60]}")
            page.app = drive(app.port, page.path, args, page.headers, page.more)
            if page.bare:
                page.bare_load = drive(bare.port, page.path, args, page.headers, page.more)
        for page in live:
            assert page.path is not None
            page.single = loadgen.sequential(app.port, [page.path, *page.more], args.sequential, headers=page.headers)
            if page.bare:
                page.bare_single = loadgen.sequential(bare.port, [page.path, *page.more], args.sequential,
                                                      headers=page.headers)
    finally:
        sampler.stopped.set()
        sampler.join(2)
    app.sample_rss()
    bare.sample_rss()


def pg_admin_url() -> str | None:
    url = os.environ.get("BENCH_PG_URL") or DEFAULT_PG
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return url
    except Exception as error:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        log(f"no PostgreSQL for the deadline rush ({type(error).__name__})")
        return None


def deadline_rush(args: argparse.Namespace) -> dict[str, Any] | None:
    admin_url = pg_admin_url()
    if admin_url is None:
        return None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"venture_bench_rush_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    plan = DATA / "rush-plan.json"
    try:
        env = app_env(url, "rush")
        log(f"deadline rush: seeding a small data set into {redact(url)}")
        for step in (flask("db", "upgrade"), flask("bench", "seed", "--scale", "small")):
            done = run(step, env, timeout=900)
            if done.returncode:
                raise RuntimeError(done.stdout)
        log(f"deadline rush: preparing {args.rush_count} complete drafts with attachments and sign-ins")
        done = run([str(BIN / "python"), str(BENCH / "rush.py"), "prepare", "--count", str(args.rush_count),
                    "--plan", str(plan)], env, timeout=900)
        if done.returncode:
            raise RuntimeError(done.stdout)
        rush_env = dict(env)
        if args.rush_threads > 1:
            # Threads take each request as it comes, so its arrival is noted while
            # others wait on the database; sync workers leave it in the kernel's queue.
            rush_env["GUNICORN_CMD_ARGS"] = (f"--worker-class venture.arrival_worker.ArrivalThreadWorker "
                                             f"--threads {args.rush_threads}")
        with Server("app-rush", ["venture:create_app()"], rush_env, args.workers) as server:
            server_info = probe(env)
            # The call closes in the middle of the window: half the submissions leave before it.
            done = run([str(BIN / "python"), str(BENCH / "rush.py"), "deadline", "--plan", str(plan),
                        "--closes-in", "3"], env, timeout=120)
            if done.returncode:
                raise RuntimeError(done.stdout)
            closes_at = json.loads(done.stdout.strip().splitlines()[-1])["closes_at"]
            start_at = closes_at - args.rush_window / 2
            log(f"deadline rush: {args.rush_count} submissions within {args.rush_window:g} s, "
                "the call closing half-way")
            fired = run([str(BIN / "python"), str(BENCH / "rush.py"), "fire", "--port", str(server.port),
                         "--plan", str(plan), "--window", str(args.rush_window),
                         "--start-at", f"{start_at:.6f}", "--closes-at", f"{closes_at:.6f}"], env, timeout=300)
            if fired.returncode:
                raise RuntimeError(fired.stdout)
            result = json.loads(fired.stdout.strip().splitlines()[-1])
        checked = run([str(BIN / "python"), str(BENCH / "rush.py"), "verify", "--plan", str(plan),
                       "--closes-at", f"{closes_at:.6f}"], env)
        result["verify"] = json.loads(checked.stdout.strip().splitlines()[-1]) if not checked.returncode \
            else {"error": checked.stdout[-500:]}
        result["database"] = (f"PostgreSQL {server_info.get('server_version')}, small data set + the rush call, "
                              + (f"threaded workers noting each accept × {args.rush_threads} threads" if args.rush_threads > 1
                                 else "sync workers"))
        return result
    finally:
        plan.unlink(missing_ok=True)
        for folder in ("UPLOAD_FOLDER", "SEARCH_INDEX_FOLDER", "MAIL_OUTBOX_FOLDER"):
            shutil.rmtree(app_env(url, "rush")[folder], ignore_errors=True)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# Report -----------------------------------------------------------------------------------------

def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal:")), 0)
    return f"{os.cpu_count()} cores ({model}), {kb / 1024 / 1024:.1f} GiB memory, Python {platform.python_version()}"


def commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True)
    return head.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def rows(pages: list[Page]) -> list[list[str]]:
    table = []
    for page in pages:
        if page.path is None:
            table.append([page.name, "n/a", "n/a", "n/a", "n/a", "n/a", "n/a", page.note or "n/a"])
            continue
        app, bare = page.app, page.bare_load
        ratio = app["rps"] / bare["rps"] if bare and bare.get("rps") else None
        limit = TARGET_SEARCH_P95_MS if page.search else TARGET_PAGE_P95_MS
        checks = []
        if ratio is not None:
            checks.append(f"ratio {verdict(ratio >= TARGET_RATIO)}")
        checks.append(f"p95 {verdict(page.single['p95_ms'] <= limit)}")
        errors = app.get("errors", 0) + (bare.get("errors", 0) if bare else 0)
        if errors:
            checks.append(f"{errors} errors")
        table.append([page.name, fmt(app["rps"]), fmt(app["p50_ms"]), fmt(app["p95_ms"]),
                      fmt(bare["rps"]) if bare else "n/a", f"{ratio:.0%}" if ratio is not None else "n/a",
                      fmt(page.single["p95_ms"]), ", ".join(checks)])
    return table


HEADERS = ["page", "app req/s", "p50 ms", "p95 ms", "bare req/s", "ratio", "1-client p95 ms", "targets"]


def print_table(table: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(HEADERS)]
    print("  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True)))
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def rss_summary(server: Server) -> tuple[float, float, int]:
    peaks = list(server.peak_rss.values()) or [0]
    return max(peaks) / 1024, sum(peaks) / len(peaks) / 1024, len(server.peak_rss)


def markdown(context: dict[str, Any]) -> str:
    pages: list[Page] = context["pages"]
    lines = [f"### {context['scale']} data set on {context['dialect']} — {context['when']}", "",
             f"- machine: {machine()}",
             f"- commit: {commit()}",
             f"- database: {context['database']}",
             f"- servers: gunicorn with gunicorn.conf.py ({context['workers']} sync workers each), "
             "VENTURE_ENV=production, HTTPS_ONLY=0; the bare reference is bench/bare_app.py",
             f"- load: {context['load']} per page and server; single client: {context['sequential']} "
             "sequential requests per page",
             f"- machine load average (1, 5, 15 min) before: {context['loadavg'][0]}, after the page runs: "
             f"{context['loadavg'][1]} (anything above ~0.5 before means other work shared the 2 cores)", ""]
    if context.get("seed_seconds") is not None:
        lines.insert(-1, f"- seeding (`flask bench seed --scale {context['scale']}`): {context['seed_seconds']:.1f} s")
    lines += ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in rows(pages):
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("Pages measured: " + "; ".join(f"{p.name} `{p.path}`" + (f" ({p.note})" if p.note else "")
                                                for p in pages if p.path) + ".")
    if any(p.login and p.path for p in pages):
        lines.append("")
        lines.append("Signed-in pages carry the session cookie of one log-in through the form, made before the "
                     "run; the bare reference reads the same reviewer's rows without a sign-in "
                     "(BENCH_REVIEWER_USER).")
    lines.append("")
    app_max, app_mean, app_n = context["rss_app"]
    bare_max, bare_mean, bare_n = context["rss_bare"]
    lines.append(f"- worker RSS (peak during the run): app {app_max:.0f} MB max, {app_mean:.0f} MB mean over "
                 f"{app_n} worker processes — target ≤ {TARGET_RSS_MB:.0f} MB {verdict(app_max <= TARGET_RSS_MB)}; "
                 f"bare {bare_max:.0f} MB max over {bare_n}")
    rebuild = context.get("search_rebuild")
    if rebuild is not None:
        lines.append(f"- full search-index rebuild (`flask search rebuild`): {fmt(rebuild)} s")
    elif context.get("no_rebuild"):
        lines.append("- full search-index rebuild: not timed in this run (--no-rebuild)")
    else:
        lines.append("- full search-index rebuild: n/a (no `flask search rebuild` yet)")
    computed = context.get("results_compute")
    if computed:
        lines.append(
            f"- result computation (`bench/results_compute.py`: {computed['proposals']:,} proposals × "
            f"{computed['reviews_per_proposal']} reviews × {computed['criteria']} criteria, "
            f"{computed['reviews']:,} reviews, in-memory SQLite, {computed['repeat']} runs): `compute` median "
            f"{computed['compute_median_ms']:.0f} ms wall (best {computed['compute_best_ms']:.0f} ms, CPU "
            f"{computed['compute_cpu_ms']:.0f} ms), `record_content` {computed['record_median_ms']:.0f} ms — "
            f"target ≤ 1 s {verdict(computed['compute_median_ms'] <= 1000)} "
            f"(load average {computed['loadavg']})")
    else:
        lines.append("- result computation: not timed (bench/results_compute.py failed)")
    rush = context.get("rush")
    if rush is None:
        lines.append(f"- deadline rush: {context.get('rush_note', 'not run')}")
    else:
        v = rush.get("verify", {})
        lines.append(f"- deadline rush ({rush.get('database')}): {rush['submissions']} submissions within "
                     f"{rush['window_s']:g} s, the call closing half-way: {rush.get('sent_before_close')} left "
                     f"the client before the closing time, accepted before close "
                     f"{v.get('accepted_before_close')}, sent before close and refused "
                     f"{rush.get('sent_before_close_refused')}, late accepted {v.get('late_accepted')} "
                     f"(target 0); {rush['receipts']} receipts in all "
                     f"(statuses {rush['statuses']}), p50 {rush['p50_ms']:.0f} ms, p95 {rush['p95_ms']:.0f} ms, "
                     f"max {rush['max_ms']:.0f} ms; all done in {rush['elapsed_s']} s. Database check: "
                     f"{v.get('versions')} versions, receipt numbers unique {v.get('numbers_unique')}, "
                     f"contiguous {v.get('numbers_contiguous')}, fingerprints true {v.get('fingerprints_true')}")
    lines += ["", "CPU time per request in-process (no HTTP; `bench/profile.py --cpu`):", "", "```",
              context["cpu_table"], "```"]
    return "\n".join(lines) + "\n"


DOC_HEADER = """# Performance

Figures written by `bench/run` (see "How to run" below); the analysis is by hand.

<!-- bench:results-end -->
"""


def write_doc(key: str, block: str) -> None:
    text = DOC.read_text() if DOC.exists() else DOC_HEADER
    begin, end = f"<!-- bench:{key}:begin -->", f"<!-- bench:{key}:end -->"
    fenced = f"{begin}\n{block}{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + fenced + rest.split(end, 1)[1]
    elif "<!-- bench:results-end -->" in text:
        text = text.replace("<!-- bench:results-end -->", fenced + "\n\n<!-- bench:results-end -->", 1)
    else:
        text = text.rstrip("\n") + "\n\n" + fenced + "\n"
    DOC.write_text(text)


# Main ---------------------------------------------------------------------------------------------

def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description="Measure Venture against a bare reference.")
    parser.add_argument("--scale", choices=("small", "city"), default=os.environ.get("BENCH_SCALE", "small"))
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="a database URL (default: a SQLite file under bench/.data/, seeded when empty)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page and server (max 60)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sequential", type=int, default=200, help="single-client requests per page")
    parser.add_argument("--workers", type=int, default=None, help="override gunicorn.conf.py's worker count")
    parser.add_argument("--python-load", action="store_true", help="use bench/loadgen.py even if wrk is installed")
    parser.add_argument("--no-rush", action="store_true", help="skip the deadline rush on PostgreSQL")
    parser.add_argument("--rush-count", type=int, default=200)
    parser.add_argument("--rush-window", type=float, default=0.5)
    parser.add_argument("--rush-threads", type=int, default=1,
                        help="serve the rush with gunicorn's gthread workers, this many threads each (1: sync)")
    parser.add_argument("--rush-only", action="store_true", help="run the deadline rush alone and print it")
    parser.add_argument("--no-rebuild", action="store_true",
                        help="do not rebuild (and time) the search index; search uses the index as it is")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/PERFORMANCE.md")
    args = parser.parse_args()
    args.duration = max(1, min(args.duration, 60))
    args.connections = max(1, min(args.connections, 64))
    args.sequential = max(10, min(args.sequential, 2000))
    args.rush_count = max(1, min(args.rush_count, 1000))
    args.rush_window = max(0.5, min(args.rush_window, 10.0))
    return args


def main() -> int:
    args = parse()
    DATA.mkdir(parents=True, exist_ok=True)
    if not (BIN / "gunicorn").exists():
        print("bench/run needs the virtual environment: run `make install` first", file=sys.stderr)
        return 2
    # Production refuses to start without the audit signing key: one for the bench instance.
    run([str(BIN / "python"), "-m", "venture.audit.signing", str(DATA / "instance" / "audit-signing.key")],
        dict(os.environ), timeout=60)
    if args.rush_only:
        print(json.dumps(deadline_rush(args), indent=1))
        return 0
    database_url = args.database or f"sqlite:///{DATA / f'venture-{args.scale}.sqlite3'}"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    DATA.mkdir(parents=True, exist_ok=True)
    dialect = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    key = f"{args.scale}-{dialect.lower()}"
    env = app_env(database_url, key)
    load_before = loadavg()
    info, seed_seconds = ensure_seeded(database_url, args.scale, env, own=args.database is None)
    counts = info["counts"]
    rebuild = None if args.no_rebuild else search_rebuild(env)
    pages = pages_for(info)
    workers = args.workers or (os.cpu_count() or 1) * 2 + 1
    log(f"serving the app and the bare reference ({workers} workers each)")
    bare_env = dict(env, BENCH_REVIEWER_USER=str(info.get("reviewer_user_id") or ""))
    with Server(f"app-{key}", ["venture:create_app()"], env, args.workers) as app, \
            Server(f"bare-{key}", ["--chdir", str(BENCH), "bare_app:app"], bare_env, args.workers) as bare:
        measure(pages, app, bare, args)
        rss_app, rss_bare = rss_summary(app), rss_summary(bare)
    load_after = loadavg()
    log("CPU per request in-process, app and bare (bench/profile.py --cpu)")
    cpu = run([str(BIN / "python"), str(BENCH / "profile.py"), "--cpu", "--count", "100"], env, timeout=900)
    # The table only: the application's JSON request lines go to the same stdout.
    table = "\n".join(line for line in cpu.stdout.splitlines() if not line.startswith("{"))
    cpu_table = table.strip() if not cpu.returncode else f"failed:\n{cpu.stdout[-1000:]}"
    computed = results_compute()
    rush, rush_note = None, "not run (--no-rush)"
    if not args.no_rush:
        rush = deadline_rush(args)
        rush_note = "n/a (no PostgreSQL: set BENCH_PG_URL)" if rush is None else ""
    load = (f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s"
            if shutil.which("wrk") and not args.python_load
            else f"bench/loadgen.py, {args.connections} connections, {args.duration} s")
    context = {
        "scale": args.scale, "dialect": f"{dialect} {info.get('server_version', '')}".strip(), "when": when,
        "database": (f"{redact(database_url)} — {counts['users']:,} users, {counts['calls']} calls, "
                     f"{counts['proposals']:,} proposals, {counts['versions']:,} versions, "
                     f"{counts['comments']:,} comments, {counts['supports']:,} supports, "
                     f"{counts.get('reviews', 0):,} reviews, {counts.get('result_records', 0)} result records"),
        "workers": workers, "load": load, "sequential": args.sequential, "pages": pages,
        "rss_app": rss_app, "rss_bare": rss_bare, "search_rebuild": rebuild, "rush": rush, "rush_note": rush_note,
        "seed_seconds": seed_seconds, "loadavg": (load_before, load_after), "no_rebuild": args.no_rebuild,
        "cpu_table": cpu_table, "results_compute": computed,
    }
    print()
    print_table(rows(pages))
    print()
    report = markdown(context)
    print("\n".join(line for line in report.splitlines() if line.startswith("- ")))
    print(cpu_table)
    if not args.no_doc:
        write_doc(key, report)
        log(f"figures written to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
