"""Funded projects' rows checked against the audit chain, for
``flask --app venture audit verify`` (called from ``venture.audit.records``).

Every row whose state matters to money or to a group's record is compared
with the last audited event about it: frozen plans, projects (amount and
budget), agreements (content and acceptance), tranches (state, amounts, date
and reference of payment), milestones (the report's state), submitted report
versions, budget changes, evaluators' submitted sheets, finalised
evaluations (score and band) and bars (their dates and lifting). A value
changed behind the application's back no longer matches, and the first such
row is named.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.audit.models import AuditEvent
from venture.projects import models as m
from venture.projects.plans import fingerprint as plan_fingerprint
from venture.projects.plans import plan_content
from venture.projects.services import fingerprint

Mismatch = Callable[[str, int | None, str], Exception]


def _events(session: Session, actions: Iterable[str]) -> dict[tuple[str, int | None], list[AuditEvent]]:
    found: dict[tuple[str, int | None], list[AuditEvent]] = {}
    for event in session.scalars(select(AuditEvent).where(AuditEvent.action.in_(list(actions)))
                                 .order_by(AuditEvent.seq)):
        found.setdefault((event.object_type, event.object_id), []).append(event)
    return found


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _same_moment(a: Any, b: Any) -> bool:
    first, second = _moment(a), _moment(b)
    return first is not None and second is not None and first == second


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except (InvalidOperation, ValueError):
        return None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def check_all(session: Session, mismatch: Mismatch) -> int:
    """Check every funded-project row; return how many were checked, or raise ``mismatch(table, id, what)``."""
    checks = (_plans, _projects, _agreements, _tranches, _milestones, _versions, _budget_changes, _sheets,
              _evaluations, _bars)
    return sum(check(session, mismatch) for check in checks)


def _plans(session: Session, mismatch: Mismatch) -> int:
    table = m.ProjectPlan.__tablename__
    events = _events(session, ["project_plan.frozen"])
    checked = 0
    for plan in session.scalars(select(m.ProjectPlan).where(m.ProjectPlan.frozen_at.is_not(None))
                                .order_by(m.ProjectPlan.id)):
        if plan_fingerprint(plan_content(plan)) != plan.fingerprint:
            raise mismatch(table, plan.id, "the plan (tranches, reports, rubric, threshold) does not match its "
                                           "fingerprint")
        history = events.get((table, plan.id), [])
        if not history or history[-1].data.get("fingerprint") != plan.fingerprint:
            raise mismatch(table, plan.id, "the frozen plan differs from its audited fingerprint")
        checked += 1
    return checked


def _projects(session: Session, mismatch: Mismatch) -> int:
    table = m.Project.__tablename__
    events = _events(session, ["project.created"])
    checked = 0
    for project in session.scalars(select(m.Project).order_by(m.Project.id)):
        history = events.get((table, project.id), [])
        if not history:
            raise mismatch(table, project.id, "no audited creation for this project")
        data = history[-1].data
        if data.get("approved_fen") != project.approved_fen or data.get("proposal") != project.proposal_id:
            raise mismatch(table, project.id, f"the approved amount differs from audit entry {history[-1].seq}")
        if data.get("budget_sha256") != fingerprint(project.budget):
            raise mismatch(table, project.id, f"the approved budget differs from audit entry {history[-1].seq}")
        checked += 1
    return checked


def _agreements(session: Session, mismatch: Mismatch) -> int:
    table = m.Agreement.__tablename__
    events = _events(session, ["agreement.issued", "agreement.accepted"])
    checked = 0
    for agreement in session.scalars(select(m.Agreement).order_by(m.Agreement.id)):
        if fingerprint(agreement.content) != agreement.fingerprint:
            raise mismatch(table, agreement.id, "the agreement's content does not match its fingerprint")
        history = events.get((table, agreement.id), [])
        issued = next((e for e in history if e.action == "agreement.issued"), None)
        if issued is None or issued.data.get("fingerprint") != agreement.fingerprint:
            raise mismatch(table, agreement.id, "the agreement differs from its audited issue")
        accepted = next((e for e in reversed(history) if e.action == "agreement.accepted"), None)
        if (accepted is None) != (agreement.accepted_at is None) or (
                accepted is not None and not _same_moment(accepted.data.get("accepted_at"), agreement.accepted_at)):
            raise mismatch(table, agreement.id, "the acceptance differs from the audit chain")
        checked += 1
    return checked


def _tranches(session: Session, mismatch: Mismatch) -> int:
    table = m.Tranche.__tablename__
    events = _events(session, ["tranche.planned", "tranche.moved"])
    checked = 0
    for tranche in session.scalars(select(m.Tranche).order_by(m.Tranche.id)):
        history = events.get((table, tranche.id), [])
        if not history:
            raise mismatch(table, tranche.id, "no audited plan for this tranche")
        last = history[-1]
        data = last.data
        if data.get("to") != tranche.status.value:
            raise mismatch(table, tranche.id, f"the state differs from audit entry {last.seq}")
        if data.get("planned_fen") != tranche.planned_fen:
            raise mismatch(table, tranche.id, f"the planned amount differs from audit entry {last.seq}")
        if last.action == "tranche.moved" and (data.get("paid_fen") != tranche.paid_fen
                                               or data.get("paid_on") != _day(tranche.paid_on)
                                               or data.get("reference") != tranche.payment_reference):
            raise mismatch(table, tranche.id, f"the payment differs from audit entry {last.seq}")
        if last.action == "tranche.planned" and tranche.paid_fen is not None:
            raise mismatch(table, tranche.id, "a payment without an audited move")
        checked += 1
    return checked


REPORT_ACTIONS = ["report.submitted", "report.accepted", "report.changes_requested"]


def _milestones(session: Session, mismatch: Mismatch) -> int:
    table = m.Milestone.__tablename__
    events = _events(session, REPORT_ACTIONS)
    checked = 0
    for milestone in session.scalars(select(m.Milestone).order_by(m.Milestone.id)):
        history = events.get((table, milestone.id), [])
        expected = history[-1].data.get("to") if history else m.ReportStatus.DUE.value
        if expected != milestone.status.value:
            raise mismatch(table, milestone.id, "the report's state differs from the audit chain")
        checked += 1
    return checked


def _versions(session: Session, mismatch: Mismatch) -> int:
    table = m.ReportVersion.__tablename__
    events = _events(session, ["report.submitted"])
    checked = 0
    for version in session.scalars(select(m.ReportVersion).order_by(m.ReportVersion.id)):
        if fingerprint(version.content) != version.fingerprint:
            raise mismatch(table, version.id, "the report's content does not match its fingerprint")
        event = next((e for e in events.get((m.Milestone.__tablename__, version.milestone_id), [])
                      if e.data.get("version") == version.version_no), None)
        if event is None or event.data.get("fingerprint") != version.fingerprint:
            raise mismatch(table, version.id, "no audited submission with this fingerprint")
        if not _same_moment(event.data.get("submitted_at"), version.submitted_at):
            raise mismatch(table, version.id, f"the submission time differs from audit entry {event.seq}")
        checked += 1
    return checked


def _budget_changes(session: Session, mismatch: Mismatch) -> int:
    table = m.BudgetChange.__tablename__
    events = _events(session, ["budget.change_requested", "budget.change_decided"])
    checked = 0
    for change in session.scalars(select(m.BudgetChange).order_by(m.BudgetChange.id)):
        history = events.get((table, change.id), [])
        requested = next((e for e in history if e.action == "budget.change_requested"), None)
        if requested is None or (requested.data.get("amount_fen"), requested.data.get("from_line"),
                                 requested.data.get("to_line")) != (change.amount_fen, change.from_line, change.to_line):
            raise mismatch(table, change.id, "the change differs from its audited request")
        if history[-1].data.get("status") != change.status.value:
            raise mismatch(table, change.id, f"the decision differs from audit entry {history[-1].seq}")
        checked += 1
    return checked


def _sheets(session: Session, mismatch: Mismatch) -> int:
    from venture.projects.evaluation import sheet_content

    table = m.Evaluator.__tablename__
    events = _events(session, ["evaluation.sheet_submitted"])
    checked = 0
    for evaluator in session.scalars(select(m.Evaluator).where(m.Evaluator.sheet_status == m.SheetStatus.SUBMITTED)
                                     .order_by(m.Evaluator.id)):
        if fingerprint(sheet_content(evaluator)) != evaluator.fingerprint:
            raise mismatch(table, evaluator.id, "the score sheet does not match its fingerprint")
        history = events.get((table, evaluator.id), [])
        if not history or history[-1].data.get("fingerprint") != evaluator.fingerprint:
            raise mismatch(table, evaluator.id, "the score sheet differs from its audited submission")
        if _decimal(history[-1].data.get("total")) != _decimal(evaluator.total):
            raise mismatch(table, evaluator.id, f"the total differs from audit entry {history[-1].seq}")
        checked += 1
    return checked


def _evaluations(session: Session, mismatch: Mismatch) -> int:
    table = m.Evaluation.__tablename__
    events = _events(session, ["evaluation.finalised"])
    checked = 0
    for evaluation in session.scalars(select(m.Evaluation).order_by(m.Evaluation.id)):
        history = events.get((table, evaluation.id), [])
        if not evaluation.is_finalised:
            if history:
                raise mismatch(table, evaluation.id, "audited as finalised but open")
            checked += 1
            continue
        content = evaluation.content or {}
        if fingerprint(content) != evaluation.fingerprint:
            raise mismatch(table, evaluation.id, "the evaluation's result does not match its fingerprint")
        if not history or history[-1].data.get("fingerprint") != evaluation.fingerprint:
            raise mismatch(table, evaluation.id, "the result differs from its audited finalisation")
        data = history[-1].data
        band = evaluation.band.value if evaluation.band else None
        if not (_decimal(data.get("score")) == _decimal(content.get("score")) == _decimal(evaluation.score)
                and data.get("band") == content.get("band") == band):
            raise mismatch(table, evaluation.id, f"the score or band differs from audit entry {history[-1].seq}")
        checked += 1
    return checked


def _bars(session: Session, mismatch: Mismatch) -> int:
    table = m.ParticipationBar.__tablename__
    events = _events(session, ["bar.recorded", "bar.lifted"])
    checked = 0
    for bar in session.scalars(select(m.ParticipationBar).order_by(m.ParticipationBar.id)):
        history = events.get((table, bar.id), [])
        recorded = next((e for e in history if e.action == "bar.recorded"), None)
        if recorded is None or not (_same_moment(recorded.data.get("ends_at"), bar.ends_at)
                                    and _same_moment(recorded.data.get("starts_at"), bar.starts_at)
                                    and recorded.data.get("group") == bar.group_id
                                    and recorded.data.get("body") == bar.body_id):
            raise mismatch(table, bar.id, "the bar's group, body or dates differ from the audit chain")
        lifted = next((e for e in reversed(history) if e.action == "bar.lifted"), None)
        if (lifted is None) != (bar.lifted_at is None) or (
                lifted is not None and not _same_moment(lifted.data.get("lifted_at"), bar.lifted_at)):
            raise mismatch(table, bar.id, "the lifting of the bar differs from the audit chain")
        checked += 1
    return checked
