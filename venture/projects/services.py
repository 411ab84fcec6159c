"""Every change to a funded project: check, change, audit, flush.

- ``create_projects``: the final result's funded lines become projects (called
  by ``venture.results.services.finalise``);
- ``issue_agreement`` / ``accept_agreement``;
- the group's reports: ``save_report``, files, ``submit_report``; the
  organizers' ``review_report``;
- budget changes between lines, within the call's threshold or approved;
- ``move_tranche``, the one way a tranche changes.

Evaluations and the bar are in ``venture.projects.evaluation``.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.accounts.models import User
from venture.audit import services as audit
from venture.calls.models import Call, CallKind
from venture.core.errors import DomainError, NotAllowed
from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow
from venture.groups.models import MemberRole
from venture.mail import services as mail
from venture.projects import plans
from venture.projects.models import (
    Agreement,
    BudgetChange,
    BudgetChangeStatus,
    EvaluationStage,
    FilePurpose,
    Milestone,
    MilestoneKind,
    Project,
    ProjectStage,
    Report,
    ReportFile,
    ReportStatus,
    ReportVersion,
    Tranche,
    TrancheStatus,
)
from venture.projects.rules import (
    EXCELLENT_FROM,
    PASS_FROM,
    REPORT_SECTIONS,
    SECTION_KEYS,
    Facts,
    budget_change_problem,
    check_report_move,
    check_tranche_move,
    condition_holds,
    current_budget,
    deadline,
    local_day,
    needs_approval,
    payment_problem,
    period_end,
    planned_amounts,
    scale_budget,
)
from venture.proposals import cleaning, files, storage
from venture.proposals.models import Proposal

MAX_TEXT = 20_000
MAX_NOTE = 2_000
MIN_REASON = 5
REPORT_FILES_MAX_BYTES = 50 * 1024 * 1024
ALLOWED_KINDS: dict[FilePurpose, frozenset[files.FileKind]] = {
    FilePurpose.PHOTO: frozenset({files.FileKind.JPEG, files.FileKind.PNG}),
    FilePurpose.DOCUMENT: frozenset(files.FileKind),
    FilePurpose.RECEIPT: frozenset({files.FileKind.PDF, files.FileKind.JPEG, files.FileKind.PNG}),
}
KIND_MESSAGES = {
    FilePurpose.PHOTO: _l("A photo is a JPEG or PNG image."),
    FilePurpose.DOCUMENT: _l("Attach a PDF, Word, Excel, JPEG or PNG file."),
    FilePurpose.RECEIPT: _l("A receipt is a PDF document or a JPEG or PNG image."),
}
# Which sections of a submitted proposal carry the promised outputs and outcomes.
PROMISE_SECTIONS = {CallKind.SOCIAL_VENTURE: ("goals", "outcomes"),
                    CallKind.MICRO_LIVELIHOOD: ("activities", "beneficiaries")}


def fingerprint(content: Any) -> str:
    """SHA-256 of the canonical JSON (the audit chain's serialisation)."""
    return hashlib.sha256(audit.canonical(content)).hexdigest()


def text_digest(text: str) -> str:
    return hashlib.sha256((text or "").strip().encode("utf-8")).hexdigest()


def _required_reason(reason: str | None, field: str = "reason", message: Any = None) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise DomainError(message or _l("Give the reason (at least %(n)d characters); the group reads it.",
                                        n=MIN_REASON), field)
    if len(reason) > MAX_NOTE:
        raise DomainError(_l("At most %(max)d characters.", max=MAX_NOTE), field)
    return reason


def owners_of(project: Project) -> list[User]:
    return [user for user in project.group.owners if user.email and not user.is_deleted]


def tell_owners(session: Session, project: Project, template: str, **context: Any) -> None:
    """Mail the group's owners, each in their own language."""
    for user in owners_of(project):
        mail.queue(session, user.email, template, user.locale, user.timezone, project=project, call=project.call,
                   name=user.public_name, **context)


def local_today(project: Project, now: datetime | None = None) -> date:
    return local_day(now or utcnow(), project.timezone)


# Creation ---------------------------------------------------------------------------------

def _promised(call: Call, content: Mapping[str, Any]) -> list[dict[str, str]]:
    keys = PROMISE_SECTIONS.get(call.kind, ())
    found = [{"title": str(s.get("title") or ""), "text": str(s.get("text") or "")}
             for s in content.get("sections") or [] if s.get("key") in keys and (s.get("text") or "").strip()]
    if not found and content.get("summary"):
        found = [{"title": str(_l("Summary")), "text": str(content["summary"])}]
    return found


def create_projects(session: Session, actor: Any, call: Call, record: Any,
                    now: datetime | None = None) -> list[Project]:
    """A project for every funded line of the final result, with its approved
    amount, its budget lines (brought to the approved amount in proportion if it
    was lowered), what the proposal promised, and its tranches from the call's plan."""
    now = now or utcnow()
    plan = plans.freeze(session, actor, call, now)
    spec = plans.spec_of(plan)
    made: list[Project] = []
    for line in record.content.get("lines") or []:
        amount = int(line.get("amount_fen") or 0)
        if line.get("outcome") != "funded" or amount <= 0:
            continue
        if session.scalar(select(Project.id).where(Project.proposal_id == line["proposal"])) is not None:
            continue
        proposal = session.get(Proposal, line["proposal"])
        if proposal is None or proposal.latest_version is None:
            continue
        content = proposal.latest_version.content
        budget = scale_budget([(str(item["item"]), int(item["subtotal_fen"])) for item in content.get("budget") or []],
                              amount)
        project = Project(call_id=call.id, proposal_id=proposal.id, group_id=proposal.group_id,
                          number=str(line.get("number") or proposal.number or ""), title=str(line.get("title") or ""),
                          approved_fen=amount, budget=budget, promised=_promised(call, content),
                          beneficiaries_target=content.get("beneficiaries"), result_record_id=record.id,
                          result_rank=line.get("rank"), result_score=str(line.get("final") or line.get("score") or ""),
                          timezone=call.timezone, stage=ProjectStage.AWAITING_AGREEMENT, created_at=now)
        session.add(project)
        for position, (tranche, planned) in enumerate(zip(spec.tranches, planned_amounts(amount, spec.tranches),
                                                          strict=True), start=1):
            project.tranches.append(Tranche(position=position, label=tranche.label, condition=tranche.condition,
                                            milestone_key=tranche.milestone, planned_fen=planned,
                                            status=TrancheStatus.PLANNED, changed_at=now))
        session.flush()
        audit.record(session, actor, "project.created", project, call=call.id, proposal=proposal.id,
                     group=proposal.group_id, approved_fen=amount, budget_sha256=fingerprint(project.budget),
                     record=record.id, record_fingerprint=record.fingerprint, plan_fingerprint=plan.fingerprint)
        for tranche_row in project.tranches:
            audit.record(session, actor, "tranche.planned", tranche_row, project=project.id,
                         position=tranche_row.position, condition=tranche_row.condition.value,
                         milestone=tranche_row.milestone_key, planned_fen=tranche_row.planned_fen, to="planned")
        made.append(project)
    return made


# The agreement ------------------------------------------------------------------------------

def agreement_content(project: Project, plan: Any, terms: str, now: datetime) -> dict[str, Any]:
    spec = plans.spec_of(plan)
    call = project.call
    group = project.group
    return {
        "project": project.id, "number": project.number, "title": project.title,
        "call": {"id": call.id, "title": call.title, "kind": call.kind.value},
        "body": {"id": call.body_id, "name": call.body.name},
        "group": {"id": group.id, "name": group.name, "kind": group.kind.value,
                  "credit_code": group.credit_code or "", "filed_with": group.filed_with or ""},
        "approved_fen": project.approved_fen,
        "budget": [dict(line) for line in project.budget],
        "promised": [dict(item) for item in project.promised],
        "beneficiaries_target": project.beneficiaries_target,
        "period": {"starts_on": project.starts_on.isoformat() if project.starts_on else None,
                   "ends_on": project.ends_on.isoformat() if project.ends_on else None,
                   "months": spec.project_months, "timezone": project.timezone},
        "tranches": [{"position": t.position, "label": t.label, "condition": t.condition.value,
                      "milestone": t.milestone_key, "planned_fen": t.planned_fen} for t in project.tranches],
        "reports": [{"position": m.position, "key": m.key, "title": m.title, "kind": m.kind.value,
                     "due_on": m.due_on.isoformat()} for m in project.milestones],
        "evaluation": {"dimensions": [{"key": d.key, "name": d.name, "weight": d.weight} for d in spec.dimensions],
                       "satisfaction_weight": spec.satisfaction_weight,
                       "excellent_from": str(EXCELLENT_FROM), "pass_from": str(PASS_FROM), "bar_years": 2},
        "budget_change_percent": format(plan.budget_change_percent, "f"),
        "terms": terms,
        "issued_at": now.isoformat(),
        "plan_fingerprint": plan.fingerprint,
    }


def issue_agreement(session: Session, actor: Any, project: Project, starts_on: date, terms: str = "",
                    now: datetime | None = None) -> Agreement:
    """The organizer issues the agreement: the period starts on ``starts_on``,
    the reports fall due from the plan, and the group's owners are told."""
    now = now or utcnow()
    if project.stage is not ProjectStage.AWAITING_AGREEMENT or project.agreement is not None:
        raise DomainError(_l("The agreement of this project is already issued."))
    call = project.call
    published = call.results_published_at or project.created_at
    if starts_on < local_day(published, project.timezone):
        raise DomainError(_l("The project cannot start before its result was published."), "starts_on")
    if starts_on > local_today(project, now) + timedelta(days=366):
        raise DomainError(_l("The project must start within a year."), "starts_on")
    terms = (terms or "").strip()
    if len(terms) > MAX_TEXT:
        raise DomainError(_l("At most %(max)d characters.", max=MAX_TEXT), "terms")
    plan = plans.freeze(session, actor, call, now)
    spec = plans.spec_of(plan)
    project.starts_on = starts_on
    project.ends_on = period_end(starts_on, spec.project_months)
    for position, report in enumerate(spec.reports, start=1):
        project.milestones.append(Milestone(position=position, key=report.key, title=report.title, kind=report.kind,
                                            due_on=period_end(starts_on, report.month), status=ReportStatus.DUE))
    session.flush()
    content = agreement_content(project, plan, terms, now)
    agreement = Agreement(project_id=project.id, content=content, fingerprint=fingerprint(content), terms=terms,
                          issued_at=now, issued_by_id=getattr(actor, "id", None))
    session.add(agreement)
    project.stage = ProjectStage.AGREEMENT_ISSUED
    session.flush()
    session.refresh(project, ["agreement"])
    audit.record(session, actor, "agreement.issued", agreement, project=project.id, fingerprint=agreement.fingerprint,
                 starts_on=project.starts_on.isoformat(), ends_on=project.ends_on.isoformat(),
                 issued_at=now.isoformat())
    tell_owners(session, project, "project_agreement_issued", agreement=agreement)
    return agreement


def accept_agreement(session: Session, actor: User, project: Project, now: datetime | None = None) -> Agreement:
    """The group's owner accepts the agreement on the platform; the project is then under way."""
    now = now or utcnow()
    agreement = project.agreement
    if project.stage is not ProjectStage.AGREEMENT_ISSUED or agreement is None or agreement.accepted_at is not None:
        raise DomainError(_l("There is no agreement waiting for acceptance."))
    membership = project.group.membership_of(actor)
    if membership is None or membership.role is not MemberRole.OWNER or not actor.is_verified:
        raise NotAllowed(_l("Only an owner of the group can accept the agreement."))
    agreement.accepted_at = now
    agreement.accepted_by_id = actor.id
    project.stage = ProjectStage.UNDER_WAY
    session.flush()
    audit.record(session, actor, "agreement.accepted", agreement, project=project.id,
                 fingerprint=agreement.fingerprint, accepted_at=now.isoformat())
    return agreement


# Tranches -----------------------------------------------------------------------------------

def facts(project: Project) -> Facts:
    agreement = project.agreement
    midterm = project.evaluation(EvaluationStage.MIDTERM)
    final = project.evaluation(EvaluationStage.FINAL)
    return Facts(agreement_signed=agreement is not None and agreement.accepted_at is not None,
                 midterm_passed=midterm is not None and midterm.passed,
                 final_passed=final is not None and final.passed,
                 accepted_reports=frozenset(m.key for m in project.milestones if m.status is ReportStatus.ACCEPTED),
                 failed=project.stage is ProjectStage.FAILED)


def condition_met(tranche: Tranche) -> bool:
    return condition_holds(tranche.condition, tranche.milestone_key, facts(tranche.project))


def condition_label(tranche: Tranche) -> str:
    if tranche.milestone_key:
        milestone = tranche.project.milestone(tranche.milestone_key)
        if milestone is not None:
            return str(_l("Report accepted: %(title)s", title=milestone.title))
    return tranche.condition.label


def move_tranche(session: Session, actor: Any, tranche: Tranche, to: TrancheStatus, *, reason: str = "",
                 paid_on: date | None = None, paid_fen: int | None = None, reference: str = "",
                 evaluation: Any = None, now: datetime | None = None) -> Tranche:
    """Move a tranche: the one way its state changes.

    - released: only when its condition holds, by an organizer;
    - paid: only a released tranche, with the date, the amount (never above
      the planned amount, nor the total above the grant) and the reference;
    - withheld (back to planned when resolved) or cut: with a reason, or
      because a failed ``evaluation`` cut it.
    """
    now = now or utcnow()
    project = tranche.project
    previous = tranche.status
    check_tranche_move(previous, to)
    reason = (reason or "").strip()
    if to in (TrancheStatus.RELEASED, TrancheStatus.PAID) and not condition_met(tranche):
        raise DomainError(_l("The condition “%(condition)s” is not met, so this tranche cannot be released or paid.",
                             condition=condition_label(tranche)))
    if to is TrancheStatus.RELEASED:
        tranche.released_at = now
        tranche.released_by_id = getattr(actor, "id", None)
    elif to is TrancheStatus.PAID:
        if paid_on is None:
            raise DomainError(_l("Enter the date of the payment."), "paid_on")
        if paid_on > local_today(project, now):
            raise DomainError(_l("The payment date cannot be in the future."), "paid_on")
        reference = (reference or "").strip()
        if not reference:
            raise DomainError(_l("Enter the payment's reference (the bank transfer or voucher number)."), "reference")
        if len(reference) > 80:
            raise DomainError(_l("At most %(max)d characters.", max=80), "reference")
        amount = int(paid_fen if paid_fen is not None else tranche.planned_fen)
        elsewhere = sum(t.paid_fen or 0 for t in project.tranches if t.status is TrancheStatus.PAID and t is not tranche)
        problem = payment_problem(tranche.planned_fen, amount, elsewhere, project.approved_fen)
        if problem is not None:
            raise DomainError(problem, "paid_amount")
        tranche.paid_on, tranche.paid_fen, tranche.payment_reference = paid_on, amount, reference
    elif to in (TrancheStatus.WITHHELD, TrancheStatus.CUT):
        if evaluation is None:
            reason = _required_reason(reason)
        tranche.reason = reason[:MAX_NOTE]
        tranche.evaluation_id = getattr(evaluation, "id", None)
    elif to is TrancheStatus.PLANNED:
        reason = _required_reason(reason, message=_l("Say why the tranche is no longer withheld."))
        tranche.reason = ""
    tranche.status = to
    tranche.changed_at = now
    tranche.changed_by_id = getattr(actor, "id", None)
    session.flush()
    audit.record(session, actor, "tranche.moved", tranche, project=project.id, position=tranche.position,
                 **{"from": previous.value, "to": to.value}, planned_fen=tranche.planned_fen,
                 paid_fen=tranche.paid_fen, paid_on=tranche.paid_on.isoformat() if tranche.paid_on else None,
                 reference=tranche.payment_reference, reason_sha256=text_digest(reason) if reason else "",
                 evaluation=getattr(evaluation, "id", None), at=now.isoformat())
    if to is TrancheStatus.RELEASED:
        tell_owners(session, project, "project_tranche_released", tranche=tranche)
    elif to is TrancheStatus.PAID:
        tell_owners(session, project, "project_tranche_paid", tranche=tranche)
    elif to in (TrancheStatus.WITHHELD, TrancheStatus.CUT) and evaluation is None:
        tell_owners(session, project, "project_tranche_stopped", tranche=tranche)
    return tranche


def releasable(project: Project) -> list[Tranche]:
    """Planned tranches whose condition holds: the organizers may release them."""
    return [t for t in project.tranches if t.status is TrancheStatus.PLANNED and condition_met(t)]


# Reports -------------------------------------------------------------------------------------

@dataclass
class ReportContent:
    activities: str = ""
    activities_held: int | None = None
    beneficiaries_served: int | None = None
    team: str = ""
    spending: dict[int, int] = field(default_factory=dict)
    private_note: str = ""


class ReportEditConflict(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("Someone else saved this report while you were editing it. Your text is still in "
                            "the form; check it against theirs below and save again."))


def _require_filing(milestone: Milestone) -> None:
    if milestone.project.stage is not ProjectStage.UNDER_WAY:
        raise DomainError(_l("Reports are filed while the project is under way."))
    if not milestone.is_open_for_filing:
        raise DomainError(_l("This report is with the organizers; it can change again only if they ask for changes."))


def report_of(session: Session, milestone: Milestone) -> Report:
    """The working copy, made on first use."""
    if milestone.report is None:
        milestone.report = Report(activities="", team="", spending={}, private_note="")
        session.flush()
    assert milestone.report is not None
    return milestone.report


def budget_lines(project: Project) -> list[dict[str, Any]]:
    """The approved lines with the amounts now in force (after budget changes)."""
    approved = [int(line["amount_fen"]) for line in project.budget]
    current = current_budget(approved, [(c.from_line, c.to_line, c.amount_fen)
                                        for c in project.budget_changes if c.in_force])
    return [{"index": index, "item": line["item"], "approved_fen": approved[index], "budget_fen": current[index]}
            for index, line in enumerate(project.budget)]


def save_report(session: Session, actor: User, milestone: Milestone, content: ReportContent, expected_version: int,
                now: datetime | None = None) -> Report:
    now = now or utcnow()
    _require_filing(milestone)
    report = report_of(session, milestone)
    if expected_version != report.lock_version:
        raise ReportEditConflict()
    lines = len(milestone.project.budget)
    if any(not 0 <= index < lines for index in content.spending):
        raise DomainError(_l("Spending is entered per line of the approved budget."), "spending")
    if any(amount < 0 for amount in content.spending.values()):
        raise DomainError(_l("Spending cannot be negative."), "spending")
    report.activities = (content.activities or "")[:MAX_TEXT]
    report.activities_held = content.activities_held
    report.beneficiaries_served = content.beneficiaries_served
    report.team = (content.team or "")[:MAX_TEXT]
    report.spending = {str(index): int(amount) for index, amount in sorted(content.spending.items())}
    report.private_note = (content.private_note or "")[:MAX_TEXT]
    report.updated_at = now
    report.updated_by_id = actor.id
    session.flush()
    return report


def report_problems(milestone: Milestone) -> list[DomainError]:
    """What keeps the report from being submitted, in form order."""
    report = milestone.report
    if report is None:
        return [DomainError(_l("Write the report first."), "activities")]
    found: list[DomainError] = []
    if not report.activities.strip():
        found.append(DomainError(_l("Describe the activities held."), "activities"))
    if report.beneficiaries_served is None:
        found.append(DomainError(_l("Say how many people the project has served so far."), "beneficiaries_served"))
    lines = budget_lines(milestone.project)
    entered = report.spending or {}
    if any(str(line["index"]) not in entered for line in lines):
        found.append(DomainError(_l("Enter the spending to date on every budget line (0 where nothing was spent)."),
                                 "spending"))
    receipts = {f.budget_line for f in milestone.current_files if f.purpose is FilePurpose.RECEIPT}
    missing = [line["item"] for line in lines if int(entered.get(str(line["index"]), 0)) > 0
               and line["index"] not in receipts]
    if missing:
        found.append(DomainError(_l("Attach a receipt for each budget line with spending (missing: %(lines)s).",
                                    lines=", ".join(missing)), "receipts"))
    return found


def report_snapshot(milestone: Milestone) -> dict[str, Any]:
    """The content of a submission: the public part (what the disclosure pages
    may show once the report is accepted), the private part and the files."""
    report = milestone.report
    assert report is not None
    project = milestone.project
    spent = {int(k): int(v) for k, v in (report.spending or {}).items()}
    current = [f for f in milestone.current_files]
    return {
        "project": project.id, "milestone": milestone.id, "key": milestone.key, "title": milestone.title,
        "public": {
            "activities": report.activities, "activities_held": report.activities_held,
            "beneficiaries_served": report.beneficiaries_served,
            "beneficiaries_target": project.beneficiaries_target,
            "team": report.team,
            "spending": [{**line, "spent_fen": spent.get(line["index"], 0)} for line in budget_lines(project)],
            "spent_fen": sum(spent.values()),
            "files": [f.id for f in current if f.is_public and f.purpose is not FilePurpose.RECEIPT],
        },
        "private": {
            "note": report.private_note,
            "receipts": [f.id for f in current if f.purpose is FilePurpose.RECEIPT],
        },
        "files": [{"id": f.id, "purpose": f.purpose.value, "line": f.budget_line, "filename": f.filename,
                   "kind": f.kind, "size": f.size, "sha256": f.sha256, "public": f.is_public} for f in current],
    }


def submit_report(session: Session, actor: User, milestone: Milestone, now: datetime | None = None) -> ReportVersion:
    """Freeze the working copy as a new version for the organizers to review."""
    now = now or utcnow()
    _require_filing(milestone)
    problems = report_problems(milestone)
    if problems:
        raise problems[0]
    to = ReportStatus.SUBMITTED if milestone.status is ReportStatus.DUE else ReportStatus.RESUBMITTED
    check_report_move(milestone.status, to)
    content = report_snapshot(milestone)
    version = ReportVersion(milestone_id=milestone.id, version_no=milestone.version_count + 1, submitted_at=now,
                            submitted_by_id=actor.id, content=content, fingerprint=fingerprint(content))
    session.add(version)
    previous = milestone.status
    milestone.status = to
    milestone.version_count += 1
    milestone.submitted_at = now
    session.flush()
    session.refresh(milestone, ["versions"])
    audit.record(session, actor, "report.submitted", milestone, project=milestone.project_id,
                 version=version.version_no, fingerprint=version.fingerprint, submitted_at=now.isoformat(),
                 **{"from": previous.value, "to": to.value})
    return version


def review_report(session: Session, actor: Any, milestone: Milestone, accept: bool, flagged: Iterable[str] = (),
                  note: str = "", now: datetime | None = None) -> Milestone:
    """Accept the submitted report, or ask for changes to the flagged sections."""
    now = now or utcnow()
    if not milestone.awaits_review:
        raise DomainError(_l("Only a submitted report can be accepted or sent back."))
    note = (note or "").strip()
    chosen = sorted({key for key in flagged if key in SECTION_KEYS})
    if accept:
        to = ReportStatus.ACCEPTED
        if len(note) > MAX_NOTE:
            raise DomainError(_l("At most %(max)d characters.", max=MAX_NOTE), "note")
    else:
        to = ReportStatus.CHANGES_REQUESTED
        if not chosen:
            raise DomainError(_l("Tick the sections the group should change."), "flagged")
        note = _required_reason(note, "note", _l("Say what should change (at least %(n)d characters).", n=MIN_REASON))
    previous = milestone.status
    check_report_move(previous, to)
    version = milestone.latest_version
    milestone.status = to
    milestone.flagged = [] if accept else chosen
    milestone.review_note = note
    milestone.reviewed_at = now
    milestone.reviewed_by_id = getattr(actor, "id", None)
    milestone.accepted_at = now if accept else None
    session.flush()
    audit.record(session, actor, "report.accepted" if accept else "report.changes_requested", milestone,
                 project=milestone.project_id, version=version.version_no if version else None,
                 fingerprint=version.fingerprint if version else None, flagged=milestone.flagged,
                 note_sha256=text_digest(note) if note else "", at=now.isoformat(),
                 **{"from": previous.value, "to": to.value})
    tell_owners(session, milestone.project, "project_report_accepted" if accept else "project_report_changes",
                milestone=milestone, sections=dict(REPORT_SECTIONS))
    return milestone


def add_report_file(session: Session, actor: User, milestone: Milestone, purpose: FilePurpose, filename: str,
                    data: bytes, budget_line: int | None = None, public: bool = False,
                    now: datetime | None = None) -> ReportFile:
    """A photo, document or receipt, checked from its content and stored
    without the metadata that could name its author or where it was taken."""
    now = now or utcnow()
    _require_filing(milestone)
    config = current_app.config
    if purpose is FilePurpose.RECEIPT:
        if budget_line is None or not 0 <= budget_line < len(milestone.project.budget):
            raise DomainError(_l("Choose the budget line the receipt belongs to."), "budget_line")
        public = False
    else:
        budget_line = None
    try:
        kind = files.check_upload(filename or "", data, config["ATTACHMENT_MAX_BYTES"])
        if kind not in ALLOWED_KINDS[purpose]:
            raise files.UploadRejected(KIND_MESSAGES[purpose])
        cleaned = cleaning.clean(kind, data)
    except files.UploadRejected as rejected:
        raise DomainError(rejected.message, "file") from None
    limit = int(config.get("REPORT_FILES_MAX_BYTES", REPORT_FILES_MAX_BYTES))
    if sum(f.size for f in milestone.current_files) + len(cleaned) > limit:
        raise DomainError(_l("The files of a report may add up to %(mb)d MB; remove a file first.",
                             mb=limit // (1024 * 1024)), "file")
    row = ReportFile(milestone_id=milestone.id, purpose=purpose, budget_line=budget_line,
                     filename=files.safe_filename(filename or ""), stored_name=storage.store(cleaned), kind=kind.value,
                     size=len(cleaned), sha256=hashlib.sha256(cleaned).hexdigest(), is_public=bool(public),
                     uploaded_at=now, uploaded_by_id=actor.id)
    session.add(row)
    session.flush()
    session.refresh(milestone, ["files"])
    audit.record(session, actor, "report.file_added", milestone, project=milestone.project_id, file=row.id,
                 purpose=purpose.value, line=budget_line, sha256=row.sha256, size=row.size)
    return row


def remove_report_file(session: Session, actor: User, report_file: ReportFile, now: datetime | None = None) -> None:
    now = now or utcnow()
    milestone = report_file.milestone
    _require_filing(milestone)
    if report_file.removed_at is None:
        report_file.removed_at = now
        session.flush()
        audit.record(session, actor, "report.file_removed", milestone, project=milestone.project_id,
                     file=report_file.id)


def set_report_file_public(session: Session, actor: User, report_file: ReportFile, public: bool) -> None:
    """Photos and documents the group marks public may be shown once the report is accepted; receipts never."""
    _require_filing(report_file.milestone)
    if report_file.purpose is FilePurpose.RECEIPT and public:
        raise DomainError(_l("Receipts are never public."))
    report_file.is_public = bool(public)
    session.flush()
    audit.record(session, actor, "report.file_visibility", report_file.milestone, file=report_file.id,
                 public=bool(public))


# Budget changes -------------------------------------------------------------------------------

def threshold_of(project: Project) -> Decimal:
    """The call's budget-change threshold, as the agreement states it."""
    agreement = project.agreement
    value = agreement.content.get("budget_change_percent") if agreement is not None else None
    return Decimal(str(value)) if value is not None else Decimal(0)


def request_budget_change(session: Session, actor: User, project: Project, from_line: int, to_line: int,
                          amount_fen: int, reason: str, now: datetime | None = None) -> BudgetChange:
    """Move money between budget lines: in force at once within the call's
    threshold, otherwise waiting for the organizers' approval."""
    now = now or utcnow()
    if project.stage is not ProjectStage.UNDER_WAY:
        raise DomainError(_l("The budget can change while the project is under way."))
    reason = _required_reason(reason, message=_l("Say why the money moves (at least %(n)d characters).",
                                                 n=MIN_REASON))
    lines = budget_lines(project)
    current = [line["budget_fen"] for line in lines]
    problem = budget_change_problem(current, from_line, to_line, amount_fen)
    if problem is not None:
        raise DomainError(problem, "amount")
    approved = [line["approved_fen"] for line in lines]
    waiting = needs_approval(approved, current, from_line, to_line, amount_fen, threshold_of(project))
    change = BudgetChange(project_id=project.id, from_line=from_line, to_line=to_line, amount_fen=amount_fen,
                          reason=reason, status=BudgetChangeStatus.PENDING if waiting else BudgetChangeStatus.APPLIED,
                          requested_at=now, requested_by_id=actor.id)
    session.add(change)
    session.flush()
    session.refresh(project, ["budget_changes"])
    audit.record(session, actor, "budget.change_requested", change, project=project.id, from_line=from_line,
                 to_line=to_line, amount_fen=amount_fen, status=change.status.value, reason_sha256=text_digest(reason))
    return change


def decide_budget_change(session: Session, actor: Any, change: BudgetChange, approve: bool, note: str = "",
                         now: datetime | None = None) -> BudgetChange:
    now = now or utcnow()
    if change.status is not BudgetChangeStatus.PENDING:
        raise DomainError(_l("This budget change is already decided."))
    note = (note or "").strip()
    if approve:
        current = [line["budget_fen"] for line in budget_lines(change.project)]
        problem = budget_change_problem(current, change.from_line, change.to_line, change.amount_fen)
        if problem is not None:
            raise DomainError(problem)
    else:
        note = _required_reason(note, "note")
    change.status = BudgetChangeStatus.APPROVED if approve else BudgetChangeStatus.REFUSED
    change.decided_at = now
    change.decided_by_id = getattr(actor, "id", None)
    change.decision_note = note[:MAX_NOTE]
    session.flush()
    audit.record(session, actor, "budget.change_decided", change, project=change.project_id,
                 status=change.status.value, note_sha256=text_digest(note) if note else "")
    return change


# Reading for dashboards -----------------------------------------------------------------------

def milestone_deadline(milestone: Milestone) -> datetime:
    return deadline(milestone.due_on, milestone.project.timezone)


def is_overdue(milestone: Milestone, now: datetime) -> bool:
    return milestone.is_open_for_filing and now >= milestone_deadline(milestone)


def evaluations_due(project: Project) -> list[EvaluationStage]:
    """Evaluations whose report is accepted and that are not finalised yet."""
    due = []
    for stage, kind in ((EvaluationStage.MIDTERM, MilestoneKind.MIDTERM), (EvaluationStage.FINAL, MilestoneKind.FINAL)):
        milestone = next((m for m in project.milestones if m.kind is kind), None)
        evaluation = project.evaluation(stage)
        if milestone is not None and milestone.status is ReportStatus.ACCEPTED and (
                evaluation is None or not evaluation.is_finalised):
            due.append(stage)
    return due if project.stage is ProjectStage.UNDER_WAY else []


@dataclass
class Summary:
    """Where a project stands, for the group's and the organizers' lists."""

    project: Project
    next_due: Milestone | None
    overdue: list[Milestone]
    waiting: list[Milestone]
    changes_requested: list[Milestone]
    releasable: list[Tranche]
    evaluations_due: list[EvaluationStage]


def summary(project: Project, now: datetime) -> Summary:
    open_ones = [m for m in project.milestones if m.is_open_for_filing] if project.is_active else []
    return Summary(
        project=project,
        next_due=min(open_ones, key=lambda m: (m.due_on, m.position)) if open_ones else None,
        overdue=[m for m in open_ones if is_overdue(m, now)],
        waiting=[m for m in project.milestones if m.awaits_review],
        changes_requested=[m for m in open_ones if m.status is ReportStatus.CHANGES_REQUESTED],
        releasable=releasable(project) if project.stage is not ProjectStage.FAILED else [],
        evaluations_due=evaluations_due(project),
    )
