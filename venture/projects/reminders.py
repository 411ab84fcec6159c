"""Reminders about reports, sent by the scheduler (``flask --app venture calls tick``):
once a week before a report falls due, and once when it is overdue. Each is
sent once per report; a report sent back for changes counts as due again."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from venture.audit import services as audit
from venture.core.timeutil import utcnow
from venture.projects.models import Milestone, Project, ProjectStage, ReportStatus
from venture.projects.services import milestone_deadline, tell_owners

BEFORE = timedelta(days=7)


def send_reminders(session: Session, now: datetime | None = None) -> int:
    """Queue the reminders that are due now; return how many reports they were about."""
    now = now or utcnow()
    milestones = session.scalars(
        select(Milestone).join(Project, Project.id == Milestone.project_id)
        .where(Project.stage == ProjectStage.UNDER_WAY,
               Milestone.status.in_([ReportStatus.DUE, ReportStatus.CHANGES_REQUESTED]),
               Milestone.reminded_after_at.is_(None))
        .options(selectinload(Milestone.project)).order_by(Milestone.due_on, Milestone.id)).all()
    sent = 0
    for milestone in milestones:
        deadline = milestone_deadline(milestone)
        if now >= deadline:
            kind, template = "overdue", "project_report_overdue"
            milestone.reminded_after_at = now
        elif now >= deadline - BEFORE and milestone.reminded_before_at is None:
            kind, template = "before", "project_report_due"
            milestone.reminded_before_at = now
        else:
            continue
        session.flush()
        audit.record(session, None, "report.reminded", milestone, project=milestone.project_id, kind=kind,
                     due_on=milestone.due_on.isoformat())
        tell_owners(session, milestone.project, template, milestone=milestone, deadline=deadline)
        sent += 1
    return sent
