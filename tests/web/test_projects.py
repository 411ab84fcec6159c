"""Funded projects through their pages: the plan published and frozen with
the call, projects made by publishing a result, the agreement, reports with
their files, budget changes, tranches, evaluations with invited evaluators
and conflicts, the consequences of a fail (tranches cut, the two-year bar
enforced and lifted), reminders, dashboards, exports, the API and audit verify."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from tests.builders import make_call, make_group, pdf_bytes, png_bytes
from tests.conftest import Client, login, make_user, outbox
from tests.project_builders import (
    EXCELLENT,
    FAILING,
    PASSING,
    evaluated,
    filed_report,
    make_project_world,
    milestone_of,
    pay_first_tranche,
    under_way,
    user,
)
from venture.audit.models import AuditEvent
from venture.audit.records import verify_records
from venture.audit.services import verify
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.projects import services
from venture.projects.models import (
    BudgetChange,
    Evaluation,
    Evaluator,
    Milestone,
    ParticipationBar,
    Project,
    ProjectPlan,
    ProjectStage,
    ReportFile,
    ReportStatus,
    Tranche,
    TrancheStatus,
)
from venture.proposals import files, storage

EN = {"Accept-Language": "en"}


def _client(app, email):
    client = Client(app, app.response_class, use_cookies=True)
    login(client, email)
    return client


def _project(app, project_id):
    with app.app_context():
        project = db.session.get(Project, project_id)
        _ = project.tranches, project.milestones, project.agreement, project.evaluations, project.budget_changes
        db.session.expunge_all()
        return project


def _events(app, action):
    with app.app_context():
        found = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()
        db.session.expunge_all()
        return found


def _chain_holds(app):
    with app.app_context():
        assert verify(db.session).ok
        result = verify_records(db.session)
        assert result.ok, str(result)


@pytest.fixture
def world(app):
    return make_project_world(app)


# Publishing a result makes the projects ------------------------------------------------------------

def test_publishing_makes_a_project_for_every_funded_line(app, world):
    assert len(world.projects) == 2, "84.00 and 64.00 are funded; 35.33 is below the minimum"
    first = _project(app, world.projects[0])
    assert (first.title, first.approved_fen, first.result_rank, first.stage) == (
        "项目0", 1_000_000, 1, ProjectStage.AWAITING_AGREEMENT)
    assert first.budget == [{"item": "食材", "amount_fen": 600_000}, {"item": "场地", "amount_fen": 400_000}]
    with app.app_context():
        sections = {s["key"]: s["title"] for s in db.session.get(Call, world.call).sections}
    assert first.promised == [{"title": sections[key], "text": f"项目0的{sections[key]}。"}
                              for key in ("activities", "beneficiaries")], "what the proposal promised"
    assert first.beneficiaries_target == 40
    assert [(t.condition.value, t.planned_fen) for t in first.tranches] == [
        ("agreement_signed", 300_000), ("midterm_passed", 400_000), ("final_passed", 300_000)]
    with app.app_context():
        plan = db.session.scalar(select(ProjectPlan).where(ProjectPlan.call_id == world.call))
        assert plan.is_frozen and plan.fingerprint, "the call opened before plans existed: frozen when published"
    assert len(_events(app, "project.created")) == 2 and len(_events(app, "tranche.planned")) == 6
    _chain_holds(app)


# The call's plan ------------------------------------------------------------------------------

def _plan_form(**overrides):
    data = {"project_months": "12", "midterm_month": "6", "progress_months": "3",
            "tranches-0-label": "首期", "tranches-0-condition": "agreement_signed", "tranches-0-percent": "50",
            "tranches-1-label": "尾款", "tranches-1-condition": "report:final", "tranches-1-percent": "50",
            "satisfaction_weight": "20", "budget_change_percent": "15"}
    for index, (name, weight) in enumerate([("服务管理", 40), ("服务成效", 40)]):
        data[f"dimensions-{index}-name"] = name
        data[f"dimensions-{index}-weight"] = str(weight)
    data.update(overrides)
    return data


def test_the_plan_is_edited_while_a_draft_published_with_the_call_and_frozen_when_it_opens(app):
    make_user(app, "org@example.org")
    from tests.builders import make_body

    body = make_body(app, "org@example.org")
    call_id = make_call(app, body, Phase.DRAFT, opens_at=utcnow() - timedelta(hours=1))
    organizer = _client(app, "org@example.org")
    bad = organizer.submit(f"/calls/{call_id}/project-plan", _plan_form(satisfaction_weight="30"), headers=EN)
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "add up to 110 points" in text
    assert 'value="服务管理"' in text, "what was typed is kept"
    saved = organizer.submit(f"/calls/{call_id}/project-plan", _plan_form(), headers=EN)
    assert saved.status_code == 302
    public = organizer.get(f"/calls/{call_id}", headers=EN).get_data(as_text=True)
    assert "runs for 12 months" in public and "50% of the grant" in public and "服务成效 40" in public
    with app.test_request_context():
        from venture.calls import services as calls

        call = db.session.get(Call, call_id)
        calls.transition(db.session, user("org@example.org"), call, Phase.OPEN)
        db.session.commit()
    refused = organizer.submit(f"/calls/{call_id}/project-plan", _plan_form(project_months="24"), headers=EN)
    assert refused.status_code == 302
    with app.app_context():
        plan = db.session.scalar(select(ProjectPlan).where(ProjectPlan.call_id == call_id))
        assert plan.project_months == 12 and plan.is_frozen
        assert [t["milestone"] for t in plan.tranches if "milestone" in t] == ["final"]
        assert [r["key"] for r in plan.reports] == ["p3", "midterm", "final"]
    frozen = _events(app, "project_plan.frozen")
    assert len(frozen) == 1 and frozen[0].data["fingerprint"] == plan.fingerprint
    page = organizer.get(f"/calls/{call_id}/project-plan", headers=EN).get_data(as_text=True)
    assert "Fixed on" in page and 'name="project_months"' not in page
    _chain_holds(app)


# The agreement ---------------------------------------------------------------------------------

def test_the_organizer_issues_and_only_the_groups_owner_accepts_the_agreement(app, world):
    project_id = world.projects[0]
    make_user(app, "member0@example.org")
    with app.app_context():
        from venture.groups.models import GroupMembership, MemberRole

        db.session.add(GroupMembership(group_id=world.results.groups[0], user_id=user("member0@example.org").id,
                                       role=MemberRole.MEMBER))
        user("owner0@example.org").locale = "en"
        db.session.commit()
    organizer, owner = _client(app, "organizer@example.org"), _client(app, "owner0@example.org")
    assert _client(app, "owner1@example.org").get(f"/projects/{project_id}/overview").status_code == 403
    today = services.local_today(_project(app, project_id))
    early = organizer.submit(f"/projects/{project_id}/agreement/issue",
                             {"starts_on": (today - timedelta(days=60)).isoformat()}, headers=EN)
    assert early.status_code == 422 and "cannot start before its result was published" in early.get_data(as_text=True)
    issued = organizer.submit(f"/projects/{project_id}/agreement/issue",
                              {"starts_on": today.isoformat(), "terms": "联系人：社会组织科"}, headers=EN)
    assert issued.status_code == 302
    project = _project(app, project_id)
    assert project.stage is ProjectStage.AGREEMENT_ISSUED and project.starts_on == today
    assert [m.kind.value for m in project.milestones] == ["midterm", "final"]
    from venture.projects.rules import period_end

    assert project.ends_on == period_end(today, 6), "the default micro-livelihood plan: six months"
    mail = outbox(app, "owner0@example.org")[-1]
    assert mail.subject.startswith("Project agreement to accept"), "in the owner's own language"
    assert f"/projects/{project_id}/agreement" in mail.body_text

    # Nothing is paid before the agreement is signed.
    release = organizer.submit(f"/projects/{project_id}/tranches/{project.tranches[0].id}", {"action": "release"},
                               headers=EN)
    assert release.status_code == 302
    assert _project(app, project_id).tranches[0].status is TrancheStatus.PLANNED

    member = _client(app, "member0@example.org")
    assert member.submit(f"/projects/{project_id}/agreement/accept", {"confirm": "y"}).status_code == 403
    assert organizer.submit(f"/projects/{project_id}/agreement/accept", {"confirm": "y"}).status_code == 403
    unticked = owner.submit(f"/projects/{project_id}/agreement/accept", {}, headers=EN)
    assert unticked.status_code == 422 and "Tick the box" in unticked.get_data(as_text=True)
    assert owner.submit(f"/projects/{project_id}/agreement/accept", {"confirm": "y"}).status_code == 302
    project = _project(app, project_id)
    assert project.stage is ProjectStage.UNDER_WAY and project.agreement.accepted_at is not None
    with app.app_context():
        assert project.agreement.accepted_by_id == user("owner0@example.org").id
    accepted = _events(app, "agreement.accepted")
    assert accepted[0].actor_id == project.agreement.accepted_by_id
    assert accepted[0].data["fingerprint"] == project.agreement.fingerprint
    for language, words in (({"Accept-Language": "en"}, ["Project agreement", "Payment in tranches", "10,000.00"]),
                            ({"Accept-Language": "zh-CN"}, ["项目协议", "10,000.00"])):
        page = _client(app, "member0@example.org").get(f"/projects/{project_id}/agreement", headers=language)
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and project.agreement.fingerprint in text
        assert all(word in text for word in words), words
    assert owner.submit(f"/projects/{project_id}/agreement/accept", {"confirm": "y"}).status_code == 403, "once"
    _chain_holds(app)


# Reports ---------------------------------------------------------------------------------------

def _report_form(**overrides):
    data = {"lock_version": "1", "activities": "三月起每周二开展长者午餐。", "activities_held": "10",
            "beneficiaries_served": "35", "team": "社工 2 名", "spending-0": "2000", "spending-1": "0",
            "private_note": "仅供主办方：有一名志愿者退出。", "action": "save"}
    data.update(overrides)
    return data


def test_the_group_files_a_report_that_is_sent_back_then_accepted(app, world):
    project_id = world.projects[0]
    under_way(app, project_id)
    project = _project(app, project_id)
    midterm = milestone_of(project, "midterm")
    owner, organizer = _client(app, "owner0@example.org"), _client(app, "organizer@example.org")
    url = f"/projects/{project_id}/reports/{midterm.id}"
    page = owner.get(url, headers=EN).get_data(as_text=True)
    assert "The proposal’s target: 40 people." in page and "食材" in page
    assert organizer.get(url).status_code == 403, "the organizers read submitted versions, they do not file"

    assert owner.submit(url, _report_form(), headers=EN).status_code == 302
    refused = owner.submit(url, _report_form(lock_version="2", action="submit"), headers=EN)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Attach a receipt for each budget line with spending" in text
    assert "not submitted yet" in text
    with app.app_context():
        report = db.session.get(Milestone, midterm.id).report
        assert report.activities_held == 10 and report.spending == {"0": 200_000, "1": 0}, "the text was saved"
        lock = report.lock_version
    stale = owner.submit(url, _report_form(lock_version="1", activities="旧的"), headers=EN)
    assert stale.status_code == 422 and "Someone else saved this report" in stale.get_data(as_text=True)

    files_url = f"{url}/files"
    executable = owner.submit(files_url, {"purpose": "receipt", "budget_line": "0",
                                          "file": (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200), "票据.pdf")},
                              content_type="multipart/form-data", headers=EN)
    assert executable.status_code == 422
    attached = owner.submit(files_url, {"purpose": "receipt", "budget_line": "0", "public": "y",
                                        "file": (io.BytesIO(pdf_bytes(author="会计 张三")), "发票.pdf")},
                            content_type="multipart/form-data")
    assert attached.status_code == 302
    owner.submit(files_url, {"purpose": "photo", "public": "y", "file": (io.BytesIO(png_bytes()), "活动.png")},
                 content_type="multipart/form-data")
    with app.app_context():
        rows = db.session.scalars(select(ReportFile).where(ReportFile.milestone_id == midterm.id)
                                  .order_by(ReportFile.id)).all()
        receipt, photo = rows
        assert not receipt.is_public, "receipts are never public"
        assert photo.is_public
        stored = storage.read(receipt.stored_name)
        assert "author" not in files.extract_metadata(files.FileKind.PDF, stored), "metadata removed before keeping"
    assert _client(app, "owner1@example.org").get(f"/project-files/{receipt.id}").status_code == 403

    submitted = owner.submit(url, _report_form(lock_version=str(lock), action="submit"), headers=EN)
    assert submitted.status_code == 302
    assert _project(app, project_id).milestones[0].status is ReportStatus.SUBMITTED
    frozen = owner.submit(url, _report_form(lock_version=str(lock + 1)), headers=EN)
    assert frozen.status_code == 422 and "with the organizers" in frozen.get_data(as_text=True)

    version_url = f"{url}/versions/1"
    version = organizer.get(version_url, headers=EN).get_data(as_text=True)
    assert "仅供主办方" in version and "Your decision" in version
    review_url = f"{url}/review"
    no_sections = organizer.submit(review_url, {"decision": "changes", "note": "请补充活动照片说明。"}, headers=EN)
    assert no_sections.status_code == 422 and "Tick the sections" in no_sections.get_data(as_text=True)
    assert organizer.submit(review_url, {"decision": "changes", "flagged": ["activities", "files"],
                                         "note": "请补充每次活动的日期与地点。"}).status_code == 302
    milestone = _project(app, project_id).milestones[0]
    assert milestone.status is ReportStatus.CHANGES_REQUESTED and milestone.flagged == ["activities", "files"]
    changes_mail = outbox(app, "owner0@example.org")[-1]
    assert "请补充每次活动的日期与地点" in changes_mail.body_text
    shown = owner.get(url, headers=EN).get_data(as_text=True)
    assert "The organizers asked for changes to:" in shown and "Activities held" in shown

    assert owner.submit(url, _report_form(lock_version=str(lock + 1), action="submit",
                                          activities="3 月 4 日起每周二在社区饭堂开展午餐。")).status_code == 302
    assert _project(app, project_id).milestones[0].status is ReportStatus.RESUBMITTED
    assert organizer.submit(review_url, {"decision": "accept", "note": ""}).status_code == 302
    milestone = _project(app, project_id).milestones[0]
    assert milestone.status is ReportStatus.ACCEPTED and milestone.version_count == 2
    with app.app_context():
        latest = db.session.get(Milestone, midterm.id).latest_version
        assert latest.content["public"]["activities"].startswith("3 月 4 日")
        assert latest.content["public"]["beneficiaries_served"] == 35
        assert "仅供主办方" in latest.content["private"]["note"] and "仅供主办方" not in str(latest.content["public"])
        assert latest.content["public"]["files"] == [photo.id], "only what the group made public, never receipts"
    assert [e.data["to"] for e in _events(app, "report.submitted")] == ["submitted", "resubmitted"]
    _chain_holds(app)


# Budget changes ------------------------------------------------------------------------------

def test_budget_changes_within_the_threshold_apply_and_beyond_it_wait_for_approval(app, world):
    project_id = world.projects[0]
    under_way(app, project_id)
    owner, organizer = _client(app, "owner0@example.org"), _client(app, "organizer@example.org")
    url = f"/projects/{project_id}/budget/changes"
    # Lines 6,000 and 4,000 yuan, threshold 10%: 400 yuan may move from line 1 to line 0 at once.
    assert owner.submit(url, {"from_line": "1", "to_line": "0", "amount": "400", "reason": "场地免费了一部分"}).status_code == 302
    assert owner.submit(url, {"from_line": "1", "to_line": "0", "amount": "0.01", "reason": "再挪一分钱"}).status_code == 302
    too_much = owner.submit(url, {"from_line": "1", "to_line": "0", "amount": "5000", "reason": "全部挪到食材"}, headers=EN)
    assert too_much.status_code == 422 and "less than that left" in too_much.get_data(as_text=True)
    with app.app_context():
        changes = db.session.scalars(select(BudgetChange).order_by(BudgetChange.id)).all()
        assert [c.status.value for c in changes] == ["applied", "pending"]
        pending = changes[1].id
    lines = services.budget_lines(_project_with_changes(app, project_id))
    assert [line["budget_fen"] for line in lines] == [640_000, 360_000]
    refused = organizer.submit(f"{url}/{pending}", {"decision": "refuse", "note": ""}, headers=EN)
    assert refused.status_code == 422
    assert organizer.submit(f"{url}/{pending}", {"decision": "approve"}).status_code == 302
    assert owner.submit(f"{url}/{pending}", {"decision": "approve"}).status_code == 403
    lines = services.budget_lines(_project_with_changes(app, project_id))
    assert [line["budget_fen"] for line in lines] == [640_001, 359_999]
    _chain_holds(app)


def _project_with_changes(app, project_id):
    with app.app_context():
        project = db.session.get(Project, project_id)
        _ = [c.status for c in project.budget_changes], project.budget
        db.session.expunge_all()
        return project


# Tranches ------------------------------------------------------------------------------------

def test_tranches_are_released_only_when_their_condition_holds_and_never_paid_beyond_the_plan(app, world):
    project_id = world.projects[0]
    under_way(app, project_id)
    project = _project(app, project_id)
    first, second, last = project.tranches
    organizer = _client(app, "organizer@example.org")
    today = services.local_today(project)

    def move(tranche, **data):
        return organizer.submit(f"/projects/{project_id}/tranches/{tranche.id}", data, headers=EN)

    def status(tranche):
        return _project(app, project_id).tranches[tranche.position - 1].status

    assert _client(app, "owner0@example.org").submit(
        f"/projects/{project_id}/tranches/{first.id}", {"action": "release"}).status_code == 403
    move(first, action="pay", paid_on=today.isoformat(), reference="X")
    assert status(first) is TrancheStatus.PLANNED, "a planned tranche is released before it is paid"
    move(first, action="release")
    assert status(first) is TrancheStatus.RELEASED
    assert "核准拨付" in outbox(app, "owner0@example.org")[-1].body_text, "released: in the owner's language"
    move(first, action="pay", paid_on=(today + timedelta(days=1)).isoformat(), reference="BANK-1")
    move(first, action="pay", paid_on=today.isoformat(), reference="BANK-1", paid_amount="3000.01")
    move(first, action="pay", paid_on=today.isoformat(), reference="")
    assert status(first) is TrancheStatus.RELEASED, "future date, more than planned, no reference: all refused"
    move(first, action="pay", paid_on=today.isoformat(), reference="BANK-1", paid_amount="2500")
    paid = _project(app, project_id).tranches[0]
    assert (paid.status, paid.paid_fen, paid.payment_reference) == (TrancheStatus.PAID, 250_000, "BANK-1")
    move(first, action="cut", reason="不应再变")
    assert status(first) is TrancheStatus.PAID

    move(second, action="release")
    assert status(second) is TrancheStatus.PLANNED, "waits for the mid-term evaluation"
    move(second, action="withhold", reason="")
    assert status(second) is TrancheStatus.PLANNED, "withholding needs a reason"
    move(second, action="withhold", reason="等待补交票据")
    assert status(second) is TrancheStatus.WITHHELD
    assert "等待补交票据" in outbox(app, "owner0@example.org")[-1].body_text
    move(second, action="resume", reason="票据已补交")
    assert status(second) is TrancheStatus.PLANNED
    filed_report(app, project_id, "midterm")
    evaluated(app, project_id, PASSING)
    move(second, action="release")
    move(second, action="pay", paid_on=today.isoformat(), reference="BANK-2")
    assert status(second) is TrancheStatus.PAID
    move(last, action="cut", reason="项目提前终止")
    assert status(last) is TrancheStatus.CUT
    project = _project(app, project_id)
    assert (project.paid_fen, project.cut_fen, project.remaining_fen) == (650_000, 300_000, 50_000)
    moved = _events(app, "tranche.moved")
    assert {e.data["to"] for e in moved} >= {"released", "paid", "withheld", "planned", "cut"}
    _chain_holds(app)
    with app.app_context():
        db.session.execute(update(Tranche).where(Tranche.id == first.id).values(paid_fen=300_000))
        db.session.commit()
        result = verify_records(db.session)
        assert not result.ok and result.table == "project_tranches" and result.row_id == first.id


# Evaluations -------------------------------------------------------------------------------------

def _sheet(points, reason="依据报告评分。", action="submit"):
    keys = ["basis", "governance", "service", "finance", "relations", "outcomes"]
    data = {f"score_{k}": p for k, p in zip(keys, points, strict=True)}
    data.update({f"reason_{k}": reason for k in keys})
    data["action"] = action
    return data


def test_an_evaluation_by_organizers_and_invited_evaluators_with_conflicts(app, world):
    project_id = world.projects[0]
    under_way(app, project_id)
    pay_first_tranche(app, project_id)
    organizer = _client(app, "organizer@example.org")
    opened = organizer.submit(f"/projects/{project_id}/evaluations", {"stage": "midterm"}, headers=EN)
    assert opened.status_code == 302
    assert _project(app, project_id).evaluations == [], "the mid-term report is not accepted yet"
    filed_report(app, project_id, "midterm")
    organizer.submit(f"/projects/{project_id}/evaluations", {"stage": "midterm"})
    evaluation_id = _project(app, project_id).evaluations[0].id
    base = f"/projects/{project_id}/evaluations/{evaluation_id}"
    with app.app_context():
        from venture.bodies.models import PoolExpert

        experts = {e.user.email: e.id for e in db.session.scalars(select(PoolExpert))}
        db.session.get(PoolExpert, experts["r1@example.org"]).affiliations = [
            {"name": "互助队0", "credit_code": "", "relation": "board"}]
        db.session.commit()
    for email in ("r0@example.org", "r1@example.org", "r2@example.org"):
        assert organizer.submit(f"{base}/evaluators", {"expert": str(experts[email]), "organisation": "评估中心"}
                                ).status_code == 302
    invitation = outbox(app, "r0@example.org")[-1]
    assert "/evaluations/" in invitation.body_text and "互助队0" in invitation.body_text
    with app.app_context():
        rows = {e.user.email: e for e in db.session.scalars(select(Evaluator).order_by(Evaluator.id))}
        ids = {email: e.id for email, e in rows.items()}
        assert rows["r1@example.org"].conflict_source == "affiliation", "a tie found from the profile"
        assert rows["r0@example.org"].conflict_source is None
    r0, r1, r2 = (_client(app, f"r{j}@example.org") for j in range(3))
    assert r0.get(f"/evaluations/{ids['r1@example.org']}").status_code == 403
    for client, email in ((r0, "r0@example.org"), (r1, "r1@example.org"), (r2, "r2@example.org")):
        assert client.submit(f"/evaluations/{ids[email]}/respond", {"answer": "accept"}).status_code == 302
    assert r0.submit(f"/evaluations/{ids['r0@example.org']}/sheet", _sheet(EXCELLENT)).status_code == 403, \
        "no score before the declaration"
    assert r0.submit(f"/evaluations/{ids['r0@example.org']}/declare", {"tie": "no"}).status_code == 302
    no_reason = r2.submit(f"/evaluations/{ids['r2@example.org']}/declare", {"tie": "yes"}, headers=EN)
    assert no_reason.status_code == 422
    assert r2.submit(f"/evaluations/{ids['r2@example.org']}/declare",
                     {"tie": "yes", "reason": "我曾为该队做志愿培训"}).status_code == 302
    assert r1.submit(f"/evaluations/{ids['r1@example.org']}/declare", {"tie": "no"}).status_code == 302
    for client, email in ((r1, "r1@example.org"), (r2, "r2@example.org")):
        assert client.submit(f"/evaluations/{ids[email]}/sheet", _sheet(FAILING)).status_code == 403, email
    receipt_id = None
    with app.app_context():
        receipt_id = db.session.scalar(select(ReportFile.id).where(ReportFile.purpose == "receipt"))
    assert r0.get(f"/project-files/{receipt_id}").status_code == 200, "an evaluator who scores reads the receipts"
    assert r2.get(f"/project-files/{receipt_id}").status_code == 403, "a conflicted one does not"

    sheet_url = f"/evaluations/{ids['r0@example.org']}/sheet"
    too_many = r0.submit(sheet_url, _sheet(("11",) + EXCELLENT[1:]), headers=EN)
    assert too_many.status_code == 422 and "give from 0 to 10 points" in too_many.get_data(as_text=True)
    no_reason = r0.submit(sheet_url, _sheet(EXCELLENT, reason=""), headers=EN)
    assert no_reason.status_code == 422 and "give the reason for the points" in no_reason.get_data(as_text=True)
    assert r0.submit(sheet_url, _sheet(EXCELLENT)).status_code == 302
    # The organizer scores too; the mean of the two sheets counts.
    mine = organizer.submit(f"{base}/score-myself", {})
    assert mine.status_code == 302
    organizer_evaluator = int(mine.location.rsplit("/", 1)[1])
    organizer.submit(f"/evaluations/{organizer_evaluator}/declare", {"tie": "no"})
    assert organizer.submit(f"/evaluations/{organizer_evaluator}/sheet", _sheet(PASSING)).status_code == 302

    early = organizer.submit(f"{base}/finalise", {}, headers=EN)
    assert early.status_code == 422 and "satisfaction" in early.get_data(as_text=True)
    assert organizer.submit(f"{base}/satisfaction", {"value": "80", "note": "问卷 50 份，40 份满意。"}).status_code == 302
    # r1 and r2 are conflicted: nobody is outstanding, so no confirmation is needed.
    assert organizer.submit(f"{base}/finalise", {}).status_code == 302
    with app.app_context():
        evaluation = db.session.get(Evaluation, evaluation_id)
        # Means: (9.5+7)/2 + (9+7)/2 + (19+14)/2 + (14+10)/2 + (9+7)/2 + (23+17)/2 = 72.75; + 8 satisfaction.
        assert evaluation.score == Decimal("80.75") and evaluation.band.value == "pass"
        assert len(evaluation.content["sheets"]) == 2
    result = _client(app, "owner0@example.org").get(base, headers=EN).get_data(as_text=True)
    assert "80.75 points: Pass" in result and "Evaluator A" in result and "r0@example.org" not in result
    assert "80.75" in outbox(app, "owner0@example.org")[-1].subject
    with app.app_context():
        assert services.condition_met(db.session.get(Project, project_id).tranches[1]), "mid-term passed"
    assert r0.submit(sheet_url, _sheet(FAILING)).status_code == 403, "finalised: nothing changes"
    _chain_holds(app)
    with app.app_context():
        db.session.execute(update(Evaluation).where(Evaluation.id == evaluation_id).values(score=Decimal("90.75")))
        db.session.commit()
        broken = verify_records(db.session)
        assert not broken.ok and broken.table == "project_evaluations"


def test_finalising_with_sheets_missing_needs_confirmation(app, world):
    project_id = world.projects[0]
    under_way(app, project_id)
    filed_report(app, project_id, "midterm")
    organizer = _client(app, "organizer@example.org")
    organizer.submit(f"/projects/{project_id}/evaluations", {"stage": "midterm"})
    evaluation_id = _project(app, project_id).evaluations[0].id
    base = f"/projects/{project_id}/evaluations/{evaluation_id}"
    with app.app_context():
        from venture.bodies.models import PoolExpert

        expert = db.session.scalar(select(PoolExpert).where(PoolExpert.user.has(email="r0@example.org")))
    organizer.submit(f"{base}/evaluators", {"expert": str(expert.id)})
    mine = int(organizer.submit(f"{base}/score-myself", {}).location.rsplit("/", 1)[1])
    organizer.submit(f"/evaluations/{mine}/declare", {"tie": "no"})
    organizer.submit(f"/evaluations/{mine}/sheet", _sheet(EXCELLENT))
    organizer.submit(f"{base}/satisfaction", {"value": "90", "note": "问卷 40 份。"})
    waiting = organizer.submit(f"{base}/finalise", {}, headers=EN)
    assert waiting.status_code == 422 and "1 evaluator has not submitted a sheet" in waiting.get_data(as_text=True)
    assert organizer.submit(f"{base}/finalise", {"confirm_incomplete": "y"}).status_code == 302
    with app.app_context():
        evaluation = db.session.get(Evaluation, evaluation_id)
        assert (evaluation.score, evaluation.band.value) == (Decimal("92.50"), "excellent")
    assert "优秀" in outbox(app, "owner0@example.org")[-1].body_text


# A fail and the two-year bar ------------------------------------------------------------------------

def test_a_failed_evaluation_cuts_the_tranches_bars_the_group_and_tells_why(app, world):
    project_id = world.projects[0]
    under_way(app, project_id)
    pay_first_tranche(app, project_id)
    filed_report(app, project_id, "midterm")
    evaluated(app, project_id, FAILING)
    project = _project(app, project_id)
    assert project.stage is ProjectStage.FAILED
    assert [t.status for t in project.tranches] == [TrancheStatus.PAID, TrancheStatus.CUT, TrancheStatus.CUT]
    assert all(t.evaluation_id == project.evaluations[0].id for t in project.tranches[1:])
    assert project.remaining_fen == 0 and project.paid_fen == 300_000
    with app.app_context():
        bar = db.session.scalar(select(ParticipationBar))
        assert bar.group_id == world.results.groups[0] and bar.body_id == world.body
        from venture.projects.rules import bar_ends_at

        assert bar.ends_at == bar_ends_at(project.evaluations[0].finalised_at, "Asia/Shanghai")
        last_day = bar.last_day
    mail = outbox(app, "owner0@example.org")[-1]
    assert "46.00" in mail.subject
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("zh_CN"):
        from venture.web import format_day

        assert format_day(last_day) in mail.body_text, "the group is told until when"

    owner = _client(app, "owner0@example.org")
    dashboard = owner.get("/my/projects", headers=EN).get_data(as_text=True)
    assert "may not apply to the calls of this organizer" in dashboard
    overview = owner.get(f"/projects/{project_id}/overview", headers=EN).get_data(as_text=True)
    assert "Cut because the mid-term evaluation scored 46.00 points" in overview

    # The group may not start nor submit a proposal to this body's calls; another body's calls are open to it.
    open_call = make_call(app, world.body, Phase.OPEN, title="2027 新一期")
    refused = owner.submit(f"/calls/{open_call}/apply", {"group": world.results.groups[0]}, headers=EN)
    assert refused.status_code == 302 and f"/calls/{open_call}" == refused.location
    assert "may not apply to this organizer" in owner.get(f"/calls/{open_call}", headers=EN).get_data(as_text=True)
    with app.app_context():
        from venture.proposals.models import Proposal

        assert db.session.scalar(select(Proposal).where(Proposal.call_id == open_call)) is None
    from tests.builders import make_body

    elsewhere = make_call(app, make_body(app, "other_organizer@example.org", name="Third body"), Phase.OPEN)
    assert owner.submit(f"/calls/{elsewhere}/apply", {"group": world.results.groups[0]}).location.startswith(
        "/proposals/")

    # Lifting needs a reason, and is audited; then the group may apply again.
    organizer = _client(app, "organizer@example.org")
    with app.app_context():
        bar_id = db.session.scalar(select(ParticipationBar.id))
    assert _client(app, "other_organizer@example.org").submit(f"/bars/{bar_id}/lift",
                                                               {"reason": "复议后撤销"}).status_code == 403
    organizer.submit(f"/bars/{bar_id}/lift", {"reason": ""})
    with app.app_context():
        assert db.session.get(ParticipationBar, bar_id).lifted_at is None
    assert organizer.submit(f"/bars/{bar_id}/lift", {"reason": "复议：评估材料有误，撤销禁入。"}).status_code == 302
    assert _events(app, "bar.lifted")[0].data["reason_sha256"]
    assert owner.submit(f"/calls/{open_call}/apply", {"group": world.results.groups[0]}).location.startswith(
        "/proposals/")
    _chain_holds(app)


def test_the_bar_holds_until_the_start_of_the_same_day_two_years_on(app, world):
    """At the boundary, through the services with the clock as an argument: refused a microsecond before the
    bar ends (00:00 in Shanghai), allowed at that instant; the same for submitting."""
    from venture.core.errors import DomainError
    from venture.groups.models import Group
    from venture.proposals import services as proposals

    project_id = world.projects[0]
    under_way(app, project_id)
    filed_report(app, project_id, "midterm")
    evaluated(app, project_id, FAILING)
    with app.app_context():
        bar = db.session.scalar(select(ParticipationBar))
        ends = bar.ends_at
        assert ends.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).hour == 0
    call_id = make_call(app, world.body, Phase.OPEN, closes_at=ends + timedelta(days=30))
    with app.test_request_context():
        call, group = db.session.get(Call, call_id), db.session.get(Group, world.results.groups[0])
        owner = user("owner0@example.org")
        with pytest.raises(DomainError, match="不得申报"):
            proposals.start_proposal(db.session, owner, call, group, now=ends - timedelta(microseconds=1))
        proposal = proposals.start_proposal(db.session, owner, call, group, now=ends)
        assert proposal.id
        db.session.rollback()
    # A draft started before the bar cannot be submitted while it holds.
    with app.test_request_context():
        call, group = db.session.get(Call, call_id), db.session.get(Group, world.results.groups[1])
        other = user("owner1@example.org")
        draft = proposals.start_proposal(db.session, other, call, group)
        db.session.add(ParticipationBar(group_id=group.id, body_id=world.body, starts_at=utcnow(),
                                        ends_at=utcnow() + timedelta(days=1)))
        db.session.flush()
        from tests.builders import pdf_bytes as pdf
        from venture.proposals.services import BudgetLine, DraftContent

        proposals.save_draft(db.session, other, draft, DraftContent(
            title="t", summary="s", sections={s["key"]: "x" for s in call.sections},
            budget=[BudgetLine("x", 300_000, Decimal(1))], beneficiaries=3, district="天河区", theme="长者关爱"),
            draft.lock_version)
        proposals.add_attachment(db.session, other, draft, "a1", "b.pdf", pdf())
        with pytest.raises(DomainError, match="不得申报"):
            proposals.submit(db.session, other, draft, confirmed_warnings=True)
        db.session.rollback()


def test_screening_shows_the_bar_as_a_failed_check(app, world):
    from tests.review_builders import make_submitted_proposal

    project_id = world.projects[0]
    under_way(app, project_id)
    filed_report(app, project_id, "midterm")
    evaluated(app, project_id, FAILING)
    closed = make_call(app, world.body, Phase.CLOSED, title="已截止的征集")
    make_submitted_proposal(app, closed, world.results.groups[0], title="被禁入的申报")
    make_submitted_proposal(app, closed, world.results.groups[2], title="正常的申报")
    page = _client(app, "organizer@example.org").get(f"/calls/{closed}/screening", headers=EN).get_data(as_text=True)
    assert page.count("Not barred by a failed evaluation") >= 2, "in the table and by the decision form"
    assert "barred until" in page
    assert page.count("does not meet:</span> Not barred") >= 1


# Reminders, dashboards and exports ------------------------------------------------------------------

def test_reminders_before_and_after_the_due_date_once_each(app, world):
    project_id = world.projects[0]
    under_way(app, project_id)
    project = _project(app, project_id)
    today = services.local_today(project)
    midterm = milestone_of(project, "midterm")
    with app.app_context():
        db.session.execute(update(Milestone).where(Milestone.id == midterm.id).values(due_on=today + timedelta(days=3)))
        db.session.commit()
    runner = app.test_cli_runner()
    assert "1 report reminders" in runner.invoke(args=["calls", "tick"]).output
    assert "0 report reminders" in runner.invoke(args=["calls", "tick"]).output, "once"
    due = outbox(app, "owner0@example.org")[-1]
    assert midterm.title in due.body_text and f"/reports/{midterm.id}" in due.body_text
    with app.app_context():
        db.session.execute(update(Milestone).where(Milestone.id == midterm.id).values(due_on=today - timedelta(days=1)))
        db.session.commit()
    assert "1 report reminders" in runner.invoke(args=["calls", "tick"]).output
    assert "0 report reminders" in runner.invoke(args=["calls", "tick"]).output
    overdue = outbox(app, "owner0@example.org")[-1]
    assert overdue.id != due.id and overdue.subject != due.subject
    page = _client(app, "organizer@example.org").get(f"/calls/{world.call}/projects", headers=EN)
    assert "1 overdue" in page.get_data(as_text=True)
    assert [e.data["kind"] for e in _events(app, "report.reminded")] == ["before", "overdue"]


def test_the_dashboards_say_what_is_due_and_what_waits(app, world):
    under_way(app, world.projects[0])
    filed_report(app, world.projects[0], "midterm", accept=False)
    owner = _client(app, "owner0@example.org")
    mine = owner.get("/my/projects", headers=EN).get_data(as_text=True)
    assert "项目0" in mine and "项目1" not in mine and "With the organizers" in mine
    assert "Agreement not issued yet" in _client(app, "owner1@example.org").get(
        "/my/projects", headers=EN).get_data(as_text=True)
    organizer = _client(app, "organizer@example.org")
    page = organizer.get(f"/calls/{world.call}/projects", headers=EN).get_data(as_text=True)
    assert "1 report to review" in page and "1 tranche to release" in page and "Issue the agreement" in page
    assert _client(app, "owner0@example.org").get(f"/calls/{world.call}/projects").status_code == 403
    assert _client(app, "other_organizer@example.org").get(f"/calls/{world.call}/projects").status_code == 403


def test_exports_for_organizers_keep_text_as_text(app, world):
    with app.app_context():
        db.session.execute(update(Project).where(Project.id == world.projects[0]).values(title="=HYPERLINK(\"x\")"))
        db.session.commit()
    organizer = _client(app, "organizer@example.org")
    response = organizer.get(f"/calls/{world.call}/projects.csv", headers=EN)
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Number", "Project", "Group"] and len(rows) == 3
    assert rows[1][1] == "'=HYPERLINK(\"x\")" and rows[1][6] == "10000.00"
    xlsx = organizer.get(f"/calls/{world.call}/projects.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["B2"].value == "=HYPERLINK(\"x\")" and sheet["B2"].data_type == "s"
    assert _client(app, "owner0@example.org").get(f"/calls/{world.call}/projects.csv").status_code == 403


# Open data ----------------------------------------------------------------------------------------

def test_the_api_shows_only_settled_things_and_matches_its_document(app, world, client):
    import schemathesis

    project_id = world.projects[0]
    before = client.get(f"/api/v1/projects/{project_id}").get_json()
    assert before["agreement"] is None and before["milestones"] == [] and before["evaluations"] == []
    assert before["tranches"]["remaining_fen"] == 1_000_000
    under_way(app, project_id)
    pay_first_tranche(app, project_id)
    filed_report(app, project_id, "midterm")
    with app.test_request_context():
        project = db.session.get(Project, project_id)
        services.move_tranche(db.session, user("organizer@example.org"), project.tranches[1],
                              TrancheStatus.WITHHELD, reason="内部原因，不公开")
        db.session.commit()
    data = client.get(f"/api/v1/projects/{project_id}").get_json()
    assert data["agreement"]["fingerprint"] and data["agreement"]["budget"][0] == {"item": "食材", "amount_fen": 600_000}
    assert [t["status"] for t in data["tranches"]["items"]] == ["paid", "planned", "planned"], "withheld is not public"
    assert "内部原因" not in str(data)
    assert data["tranches"]["paid_fen"] == 300_000 and data["tranches"]["remaining_fen"] == 700_000
    assert [m["status"] for m in data["milestones"]] == ["accepted", "pending"]
    assert "仅供" not in str(data) and "receipt" not in str(data)
    listing = client.get("/api/v1/projects").get_json()
    assert listing["count"] == 2
    document = client.get("/api/v1/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(document)
    for operation in (result.ok() for result in schema.get_all_operations()):
        if operation.path == "/api/v1/projects/{project_id}":
            case = operation.Case(path_parameters={"project_id": project_id})
        elif operation.path == "/api/v1/projects":
            case = operation.Case()
        else:
            continue
        case.validate_response(case.call(app=app))
    assert client.get("/api/v1/projects/999999").status_code == 404
    assert client.get("/api/v1/projects/abc").status_code == 404


def test_the_api_shows_finalised_evaluations(app, world, client):
    project_id = world.projects[1]
    under_way(app, project_id)
    filed_report(app, project_id, "midterm")
    evaluated(app, project_id, EXCELLENT)
    data = client.get(f"/api/v1/projects/{project_id}").get_json()
    (evaluation,) = data["evaluations"]
    assert (evaluation["stage"], evaluation["score"], evaluation["band"]) == ("midterm", "92.50", "excellent")
    assert evaluation["satisfaction"] == {"weight": 10, "value": "90.00", "points": "9.00"}
    assert len(evaluation["dimensions"]) == 6


# Audit --------------------------------------------------------------------------------------------

def test_audit_verify_names_a_changed_agreement_bar_or_report(app, world):
    project_id = world.projects[0]
    under_way(app, project_id)
    filed_report(app, project_id, "midterm")
    evaluated(app, project_id, FAILING)
    _chain_holds(app)
    from venture.projects.models import Agreement, ReportVersion

    changes = [
        (Agreement, {"content": {"tampered": True}}, "project_agreements"),
        (ParticipationBar, {"ends_at": utcnow() + timedelta(days=30)}, "participation_bars"),
        (ReportVersion, {"submitted_at": utcnow() - timedelta(days=400)}, "project_report_versions"),
        (Project, {"approved_fen": 2_000_000}, "projects"),
        (Milestone, {"status": ReportStatus.DUE, "accepted_at": None}, "project_milestones"),
    ]
    for model, values, table in changes:
        with app.app_context():
            row = db.session.scalar(select(model).order_by(model.id))
            original = {name: getattr(row, name) for name in values}
            db.session.execute(update(model).where(model.id == row.id).values(**values))
            db.session.commit()
            result = verify_records(db.session)
            assert not result.ok and result.table == table, (table, str(result))
            db.session.execute(update(model).where(model.id == row.id).values(**original))
            db.session.commit()
    _chain_holds(app)
    # A row the chain vouches for that is deleted is named as missing.
    with app.app_context():
        db.session.execute(ParticipationBar.__table__.delete())
        db.session.commit()
        result = verify_records(db.session)
        assert not result.ok and result.table == "participation_bars" and result.problems[0].missing and "bar 1" in result.what


def test_audit_verify_rehashes_report_files_and_names_missing_ones(app, world):
    project_id = world.projects[0]
    under_way(app, project_id)
    filed_report(app, project_id, "midterm")
    _chain_holds(app)
    with app.app_context():
        row = db.session.scalar(select(ReportFile).order_by(ReportFile.id))
        file_id, stored, digest = row.id, row.stored_name, row.sha256
        path = storage.path_of(stored)
    original = path.read_bytes()
    path.write_bytes(original + b"%% edited")
    with app.app_context():
        result = verify_records(db.session)
        assert not result.ok and result.table == "project_report_files" and result.row_id == file_id
        assert "bytes were changed" in result.what
    path.write_bytes(original)
    with app.app_context():
        db.session.execute(update(ReportFile).where(ReportFile.id == file_id).values(sha256="0" * 64))
        db.session.commit()
        result = verify_records(db.session)
        assert not result.ok and result.table == "project_report_files" and "differs from audit entry" in result.what
        db.session.execute(update(ReportFile).where(ReportFile.id == file_id).values(sha256=digest))
        db.session.commit()
    _chain_holds(app)
    with app.app_context():
        db.session.execute(ReportFile.__table__.delete().where(ReportFile.id == file_id))
        db.session.commit()
        result = verify_records(db.session)
        assert not result.ok and result.problems[0].missing and f"report file {file_id} of milestone" in result.what


def test_a_backup_carries_report_files_and_names_a_missing_one(app, world, tmp_path):
    import json

    project_id = world.projects[0]
    under_way(app, project_id)
    filed_report(app, project_id, "midterm")
    with app.app_context():
        stored = db.session.scalars(select(ReportFile.stored_name).order_by(ReportFile.id)).all()
    assert stored
    made = app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "one")])
    assert made.exit_code == 0, made.output
    manifest = json.loads((tmp_path / "one" / "manifest.json").read_text())
    copied = {name.rsplit("/", 1)[-1] for name in manifest["files"] if name.startswith("uploads/")}
    assert set(stored) <= copied and manifest["missing_uploads"] == []
    with app.app_context():
        storage.path_of(stored[0]).unlink()
    made = app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "two")])
    manifest = json.loads((tmp_path / "two" / "manifest.json").read_text())
    assert manifest["missing_uploads"] == [stored[0]] and "report files" in made.output


# The demo -------------------------------------------------------------------------------------------

def test_the_demo_has_projects_at_three_stages_and_refuses_the_barred_group(app):
    from venture import demo

    with app.test_request_context():
        assert demo.load(db.session)
        db.session.commit()
    with app.app_context():
        projects = db.session.scalars(select(Project).order_by(Project.result_rank)).all()
        assert [p.stage for p in projects] == [ProjectStage.UNDER_WAY, ProjectStage.UNDER_WAY, ProjectStage.FAILED]
        excellent, fresh, failed = projects
        assert [(e.stage.value, e.band.value) for e in excellent.evaluations] == [("midterm", "excellent")]
        assert [t.status for t in excellent.tranches] == [TrancheStatus.PAID, TrancheStatus.PAID, TrancheStatus.PLANNED]
        assert fresh.agreement.accepted_at is not None and fresh.tranches[0].status is TrancheStatus.PAID
        assert [t.status for t in failed.tranches] == [TrancheStatus.PAID, TrancheStatus.CUT, TrancheStatus.CUT]
        assert [e.band.value for e in failed.evaluations] == ["fail"]
        bar = db.session.scalar(select(ParticipationBar))
        assert bar.group_id == failed.group_id and bar.is_active(utcnow())
        owner_email = failed.group.owners[0].email
        group_id = failed.group_id
        open_call = db.session.scalar(select(Call.id).where(Call.phase == Phase.OPEN, Call.allow_grassroots.is_(False)))
        assert verify(db.session).ok and verify_records(db.session).ok
    client = Client(app, app.response_class, use_cookies=True)
    login(client, owner_email, demo.PASSWORD)
    refused = client.submit(f"/calls/{open_call}/apply", {"group": group_id}, headers=EN)
    assert refused.status_code == 302 and refused.location == f"/calls/{open_call}"
    page = client.get(refused.location, headers=EN).get_data(as_text=True)
    assert "may not apply to this organizer" in page and "failed its mid-term evaluation" in page
    assert "may not apply" in client.get("/my/projects", headers=EN).get_data(as_text=True)


def test_the_organizers_list_does_not_grow_with_projects(app, world):
    """Statements for the per-call list and the group's list, with two projects and with six."""
    from tests.conftest import count_statements

    organizer = _client(app, "organizer@example.org")
    owner = _client(app, "owner0@example.org")
    under_way(app, world.projects[0])
    pages = {"organizer": (organizer, f"/calls/{world.call}/projects"), "group": (owner, "/my/projects")}
    few = {name: count_statements(app, client, path) for name, (client, path) in pages.items()}
    with app.app_context():
        from venture.proposals.models import Proposal

        template = db.session.get(Project, world.projects[0])
        for index in range(4):
            # Each copy stands on a proposal of its own (one project per proposal), in owner0's group's list.
            proposal = Proposal(call_id=template.call_id, group_id=_extra_group(app, index), status="draft")
            db.session.add(proposal)
            db.session.flush()
            copy = Project(call_id=template.call_id, proposal_id=proposal.id, group_id=template.group_id,
                           number=f"COPY-{index}", title=f"副本{index}", approved_fen=template.approved_fen,
                           budget=template.budget, promised=template.promised, stage=ProjectStage.UNDER_WAY,
                           timezone=template.timezone, starts_on=template.starts_on, ends_on=template.ends_on)
            for tranche in template.tranches:
                copy.tranches.append(Tranche(position=tranche.position, label=tranche.label,
                                             condition=tranche.condition, planned_fen=tranche.planned_fen))
            for milestone in template.milestones:
                copy.milestones.append(Milestone(position=milestone.position, key=milestone.key,
                                                 title=milestone.title, kind=milestone.kind, due_on=milestone.due_on))
            db.session.add(copy)
        db.session.commit()
    many = {name: count_statements(app, client, path) for name, (client, path) in pages.items()}
    assert organizer.get(f"/calls/{world.call}/projects").get_data(as_text=True).count("副本") == 4
    assert many == few, (few, many)


def _extra_group(app, index):
    from venture.groups.models import Group, GroupKind

    group = Group(kind=GroupKind.GRASSROOTS, name=f"额外的队{index}", filed_with="居委会", contact_name="x",
                  contact_phone="1", contact_email="x@example.org")
    db.session.add(group)
    db.session.flush()
    return group.id
