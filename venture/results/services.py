"""From submitted reviews to a published result.

``compute`` reads a call's eligible proposals, their counted reviews, the
organizer's component scores and funding adjustments in a fixed number of
queries and applies the published method (``aggregate``) and the funding line
(``funding``). ``record_content`` turns a computation into the frozen,
JSON-safe content of a ``ResultRecord``.

The results move a call on twice, and only here:
- ``open_notice`` (REVIEW → NOTICE) freezes the proposed result, opens the
  public notice and names the groups from then on;
- ``finalise`` (NOTICE → PUBLISHED) freezes the final result with every change
  made since the notice and the reason for it.

Which reviews count: every submitted review (its latest version) of an
eligible proposal, whether its assignment is still live or was ended after
the review went in, except reviews by a member with a conflict of interest
with the applicant group, which never count. A member who reviewed the same
proposal twice (reassigned back) counts once, with the later review.

Organizers change amounts (lower one, or set a proposal aside) during the
review; during the notice only to act on an upheld objection. Every change is
audited with its numbers, never with names.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from venture.accounts.models import User
from venture.audit import checkpoints
from venture.audit import services as audit
from venture.calls.models import Call, Phase
from venture.core import l10n
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.core.l10n import lazy_ngettext as _ln
from venture.core.timeutil import utcnow
from venture.groups.models import Group, GroupMembership, MemberRole
from venture.mail import services as mail
from venture.proposals import face, leaks
from venture.proposals.models import Proposal, ProposalStatus, ProposalVersion, Screening
from venture.results import aggregate, funding
from venture.results.pseudonyms import reviewer_labels
from venture.results.models import (
    ComponentScore,
    FundingAdjustment,
    Objection,
    ObjectionStatus,
    ResultRecord,
    ResultStage,
)
from venture.review.models import Assignment, Conflict, Review, ReviewStatus, ReviewVersion
from venture.review.scoring import plain

# The shape of a record's content; 2 adds everything needed to recompute the result from it.
RECORD_FORMAT = 2

DELIBERATION_PHASES = frozenset({Phase.REVIEW, Phase.NOTICE, Phase.PUBLISHED})
MAX_REASON = 2000
MAX_NOTE = 300

OUTCOME_LABELS = {
    funding.Outcome.FUNDED: _l("Funded"),
    funding.Outcome.BELOW_MINIMUM: _l("Below the minimum score"),
    funding.Outcome.NO_SCORE: _l("No score"),
    funding.Outcome.SET_ASIDE: _l("Set aside by the organizers"),
    funding.Outcome.DOES_NOT_FIT: _l("Not funded: the request does not fit in what is left of the budget"),
}

SET_ASIDE_LABELS = {
    "conflict": _l("not counted: a conflict of interest with the applicant group"),
}

NOTE_LABELS = {
    "trimmed": _l("highest and lowest totals dropped"),
    "incomplete": _l("fewer reviews than required"),
    "no_reviews": _l("no reviews"),
    "no_component": _l("component score missing"),
}


def outcome_label(outcome: funding.Outcome | str) -> str:
    return str(OUTCOME_LABELS[funding.Outcome(outcome)])


def two_places(value: Decimal | int | str) -> str:
    """A Decimal as text with exactly two places: "7.50"."""
    return format(aggregate.rounded(Decimal(str(value))), "f")


def _maybe(value: Decimal | None) -> str | None:
    return None if value is None else two_places(value)


def fingerprint(content: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a result record's content (the audit chain's serialisation)."""
    return hashlib.sha256(audit.canonical(dict(content))).hexdigest()


def reason_digest(reason: str) -> str:
    return hashlib.sha256(reason.strip().encode("utf-8")).hexdigest()


# Reading ----------------------------------------------------------------------------------------

def _eligible(call: Call) -> tuple[Any, ...]:
    return (Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED,
            Proposal.screening == Screening.ELIGIBLE)


@dataclass(frozen=True)
class ProposalRow:
    """What a result line says about a proposal, as submitted (latest version)."""

    id: int
    number: str
    title: str
    group_id: int
    group_name: str
    group_kind: str
    theme: str
    district: str
    request_fen: int
    first_submitted_at: datetime


NO_IDENTITY = leaks.Identity((), ())


def proposal_rows(session: Session, call: Call, only: int | None = None) -> dict[int, ProposalRow]:
    """The call's eligible proposals (or just ``only``) in receipt-number order, in one query."""
    eligible = _eligible(call) + ((Proposal.id == only,) if only is not None else ())
    latest_no = (select(ProposalVersion.proposal_id, func.max(ProposalVersion.version_no).label("last"))
                 .join(Proposal, Proposal.id == ProposalVersion.proposal_id)
                 .where(*eligible).group_by(ProposalVersion.proposal_id).subquery())
    latest = aliased(ProposalVersion)
    first = aliased(ProposalVersion)
    rows = session.execute(
        select(Proposal.id, Proposal.number, Proposal.group_id, Proposal.theme, Proposal.district,
               Proposal.requested_fen, Group.name.label("group_name"), Group.kind.label("group_kind"),
               latest.number.label("version_number"),
               latest.content["title"].as_string().label("title"),
               latest.content["requested_fen"].as_integer().label("request_fen"),
               latest.content["theme"].as_string().label("version_theme"),
               latest.content["district"].as_string().label("version_district"),
               first.submitted_at.label("first_submitted_at"))
        .join(Group, Group.id == Proposal.group_id)
        .join(latest_no, latest_no.c.proposal_id == Proposal.id)
        .join(latest, and_(latest.proposal_id == Proposal.id, latest.version_no == latest_no.c.last))
        .join(first, and_(first.proposal_id == Proposal.id, first.version_no == 1))
        .where(*eligible)
        .order_by(Proposal.number, Proposal.id)
    ).all()
    return {row.id: ProposalRow(
        id=row.id, number=row.number or row.version_number or "", title=row.title or "",
        group_id=row.group_id, group_name=row.group_name, group_kind=getattr(row.group_kind, "value", row.group_kind),
        theme=row.version_theme or row.theme or "", district=row.version_district or row.district or "",
        request_fen=int(row.request_fen if row.request_fen is not None else row.requested_fen),
        first_submitted_at=row.first_submitted_at) for row in rows}


@dataclass(frozen=True)
class CountedReview:
    """A counted review with where it came from (for the organizer's explanation)."""

    score: aggregate.ReviewScore
    assignment_id: int
    live: bool
    version_no: int


def counted_reviews(session: Session, call: Call) -> list[CountedReview]:
    """The reviews that count, with their assignment, in one query.

    Only the criterion ids and scores are read out of each version's content
    (JSON paths, one pair per rubric row): decoding every frozen review with its
    reasons and comments would cost more than the whole aggregation."""
    criteria = list(call.criteria)
    positions = {c.id: c.position for c in criteria}
    paths = []
    for index in range(len(criteria)):
        paths += [ReviewVersion.content[("criteria", index, "id")].as_integer(),
                  ReviewVersion.content[("criteria", index, "score")].as_string()]
    latest = (select(ReviewVersion.review_id, func.max(ReviewVersion.version_no).label("last"))
              .group_by(ReviewVersion.review_id).subquery())
    conflicted = exists().where(Conflict.member_id == Assignment.member_id, Conflict.group_id == Proposal.group_id)
    rows = session.execute(
        select(Assignment.id, Assignment.member_id, Assignment.proposal_id, Assignment.ended_at.is_(None),
               ReviewVersion.version_no, ReviewVersion.total, *paths)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .join(Review, Review.assignment_id == Assignment.id)
        .join(latest, latest.c.review_id == Review.id)
        .join(ReviewVersion, and_(ReviewVersion.review_id == Review.id, ReviewVersion.version_no == latest.c.last))
        .where(*_eligible(call), Review.status == ReviewStatus.SUBMITTED, ~conflicted)
        .order_by(ReviewVersion.submitted_at, Assignment.id)
    ).all()
    found: dict[tuple[int, int], CountedReview] = {}
    for assignment_id, member_id, proposal_id, live, version_no, total, *pairs in rows:
        scores: dict[int, Decimal] = {}
        for index in range(0, len(pairs), 2):
            position = positions.get(pairs[index])
            if position is not None and pairs[index + 1] is not None:
                try:
                    scores[position] = Decimal(pairs[index + 1])  # stored as text such as "7.5"
                except (InvalidOperation, ValueError, TypeError):
                    continue
        # A later submission by the same member of the same proposal replaces an earlier one.
        found[(member_id, proposal_id)] = CountedReview(
            score=aggregate.ReviewScore(reviewer=member_id, proposal=proposal_id, total=Decimal(total),
                                        criteria=scores),
            assignment_id=assignment_id, live=bool(live), version_no=version_no)
    return list(found.values())


def set_aside_reviews(session: Session, call: Call) -> dict[int, list[tuple[int, str]]]:
    """Proposal id -> (panel member, reason) of each submitted review that does
    not count. The one reason so far is "conflict": the member is in conflict
    with the applicant group (found, perhaps, after the review was given;
    ``panels.conflicts`` then recorded it as set aside in the audit log)."""
    conflicted = exists().where(Conflict.member_id == Assignment.member_id, Conflict.group_id == Proposal.group_id)
    rows = session.execute(
        select(Assignment.proposal_id, Assignment.member_id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .join(Review, Review.assignment_id == Assignment.id)
        .where(*_eligible(call), Review.version_count > 0, conflicted)
        .distinct().order_by(Assignment.proposal_id, Assignment.member_id)).all()
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for proposal_id, member_id in rows:
        found[proposal_id].append((member_id, "conflict"))
    return dict(found)


# Why an assignment's review is not counted (published, from the notice on).
NOT_COUNTED = ("conflict", "withdrawn", "moved", "superseded", "not_submitted", "ended")
_ENDED_BECAUSE = {"withdrew": "withdrawn", "moved": "moved", "conflict": "conflict"}


def uncounted_reviews(session: Session, call: Call,
                      counted: Sequence[CountedReview]) -> dict[int, list[tuple[int, str]]]:
    """Proposal id -> (panel member id, reason) for every assignment of an
    eligible proposal whose review is not counted, in one query. A conflict
    always wins; a submitted review that does not count was replaced by the
    same member's later one; an unsubmitted one says how its assignment ended."""
    counted_ids = {review.assignment_id for review in counted}
    conflicted = exists().where(Conflict.member_id == Assignment.member_id, Conflict.group_id == Proposal.group_id)
    rows = session.execute(
        select(Assignment.id, Assignment.member_id, Assignment.proposal_id, Assignment.ended_at,
               Assignment.ended_reason, Review.status, Review.version_count, conflicted.label("conflicted"))
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .where(*_eligible(call))
        .order_by(Assignment.proposal_id, Assignment.member_id, Assignment.id)).all()
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for assignment_id, member_id, proposal_id, ended_at, ended_reason, status, versions, is_conflicted in rows:
        if assignment_id in counted_ids:
            continue
        submitted = status is ReviewStatus.SUBMITTED and (versions or 0) > 0
        if is_conflicted:
            reason = "conflict"
        elif submitted:
            reason = "superseded"
        elif ended_at is not None:
            reason = _ENDED_BECAUSE.get(ended_reason or "", "ended")
        else:
            reason = "not_submitted"
        found[proposal_id].append((member_id, reason))
    return found


def screening_outcomes(session: Session, call: Call) -> list[dict[str, str]]:
    """Every submitted proposal's screening decision and its published category, by receipt number."""
    from venture.screening.services import ELIGIBLE_CATEGORY, INELIGIBLE_CATEGORIES, NOT_RECORDED

    rows = session.execute(select(Proposal.number, Proposal.screening, Proposal.screening_category)
                           .where(Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED,
                                  Proposal.version_count > 0)
                           .order_by(Proposal.number, Proposal.id)).all()
    out = []
    for number, screening, category in rows:
        if screening is Screening.ELIGIBLE:
            category = ELIGIBLE_CATEGORY
        elif screening is not Screening.INELIGIBLE or category not in INELIGIBLE_CATEGORIES:
            category = NOT_RECORDED
        out.append({"number": number or "", "outcome": screening.value, "category": category})
    return out


def review_scores(session: Session, call: Call) -> list[aggregate.ReviewScore]:
    """The counted reviews as the aggregation takes them (reviewer = panel member id)."""
    return [review.score for review in counted_reviews(session, call)]


def method_of(call: Call) -> aggregate.Method:
    return aggregate.Method(call.aggregation_method, bool(call.normalise_scores),
                            Decimal(call.component_weight or 0))


def tie_criterion(call: Call) -> Any:
    if call.tie_criterion_position is None:
        return None
    return next((c for c in call.criteria if c.position == call.tie_criterion_position), None)


@dataclass
class Computation:
    """A call's result as computed now, with every number that made it."""

    call: Call
    computed_at: datetime
    method: aggregate.Method
    required: int
    rows: dict[int, ProposalRow]
    reviews: list[CountedReview]
    scores: dict[int, aggregate.ProposalScore]
    disagreements: list[int]
    lines: list[funding.Line]
    components: dict[int, ComponentScore]
    adjustments: dict[int, FundingAdjustment]
    ignored_adjustments: list[int] = field(default_factory=list)

    @cached_property
    def reviewer_stats(self) -> dict[int, aggregate.ReviewerStats]:
        """For the organizer's page only (not needed to publish)."""
        return aggregate.reviewer_stats([r.score for r in self.reviews])

    @property
    def funded_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    @property
    def budget_fen(self) -> int:
        return self.call.total_budget_fen

    @property
    def left_fen(self) -> int:
        return self.budget_fen - self.funded_fen

    @property
    def funded(self) -> int:
        return sum(1 for line in self.lines if line.outcome is funding.Outcome.FUNDED)

    @property
    def missing(self) -> dict[int, int]:
        """Reviews still expected, per proposal that lacks some."""
        return {p: s.missing for p, s in self.scores.items() if s.missing}

    @property
    def missing_total(self) -> int:
        return sum(self.missing.values())

    @property
    def without_component(self) -> list[int]:
        return [p for p, s in self.scores.items() if "no_component" in s.notes]

    @property
    def line_by_proposal(self) -> dict[int, funding.Line]:
        return {line.proposal: line for line in self.lines}

    def reviews_of(self, proposal: int) -> list[CountedReview]:
        return [r for r in self.reviews if r.score.proposal == proposal]

    @property
    def counted(self) -> dict[tuple[int, int], CountedReview]:
        """(member, proposal) → the counted review."""
        return {(r.score.reviewer, r.score.proposal): r for r in self.reviews}


def compute(session: Session, call: Call, now: datetime | None = None) -> Computation:
    """Aggregate and draw the funding line with the current components and adjustments."""
    now = now or utcnow()
    rows = proposal_rows(session, call)
    reviews = counted_reviews(session, call)
    scores_in = [r.score for r in reviews]
    components = {c.proposal_id: c for c in session.scalars(
        select(ComponentScore).join(Proposal, Proposal.id == ComponentScore.proposal_id).where(*_eligible(call)))}
    adjustments = {a.proposal_id: a for a in session.scalars(
        select(FundingAdjustment).join(Proposal, Proposal.id == FundingAdjustment.proposal_id)
        .where(*_eligible(call)))}
    method = method_of(call)
    scores = aggregate.aggregate(list(rows), scores_in, method, call.reviewers_per_proposal,
                                 {p: Decimal(c.value) for p, c in components.items()})
    tie = call.tie_criterion_position
    entries = [funding.Entry(proposal=p, score=scores[p].final,
                             tie_score=scores[p].criteria_means.get(tie) if tie is not None else None,
                             first_submitted_at=row.first_submitted_at, request_fen=row.request_fen)
               for p, row in rows.items()]
    by_id = {entry.proposal: entry for entry in entries}
    usable: dict[int, funding.Adjustment] = {}
    ignored = []
    for proposal, row in adjustments.items():
        adjustment = funding.Adjustment(amount_fen=row.amount_fen, set_aside=row.set_aside, reason=row.reason)
        try:
            funding.check_adjustment(by_id[proposal], adjustment)
        except (funding.AdjustmentRefused, KeyError):
            ignored.append(proposal)
            continue
        usable[proposal] = adjustment
    lines = funding.funding_line(entries, call.total_budget_fen, Decimal(call.min_fundable_score), usable)
    return Computation(
        call=call, computed_at=now, method=method, required=call.reviewers_per_proposal, rows=rows,
        reviews=reviews, scores=scores,
        disagreements=aggregate.disagreements(scores, Decimal(call.disagreement_threshold)),
        lines=lines, components=components,
        adjustments={p: a for p, a in adjustments.items() if p in usable}, ignored_adjustments=ignored)


# The frozen record ------------------------------------------------------------------------------

def method_content(call: Call) -> dict[str, Any]:
    tie = tie_criterion(call)
    return {
        "name": call.aggregation_method,
        "trim_from": aggregate.TRIM_FROM,
        "trim_each_side": aggregate.TRIM_EACH_SIDE,
        "normalise": bool(call.normalise_scores),
        "component_weight": two_places(call.component_weight or 0),
        "component_label": call.component_label or "",
        "minimum_score": two_places(call.min_fundable_score),
        "budget_fen": int(call.total_budget_fen),
        "reviewers_per_proposal": int(call.reviewers_per_proposal),
        "disagreement_threshold": two_places(call.disagreement_threshold),
        "tie_criterion": {"position": tie.position, "name": tie.name} if tie is not None else None,
    }


def _exact(value: float | None) -> str | None:
    """An unrounded number as the shortest text that reads back as the same double."""
    return None if value is None else repr(float(value))


def record_content(session: Session, call: Call, computation: Computation, stage: ResultStage | str,
                   changes: Sequence[Mapping[str, Any]] = (), proposed_fingerprint: str | None = None
                   ) -> dict[str, Any]:
    """The content of a ResultRecord: JSON-native (Decimals as two-place text,
    unrounded numbers as exact text, money in fen, times in ISO 8601). All of
    it is public from the notice on, and it holds every input the result is
    computed from, so that anyone can recompute it (see docs/REVIEW.md)."""
    stage = ResultStage(stage)
    labels = reviewer_labels(session, call)
    not_counted = uncounted_reviews(session, call, computation.reviews)
    counted_by_proposal: dict[int, list[CountedReview]] = defaultdict(list)
    for review in computation.reviews:
        counted_by_proposal[review.score.proposal].append(review)
    # Contact data is never public, in a record neither: titles are frozen as the public face shows them.
    identities = face.identities_of(session, {row.group_id for row in computation.rows.values()})
    lines = []
    for line in computation.lines:
        row = computation.rows[line.proposal]
        title = face.redact_text(row.title or "", identities.get(row.group_id, NO_IDENTITY), blind=False)
        score = computation.scores[line.proposal]
        adjustment = computation.adjustments.get(line.proposal)
        used = {review.reviewer: review for review in score.reviews}
        counted = sorted(counted_by_proposal[line.proposal], key=lambda r: r.score.reviewer)
        lines.append({
            "rank": line.rank, "proposal": row.id, "number": row.number, "title": title,
            "group": row.group_name, "group_kind": row.group_kind, "theme": row.theme, "district": row.district,
            "request_fen": row.request_fen, "amount_fen": line.amount_fen, "outcome": line.outcome.value,
            "score": _maybe(score.proposal_score), "component": _maybe(score.component),
            "final": _maybe(score.final),
            "criteria_means": {str(position): two_places(mean) for position, mean in score.criteria_means.items()},
            "reviews": len(score.reviews), "missing": score.missing, "notes": list(score.notes),
            "adjustment": None if adjustment is None else {
                "amount_fen": None if adjustment.set_aside else adjustment.amount_fen,
                "set_aside": bool(adjustment.set_aside), "reason": adjustment.reason},
            "first_submitted_at": row.first_submitted_at.isoformat(),
            "score_exact": _exact(score.exact),
            "review_scores": [{
                "reviewer": labels[review.score.reviewer],
                "scores": {str(position): plain(value) for position, value in sorted(review.score.criteria.items())},
                "total": two_places(review.score.total),
                "used": _exact(used[review.score.reviewer].value),
                "dropped": bool(used[review.score.reviewer].dropped),
            } for review in counted],
            "reviews_not_counted": [{"reviewer": labels[member], "reason": reason}
                                    for member, reason in not_counted.get(line.proposal, [])],
        })
    extra: dict[str, Any] = {}
    if proposed_fingerprint is not None:
        extra["proposed_fingerprint"] = proposed_fingerprint
    return {
        "format": RECORD_FORMAT,
        **extra,
        "call": call.id,
        "stage": stage.value,
        "computed_at": computation.computed_at.isoformat(),
        "method": method_content(call),
        "criteria": [{"position": c.position, "name": c.name, "weight": c.weight,
                      "max_points": two_places(c.max_points)} for c in call.criteria],
        "lines": lines,
        "totals": {"funded": computation.funded, "amount_fen": computation.funded_fen,
                   "budget_fen": int(call.total_budget_fen), "proposals": len(lines)},
        "changes": [dict(change) for change in changes],
        "screening": screening_outcomes(session, call),
    }


def record_of(session: Session, call: Call, stage: ResultStage) -> ResultRecord | None:
    return session.scalar(select(ResultRecord).where(ResultRecord.call_id == call.id, ResultRecord.stage == stage))


def _audited_lines(content: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"proposal": line["proposal"], "final": line["final"], "amount_fen": line["amount_fen"],
             "outcome": line["outcome"]} for line in content["lines"]]


def _write_record(session: Session, actor: User | None, call: Call, stage: ResultStage,
                  content: dict[str, Any], now: datetime) -> ResultRecord:
    record = ResultRecord(call_id=call.id, stage=stage, created_at=now,
                          created_by_id=getattr(actor, "id", None), content=content,
                          fingerprint=fingerprint(content))
    session.add(record)
    session.flush()
    return record


def _seal(record: ResultRecord, event: Any) -> None:
    record.chain_seq = event.seq
    record.chain_head = event.entry_hash


# Opening the notice -----------------------------------------------------------------------------

class ReviewsMissing(DomainError):
    """Some proposals lack reviews; the organizer may confirm publishing anyway."""

    def __init__(self, missing: Mapping[int, int], rows: Mapping[int, ProposalRow]) -> None:
        total = sum(missing.values())
        ordered = sorted(missing.items(), key=lambda item: rows[item[0]].number)
        listed = ", ".join(f"{rows[p].number}: {n}" for p, n in ordered[:10]) + (", …" if len(ordered) > 10 else "")
        super().__init__(_ln(
            "%(num)d review is still missing (%(proposals)s). Confirm that the notice opens without it, "
            "or wait for it.",
            "%(num)d reviews are still missing (%(proposals)s). Confirm that the notice opens without them, "
            "or wait for them.", total,
            proposals=listed),
            "confirm_incomplete")
        self.missing = dict(missing)


def open_notice(session: Session, actor: User | None, call: Call, confirm_incomplete: bool = False,
                now: datetime | None = None) -> ResultRecord:
    """Freeze the proposed result, open the public notice and tell the applicant groups."""
    from venture.calls.services import lock, transition

    now = now or utcnow()
    lock(session, call)  # two organizers at once: the second waits, then is told
    if call.phase is Phase.NOTICE or record_of(session, call, ResultStage.PROPOSED) is not None:
        raise DomainError(_l("The public notice is already open: someone opened it a moment ago. "
                             "The proposed result below is the one published."))
    if call.phase is not Phase.REVIEW:
        raise DomainError(_l("The public notice opens at the end of the review."))
    computation = compute(session, call, now)
    if computation.without_component:
        raise DomainError(_ln(
            "%(num)d proposal has no %(label)s score yet; enter it before opening the notice.",
            "%(num)d proposals have no %(label)s score yet; enter them before opening the notice.",
            len(computation.without_component),
            label=call.component_label or _l("component")))
    if computation.missing and not confirm_incomplete:
        raise ReviewsMissing(computation.missing, computation.rows)
    content = record_content(session, call, computation, ResultStage.PROPOSED)
    record = _write_record(session, actor, call, ResultStage.PROPOSED, content, now)
    transition(session, actor, call, Phase.NOTICE, now=now, from_results=True)
    call.notice_opened_at = now
    call.notice_ends_at = now + timedelta(days=call.notice_days)
    session.flush()
    event = audit.record(session, actor, "results.proposed", record, call=call.id, fingerprint=record.fingerprint,
                         totals=content["totals"], lines=_audited_lines(content),
                         missing_reviews=computation.missing_total, confirmed_incomplete=bool(confirm_incomplete),
                         notice_ends_at=call.notice_ends_at.isoformat(), **{checkpoints.PROMISE: True})
    _seal(record, event)
    session.flush()
    checkpoints.make(session, "phase:notice", event)
    _tell_groups(session, call, content, "results_notice")
    return record


def _tell_groups(session: Session, call: Call, content: Mapping[str, Any], template: str) -> None:
    """Each applicant group's owners, about their own line (the result is public by now)."""
    lines = {line["proposal"]: line for line in content["lines"]}
    if not lines:
        return
    owners = session.execute(
        select(Proposal.id, User.email, User.locale, User.timezone)
        .join(GroupMembership, GroupMembership.group_id == Proposal.group_id)
        .join(User, User.id == GroupMembership.user_id)
        .where(Proposal.id.in_(list(lines)), GroupMembership.role == MemberRole.OWNER,
               User.deleted_at.is_(None))
        .order_by(Proposal.id, User.id)).all()
    for proposal_id, email, locale, zone in owners:
        if email:
            line = lines[proposal_id]
            # The label stays lazy: it is written in the recipient's language, not the organizer's.
            mail.queue(session, email, template, locale, zone, call=call, line=line,
                       outcome=OUTCOME_LABELS[funding.Outcome(line["outcome"])], total=len(lines))


# Changing amounts and components ----------------------------------------------------------------

def _check_line(session: Session, proposal: Proposal) -> Call:
    call = proposal.call
    if not (proposal.status is ProposalStatus.SUBMITTED and proposal.screening is Screening.ELIGIBLE):
        raise DomainError(_l("Only eligible proposals are in the result."))
    return call


def set_component(session: Session, actor: User | None, proposal: Proposal, value: Decimal | str | int,
                  note: str = "") -> ComponentScore:
    """The organizer-entered part of a composite score, 0 to 100, while the review lasts."""
    call = _check_line(session, proposal)
    if call.phase is not Phase.REVIEW:
        raise DomainError(_l("Component scores can only be entered while the call is under review."))
    if not call.component_weight:
        raise DomainError(_l("This call's score has no component entered by the organizers."))
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DomainError(_l("Enter a number from 0 to 100."), "value") from None
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        raise DomainError(_l("Enter a number from 0 to 100."), "value")
    number = aggregate.rounded(number)
    row = session.scalar(select(ComponentScore).where(ComponentScore.proposal_id == proposal.id))
    before = None if row is None else two_places(row.value)
    if row is None:
        row = ComponentScore(proposal_id=proposal.id)
        session.add(row)
    row.value = number
    row.note = (note or "").strip()[:MAX_NOTE]
    row.entered_at = utcnow()
    row.entered_by_id = getattr(actor, "id", None)
    session.flush()
    audit.record(session, actor, "results.component_set", row, proposal=proposal.id, call=call.id,
                 value=two_places(number), before=before)
    return row


def _adjustment_allowed(session: Session, call: Call, proposal: Proposal, objection: Objection | None) -> None:
    if call.phase is Phase.REVIEW:
        return
    if call.phase is Phase.NOTICE:
        if objection is None:
            raise DomainError(_l("During the public notice an amount may only change to act on an upheld "
                                 "objection: name the objection."), "objection")
        if (objection.call_id != call.id or objection.status is not ObjectionStatus.UPHELD
                or objection.proposal_id not in (None, proposal.id)):
            raise DomainError(_l("That objection was not upheld against this line or the whole result."),
                              "objection")
        return
    raise DomainError(_l("Amounts can only change during the review, or during the public notice to act on "
                         "an upheld objection."))


def adjust(session: Session, actor: User | None, proposal: Proposal, amount_fen: int | None, set_aside: bool,
           reason: str, objection: Objection | None = None) -> FundingAdjustment:
    """Lower the amount of a line (never above the request) or set the proposal aside, with a reason."""
    call = _check_line(session, proposal)
    _adjustment_allowed(session, call, proposal, objection)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason; it is published with the result."), "reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_l("At most %(max)d characters.", max=MAX_REASON), "reason")
    rows = proposal_rows(session, call, only=proposal.id)
    if proposal.id not in rows:
        raise DomainError(_l("Only eligible proposals are in the result."))
    request = rows[proposal.id].request_fen
    if not set_aside:
        if amount_fen is None or amount_fen <= 0:
            raise DomainError(_l("Enter an amount above zero, or set the proposal aside."), "amount")
        if amount_fen > request:
            raise DomainError(_l("The amount cannot be above the request."), "amount")
    row = session.scalar(select(FundingAdjustment).where(FundingAdjustment.proposal_id == proposal.id))
    if row is None:
        row = FundingAdjustment(proposal_id=proposal.id)
        session.add(row)
    row.set_aside = bool(set_aside)
    row.amount_fen = None if set_aside else int(amount_fen or 0)
    row.reason = reason
    row.made_at = utcnow()
    row.made_by_id = getattr(actor, "id", None)
    session.flush()
    audit.record(session, actor, "results.adjusted", row, proposal=proposal.id, call=call.id,
                 amount_fen=row.amount_fen, set_aside=row.set_aside, request_fen=request,
                 reason_sha256=reason_digest(reason), objection=objection.id if objection else None,
                 phase=call.phase.value)
    return row


def clear_adjustment(session: Session, actor: User | None, proposal: Proposal,
                     objection: Objection | None = None) -> None:
    """Back to the request as the funding line has it."""
    call = _check_line(session, proposal)
    _adjustment_allowed(session, call, proposal, objection)
    row = session.scalar(select(FundingAdjustment).where(FundingAdjustment.proposal_id == proposal.id))
    if row is None:
        raise DomainError(_l("This line has no change to undo."))
    row_id = row.id
    session.delete(row)
    session.flush()
    audit.record(session, actor, "results.adjustment_cleared", object_type=FundingAdjustment.__tablename__,
                 object_id=row_id, proposal=proposal.id, call=call.id,
                 objection=objection.id if objection else None, phase=call.phase.value)


# Finalising -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    proposal: int
    number: str
    what: str  # "rank", "amount" or "outcome"
    before: Any
    after: Any


def changes_since(proposed: Mapping[str, Any], current: Mapping[str, Any]) -> list[Change]:
    """What differs, line by line, between two record contents."""
    before = {line["proposal"]: line for line in proposed["lines"]}
    found = []
    for line in current["lines"]:
        old = before.get(line["proposal"])
        if old is None:
            continue
        for what, key in (("rank", "rank"), ("amount", "amount_fen"), ("outcome", "outcome")):
            if old[key] != line[key]:
                found.append(Change(line["proposal"], line["number"], what, old[key], line[key]))
    return found


def pending_changes(session: Session, call: Call, now: datetime | None = None) -> list[Change]:
    """What finalising now would change in the proposed result."""
    proposed = record_of(session, call, ResultStage.PROPOSED)
    if proposed is None:
        return []
    current = record_content(session, call, compute(session, call, now), ResultStage.FINAL)
    return changes_since(proposed.content, current)


def _objection_for(objections: Sequence[Objection], proposal: int) -> int | None:
    upheld = [o for o in objections if o.status is ObjectionStatus.UPHELD]
    own = [o for o in upheld if o.proposal_id == proposal]
    whole = [o for o in upheld if o.proposal_id is None]
    for group in (own, whole, upheld if len(upheld) == 1 else []):
        if group:
            return max(group, key=lambda o: o.id).id
    return None


def finalise(session: Session, actor: User | None, call: Call, changes_reasons: Mapping[int, str],
             now: datetime | None = None) -> ResultRecord:
    """Publish the final result at the end of the notice, with each change and its reason."""
    from venture.calls.services import lock, transition

    now = now or utcnow()
    lock(session, call)  # two organizers at once: the second waits, then is told
    if call.phase is Phase.PUBLISHED:
        raise DomainError(_l("The final result is already published: someone published it a moment ago."))
    if call.phase is not Phase.NOTICE:
        raise DomainError(_l("Only a result in public notice can be finalised."))
    if call.notice_ends_at is not None and now < call.notice_ends_at:
        raise DomainError(_l("The public notice runs until %(when)s; the result can be finalised after that.",
                             when=l10n.format_moment(call.notice_ends_at, with_zone=True)))
    proposed = record_of(session, call, ResultStage.PROPOSED)
    if proposed is None:
        raise DomainError(_l("This call has no proposed result to finalise."))
    objections = list(session.scalars(select(Objection).where(Objection.call_id == call.id)))
    unanswered = sum(1 for o in objections if o.status is ObjectionStatus.OPEN)
    if unanswered:
        raise DomainError(_ln("%(num)d objection has no answer yet; answer it before finalising.",
                              "%(num)d objections have no answer yet; answer each of them before finalising.",
                              unanswered))
    computation = compute(session, call, now)
    draft = record_content(session, call, computation, ResultStage.FINAL)
    found = changes_since(proposed.content, draft)
    reasons = {int(k): (v or "").strip() for k, v in changes_reasons.items()}
    lacking = sorted({c.number for c in found if not reasons.get(c.proposal)})
    if lacking:
        raise DomainError(_l("Give the reason for each change (%(numbers)s).", numbers=", ".join(lacking)),
                          "reasons")
    changes = [{"proposal": c.proposal, "number": c.number, "what": c.what, "before": c.before, "after": c.after,
                "reason": reasons[c.proposal][:MAX_REASON], "objection": _objection_for(objections, c.proposal)}
               for c in found]
    content = record_content(session, call, computation, ResultStage.FINAL, changes,
                             proposed_fingerprint=proposed.fingerprint)
    record = _write_record(session, actor, call, ResultStage.FINAL, content, now)
    transition(session, actor, call, Phase.PUBLISHED, now=now, from_results=True)
    call.results_published_at = now
    session.flush()
    event = audit.record(session, actor, "results.published", record, call=call.id, fingerprint=record.fingerprint,
                         proposed=proposed.fingerprint, totals=content["totals"], lines=_audited_lines(content),
                         changes=[{"proposal": c["proposal"], "what": c["what"], "before": c["before"],
                                   "after": c["after"], "objection": c["objection"],
                                   "reason_sha256": reason_digest(c["reason"])} for c in changes])
    from venture.projects.services import create_projects  # every funded line becomes a project to follow

    create_projects(session, actor, call, record, now)
    head = audit.record(session, actor, "results.chain_head", record, call=call.id,
                        published_seq=event.seq, published_hash=event.entry_hash, fingerprint=record.fingerprint,
                        **{checkpoints.PROMISE: True})
    _seal(record, head)
    session.flush()
    checkpoints.make(session, "phase:published", head)
    _tell_groups(session, call, content, "results_published")
    return record


# For the organizer's page -----------------------------------------------------------------------

def member_names(session: Session, call: Call) -> dict[int, str]:
    """Panel member id → the expert's name (organizers know their panel)."""
    from venture.bodies.models import PoolExpert
    from venture.review.models import PanelMember

    rows = session.execute(select(PanelMember.id, User.display_name)
                           .join(PoolExpert, PoolExpert.id == PanelMember.expert_id)
                           .join(User, User.id == PoolExpert.user_id)
                           .where(PanelMember.call_id == call.id)).all()
    return {member_id: name for member_id, name in rows}


def upheld_objections(session: Session, call: Call) -> dict[int | None, list[Objection]]:
    """Upheld objections by the line they are against (None: the whole result)."""
    found: dict[int | None, list[Objection]] = defaultdict(list)
    for objection in session.scalars(select(Objection).where(Objection.call_id == call.id,
                                                             Objection.status == ObjectionStatus.UPHELD)
                                     .order_by(Objection.id)):
        found[objection.proposal_id].append(objection)
    return found


def open_objection_count(session: Session, call: Call) -> int:
    return session.scalar(select(func.count(Objection.id)).where(Objection.call_id == call.id,
                                                                 Objection.status == ObjectionStatus.OPEN)) or 0
