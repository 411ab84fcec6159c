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

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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

Bad = Callable[[str, int | None, str], None]
Gone = Callable[[str, str], None]


class _Row(Exception):
    def __init__(self, table: str, row_id: int | None, what: str) -> None:
        super().__init__(what)
        self.table, self.row_id, self.what = table, row_id, what


class _Collector:
    """Counts the rows checked and hands each problem on, then goes on with the next row."""

    def __init__(self, bad: Bad, gone: Gone | None) -> None:
        self.bad, self.gone, self.checked = bad, gone, 0

    @contextmanager
    def row(self) -> Iterator[None]:
        self.checked += 1
        try:
            yield
        except _Row as problem:
            self.bad(problem.table, problem.row_id, problem.what)

    def missing(self, table: str, events: dict[tuple[str, int | None], list[AuditEvent]], seen: set[int],
                what: str) -> None:
        """Rows the chain vouches for that are no longer in the table."""
        if self.gone is None:
            return
        for (object_type, row_id), history in sorted(events.items(), key=lambda item: item[1][0].seq):
            if object_type == table and row_id is not None and row_id not in seen:
                self.gone(table, f"{what} {row_id}, audited in entry {history[0].seq}")


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


def check_all(session: Session, bad: Bad, gone: Gone | None = None) -> int:
    """Check every funded-project row; call ``bad(table, id, what)`` for each
    that does not match the chain and ``gone(table, what)`` for each audited
    row that is missing; return how many rows were checked."""
    collector = _Collector(bad, gone)
    for check in (_plans, _projects, _agreements, _tranches, _milestones, _versions, _budget_changes, _sheets,
                  _evaluations, _bars):
        check(session, collector)
    return collector.checked


def _plans(session: Session, c: _Collector) -> None:
    table = m.ProjectPlan.__tablename__
    events = _events(session, ["project_plan.frozen"])
    seen: set[int] = set()
    for plan in session.scalars(select(m.ProjectPlan).order_by(m.ProjectPlan.id)):
        seen.add(plan.id)
        if plan.frozen_at is None:
            continue
        with c.row():
            if plan_fingerprint(plan_content(plan)) != plan.fingerprint:
                raise _Row(table, plan.id, "the plan (tranches, reports, rubric, threshold) does not match its "
                                           "fingerprint")
            history = events.get((table, plan.id), [])
            if not history or history[-1].data.get("fingerprint") != plan.fingerprint:
                raise _Row(table, plan.id, "the frozen plan differs from its audited fingerprint")
    c.missing(table, events, seen, "the frozen plan")


def _projects(session: Session, c: _Collector) -> None:
    table = m.Project.__tablename__
    events = _events(session, ["project.created"])
    seen: set[int] = set()
    for project in session.scalars(select(m.Project).order_by(m.Project.id)):
        seen.add(project.id)
        with c.row():
            history = events.get((table, project.id), [])
            if not history:
                raise _Row(table, project.id, "no audited creation for this project")
            data = history[-1].data
            if data.get("approved_fen") != project.approved_fen or data.get("proposal") != project.proposal_id:
                raise _Row(table, project.id, f"the approved amount differs from audit entry {history[-1].seq}")
            if data.get("budget_sha256") != fingerprint(project.budget):
                raise _Row(table, project.id, f"the approved budget differs from audit entry {history[-1].seq}")
    c.missing(table, events, seen, "project")


def _agreements(session: Session, c: _Collector) -> None:
    table = m.Agreement.__tablename__
    events = _events(session, ["agreement.issued", "agreement.accepted"])
    seen: set[int] = set()
    for agreement in session.scalars(select(m.Agreement).order_by(m.Agreement.id)):
        seen.add(agreement.id)
        with c.row():
            if fingerprint(agreement.content) != agreement.fingerprint:
                raise _Row(table, agreement.id, "the agreement's content does not match its fingerprint")
            history = events.get((table, agreement.id), [])
            issued = next((e for e in history if e.action == "agreement.issued"), None)
            if issued is None or issued.data.get("fingerprint") != agreement.fingerprint:
                raise _Row(table, agreement.id, "the agreement differs from its audited issue")
            accepted = next((e for e in reversed(history) if e.action == "agreement.accepted"), None)
            if (accepted is None) != (agreement.accepted_at is None) or (
                    accepted is not None and not _same_moment(accepted.data.get("accepted_at"),
                                                              agreement.accepted_at)):
                raise _Row(table, agreement.id, "the acceptance differs from the audit chain")
    c.missing(table, events, seen, "agreement")


def _tranches(session: Session, c: _Collector) -> None:
    table = m.Tranche.__tablename__
    events = _events(session, ["tranche.planned", "tranche.moved"])
    seen: set[int] = set()
    for tranche in session.scalars(select(m.Tranche).order_by(m.Tranche.id)):
        seen.add(tranche.id)
        with c.row():
            history = events.get((table, tranche.id), [])
            if not history:
                raise _Row(table, tranche.id, "no audited plan for this tranche")
            last = history[-1]
            data = last.data
            if data.get("to") != tranche.status.value:
                raise _Row(table, tranche.id, f"the state differs from audit entry {last.seq}")
            if data.get("planned_fen") != tranche.planned_fen:
                raise _Row(table, tranche.id, f"the planned amount differs from audit entry {last.seq}")
            if last.action == "tranche.moved" and (data.get("paid_fen") != tranche.paid_fen
                                                   or data.get("paid_on") != _day(tranche.paid_on)
                                                   or data.get("reference") != tranche.payment_reference):
                raise _Row(table, tranche.id, f"the payment differs from audit entry {last.seq}")
            if last.action == "tranche.planned" and tranche.paid_fen is not None:
                raise _Row(table, tranche.id, "a payment without an audited move")
    c.missing(table, events, seen, "tranche")


REPORT_ACTIONS = ["report.submitted", "report.accepted", "report.changes_requested"]


def _milestones(session: Session, c: _Collector) -> None:
    table = m.Milestone.__tablename__
    events = _events(session, REPORT_ACTIONS)
    seen: set[int] = set()
    for milestone in session.scalars(select(m.Milestone).order_by(m.Milestone.id)):
        seen.add(milestone.id)
        with c.row():
            history = events.get((table, milestone.id), [])
            expected = history[-1].data.get("to") if history else m.ReportStatus.DUE.value
            if expected != milestone.status.value:
                raise _Row(table, milestone.id, "the report's state differs from the audit chain")
    c.missing(table, events, seen, "milestone with a submitted report")


def _versions(session: Session, c: _Collector) -> None:
    table = m.ReportVersion.__tablename__
    events = _events(session, ["report.submitted"])
    seen: set[tuple[int, int]] = set()
    for version in session.scalars(select(m.ReportVersion).order_by(m.ReportVersion.id)):
        seen.add((version.milestone_id, version.version_no))
        with c.row():
            if fingerprint(version.content) != version.fingerprint:
                raise _Row(table, version.id, "the report's content does not match its fingerprint")
            event = next((e for e in events.get((m.Milestone.__tablename__, version.milestone_id), [])
                          if e.data.get("version") == version.version_no), None)
            if event is None or event.data.get("fingerprint") != version.fingerprint:
                raise _Row(table, version.id, "no audited submission with this fingerprint")
            if not _same_moment(event.data.get("submitted_at"), version.submitted_at):
                raise _Row(table, version.id, f"the submission time differs from audit entry {event.seq}")
    if c.gone is not None:
        for (_object_type, milestone_id), history in events.items():
            for event in history:
                if (milestone_id, event.data.get("version")) not in seen:
                    c.gone(table, f"version {event.data.get('version')} of the report of milestone {milestone_id}, "
                                  f"audited in entry {event.seq}")


def _budget_changes(session: Session, c: _Collector) -> None:
    table = m.BudgetChange.__tablename__
    events = _events(session, ["budget.change_requested", "budget.change_decided"])
    seen: set[int] = set()
    for change in session.scalars(select(m.BudgetChange).order_by(m.BudgetChange.id)):
        seen.add(change.id)
        with c.row():
            history = events.get((table, change.id), [])
            requested = next((e for e in history if e.action == "budget.change_requested"), None)
            if requested is None or (requested.data.get("amount_fen"), requested.data.get("from_line"),
                                     requested.data.get("to_line")) != (change.amount_fen, change.from_line,
                                                                        change.to_line):
                raise _Row(table, change.id, "the change differs from its audited request")
            if history[-1].data.get("status") != change.status.value:
                raise _Row(table, change.id, f"the decision differs from audit entry {history[-1].seq}")
    c.missing(table, events, seen, "budget change")


def _sheets(session: Session, c: _Collector) -> None:
    from venture.projects.evaluation import sheet_content

    table = m.Evaluator.__tablename__
    events = _events(session, ["evaluation.sheet_submitted"])
    seen: set[int] = set()
    for evaluator in session.scalars(select(m.Evaluator).order_by(m.Evaluator.id)):
        seen.add(evaluator.id)
        history = events.get((table, evaluator.id), [])
        if evaluator.sheet_status is not m.SheetStatus.SUBMITTED:
            if history:
                with c.row():
                    raise _Row(table, evaluator.id, "a submitted score sheet is no longer submitted")
            continue
        with c.row():
            if fingerprint(sheet_content(evaluator)) != evaluator.fingerprint:
                raise _Row(table, evaluator.id, "the score sheet does not match its fingerprint")
            if not history or history[-1].data.get("fingerprint") != evaluator.fingerprint:
                raise _Row(table, evaluator.id, "the score sheet differs from its audited submission")
            if _decimal(history[-1].data.get("total")) != _decimal(evaluator.total):
                raise _Row(table, evaluator.id, f"the total differs from audit entry {history[-1].seq}")
    c.missing(table, events, seen, "submitted score sheet of evaluator")


def _evaluations(session: Session, c: _Collector) -> None:
    table = m.Evaluation.__tablename__
    events = _events(session, ["evaluation.finalised"])
    seen: set[int] = set()
    for evaluation in session.scalars(select(m.Evaluation).order_by(m.Evaluation.id)):
        seen.add(evaluation.id)
        with c.row():
            history = events.get((table, evaluation.id), [])
            if not evaluation.is_finalised:
                if history:
                    raise _Row(table, evaluation.id, "audited as finalised but open")
                continue
            content = evaluation.content or {}
            if fingerprint(content) != evaluation.fingerprint:
                raise _Row(table, evaluation.id, "the evaluation's result does not match its fingerprint")
            if not history or history[-1].data.get("fingerprint") != evaluation.fingerprint:
                raise _Row(table, evaluation.id, "the result differs from its audited finalisation")
            data = history[-1].data
            band = evaluation.band.value if evaluation.band else None
            if not (_decimal(data.get("score")) == _decimal(content.get("score")) == _decimal(evaluation.score)
                    and data.get("band") == content.get("band") == band):
                raise _Row(table, evaluation.id, f"the score or band differs from audit entry {history[-1].seq}")
    c.missing(table, events, seen, "finalised evaluation")


def _bars(session: Session, c: _Collector) -> None:
    table = m.ParticipationBar.__tablename__
    events = _events(session, ["bar.recorded", "bar.lifted"])
    seen: set[int] = set()
    for bar in session.scalars(select(m.ParticipationBar).order_by(m.ParticipationBar.id)):
        seen.add(bar.id)
        with c.row():
            history = events.get((table, bar.id), [])
            recorded = next((e for e in history if e.action == "bar.recorded"), None)
            if recorded is None or not (_same_moment(recorded.data.get("ends_at"), bar.ends_at)
                                        and _same_moment(recorded.data.get("starts_at"), bar.starts_at)
                                        and recorded.data.get("group") == bar.group_id
                                        and recorded.data.get("body") == bar.body_id):
                raise _Row(table, bar.id, "the bar's group, body or dates differ from the audit chain")
            lifted = next((e for e in reversed(history) if e.action == "bar.lifted"), None)
            if (lifted is None) != (bar.lifted_at is None) or (
                    lifted is not None and not _same_moment(lifted.data.get("lifted_at"), bar.lifted_at)):
                raise _Row(table, bar.id, "the lifting of the bar differs from the audit chain")
    c.missing(table, events, seen, "bar")
