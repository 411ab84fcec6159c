"""Mid-term and final evaluations on 100 points, and what a failed one does.

An evaluation opens once the report it judges is accepted. It is scored by
organizers of the body and by experts of the body's pool invited for it
(often a third-party evaluation body's staff). Like panel members, invited
evaluators accept, then declare whether they have a tie with the group; ties
the platform finds (membership of the group, an affiliation matching its name
or credit code) are recorded as well, and a conflicted evaluator never scores.

Finalising applies the published method (``rules.aggregate``), freezes the
result with its fingerprint and: a pass after the mid-term lets the tranches
waiting for it be released; a final pass completes the project; a fail cuts
every tranche not yet paid, bars the group from the body's calls for two
years and tells the group why.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.accounts.models import User
from venture.audit import services as audit
from venture.bodies.models import Organizer, PoolExpert
from venture.core.errors import DomainError, NotAllowed
from venture.core.l10n import lazy_gettext as _l
from venture.core.l10n import lazy_ngettext as _ln
from venture.core.timeutil import utcnow
from venture.groups import creditcode
from venture.groups.models import GroupMembership
from venture.mail import services as mail
from venture.panels.conflicts import names_match
from venture.projects.models import (
    Evaluation,
    EvaluationStage,
    EvaluationStatus,
    Evaluator,
    EvaluatorRole,
    EvaluatorStatus,
    MilestoneKind,
    ParticipationBar,
    Project,
    ProjectStage,
    ReportStatus,
    SheetStatus,
    TrancheStatus,
)
from venture.projects.rules import Aggregate, aggregate, bar_ends_at, parse_points, two_places
from venture.projects.services import MAX_NOTE, MIN_REASON, fingerprint, move_tranche, tell_owners, text_digest

REASON_LIMIT = 2000
STAGE_REPORT = {EvaluationStage.MIDTERM: MilestoneKind.MIDTERM, EvaluationStage.FINAL: MilestoneKind.FINAL}


def _require_open(evaluation: Evaluation) -> None:
    if evaluation.status is not EvaluationStatus.OPEN:
        raise DomainError(_l("This evaluation is finalised; nothing in it can change."))


# Opening ---------------------------------------------------------------------------------------

def open_evaluation(session: Session, actor: Any, project: Project, stage: EvaluationStage,
                    due_on: date | None = None, now: datetime | None = None) -> Evaluation:
    """Open the mid-term or final evaluation once the report it judges is accepted,
    with the rubric the agreement states."""
    now = now or utcnow()
    if project.stage is not ProjectStage.UNDER_WAY:
        raise DomainError(_l("Evaluations take place while the project is under way."))
    if project.evaluation(stage) is not None:
        raise DomainError(_l("This evaluation is already open."))
    milestone = next((m for m in project.milestones if m.kind is STAGE_REPORT[stage]), None)
    if milestone is None:
        raise DomainError(_l("The plan of this project has no mid-term report, so it has no mid-term evaluation."))
    if milestone.status is not ReportStatus.ACCEPTED:
        raise DomainError(_l("The report “%(title)s” must be accepted before its evaluation opens.",
                             title=milestone.title))
    if stage is EvaluationStage.FINAL:
        midterm = project.evaluation(EvaluationStage.MIDTERM)
        if any(m.kind is MilestoneKind.MIDTERM for m in project.milestones) and (midterm is None
                                                                                or not midterm.is_finalised):
            raise DomainError(_l("Finalise the mid-term evaluation first."))
    assert project.agreement is not None
    terms = project.agreement.content.get("evaluation") or {}
    rubric = {"dimensions": [dict(d) for d in terms.get("dimensions") or []],
              "satisfaction_weight": int(terms.get("satisfaction_weight") or 0)}
    evaluation = Evaluation(project_id=project.id, stage=stage, status=EvaluationStatus.OPEN, rubric=rubric,
                            opened_at=now, opened_by_id=getattr(actor, "id", None), due_on=due_on)
    session.add(evaluation)
    session.flush()
    session.refresh(project, ["evaluations"])
    audit.record(session, actor, "evaluation.opened", evaluation, project=project.id, stage=stage.value,
                 rubric_sha256=fingerprint(rubric), due_on=due_on.isoformat() if due_on else None)
    return evaluation


# Evaluators -------------------------------------------------------------------------------------

def _ties(session: Session, evaluation: Evaluation, user_id: int, expert: PoolExpert | None) -> str | None:
    """How the platform sees a tie between this person and the project's group, if it does."""
    group = evaluation.project.group
    if session.scalar(select(GroupMembership.id).where(GroupMembership.group_id == group.id,
                                                       GroupMembership.user_id == user_id)) is not None:
        return "membership"
    code = creditcode.normalise(group.credit_code) if group.credit_code else ""
    for affiliation in (expert.affiliations if expert is not None else None) or []:
        if not isinstance(affiliation, Mapping):
            continue
        other = affiliation.get("credit_code")
        if (code and other and creditcode.normalise(str(other)) == code) or \
                names_match(str(affiliation.get("name") or ""), group.name):
            return "affiliation"
    return None


def _add(session: Session, actor: Any, evaluation: Evaluation, user_id: int, role: EvaluatorRole,
         expert: PoolExpert | None, organisation: str, now: datetime) -> Evaluator:
    _require_open(evaluation)
    if any(e.user_id == user_id for e in evaluation.evaluators):
        raise DomainError(_l("This person already evaluates this project."), "expert")
    evaluator = Evaluator(evaluation_id=evaluation.id, user_id=user_id, expert_id=expert.id if expert else None,
                          role=role, organisation=(organisation or "").strip()[:120],
                          status=EvaluatorStatus.ACCEPTED if role is EvaluatorRole.ORGANIZER else EvaluatorStatus.INVITED,
                          invited_at=now, invited_by_id=getattr(actor, "id", None),
                          responded_at=now if role is EvaluatorRole.ORGANIZER else None)
    tie = _ties(session, evaluation, user_id, expert)
    if tie is not None:
        evaluator.conflict_source = tie
    session.add(evaluator)
    session.flush()
    session.refresh(evaluation, ["evaluators"])
    audit.record(session, actor, "evaluator.added", evaluator, evaluation=evaluation.id, role=role.value,
                 expert=evaluator.expert_id)
    if tie is not None:
        audit.record(session, actor, "evaluator.conflict", evaluator, evaluation=evaluation.id, source=tie)
    return evaluator


def add_organizer(session: Session, actor: User, evaluation: Evaluation, now: datetime | None = None) -> Evaluator:
    """An organizer of the body scores the evaluation themselves."""
    now = now or utcnow()
    body_id = evaluation.project.call.body_id
    if session.scalar(select(Organizer.id).where(Organizer.body_id == body_id, Organizer.user_id == actor.id)) is None:
        raise NotAllowed(_l("Only the organizers of this body score as organizers."))
    return _add(session, actor, evaluation, actor.id, EvaluatorRole.ORGANIZER, None, "", now)


def invite_expert(session: Session, actor: Any, evaluation: Evaluation, expert: PoolExpert, organisation: str = "",
                  now: datetime | None = None) -> Evaluator:
    """Invite an expert of the body's pool (bring an evaluation body's people
    into the pool first, as for reviewers); they are asked by e-mail."""
    now = now or utcnow()
    if expert.body_id != evaluation.project.call.body_id:
        raise DomainError(_l("Choose an expert from this body's pool."), "expert")
    evaluator = _add(session, actor, evaluation, expert.user_id, EvaluatorRole.INVITED, expert, organisation, now)
    user = expert.user
    if user.email and not user.is_deleted:
        mail.queue(session, user.email, "project_evaluation_invitation", user.locale, user.timezone, evaluator=evaluator,
                   evaluation=evaluation, project=evaluation.project, name=user.public_name)
    return evaluator


def respond(session: Session, actor: User, evaluator: Evaluator, accept: bool, now: datetime | None = None) -> None:
    now = now or utcnow()
    _require_open(evaluator.evaluation)
    if evaluator.user_id != actor.id:
        raise NotAllowed(_l("Only the person invited can answer."))
    if evaluator.status is not EvaluatorStatus.INVITED:
        raise DomainError(_l("This invitation is already answered."))
    evaluator.status = EvaluatorStatus.ACCEPTED if accept else EvaluatorStatus.DECLINED
    evaluator.responded_at = now
    session.flush()
    audit.record(session, actor, "evaluator.responded", evaluator, evaluation=evaluator.evaluation_id,
                 status=evaluator.status.value)


def declare(session: Session, actor: User, evaluator: Evaluator, has_tie: bool, reason: str = "",
            now: datetime | None = None) -> None:
    """The evaluator says whether they have a tie with the group. A tie is never taken back."""
    now = now or utcnow()
    _require_open(evaluator.evaluation)
    if evaluator.user_id != actor.id or evaluator.status is not EvaluatorStatus.ACCEPTED:
        raise NotAllowed(_l("Only an evaluator who has accepted declares their ties."))
    reason = (reason or "").strip()
    if has_tie and len(reason) < MIN_REASON:
        raise DomainError(_l("Describe the tie (at least %(n)d characters).", n=MIN_REASON), "reason")
    if has_tie:
        evaluator.conflict_source = evaluator.conflict_source or "declared"
        evaluator.conflict_reason = reason[:500]
    elif evaluator.conflict_source is None:
        found = _ties(session, evaluator.evaluation, evaluator.user_id, _expert_of(session, evaluator))
        if found is not None:  # a tie made since the invitation (a new membership or affiliation)
            evaluator.conflict_source = found
            audit.record(session, actor, "evaluator.conflict", evaluator, evaluation=evaluator.evaluation_id,
                         source=found)
    evaluator.conflicts_declared_at = now
    session.flush()
    audit.record(session, actor, "evaluator.declared", evaluator, evaluation=evaluator.evaluation_id,
                 tie=bool(has_tie), reason_sha256=text_digest(reason) if reason else "")


def _expert_of(session: Session, evaluator: Evaluator) -> PoolExpert | None:
    return session.get(PoolExpert, evaluator.expert_id) if evaluator.expert_id is not None else None


def add_conflict(session: Session, actor: Any, evaluator: Evaluator, reason: str, now: datetime | None = None) -> None:
    """An organizer records a tie the evaluator did not declare; their sheet no longer counts."""
    _require_open(evaluator.evaluation)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise DomainError(_l("Give the reason for the conflict."), "reason")
    if evaluator.conflicted:
        raise DomainError(_l("This conflict is already recorded."))
    evaluator.conflict_source = "organizer"
    evaluator.conflict_reason = reason[:500]
    session.flush()
    audit.record(session, actor, "evaluator.conflict", evaluator, evaluation=evaluator.evaluation_id,
                 source="organizer", reason_sha256=text_digest(reason))


# Score sheets -----------------------------------------------------------------------------------

def sheet_content(evaluator: Evaluator) -> dict[str, Any]:
    return {"evaluation": evaluator.evaluation_id, "evaluator": evaluator.id,
            "scores": dict(sorted(evaluator.scores.items())), "reasons": dict(sorted(evaluator.reasons.items())),
            "total": two_places(evaluator.total) if evaluator.total is not None else None}


class SheetProblems(DomainError):
    """The sheet as typed, with a message per dimension."""

    def __init__(self, errors: dict[str, Any]) -> None:
        first = next(iter(errors.values()))
        super().__init__(first, next(iter(errors)))
        self.errors = errors


def save_sheet(session: Session, actor: User, evaluator: Evaluator, scores: Mapping[str, str],
               reasons: Mapping[str, str], submit: bool, now: datetime | None = None) -> Evaluator:
    """Save the sheet as a draft, or submit it: points (0 to the dimension's
    weight, one decimal place) and a reason for every dimension. A submitted
    sheet may be submitted again with changes until the evaluation is finalised."""
    now = now or utcnow()
    evaluation = evaluator.evaluation
    _require_open(evaluation)
    if evaluator.user_id != actor.id or not evaluator.may_score:
        raise NotAllowed(_l("You cannot score this evaluation."))
    if not submit and evaluator.sheet_status is SheetStatus.SUBMITTED:
        raise DomainError(_l("This sheet is submitted: submit it again to change it."))
    errors: dict[str, Any] = {}
    clean_scores: dict[str, str] = {}
    clean_reasons: dict[str, str] = {}
    for dimension in evaluation.dimensions:
        key, weight = dimension["key"], int(dimension["weight"])
        raw = (scores.get(key) or "").strip()
        reason = (reasons.get(key) or "").strip()[:REASON_LIMIT]
        if raw:
            points = parse_points(raw, weight)
            if points is None:
                errors[f"score-{key}"] = _l("%(name)s: give from 0 to %(max)d points, with at most one decimal place.",
                                            name=dimension["name"], max=weight)
            else:
                clean_scores[key] = format(points, "f")
        elif submit:
            errors[f"score-{key}"] = _l("%(name)s: give the points.", name=dimension["name"])
        if reason:
            clean_reasons[key] = reason
        elif submit:
            errors[f"reason-{key}"] = _l("%(name)s: give the reason for the points.", name=dimension["name"])
    if errors:
        raise SheetProblems(errors)
    evaluator.scores = clean_scores
    evaluator.reasons = clean_reasons
    evaluator.updated_at = now
    if submit:
        evaluator.total = sum((Decimal(v) for v in clean_scores.values()), Decimal(0))
        evaluator.sheet_status = SheetStatus.SUBMITTED
        evaluator.submitted_at = now
        evaluator.fingerprint = fingerprint(sheet_content(evaluator))
    else:
        evaluator.sheet_status = SheetStatus.DRAFT
    session.flush()
    if submit:
        audit.record(session, actor, "evaluation.sheet_submitted", evaluator, evaluation=evaluation.id,
                     total=two_places(evaluator.total), fingerprint=evaluator.fingerprint,
                     submitted_at=now.isoformat())
    return evaluator


def set_satisfaction(session: Session, actor: Any, evaluation: Evaluation, value: Decimal | str, note: str = "",
                     source: str = "entered", now: datetime | None = None) -> None:
    """The satisfaction component: the share of beneficiaries satisfied, 0-100,
    entered by an organizer (with how it was found) or taken from a survey."""
    now = now or utcnow()
    _require_open(evaluation)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = Decimal(-1)
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        raise DomainError(_l("Enter a share from 0 to 100."), "satisfaction")
    note = (note or "").strip()
    if source == "entered" and len(note) < MIN_REASON:
        raise DomainError(_l("Say how the satisfaction was measured (e.g. 48 of 52 people surveyed were satisfied)."),
                          "note")
    evaluation.satisfaction_value = number.quantize(Decimal("0.01"))
    evaluation.satisfaction_source = source
    evaluation.satisfaction_note = note[:MAX_NOTE]
    evaluation.satisfaction_set_at = now
    session.flush()
    audit.record(session, actor, "evaluation.satisfaction_set", evaluation, value=two_places(number), source=source,
                 note_sha256=text_digest(note) if note else "")


def counted(evaluation: Evaluation) -> list[Evaluator]:
    return [e for e in evaluation.evaluators if e.counts]


def outstanding(evaluation: Evaluation) -> list[Evaluator]:
    """Evaluators who may score and have not submitted (invited ones who have not answered included)."""
    return [e for e in evaluation.evaluators
            if not e.conflicted and e.status is not EvaluatorStatus.DECLINED and e.sheet_status is not SheetStatus.SUBMITTED]


def preview(evaluation: Evaluation) -> Aggregate | None:
    sheets = [dict(e.scores) for e in counted(evaluation)]
    try:
        return aggregate(evaluation.dimensions, sheets, evaluation.satisfaction_weight, evaluation.satisfaction_value)
    except DomainError:
        return None


def labels(evaluation: Evaluation) -> dict[int, str]:
    """Counted evaluators as "A", "B", … in the order they were added (the group reads them so)."""
    return {e.id: chr(ord("A") + index) if index < 26 else str(index + 1)
            for index, e in enumerate(counted(evaluation))}


# Finalising ---------------------------------------------------------------------------------

def finalise(session: Session, actor: Any, evaluation: Evaluation, confirm_incomplete: bool = False,
             now: datetime | None = None) -> Evaluation:
    now = now or utcnow()
    _require_open(evaluation)
    project = evaluation.project
    if project.stage is not ProjectStage.UNDER_WAY:
        raise DomainError(_l("Evaluations take place while the project is under way."))
    sheets = counted(evaluation)
    waiting = outstanding(evaluation)
    if sheets and waiting and not confirm_incomplete:
        raise DomainError(_ln("%(num)d evaluator has not submitted a sheet. Confirm that the evaluation is finalised "
                              "without it, or wait.",
                              "%(num)d evaluators have not submitted a sheet. Confirm that the evaluation is "
                              "finalised without them, or wait.", len(waiting)), "confirm_incomplete")
    result = aggregate(evaluation.dimensions, [dict(e.scores) for e in sheets], evaluation.satisfaction_weight,
                       evaluation.satisfaction_value)
    names = labels(evaluation)
    content = {
        "evaluation": evaluation.id, "project": project.id, "stage": evaluation.stage.value, "method": "mean",
        "dimensions": [{"key": d["key"], "name": d["name"], "weight": int(d["weight"]),
                        "mean": two_places(result.means[d["key"]])} for d in evaluation.dimensions],
        "evaluator_points": two_places(result.evaluator_points),
        "satisfaction": {"weight": evaluation.satisfaction_weight,
                         "value": two_places(evaluation.satisfaction_value)
                         if evaluation.satisfaction_value is not None else None,
                         "source": evaluation.satisfaction_source, "points": two_places(result.satisfaction_points)},
        "score": two_places(result.score), "band": result.band.value,
        "sheets": [{"label": names[e.id], "evaluator": e.id, "role": e.role.value, "total": two_places(e.total or 0),
                    "fingerprint": e.fingerprint} for e in sheets],
        "finalised_at": now.isoformat(),
    }
    evaluation.content = content
    evaluation.fingerprint = fingerprint(content)
    evaluation.score = result.score
    evaluation.band = result.band
    evaluation.status = EvaluationStatus.FINALISED
    evaluation.finalised_at = now
    evaluation.finalised_by_id = getattr(actor, "id", None)
    session.flush()
    audit.record(session, actor, "evaluation.finalised", evaluation, project=project.id, stage=evaluation.stage.value,
                 score=content["score"], band=content["band"], fingerprint=evaluation.fingerprint,
                 sheets=[s["fingerprint"] for s in content["sheets"]], confirmed_incomplete=bool(waiting),
                 finalised_at=now.isoformat())
    bar = None
    if evaluation.band.value == "fail":
        bar = _fail(session, actor, project, evaluation, now)
    elif evaluation.stage is EvaluationStage.FINAL:
        project.stage = ProjectStage.COMPLETED
        project.closed_at = now
        session.flush()
        audit.record(session, actor, "project.completed", project, evaluation=evaluation.id, at=now.isoformat())
    cut = [t for t in project.tranches if t.evaluation_id == evaluation.id]
    tell_owners(session, project, "project_evaluation_result", evaluation=evaluation, bar=bar, cut=cut)
    return evaluation


def _fail(session: Session, actor: Any, project: Project, evaluation: Evaluation, now: datetime) -> ParticipationBar:
    """A failed evaluation: every tranche not yet paid is cut, the project ends,
    and the group is barred from the body's calls for two years."""
    for tranche in list(project.tranches):
        if tranche.is_open:
            move_tranche(session, actor, tranche, TrancheStatus.CUT, evaluation=evaluation, now=now)
    project.stage = ProjectStage.FAILED
    project.closed_at = now
    bar = ParticipationBar(group_id=project.group_id, body_id=project.call.body_id, project_id=project.id,
                           evaluation_id=evaluation.id, starts_at=now, ends_at=bar_ends_at(now, project.timezone),
                           timezone=project.timezone, created_at=now)
    session.add(bar)
    session.flush()
    audit.record(session, actor, "project.failed", project, evaluation=evaluation.id, at=now.isoformat())
    audit.record(session, actor, "bar.recorded", bar, group=bar.group_id, body=bar.body_id, project=project.id,
                 evaluation=evaluation.id, starts_at=bar.starts_at.isoformat(), ends_at=bar.ends_at.isoformat(),
                 timezone=bar.timezone)
    return bar


def lift_bar(session: Session, actor: Any, bar: ParticipationBar, reason: str, now: datetime | None = None) -> None:
    """An organizer lifts a bar, only with a reason (kept, and audited)."""
    now = now or utcnow()
    if bar.lifted_at is not None:
        raise DomainError(_l("This bar is already lifted."))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise DomainError(_l("Give the reason for lifting the bar (at least %(n)d characters).", n=MIN_REASON),
                          "reason")
    bar.lifted_at = now
    bar.lifted_by_id = getattr(actor, "id", None)
    bar.lift_reason = reason[:MAX_NOTE]
    session.flush()
    audit.record(session, actor, "bar.lifted", bar, group=bar.group_id, body=bar.body_id,
                 reason_sha256=text_digest(reason), lifted_at=now.isoformat())
    if bar.project is not None:
        tell_owners(session, bar.project, "project_bar_lifted", bar=bar)


def bars_of(session: Session, body_id: int | None = None, group_ids: list[int] | None = None) -> list[ParticipationBar]:
    query = select(ParticipationBar).order_by(ParticipationBar.starts_at.desc(), ParticipationBar.id.desc())
    if body_id is not None:
        query = query.where(ParticipationBar.body_id == body_id)
    if group_ids is not None:
        if not group_ids:
            return []
        query = query.where(ParticipationBar.group_id.in_(group_ids))
    return list(session.scalars(query))
