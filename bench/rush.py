"""The deadline rush: many groups submit in the last seconds before a call closes.

    prepare  an open call with a required attachment, N groups each with a
             complete draft and its file, and a signed-in browser session per
             group (a login_sessions row and a session cookie, as a log-in
             would make); writes the plan (cookies, CSRF tokens) to a file
    deadline sets the call's closing time to a moment (seconds since the
             epoch), so that the window straddles it
    fire     from its own process, sends every submission to the server
             within the window (from --start-at, seconds since the epoch);
             prints receipts, errors and latencies, and with --closes-at how
             many left the client before the closing time and were refused
    verify   checks the database: every accepted submission has one version
             with a unique receipt number, no gaps, a true fingerprint; with
             --closes-at, how many were accepted with an arrival at or after
             the closing time (late accepted: must be 0)

prepare and verify use the application (DATABASE_URL, SECRET_KEY and
UPLOAD_FOLDER as the server has them); fire only speaks HTTP to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import HOST, percentile  # noqa: E402

CALL_TITLE = "压力测试：截止前的集中提交"


def prepare(count: int, plan_path: Path) -> None:
    from datetime import timedelta
    from decimal import Decimal

    from flask import session as cookie_session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf
    from pypdf import PdfWriter
    from sqlalchemy import select

    from venture import create_app
    from venture.accounts import passwords
    from venture.accounts.models import User
    from venture.accounts.services import start_login_session
    from venture.bench.seed import EMAIL_DOMAIN, PASSWORD
    from venture.bodies.models import OrganizingBody
    from venture.calls import services as calls
    from venture.calls.models import CallKind, Phase
    from venture.core.timeutil import utcnow
    from venture.extensions import db
    from venture.groups.models import Group, GroupKind, GroupMembership, MemberRole
    from venture.proposals import services
    from venture.proposals.services import BudgetLine, DraftContent

    buffer = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.write(buffer)
    pdf = buffer.getvalue()

    app = create_app()
    plan: list[dict[str, Any]] = []
    with app.test_request_context():
        now = utcnow()
        body = db.session.scalars(select(OrganizingBody).order_by(OrganizingBody.id).limit(1)).first()
        if body is None:
            body = OrganizingBody(name="压力测试主办方", kind="civil_affairs")
            db.session.add(body)
            db.session.flush()
        call = calls.create_call(db.session, None, body, calls.CallRules(  # type: ignore[arg-type]
            kind=CallKind.MICRO_LIVELIHOOD, title=CALL_TITLE, summary="截止前十秒内两百个团队提交。",
            text_markdown="压力测试。", themes=["邻里互助"], districts=["天河区"], allow_registered=True,
            allow_grassroots=True, total_budget_fen=500_000_000, min_grant_fen=200_000, max_grant_fen=3_000_000,
            opens_at=now - timedelta(days=10), closes_at=now + timedelta(hours=2), timezone="Asia/Shanghai",
            sections=calls.default_sections(CallKind.MICRO_LIVELIHOOD),
            required_attachments=[{"key": "a1", "title": "预算明细"}], reviewers_per_proposal=3,
            min_fundable_score=Decimal(60), notice_days=5,
            criteria=[calls.CriterionSpec("问题是否真实", 30, Decimal(10)),
                      calls.CriterionSpec("方案可行", 70, Decimal(10))]))
        call.phase = Phase.OPEN
        call.published_at = now - timedelta(days=10)
        db.session.flush()
        password_hash = passwords.hash_password(PASSWORD)
        users = []
        for index in range(count):
            user = User(email=f"rush{index:03d}@{EMAIL_DOMAIN}", display_name=f"冲刺{index:03d}",
                        password_hash=password_hash, email_verified_at=now)
            group = Group(kind=GroupKind.GRASSROOTS, name=f"冲刺志愿队{index:03d}", filed_with="天河区居委会",
                          contact_name=f"冲刺{index:03d}", contact_phone="13900000000",
                          contact_email=f"rush{index:03d}@{EMAIL_DOMAIN}")
            group.memberships.append(GroupMembership(user=user, role=MemberRole.OWNER))
            db.session.add_all([user, group])
            db.session.flush()
            proposal = services.start_proposal(db.session, user, call, group)
            services.save_draft(db.session, user, proposal, DraftContent(
                title=f"楼道花园 {index:03d}", summary="把闲置楼道平台改造成居民共同照料的小花园。",
                sections={s["key"]: "居民共同照料，每周活动一次。" * 20 for s in call.sections},
                budget=[BudgetLine("花苗与工具", 150_000 + index, Decimal(4)), BudgetLine("宣传", 50_000, Decimal(1))],
                beneficiaries=80, district="天河区", theme="邻里互助"), proposal.lock_version)
            services.add_attachment(db.session, user, proposal, "a1", "预算明细.pdf", pdf)
            users.append((user, proposal.id))
        db.session.commit()
        call_id = call.id

    for user, proposal_id in users:
        # What a log-in leaves behind: a login_sessions row and a signed session cookie.
        with app.test_request_context():
            fresh = db.session.get(User, user.id)
            start_login_session(db.session, fresh, remember=False)
            login_user(fresh)
            csrf = generate_csrf()
            cookie = app.session_interface.get_signing_serializer(app).dumps(dict(cookie_session))  # type: ignore[attr-defined]
            db.session.commit()
        plan.append({"proposal_id": proposal_id, "csrf": csrf,
                     "cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"})
    plan_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(plan_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"call_id": call_id, "submissions": plan}, handle)
    print(json.dumps({"call_id": call_id, "drafts": len(plan)}))


def deadline(plan_path: Path, closes_in: float) -> None:
    from datetime import UTC, datetime

    from venture import create_app
    from venture.calls.models import Call
    from venture.extensions import db

    app = create_app()
    with app.app_context():
        call = db.session.get(Call, json.loads(plan_path.read_text())["call_id"])
        closes_at = time.time() + closes_in  # from now, once the application is loaded
        call.closes_at = datetime.fromtimestamp(closes_at, UTC)
        db.session.commit()
    print(json.dumps({"closes_at": closes_at}))


def fire(port: int, plan_path: Path, window: float, timeout: float, start_at: float | None = None,
         closes_at: float | None = None) -> dict[str, Any]:
    plan = json.loads(plan_path.read_text())["submissions"]
    results: list[tuple[int, float, str]] = []
    sent_before_close: list[bool] = []
    lock = threading.Lock()
    start_wall = start_at if start_at is not None else time.time() + 0.5
    spacing = window / max(1, len(plan))

    def submit(index: int, item: dict[str, Any]) -> None:
        time.sleep(max(0.0, start_wall + index * spacing - time.time()))
        body = urlencode({"csrf_token": item["csrf"], "confirm_warnings": "y"})
        connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
        connection.connect()
        sent_at = time.time()  # the request leaves the client now
        started = time.perf_counter()
        try:
            connection.request("POST", f"/proposals/{item['proposal_id']}/submit", body=body, headers={
                "Cookie": item["cookie"], "Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
            response.read()
            outcome = (response.status, time.perf_counter() - started, response.getheader("Location") or "")
        except (OSError, http.client.HTTPException) as error:
            outcome = (0, time.perf_counter() - started, type(error).__name__)
        finally:
            connection.close()
        with lock:
            results.append(outcome)
            sent_before_close.append(closes_at is not None and sent_at < closes_at)

    threads = [threading.Thread(target=submit, args=(i, item), daemon=True) for i, item in enumerate(plan)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(window + timeout + 5)
    elapsed = time.monotonic() - began
    receipts = [r for r in results if r[0] == 302 and "/receipt" in r[2]]
    latencies = [r[1] for r in results]
    statuses: dict[str, int] = {}
    for status, _latency, _where in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    early = [r for r, before in zip(results, sent_before_close, strict=True) if before]
    early_refused = sum(1 for r in early if not (r[0] == 302 and "/receipt" in r[2]))
    return {"submissions": len(plan), "answered": len(results), "receipts": len(receipts),
            "sent_before_close": len(early) if closes_at is not None else None,
            "sent_before_close_refused": early_refused if closes_at is not None else None,
            "errors": len(plan) - len(receipts), "statuses": statuses, "window_s": window,
            "elapsed_s": round(elapsed, 2), "p50_ms": percentile(latencies, 50) * 1000,
            "p95_ms": percentile(latencies, 95) * 1000, "max_ms": max(latencies, default=0) * 1000}


def verify(plan_path: Path, closes_at: float | None = None) -> dict[str, Any]:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from venture import create_app
    from venture.extensions import db
    from venture.proposals.models import Proposal, ProposalStatus
    from venture.proposals.services import fingerprint

    call_id = json.loads(plan_path.read_text())["call_id"]
    app = create_app()
    with app.app_context():
        proposals = db.session.scalars(select(Proposal).where(Proposal.call_id == call_id)).all()
        submitted = [p for p in proposals if p.status is ProposalStatus.SUBMITTED]
        numbers = sorted(int(p.number.rsplit("-", 1)[1]) for p in submitted if p.number)
        versions = [v for p in submitted for v in p.versions]
        timing: dict[str, Any] = {}
        if closes_at is not None:
            close = datetime.fromtimestamp(closes_at, UTC).replace(tzinfo=None)
            arrivals = [v.submitted_at.replace(tzinfo=None) for v in versions]
            timing = {"accepted_before_close": sum(1 for a in arrivals if a < close),
                      "late_accepted": sum(1 for a in arrivals if a >= close)}
        return {**timing,"drafts": len(proposals), "submitted": len(submitted), "versions": len(versions),
                "numbers_unique": len(set(numbers)) == len(numbers),
                "numbers_contiguous": numbers == list(range(numbers[0], numbers[0] + len(numbers))) if numbers else True,
                "fingerprints_true": all(v.fingerprint == fingerprint(v.content) for v in versions)}


def main() -> None:
    parser = argparse.ArgumentParser(description="The deadline rush (see the module's docstring).")
    commands = parser.add_subparsers(dest="command", required=True)
    ready = commands.add_parser("prepare")
    ready.add_argument("--count", type=int, default=200)
    ready.add_argument("--plan", type=Path, required=True)
    shoot = commands.add_parser("fire")
    shoot.add_argument("--port", type=int, required=True)
    shoot.add_argument("--plan", type=Path, required=True)
    shoot.add_argument("--window", type=float, default=5.0, help="seconds over which to spread the submissions")
    shoot.add_argument("--timeout", type=float, default=30.0)
    shoot.add_argument("--start-at", type=float, default=None, help="seconds since the epoch")
    shoot.add_argument("--closes-at", type=float, default=None, help="the call's closing time, for the count")
    close = commands.add_parser("deadline")
    close.add_argument("--plan", type=Path, required=True)
    close.add_argument("--closes-in", type=float, required=True, help="seconds from now; prints the moment")
    check = commands.add_parser("verify")
    check.add_argument("--plan", type=Path, required=True)
    check.add_argument("--closes-at", type=float, default=None)
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(min(args.count, 1000), args.plan)
    elif args.command == "fire":
        print(json.dumps(fire(args.port, args.plan, min(args.window, 10.0), min(args.timeout, 60.0),
                              args.start_at, args.closes_at)))
    elif args.command == "deadline":
        deadline(args.plan, args.closes_in)
    else:
        print(json.dumps(verify(args.plan, args.closes_at)))


if __name__ == "__main__":
    main()
