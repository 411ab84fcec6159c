"""Builders for funded projects: a call whose final result is published
through the results services (so every project, tranche and audit entry is
what the application makes), and the steps a project goes through."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select

from tests.results_builders import World
from venture.accounts.models import User
from venture.calls.models import Call
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.projects import evaluation as evaluations
from venture.projects import services
from venture.projects.models import EvaluationStage, Milestone, Project, TrancheStatus
from venture.results import services as results


@dataclass
class ProjectWorld:
    results: World
    projects: list[int] = field(default_factory=list)

    @property
    def call(self) -> int:
        return self.results.call

    @property
    def body(self) -> int:
        return self.results.body


def user(email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None, email
    return found


def two_line_proposal(app: Flask, call_id: int, group_id: int, title: str) -> int:
    """A submitted, eligible proposal asking 10,000 yuan on two budget lines
    (食材 6,000 and 场地 4,000), its version audited as the proposals service does."""
    import hashlib

    from tests.builders import pdf_bytes
    from venture.audit import services as audit
    from venture.proposals import storage
    from venture.proposals.models import Attachment, Proposal, ProposalStatus, ProposalVersion, Screening
    from venture.proposals.services import fingerprint, snapshot

    with app.test_request_context():
        call = db.session.get(Call, call_id)
        now = utcnow()
        budget = [{"item": "食材", "unit_cost_fen": 600_000, "quantity": "1"},
                  {"item": "场地", "unit_cost_fen": 400_000, "quantity": "1"}]
        number = f"2026-{call.kind.code}-P{call_id:02d}{group_id:03d}"
        proposal = Proposal(call_id=call_id, group_id=group_id, status=ProposalStatus.SUBMITTED, number=number,
                            title=title, summary=f"{title}：为社区长者服务。",
                            sections={sec["key"]: f"{title}的{sec['title']}。" for sec in call.sections},
                            budget=budget, requested_fen=1_000_000, beneficiaries=40, district="天河区",
                            theme="长者关爱", submitted_at=now, version_count=1, screening=Screening.ELIGIBLE)
        db.session.add(proposal)
        db.session.flush()
        data = pdf_bytes()
        attachment = Attachment(proposal_id=proposal.id, slot="a1", filename="预算表.pdf",
                                stored_name=storage.store(data), kind="pdf", size=len(data),
                                sha256=hashlib.sha256(data).hexdigest())
        db.session.add(attachment)
        db.session.flush()
        audit.record(db.session, None, "proposal.attachment_added", proposal, attachment=attachment.id,
                     sha256=attachment.sha256, size=attachment.size)
        db.session.refresh(proposal)
        content = snapshot(proposal)
        version = ProposalVersion(proposal_id=proposal.id, version_no=1, number=number, submitted_at=now,
                                  content=content, fingerprint=fingerprint(content))
        db.session.add(version)
        db.session.flush()
        audit.record(db.session, None, "proposal.submitted", proposal, number=number, version=1,
                     fingerprint=version.fingerprint, submitted_at=now.isoformat(), **{"from": "draft"})
        audit.record(db.session, None, "proposal.screened", proposal, call=call_id, reversal=False,
                     reason_sha256=hashlib.sha256(b"").hexdigest(),
                     **{"from": Screening.PENDING.value, "to": Screening.ELIGIBLE.value})
        db.session.commit()
        return proposal.id


def make_project_world(app: Flask, published_days_ago: int = 10, **call_overrides: Any) -> ProjectWorld:
    """organizer@ organizes a call with three proposals of 10,000 yuan (owner0@ to
    owner2@, groups 互助队0 to 2, two budget lines each) reviewed by r0@ to r2@
    as in ``results_builders.TABLE`` (84.00, 64.00, 35.33), its result published
    ``published_days_ago``: projects for 项目0 (rank 1) and 项目1 (rank 2)."""
    from tests.builders import make_body, make_call, make_group
    from tests.conftest import make_user
    from tests.results_builders import TABLE, submit_review
    from tests.review_builders import add_member, assign, make_expert
    from venture.calls.models import Phase

    for email in ["organizer@example.org", "other_organizer@example.org", "resident@example.org",
                  *(f"r{j}@example.org" for j in range(3)), *(f"owner{i}@example.org" for i in range(3))]:
        make_user(app, email)
    body = make_body(app, "organizer@example.org")
    make_body(app, "other_organizer@example.org", name="Other body")
    settings: dict[str, Any] = {"total_budget_fen": 2_500_000, "max_grant_fen": 1_000_000, "min_grant_fen": 200_000}
    settings.update(call_overrides)
    call_id = make_call(app, body, Phase.CLOSED, title="2026 项目测试", **settings)
    groups = [make_group(app, f"owner{i}@example.org", name=f"互助队{i}") for i in range(3)]
    proposals = [two_line_proposal(app, call_id, group, f"项目{i}") for i, group in enumerate(groups)]
    members = [add_member(app, call_id, make_expert(app, body, f"r{j}@example.org")) for j in range(3)]
    assignments = {(i, j): assign(app, p, m) for i, p in enumerate(proposals) for j, m in enumerate(members)}
    with app.app_context():
        db.session.get(Call, call_id).phase = Phase.REVIEW
        db.session.commit()
    for i, rows in TABLE.items():
        for j, scores in enumerate(rows):
            submit_review(app, assignments[(i, j)], *scores)
    world = World(body=body, call=call_id, proposals=proposals, groups=groups, members=members,
                  assignments=assignments)
    with app.test_request_context():
        call = db.session.get(Call, call_id)
        organizer = user("organizer@example.org")
        opened = utcnow() - timedelta(days=published_days_ago + call.notice_days + 1)
        results.open_notice(db.session, organizer, call, now=opened)
        results.finalise(db.session, organizer, call, {}, now=call.notice_ends_at + timedelta(hours=1))
        db.session.commit()
        ids = list(db.session.scalars(select(Project.id).where(Project.call_id == call.id)
                                      .order_by(Project.result_rank)))
    return ProjectWorld(results=world, projects=ids)


def under_way(app: Flask, project_id: int, starts_on: date | None = None, owner: str | None = None) -> None:
    """The organizer issues the agreement and the group's owner accepts it."""
    with app.test_request_context():
        project = db.session.get(Project, project_id)
        start = starts_on or services.local_today(project)
        services.issue_agreement(db.session, user("organizer@example.org"), project, start)
        owner_email = owner or next(u.email for u in project.group.owners)
        services.accept_agreement(db.session, user(owner_email), project)
        db.session.commit()


def filed_report(app: Flask, project_id: int, kind: str = "midterm", accept: bool = True) -> int:
    """The group files the report of this kind (receipts included) and, if asked, the organizer accepts it."""
    from tests.builders import pdf_bytes
    from venture.projects.models import FilePurpose

    with app.test_request_context():
        project = db.session.get(Project, project_id)
        milestone = next(m for m in project.milestones if m.kind.value == kind)
        owner = project.group.owners[0]
        report = services.report_of(db.session, milestone)
        spending = {index: line["amount_fen"] // 3 for index, line in enumerate(project.budget)}
        services.save_report(db.session, owner, milestone, services.ReportContent(
            activities="开展了 12 次长者午餐活动。", activities_held=12, beneficiaries_served=38, team="两名社工，六名志愿者",
            spending=spending, private_note="场地费延迟报销"), report.lock_version)
        for index in spending:
            services.add_report_file(db.session, owner, milestone, FilePurpose.RECEIPT, f"发票{index}.pdf",
                                     pdf_bytes(author="会计 张三"), budget_line=index)
        services.submit_report(db.session, owner, milestone)
        if accept:
            services.review_report(db.session, user("organizer@example.org"), milestone, True)
        db.session.commit()
        return milestone.id


def evaluated(app: Flask, project_id: int, points: tuple[str, ...], stage: EvaluationStage = EvaluationStage.MIDTERM,
              satisfaction: str = "90") -> int:
    """The organizer opens the evaluation, scores every dimension with ``points`` (in rubric order, one sheet),
    enters the satisfaction and finalises it."""
    with app.test_request_context():
        project = db.session.get(Project, project_id)
        organizer = user("organizer@example.org")
        found = evaluations.open_evaluation(db.session, organizer, project, stage)
        evaluator = evaluations.add_organizer(db.session, organizer, found)
        evaluations.declare(db.session, organizer, evaluator, False)
        keys = [d["key"] for d in found.dimensions]
        evaluations.save_sheet(db.session, organizer, evaluator, dict(zip(keys, points, strict=True)),
                               {k: "依据中期报告与走访记录评分。" for k in keys}, submit=True)
        evaluations.set_satisfaction(db.session, organizer, found, Decimal(satisfaction), "问卷 40 份，36 份满意。")
        evaluations.finalise(db.session, organizer, found)
        db.session.commit()
        return found.id


def pay_first_tranche(app: Flask, project_id: int) -> None:
    with app.test_request_context():
        project = db.session.get(Project, project_id)
        organizer = user("organizer@example.org")
        tranche = project.tranches[0]
        services.move_tranche(db.session, organizer, tranche, TrancheStatus.RELEASED)
        services.move_tranche(db.session, organizer, tranche, TrancheStatus.PAID, paid_on=services.local_today(project),
                              reference="BANK-2026-0001")
        db.session.commit()


# Default rubric points (basis 10, governance 10, service 20, finance 15, relations 10, outcomes 25; satisfaction 10).
EXCELLENT = ("9.5", "9", "19", "14", "9", "23")  # 83.5 + 9 (90% satisfied) = 92.50
PASSING = ("7", "7", "14", "10", "7", "17")  # 62 + 9 = 71.00
FAILING = ("4", "4", "9", "6", "4", "10")  # 37 + 9 = 46.00


def milestone_of(project: Project, kind: str) -> Milestone:
    return next(m for m in project.milestones if m.kind.value == kind)


def publish_one(app: Flask, body_id: int, group_id: int, scorer_email: str, title: str = "2025 已结项的微民生项目") -> int:
    """A call of the body, published with one funded line (``group_id``'s
    proposal, scored by ``scorer_email``, who is made an expert for it).
    Returns the project's id."""
    from tests.conftest import make_user
    from tests.results_builders import submit_review
    from tests.builders import make_call
    from tests.review_builders import add_member, assign, make_expert
    from venture.calls.models import Phase

    if not _exists(app, scorer_email):
        make_user(app, scorer_email)
    call_id = make_call(app, body_id, Phase.CLOSED, title=title, reviewers_per_proposal=1)
    proposal = two_line_proposal(app, call_id, group_id, "长者午餐")
    member = add_member(app, call_id, make_expert(app, body_id, scorer_email))
    assignment = assign(app, proposal, member)
    with app.app_context():
        db.session.get(Call, call_id).phase = Phase.REVIEW
        db.session.commit()
    submit_review(app, assignment, 9, 9)
    with app.test_request_context():
        call = db.session.get(Call, call_id)
        organizer = db.session.get(User, call.body.organizers[0].user_id)
        opened = utcnow() - timedelta(days=20)
        results.open_notice(db.session, organizer, call, now=opened)
        results.finalise(db.session, organizer, call, {}, now=call.notice_ends_at + timedelta(hours=1))
        db.session.commit()
        return db.session.scalar(select(Project.id).where(Project.call_id == call_id))


def _exists(app: Flask, email: str) -> bool:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email)) is not None


def walk_project(app: Flask, body_id: int, group_id: int, owner_email: str, organizer_email: str,
                 evaluator_email: str) -> dict[str, int]:
    """A project under way with every kind of row a route can name: its
    mid-term report accepted and its evaluation open with ``evaluator_email``
    (a pool expert) invited, accepted and declared; its final report
    submitted with a receipt, waiting for review; a budget change waiting; a
    tranche. Ids are named as route arguments."""
    from tests.builders import pdf_bytes
    from venture.bodies.models import PoolExpert
    from venture.projects.models import FilePurpose

    project_id = publish_one(app, body_id, group_id, "scorer@example.org")
    under_way(app, project_id, owner=owner_email)
    filed_report(app, project_id, "midterm", accept=True)
    with app.test_request_context():
        project = db.session.get(Project, project_id)
        organizer, owner, expert_user = user(organizer_email), user(owner_email), user(evaluator_email)
        final = milestone_of(project, "final")
        report = services.report_of(db.session, final)
        services.save_report(db.session, owner, final, services.ReportContent(
            activities="结项活动", beneficiaries_served=40, spending={0: 100, 1: 0}), report.lock_version)
        receipt = services.add_report_file(db.session, owner, final, FilePurpose.RECEIPT, "票据.pdf", pdf_bytes(),
                                           budget_line=0)
        services.submit_report(db.session, owner, final)
        found = evaluations.open_evaluation(db.session, organizer, project, EvaluationStage.MIDTERM)
        expert = db.session.scalar(select(PoolExpert).where(PoolExpert.body_id == body_id,
                                                            PoolExpert.user_id == expert_user.id))
        invited = evaluations.invite_expert(db.session, organizer, found, expert, "第三方评估中心")
        evaluations.respond(db.session, expert_user, invited, True)
        evaluations.declare(db.session, expert_user, invited, False)
        change = services.request_budget_change(db.session, owner, project, 0, 1, project.budget[0]["amount_fen"] // 2,
                                                "场地免费，改作物资。")
        assert change.status.value == "pending"
        db.session.commit()
        ids = {"project_id": project.id, "milestone_id": final.id, "file_id": receipt.id, "change_id": change.id,
               "tranche_id": project.tranches[0].id, "evaluation_id": found.id, "evaluator_id": invited.id}
    return ids
