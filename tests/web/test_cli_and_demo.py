"""Command-line tools and the demo data."""
from __future__ import annotations

from sqlalchemy import select, text, update

from tests.conftest import Client, login, make_user
from venture import demo
from venture.accounts.models import User
from venture.audit.models import AuditEvent
from venture.extensions import db


def test_admin_create_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["admin", "create", "boss@example.org", "--name", "Boss",
                                 "--password", "long enough admin phrase"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "boss@example.org"))
        assert user.is_site_admin and user.is_verified
    client = Client(app, app.response_class, use_cookies=True)
    login(client, "boss@example.org", "long enough admin phrase")
    assert client.get("/admin/").status_code == 200


def test_admin_create_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(args=["admin", "create", "boss@example.org", "--password", "123456"])
    assert result.exit_code != 0
    assert "10" in result.output, "says how long a password must be"


def test_demo_loads_once_and_every_login_works(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    for _role, email, _name in demo.LOGINS:
        assert email in result.output
    assert demo.PASSWORD in result.output
    again = runner.invoke(args=["demo", "--if-empty"])
    assert "already has data" in again.output
    with app.app_context():
        assert db.session.scalar(select(db_count()).select_from(User)) > len(demo.LOGINS) + len(demo.MORE_PEOPLE)

    expectations = {"site admin": "/admin/", "organizer": "/bodies/1/staff", "group member": "/groups/",
                    "reviewer": "/account", "resident": "/account"}
    for role, email, _name in demo.LOGINS:
        client = Client(app, app.response_class, use_cookies=True)
        login(client, email, demo.PASSWORD)
        assert client.get(expectations[role]).status_code == 200, role


def db_count():
    from sqlalchemy import func

    return func.count()


def test_demo_has_both_kinds_of_group_and_valid_codes(app):
    from venture.groups import creditcode
    from venture.groups.models import Group, GroupKind

    app.test_cli_runner().invoke(args=["demo"])
    with app.app_context():
        groups = db.session.scalars(select(Group)).all()
        assert {g.kind for g in groups} == {GroupKind.REGISTERED, GroupKind.GRASSROOTS}
        assert all(creditcode.is_valid(g.credit_code) for g in groups if g.credit_code)


def test_audit_verify_detects_tampering(app, client):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo"])
    client.submit("/register", {"display_name": "A", "email": "a@example.org",
                                "password": "correct horse battery", "password_again": "correct horse battery"})
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output

    with app.app_context():
        db.session.execute(update(AuditEvent).where(AuditEvent.seq == 2)
                           .values(data={"tampered": True}))
        db.session.commit()
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert "BROKEN at entry 2" in broken.output


def test_audit_verify_detects_a_deleted_entry(app, client):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo"])
    client.submit("/register", {"display_name": "A", "email": "a@example.org",
                                "password": "correct horse battery", "password_again": "correct horse battery"})
    client.submit("/register", {"display_name": "B", "email": "b@example.org",
                                "password": "correct horse battery", "password_again": "correct horse battery"})
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
        db.session.commit()
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1 and "entry 2" in broken.output


def test_mail_send_command_delivers_to_the_outbox_folder(app, tmp_path):
    from pathlib import Path

    from venture.mail import services as mail

    with app.test_request_context():
        user = User(email="x@example.org", display_name="X")
        mail.queue(db.session, "x@example.org", "email_changed", "en", user=user)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert "sent 1, failed 0" in result.output
    files = list(Path(app.config["MAIL_OUTBOX_FOLDER"]).glob("*.eml"))
    assert len(files) == 1
    assert "Your e-mail address was changed" in files[0].read_text()


def test_demo_has_calls_of_both_kinds_and_thirty_odd_proposals(app):
    from venture.audit.records import verify_records
    from venture.audit.services import verify
    from venture.calls.models import Call, CallKind, Phase
    from venture.proposals.models import Proposal, ProposalStatus
    from venture.proposals.services import fingerprint

    app.test_cli_runner().invoke(args=["demo"])
    with app.app_context():
        calls = db.session.scalars(select(Call)).all()
        assert {c.kind for c in calls} == {CallKind.SOCIAL_VENTURE, CallKind.MICRO_LIVELIHOOD}
        assert {c.phase for c in calls} == {Phase.OPEN, Phase.REVIEW, Phase.NOTICE, Phase.PUBLISHED}
        proposals = db.session.scalars(select(Proposal)).all()
        assert len(proposals) >= 30
        submitted = [p for p in proposals if p.status is ProposalStatus.SUBMITTED]
        assert len(submitted) >= 25
        assert all(p.current_attachments and p.budget for p in proposals)
        assert all(v.fingerprint == fingerprint(v.content) for p in submitted for v in p.versions)
        assert verify(db.session).ok
        assert verify_records(db.session).ok
        from venture.comments.models import Comment, CommentStatus
        from venture.showcase.models import Support
        statuses = [c.status for c in db.session.scalars(select(Comment))]
        assert statuses.count(CommentStatus.HIDDEN) == 1 and statuses.count(CommentStatus.VISIBLE) >= 10
        assert any(c.parent_id for c in db.session.scalars(select(Comment))), "replies"
        assert db.session.scalar(select(db_count()).select_from(Support)) >= 10


def test_demo_has_a_review_stage_and_results(app):
    from venture.calls.models import Call, Phase
    from venture.panels import services as panels
    from venture.proposals.models import Proposal, Screening
    from venture.results.models import Objection, ObjectionStatus, ResultRecord, ResultStage
    from venture.review.models import Conflict, MemberStatus, PanelDraw, Review, ReviewStatus

    app.test_cli_runner().invoke(args=["demo"])
    with app.test_request_context():
        under_review = db.session.scalar(select(Call).where(Call.phase == Phase.REVIEW))
        members = panels.members_of(db.session, under_review)
        assert {m.status for m in members} == {MemberStatus.ACCEPTED, MemberStatus.DECLINED}
        assert any(d.replaces_member_id for d in db.session.scalars(select(PanelDraw)))
        assert any(m.expert.user.email == "reviewer@demo.venture.example" for m in members)
        assert {c.source.value for c in db.session.scalars(select(Conflict))} >= {"declared", "affiliation"}
        statuses = [r.status for r in db.session.scalars(select(Review))]
        assert ReviewStatus.DRAFT in statuses and statuses.count(ReviewStatus.SUBMITTED) >= 20
        screened = [p.screening for p in db.session.scalars(select(Proposal).where(
            Proposal.call_id == under_review.id, Proposal.status == "submitted"))]
        assert Screening.INELIGIBLE in screened and Screening.PENDING not in screened
        stages = {(r.call.phase, r.stage) for r in db.session.scalars(select(ResultRecord))}
        assert (Phase.PUBLISHED, ResultStage.FINAL) in stages and (Phase.NOTICE, ResultStage.PROPOSED) in stages
        objections = db.session.scalars(select(Objection)).all()
        assert objections and all(o.status is not ObjectionStatus.OPEN and o.answer for o in objections)


def test_calls_tick_records_closing(app):
    from datetime import timedelta

    from tests.builders import make_body, make_call, set_call_times
    from venture.calls.models import Call, Phase
    from venture.core.timeutil import utcnow

    body = make_body(app)
    call_id = make_call(app, body, Phase.OPEN)
    set_call_times(app, call_id, opens_at=utcnow() - timedelta(days=2), closes_at=utcnow() - timedelta(seconds=5))
    result = app.test_cli_runner().invoke(args=["calls", "tick"])
    assert "closed 1 calls" in result.output
    with app.app_context():
        assert db.session.get(Call, call_id).phase is Phase.CLOSED


def test_check_files_lists_the_stored_files_that_cannot_be_cleaned(app):
    import hashlib

    from tests.builders import make_body, make_call, make_group
    from tests.review_builders import make_submitted_proposal
    from venture.calls.models import Phase
    from venture.proposals import storage
    from venture.proposals.models import Attachment

    make_user(app, "org@example.org")
    make_user(app, "owner@example.org")
    call = make_call(app, make_body(app, "org@example.org"), Phase.CLOSED)
    made = make_submitted_proposal(app, call, make_group(app, "owner@example.org"), attachment_author="李慧敏")
    runner = app.test_cli_runner()
    fine = runner.invoke(args=["admin", "check-files"])
    assert fine.exit_code == 0 and "1 files stored before cleaning checked; 0 cannot be served" in fine.output
    with app.app_context():
        data = b"%PDF-1.4\nnot really a PDF" + bytes(50)
        db.session.add(Attachment(proposal_id=made["proposal_id"], slot="other", filename="坏文件.pdf", kind="pdf",
                                  stored_name=storage.store(data), size=len(data),
                                  sha256=hashlib.sha256(data).hexdigest()))
        db.session.commit()
    found = runner.invoke(args=["admin", "check-files"])
    assert found.exit_code == 1
    assert "2 files stored before cleaning checked; 1 cannot be served" in found.output and "坏文件.pdf" in found.output
