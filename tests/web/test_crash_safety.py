"""Crash safety: the real server (gunicorn, 2 workers) takes fifty concurrent
submissions and is killed with SIGKILL once about half have their receipts.
After a restart, every submission that got a receipt is stored whole (status,
frozen version, true fingerprint, the receipt number the page showed), none
is half-written, the receipt numbers have no gaps, the audit chain verifies,
and the groups whose submission was lost can submit again. On SQLite (WAL)
and PostgreSQL."""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import select

from tests.builders import make_body, make_call
from tests.conftest import PASSWORD, make_user
from tests.web.test_deadline_race import RACERS, _prepare
from venture import ROOT
from venture.audit.models import AuditEvent
from venture.calls.models import Phase
from venture.extensions import db
from venture.proposals import storage
from venture.proposals.models import Proposal, ProposalStatus, ProposalVersion
from venture.proposals.services import fingerprint

pytestmark = pytest.mark.slow

KILL_AFTER = RACERS // 2
GUNICORN = Path(sys.executable).parent / "gunicorn"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
RECEIPT = re.compile(r"<dd><strong>([^<]+)</strong></dd>")
FINGERPRINT = re.compile(r'<code class="fingerprint">([0-9a-f]{64})</code>')


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"LOGIN_LIMIT_PER_ADDRESS": 1000}


# A browser, as far as the test needs one ------------------------------------------------

@dataclass
class Browser:
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                timeout: float = 30) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Accept-Language": "en"}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if form is not None:
                body = urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for cookie in response.msg.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                value = rest.split(";", 1)[0]
                if "Max-Age=0" in cookie or "expires=Thu, 01 Jan 1970" in cookie:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        finally:
            connection.close()

    def csrf(self, path: str) -> str:
        status, _headers, page = self.request("GET", path)
        assert status == 200, (path, status)
        found = CSRF.search(page)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def login(self, email: str) -> None:
        token = self.csrf("/login")
        status, headers, _ = self.request("POST", "/login", {"csrf_token": token, "email": email,
                                                             "password": PASSWORD})
        assert status == 302, (email, status)


# The server -------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with gunicorn.conf.py, two sync workers, in its own process
    group so one SIGKILL takes the master and the workers at once."""

    def __init__(self, app: Any, tmp_path: Path) -> None:
        self.port = _free_port()
        self.tmp_path = tmp_path
        config = app.config
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
            "LANG": "C.UTF-8", "VENTURE_ENV": "development", "HTTPS_ONLY": "0",
            "DATABASE_URL": config["DATABASE_URL"], "SECRET_KEY": config["SECRET_KEY"],
            "VENTURE_INSTANCE": str(tmp_path / "server-instance"), "UPLOAD_FOLDER": config["UPLOAD_FOLDER"],
            "SEARCH_INDEX_FOLDER": config["SEARCH_INDEX_FOLDER"], "MAIL_BACKEND": "outbox",
            "MAIL_OUTBOX_FOLDER": config["MAIL_OUTBOX_FOLDER"], "BASE_URL": f"http://127.0.0.1:{self.port}",
            "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024", "ARGON2_PARALLELISM": "1",
            "LOGIN_LIMIT_PER_ADDRESS": "1000", "REDIS_URL": "", "LOG_LEVEL": "INFO",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = (self.tmp_path / f"server-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [str(GUNICORN), "--config", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{self.port}",
             "--workers", "2", "--timeout", "30", "--access-logfile", "-", "--no-control-socket",
             "venture:create_app()"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                status, _headers, body = Browser(self.port).request("GET", "/healthz", timeout=5)
                if status == 200:
                    return
                last = body
            except OSError:
                last = "not answering"
            time.sleep(0.2)
        raise AssertionError(f"the server did not become healthy: {last}\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL to the whole process group: no worker finishes anything."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def log(self, tail: int | None = 3000) -> str:
        return "\n".join(path.read_text(errors="replace")[-tail if tail else 0:] for path in
                         sorted(self.tmp_path.glob("server-*.log")))


@pytest.fixture
def server(app, tmp_path) -> Iterator[Server]:
    running = Server(app, tmp_path)
    yield running
    running.kill()


def _check_server_log(text: str, forbidden: list[str]) -> None:
    access = [line for line in text.splitlines() if " rid=" in line]
    requests = [json.loads(line) for line in text.splitlines()
                if line.startswith("{") and '"logger": "venture.request"' in line]
    assert access and requests
    for line in access:
        assert re.search(r" rid=[0-9a-f]{32}$", line) and "?" not in line, line
    for line in requests:
        assert line["request_id"] and "?" not in line["path"], line
    # The application's line is written before the response goes out,
    # gunicorn's once it has: every access line has its application line.
    assert {line.rsplit("rid=", 1)[1] for line in access} <= {line["request_id"] for line in requests}
    for secret in forbidden:
        assert secret not in text, f"{secret!r} in the server's log"


# The test ---------------------------------------------------------------------------------

@dataclass
class Outcome:
    status: int = 0  # 0: no answer (connection refused or cut)
    receipt_path: str = ""
    receipt_number: str = ""
    receipt_fingerprint: str = ""
    error: str = ""


def _submit(browser: Browser, proposal_id: int, token: str,
            on_receipt: Callable[[], None] = lambda: None) -> Outcome:
    """POST the submission; on a receipt (a redirect to it), read the
    receipt page for the number and fingerprint it shows."""
    outcome = Outcome()
    try:
        status, headers, _ = browser.request("POST", f"/proposals/{proposal_id}/submit",
                                             {"csrf_token": token, "confirm_warnings": "y"})
        outcome.status = status
        location = urlsplit(headers.get("location", "")).path
        if status == 302 and location.endswith("/receipt"):
            outcome.receipt_path = location
            on_receipt()
            status, _, page = browser.request("GET", location)
            if status == 200:
                outcome.receipt_number = RECEIPT.search(page).group(1)
                outcome.receipt_fingerprint = FINGERPRINT.search(page).group(1)
    except (OSError, http.client.HTTPException) as error:
        outcome.error = type(error).__name__
    return outcome


def _check_whole(app: Any, outcomes: dict[int, Outcome]) -> dict[int, Proposal]:
    """Every proposal is either an untouched draft or a whole submission; every
    receipt handed out names a whole submission; numbers have no gaps."""
    with app.app_context():
        db.session.expire_all()
        proposals = {p.id: p for p in db.session.scalars(select(Proposal))}
        submitted_events = {e.object_id for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "proposal.submitted"))}
        numbers = []
        for pid, proposal in proposals.items():
            versions = db.session.scalars(select(ProposalVersion).where(ProposalVersion.proposal_id == pid)).all()
            if proposal.status is ProposalStatus.DRAFT:
                assert proposal.number is None and versions == [] and proposal.version_count == 0, \
                    f"proposal {pid} is half-written: a draft with a number or a version"
                assert pid not in submitted_events
                continue
            assert proposal.status is ProposalStatus.SUBMITTED
            assert proposal.number and len(versions) == proposal.version_count == 1, \
                f"proposal {pid} is half-written: submitted without its one version"
            [version] = versions
            assert version.number == proposal.number and version.fingerprint == fingerprint(version.content)
            for item in version.content["attachments"]:
                stored = next(a for a in proposal.attachments if a.id == item["id"]).stored_name
                assert hashlib.sha256(storage.read(stored)).hexdigest() == item["sha256"]
            assert pid in submitted_events, f"proposal {pid} submitted without its audit record"
            numbers.append(int(proposal.number.rsplit("-", 1)[1]))
            outcome = outcomes.get(pid)
            if outcome and outcome.receipt_path:
                assert outcome.receipt_path == f"/proposals/{pid}/versions/1/receipt"
            if outcome and outcome.receipt_number:
                assert outcome.receipt_number == version.receipt_label
                assert outcome.receipt_fingerprint == version.fingerprint
        for pid, outcome in outcomes.items():
            if outcome.receipt_path:
                assert proposals[pid].status is ProposalStatus.SUBMITTED, \
                    f"proposal {pid} got a receipt but is not stored"
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), f"receipt numbers: {sorted(numbers)}"
        db.session.expunge_all()
        return proposals


def test_a_killed_server_loses_no_receipted_submission(app, server, tmp_path):
    started = time.monotonic()
    make_user(app, "org@example.org")
    body = make_body(app, "org@example.org")
    call_id = make_call(app, body, Phase.OPEN)
    racers = _prepare(app, call_id)
    server.start()

    browsers: dict[int, tuple[Browser, str]] = {}

    def sign_in(racer: tuple[str, int]) -> None:
        email, proposal_id = racer
        browser = Browser(server.port)
        browser.login(email)
        browsers[proposal_id] = (browser, browser.csrf(f"/proposals/{proposal_id}/submit"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(sign_in, racers))
    assert len(browsers) == RACERS

    # Fire all fifty at once; SIGKILL the server when half have their receipts.
    outcomes: dict[int, Outcome] = {}
    lock = threading.Lock()
    half = threading.Event()
    receipts = [0]

    def counted() -> None:
        with lock:
            receipts[0] += 1
            if receipts[0] >= KILL_AFTER:
                half.set()

    def fire(proposal_id: int) -> None:
        browser, token = browsers[proposal_id]
        outcome = _submit(browser, proposal_id, token, counted)
        with lock:
            outcomes[proposal_id] = outcome

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        futures = [pool.submit(fire, pid) for pid in browsers]
        assert half.wait(timeout=60), f"only {receipts[0]} receipts before the timeout\n{server.log()}"
        time.sleep(random.uniform(0, 0.3))  # land anywhere in the next submissions' work
        server.kill()
        for future in futures:
            future.result(timeout=60)

    answered = [o for o in outcomes.values() if o.receipt_path]
    lost = [pid for pid, o in outcomes.items() if not o.receipt_path]
    assert KILL_AFTER <= len(answered) < RACERS and lost, "the kill came mid-way"
    assert {o.status for o in outcomes.values()} <= {0, 302}, {o.status for o in outcomes.values()}

    server.start()  # the same database, files and index after the crash
    proposals = _check_whole(app, outcomes)
    verified = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output

    # The groups whose submission was cut off submit again, on the sessions they had.
    still_drafts = [pid for pid in lost if proposals[pid].status is ProposalStatus.DRAFT]
    with ThreadPoolExecutor(max_workers=8) as pool:
        again = dict(zip(still_drafts, pool.map(lambda pid: _submit(browsers[pid][0], pid, browsers[pid][1]),
                                                still_drafts), strict=True))
    assert all(o.receipt_number for o in again.values()), again
    proposals = _check_whole(app, {**outcomes, **again})
    assert all(p.status is ProposalStatus.SUBMITTED for p in proposals.values())
    verified = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output

    # What the server logged: the request id on every request line, no query
    # string, token, e-mail address or password (gunicorn's access log and
    # the application's JSON lines alike).
    token = "Zq8sP2kR9wT4vX7yB1nM3cL6aa"
    Browser(server.port).request("GET", f"/search?q=garden&email=racer1%40example.org&token={token}")
    Browser(server.port).request("GET", f"/password/reset/{token}")
    server.kill()
    _check_server_log(server.log(tail=None), forbidden=[token, "racer1", "email=", PASSWORD])
    print(f"{len(answered)} receipts before the kill, {len(lost)} cut off "
          f"({len(lost) - len(still_drafts)} of them committed), {time.monotonic() - started:.1f}s")
