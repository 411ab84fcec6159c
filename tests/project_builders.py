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

from tests.results_builders import World, make_results_world, review_table
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


def make_project_world(app: Flask, published_days_ago: int = 10, **call_overrides: Any) -> ProjectWorld:
    """The results world (organizer@, owner0@ to owner2@, r0@ to r2@) with a
    budget for two projects, its result published ``published_days_ago``:
    projects for 项目0 (owner0@, rank 1) and 项目1 (owner1@, rank 2)."""
    settings: dict[str, Any] = {"total_budget_fen": 2_500_000}
    settings.update(call_overrides)
    world = make_results_world(app, **settings)
    review_table(app, world)
    with app.test_request_context():
        call = db.session.get(Call, world.call)
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
