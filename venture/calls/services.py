"""Every change to a call: its rules, its rubric and its phase."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.accounts.models import User
from venture.audit import checkpoints
from venture.audit import services as audit
from venture.audit.models import AuditEvent
from venture.bodies.models import OrganizingBody
from venture.calls.models import TRANSITIONS, Call, CallKind, Criterion, Phase
from venture.core.errors import DomainError, InvalidTransition
from venture.core.l10n import lazy_gettext as _l
from venture.core.l10n import lazy_ngettext as _ln
from venture.core.sanitize import render_markdown
from venture.core.timeutil import utcnow
from venture.search import services as search


@dataclass
class CriterionSpec:
    name: str
    weight: int
    max_points: Decimal
    guidance: str = ""


@dataclass
class CallRules:
    """Everything an organizer decides about a call, as plain values."""

    kind: CallKind
    title: str
    summary: str
    text_markdown: str
    themes: list[str]
    districts: list[str]
    allow_registered: bool
    allow_grassroots: bool
    total_budget_fen: int
    min_grant_fen: int
    max_grant_fen: int
    opens_at: datetime
    closes_at: datetime
    timezone: str
    sections: list[dict[str, str]]
    required_attachments: list[dict[str, str]]
    reviewers_per_proposal: int
    min_fundable_score: Decimal
    notice_days: int
    criteria: list[CriterionSpec] = field(default_factory=list)
    comment_moderation: str = "post"  # "post" or "pre"
    reviewers_see_opinion: bool = False
    # How scores become a result (venture.results.aggregate), published with the call.
    aggregation_method: str = "mean"  # "mean" or "trimmed"
    normalise_scores: bool = False
    component_weight: Decimal = Decimal(0)  # the share of an organizer-entered component, 0 = none
    component_label: str = ""
    disagreement_threshold: Decimal = Decimal(20)
    tie_criterion_position: int | None = None
    grace_minutes: int = 0  # a published grace period after the closing time


MAX_GRACE_MINUTES = 120


def rules_problems(rules: CallRules) -> list[DomainError]:
    """What stops these rules from being a call; empty when they hold."""
    found: list[DomainError] = []
    if not (rules.allow_registered or rules.allow_grassroots):
        found.append(DomainError(_l("Choose who may apply."), "allow_registered"))
    if rules.min_grant_fen < 0 or rules.min_grant_fen > rules.max_grant_fen:
        found.append(DomainError(_l("The minimum per proposal cannot exceed the maximum."), "min_grant"))
    if rules.max_grant_fen > rules.total_budget_fen:
        found.append(DomainError(_l("The maximum per proposal cannot exceed the total budget."), "max_grant"))
    if rules.total_budget_fen <= 0:
        found.append(DomainError(_l("The total budget must be more than zero."), "total_budget"))
    if rules.opens_at >= rules.closes_at:
        found.append(DomainError(_l("The call must open before it closes."), "closes_at"))
    if not rules.sections:
        found.append(DomainError(_l("A proposal needs at least one section."), "sections"))
    if not 0 <= rules.grace_minutes <= MAX_GRACE_MINUTES:
        found.append(DomainError(_l("The grace period is between 0 and %(most)d minutes.",
                                    most=MAX_GRACE_MINUTES), "grace_minutes"))
    found.extend(_method_problems(rules))
    keys = [s["key"] for s in rules.sections] + [a["key"] for a in rules.required_attachments]
    if len(set(keys)) != len(keys):
        found.append(DomainError(_l("Two sections or attachments have the same name."), "sections"))
    return found


def _method_problems(rules: CallRules) -> list[DomainError]:
    found: list[DomainError] = []
    if rules.aggregation_method not in ("mean", "trimmed"):
        found.append(DomainError(_l("Choose how the reviewers' totals are combined."), "aggregation_method"))
    weight = Decimal(rules.component_weight or 0)
    if not Decimal(0) <= weight < Decimal(1):
        found.append(DomainError(_l("The component's share must be from 0 up to, not including, 100%."),
                                 "component_percent"))
    elif weight and not rules.component_label.strip():
        found.append(DomainError(_l("Name the component score, e.g. earlier evaluation record."),
                                 "component_label"))
    if not Decimal(0) <= Decimal(rules.disagreement_threshold) <= Decimal(100):
        found.append(DomainError(_l("The disagreement threshold is a number of points from 0 to 100."),
                                 "disagreement_threshold"))
    position = rules.tie_criterion_position
    if position is not None and not 1 <= position <= len(rules.criteria):
        found.append(DomainError(_l("The tie-break criterion must be one of the rubric's rows (1 to %(n)d).",
                                    n=len(rules.criteria)), "tie_criterion_position"))
    return found


def rubric_problems(criteria: list[CriterionSpec]) -> list[DomainError]:
    found: list[DomainError] = []
    if not criteria:
        return [DomainError(_l("The rubric needs at least one criterion."), "criteria")]
    total = sum(c.weight for c in criteria)
    if total != 100:
        found.append(DomainError(_l("The weights add up to %(total)d; they must add up to 100.", total=total),
                                 "criteria"))
    names = [c.name.strip().lower() for c in criteria]
    if len(set(names)) != len(names):
        found.append(DomainError(_l("Two criteria have the same name."), "criteria"))
    if any(c.weight <= 0 for c in criteria):
        found.append(DomainError(_l("Every weight must be more than zero."), "criteria"))
    if any(c.max_points <= 0 for c in criteria):
        found.append(DomainError(_l("Every criterion needs a maximum above zero."), "criteria"))
    return found


def _raise_first(problems: list[DomainError]) -> None:
    if problems:
        raise problems[0]


def create_call(session: Session, actor: User, body: OrganizingBody, rules: CallRules) -> Call:
    _raise_first(rules_problems(rules))
    call = Call(body=body, phase=Phase.DRAFT)
    _apply_rules(call, rules)
    _replace_criteria(call, rules.criteria)
    session.add(call)
    session.flush()
    audit.record(session, actor, "call.created", call, body=body.id)
    return call


def update_call(session: Session, actor: User, call: Call, rules: CallRules, now: datetime | None = None) -> None:
    """A draft changes freely. Once open, the published rules hold: only the
    texts may be clarified and the closing time extended (never shortened)."""
    now = now or utcnow()
    if call.phase is Phase.DRAFT:
        _raise_first(rules_problems(rules))
        _apply_rules(call, rules)
        _replace_criteria(call, rules.criteria)
        session.flush()
        audit.record(session, actor, "call.updated", call)
        return
    if call.effective_phase(now) is not Phase.OPEN:
        raise DomainError(_l("This call can no longer be changed."))
    changed = _frozen_changes(call, rules)
    if changed:
        raise DomainError(_l("Once a call is open its rules, budget and rubric cannot change; "
                             "only the texts and a later closing time can."), changed[0])
    if rules.closes_at < call.closes_at:
        raise DomainError(_l("The closing time can be extended, never brought forward."), "closes_at")
    extended = rules.closes_at != call.closes_at
    old_close = call.closes_at
    call.title, call.summary = rules.title, rules.summary
    call.text_markdown, call.text_html = rules.text_markdown, render_markdown(rules.text_markdown)
    call.closes_at = rules.closes_at
    call.comment_moderation = rules.comment_moderation  # moderation is not a rule of the competition
    session.flush()
    search.enqueue(session, "call", call.id)
    audit.record(session, actor, "call.clarified", call,
                 **({"closes_at": [old_close.isoformat(), call.closes_at.isoformat()]} if extended else {}))


def _frozen_changes(call: Call, rules: CallRules) -> list[str]:
    pairs = {
        "kind": (call.kind, rules.kind), "themes": (call.themes, rules.themes),
        "districts": (call.districts, rules.districts),
        "allow_registered": (call.allow_registered, rules.allow_registered),
        "allow_grassroots": (call.allow_grassroots, rules.allow_grassroots),
        "total_budget": (call.total_budget_fen, rules.total_budget_fen),
        "min_grant": (call.min_grant_fen, rules.min_grant_fen),
        "max_grant": (call.max_grant_fen, rules.max_grant_fen),
        "opens_at": (call.opens_at, rules.opens_at),
        "sections": (call.sections, rules.sections),
        "required_attachments": (call.required_attachments, rules.required_attachments),
        "reviewers_per_proposal": (call.reviewers_per_proposal, rules.reviewers_per_proposal),
        "min_fundable_score": (Decimal(call.min_fundable_score), Decimal(rules.min_fundable_score)),
        "notice_days": (call.notice_days, rules.notice_days),
        "reviewers_see_opinion": (call.reviewers_see_opinion, rules.reviewers_see_opinion),
        "aggregation_method": (call.aggregation_method, rules.aggregation_method),
        "normalise_scores": (bool(call.normalise_scores), bool(rules.normalise_scores)),
        "component_percent": (Decimal(call.component_weight or 0), Decimal(rules.component_weight or 0)),
        "component_label": (call.component_label or "",
                            (rules.component_label or "").strip() if rules.component_weight else ""),
        "disagreement_threshold": (Decimal(call.disagreement_threshold), Decimal(rules.disagreement_threshold)),
        "tie_criterion_position": (call.tie_criterion_position, rules.tie_criterion_position),
        "grace_minutes": (call.grace_minutes or 0, rules.grace_minutes or 0),
        "criteria": ([(c.name, c.weight, Decimal(c.max_points), c.guidance) for c in call.criteria],
                     [(c.name, c.weight, Decimal(c.max_points), c.guidance) for c in rules.criteria]),
    }
    return [name for name, (old, new) in pairs.items() if old != new]


def _apply_rules(call: Call, rules: CallRules) -> None:
    call.kind = rules.kind
    call.title, call.summary = rules.title, rules.summary
    call.text_markdown, call.text_html = rules.text_markdown, render_markdown(rules.text_markdown)
    call.themes, call.districts = list(rules.themes), list(rules.districts)
    call.allow_registered, call.allow_grassroots = rules.allow_registered, rules.allow_grassroots
    call.total_budget_fen, call.min_grant_fen, call.max_grant_fen = (
        rules.total_budget_fen, rules.min_grant_fen, rules.max_grant_fen)
    call.opens_at, call.closes_at, call.timezone = rules.opens_at, rules.closes_at, rules.timezone
    call.sections = [dict(s) for s in rules.sections]
    call.required_attachments = [dict(a) for a in rules.required_attachments]
    call.reviewers_per_proposal = rules.reviewers_per_proposal
    call.min_fundable_score = rules.min_fundable_score
    call.notice_days = rules.notice_days
    call.comment_moderation = rules.comment_moderation
    call.reviewers_see_opinion = rules.reviewers_see_opinion
    call.aggregation_method = rules.aggregation_method
    call.normalise_scores = bool(rules.normalise_scores)
    call.component_weight = Decimal(rules.component_weight or 0)
    call.component_label = (rules.component_label or "").strip() if rules.component_weight else ""
    call.disagreement_threshold = Decimal(rules.disagreement_threshold)
    call.tie_criterion_position = rules.tie_criterion_position
    call.grace_minutes = int(rules.grace_minutes or 0)


def _replace_criteria(call: Call, specs: list[CriterionSpec]) -> None:
    # Rows are updated in place by position: deleting and re-inserting would
    # collide on (call, position) because a flush inserts before it deletes.
    existing = list(call.criteria)
    for position, spec in enumerate(specs, start=1):
        if position <= len(existing):
            criterion = existing[position - 1]
        else:
            criterion = Criterion(position=position)
            call.criteria.append(criterion)
        criterion.name, criterion.guidance = spec.name.strip(), spec.guidance
        criterion.weight, criterion.max_points = spec.weight, spec.max_points
    for extra in existing[len(specs):]:
        call.criteria.remove(extra)


# The published rules, frozen when the call opens ----------------------------------------

def _two_places(value: Any) -> str:
    return format(Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01")), "f")


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def published_rules(call: Call) -> dict[str, Any]:
    """Every rule of the competition published before anyone applies, in a
    canonical form: who may apply and where, the money, the dates, what a
    proposal must contain, the rubric and how scores become a result. Frozen
    into the audit entry that opens the call (``audit verify`` compares it with
    the row later). The texts may still be clarified and the closing time
    extended, so the texts are not here and the closing time is checked
    against its audited extensions."""
    rules: dict[str, Any] = {
        "kind": call.kind.value,
        "themes": list(call.themes or []), "districts": list(call.districts or []),
        "allow_registered": bool(call.allow_registered), "allow_grassroots": bool(call.allow_grassroots),
        "total_budget_fen": int(call.total_budget_fen), "min_grant_fen": int(call.min_grant_fen),
        "max_grant_fen": int(call.max_grant_fen),
        "opens_at": _moment(call.opens_at), "closes_at": _moment(call.closes_at), "timezone": call.timezone,
        "sections": [dict(s) for s in call.sections or []],
        "required_attachments": [dict(a) for a in call.required_attachments or []],
        "reviewers_per_proposal": int(call.reviewers_per_proposal),
        "min_fundable_score": _two_places(call.min_fundable_score),
        "notice_days": int(call.notice_days),
        "reviewers_see_opinion": bool(call.reviewers_see_opinion),
        "aggregation_method": call.aggregation_method,
        "normalise_scores": bool(call.normalise_scores),
        "component_weight": _two_places(call.component_weight),
        "component_label": call.component_label or "",
        "disagreement_threshold": _two_places(call.disagreement_threshold),
        "tie_criterion_position": call.tie_criterion_position,
        "criteria": [{"position": c.position, "name": c.name, "weight": int(c.weight),
                      "max_points": _two_places(c.max_points), "guidance": c.guidance or ""}
                     for c in sorted(call.criteria, key=lambda c: c.position)],
    }
    if call.grace_minutes:  # absent when none, so rules frozen before grace periods existed still match
        rules["grace_minutes"] = int(call.grace_minutes)
    return rules


def rules_fingerprint(rules: dict[str, Any]) -> str:
    return hashlib.sha256(audit.canonical(rules)).hexdigest()


# Phases ----------------------------------------------------------------------------

def lock(session: Session, call: Call) -> None:
    """Take the call's row until the transaction ends and read it afresh.

    Two phase changes of one call at the same moment then run one after the
    other, and the second sees what the first did (``SELECT … FOR UPDATE`` on
    PostgreSQL; on SQLite a writing request already holds the write lock from
    its first statement, and the reload is what matters)."""
    session.execute(select(Call).where(Call.id == call.id).with_for_update()
                    .execution_options(populate_existing=True)).scalar_one()  # fetched, so ``call`` is reloaded


def already(call: Call) -> InvalidTransition:
    return InvalidTransition(_l("This call is already at “%(phase)s”: someone made this change a moment ago. "
                                "Nothing more was changed.", phase=call.phase.label))


def transition(session: Session, actor: User | None, call: Call, to: Phase,
               now: datetime | None = None, reason: str = "", *, from_results: bool = False) -> AuditEvent:
    """Move a call to another phase: the one way a phase changes. The notice
    opens and the results are published only through venture.results.services
    (open_notice, finalise), which freeze the result first (``from_results``)
    and sign the checkpoint themselves once the result is written; every other
    move is checkpointed here."""
    now = now or utcnow()
    lock(session, call)
    current = call.phase
    if current is to:
        raise already(call)
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(_l("A call cannot go from %(a)s to %(b)s.", a=current.label, b=to.label))
    if to in (Phase.NOTICE, Phase.PUBLISHED) and not from_results:
        raise InvalidTransition(_l("The public notice is opened, and the final result published, from the "
                                   "call's deliberation page."))
    if to is Phase.OPEN:
        _raise_first(rubric_problems([CriterionSpec(c.name, c.weight, Decimal(c.max_points))
                                      for c in call.criteria]))
        if call.closes_at <= now:
            raise InvalidTransition(_l("The closing time has passed; set a later one before opening."))
        call.published_at = now
        from venture.projects.plans import freeze  # the plan for funded projects is published with the call

        freeze(session, actor, call, now)
    elif to is Phase.CLOSED and now < call.closes_at:
        raise InvalidTransition(_l("The call closes by itself at its closing time."))
    elif to is Phase.CANCELLED and not reason.strip():
        raise DomainError(_l("Give the reason for cancelling; it is shown to applicants."), "reason")
    elif to is Phase.REVIEW:
        from venture.screening.services import start_problems  # screening builds on calls

        waiting = start_problems(session, call)
        if waiting:
            raise DomainError(_ln("%(num)d submitted proposal is not screened yet. Only screened proposals "
                                  "can go to review: decide on it first.",
                                  "%(num)d submitted proposals are not screened yet. Only screened proposals "
                                  "can go to review: decide on each of them first.", len(waiting)))
    facts: dict[str, Any] = {"from": current.value, "to": to.value, "at": now.isoformat(), "reason": reason.strip()}
    if to is Phase.OPEN:
        rules = published_rules(call)
        facts.update(rules=rules, rules_sha256=rules_fingerprint(rules))
    if not from_results:
        facts[checkpoints.PROMISE] = True
    call.phase = to
    session.flush()
    # What the public sees of the call and of its proposals (and whether the
    # groups are named) follows the phase.
    search.enqueue(session, "call", call.id)
    event = audit.record(session, actor, "call.phase", call, **facts)
    if not from_results:
        checkpoints.make(session, f"phase:{to.value}", event)
    return event


def catch_up_with_clock(session: Session, call: Call, now: datetime | None = None) -> None:
    """Record a move the clock has already made (open → closed at closing time)."""
    now = now or utcnow()
    if call.phase is Phase.OPEN and now >= call.closes_at:
        lock(session, call)
        if call.phase is Phase.OPEN:  # unless another request recorded it meanwhile
            transition(session, None, call, Phase.CLOSED, now=now)


def close_due_calls(session: Session, now: datetime | None = None) -> int:
    """For the scheduler: record every open call whose closing time has passed."""
    now = now or utcnow()
    due = session.scalars(select(Call).where(Call.phase == Phase.OPEN, Call.closes_at <= now)).all()
    closed = 0
    for call in due:
        lock(session, call)
        if call.phase is Phase.OPEN:
            transition(session, None, call, Phase.CLOSED, now=now)
            closed += 1
    return closed


def default_sections(kind: CallKind) -> list[dict[str, str]]:
    from venture.calls.models import DEFAULT_SECTIONS

    return [{"key": key, "title": str(title)} for key, title in DEFAULT_SECTIONS[kind]]
