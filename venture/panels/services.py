"""Every change to a call's review panel: drawing experts, their answers,
manual additions, withdrawals, assigning proposals and moving them.

The draw and the assignment are made by the pure algorithms in
``venture.review.draw`` and ``venture.review.assign``. Here they are fed from
the database and their inputs and results are recorded: on the rows (seed,
pool snapshot, request) and in the audit log, so that anyone can re-run a
draw from the record and get the same experts (``flask panels verify-draw``).

A draw is a small ceremony, so that its seed is nobody's choice: the
organizer first prepares it (``prepare_draw``: a secret is fixed and only its
digest published), then draws with witnesses who each enter a value
(``draw``); the seed mixes the secret, the values and the audit chain's head
at that moment. A draw whose experts have not answered yet may be discarded,
with a reason; it stays listed, and its experts go back to the pool.
"""
from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from venture.accounts.models import User
from venture.audit import services as audit
from venture.audit.models import AuditEvent
from venture.bodies.models import PoolExpert
from venture.calls.models import Call, Phase
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow
from venture.mail import services as mail
from venture.panels import conflicts, redistribution
from venture.proposals.models import Proposal, ProposalStatus, Screening
from venture.review import assign
from venture.review import draw as drawing
from venture.review.expertise import AREAS
from venture.review.models import Assignment, DrawCommitment, DrawMethod, MemberStatus, PanelDraw, PanelMember

PANEL_PHASES = frozenset({Phase.OPEN, Phase.CLOSED, Phase.REVIEW})
MAX_PANEL = 50
REASON_LIMIT = 500
MAX_WITNESSES = 5
WITNESS_TEXT_LIMIT = 100


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _require_panel_phase(call: Call) -> None:
    if call.phase not in PANEL_PHASES:
        raise DomainError(_l("The panel can only change while the call is open, closed or under review."))


def _lock_call(session: Session, call: Call) -> None:
    """Serialise panel changes of one call (PostgreSQL; SQLite writes one at a time anyway)."""
    session.execute(select(Call.id).where(Call.id == call.id).with_for_update())


def _required_reason(reason: str | None, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give a reason; it is kept in the record."), field)
    return reason[:REASON_LIMIT]


# The pool and the draw --------------------------------------------------------------------

def available_pool(session: Session, call: Call) -> list[drawing.Candidate]:
    """The call's body's experts who are available and not yet on this call's panel (in any state)."""
    on_panel = select(PanelMember.expert_id).where(PanelMember.call_id == call.id)
    experts = session.scalars(
        select(PoolExpert).join(User, User.id == PoolExpert.user_id)
        .where(PoolExpert.body_id == call.body_id, PoolExpert.available.is_(True),
               User.deleted_at.is_(None), PoolExpert.id.not_in(on_panel))
        .order_by(PoolExpert.id))
    return [drawing.Candidate(e.id, tuple(sorted(e.expertise or []))) for e in experts]


def pool_counts(candidates: list[drawing.Candidate]) -> dict[str, int]:
    """Area -> number of available experts with it, for every known area."""
    counts = Counter(area for c in candidates for area in set(c.areas))
    return {area: counts.get(area, 0) for area in AREAS}


def _invite(session: Session, member: PanelMember) -> None:
    user = member.expert.user
    if user.email:
        mail.queue(session, user.email, "panel_invitation", user.locale, user.timezone, call=member.call, member=member)


@dataclass(frozen=True)
class Witness:
    """Someone who attends the draw (often from a supervision body) and enters a value of their own choosing."""

    name: str
    role: str
    value: str

    def as_recorded(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role, "value": self.value}

    def as_audited(self) -> dict[str, str]:
        """The audit log keeps no names: the name's digest stands for it."""
        return {"name_sha256": _sha256(self.name), "role": self.role, "value": self.value}


def _clean(typed: str | None) -> str:
    return unicodedata.normalize("NFC", typed or "").strip()


def clean_witnesses(rows: Sequence[tuple[str | None, str | None, str | None]]) -> list[Witness]:
    """The witnesses from (name, role, value) rows, empty rows left out.
    Raises DomainError (field ``witnesses``) unless at least one is complete
    and every row given is complete."""
    witnesses = []
    for name, role, value in rows:
        name, role, value = _clean(name), _clean(role), drawing.witness_value(value or "")
        if not (name or role or value):
            continue
        if not (name and role and value):
            raise DomainError(_l("Give each witness's name, role and the value they chose."), "witnesses")
        if max(len(name), len(role), len(value)) > WITNESS_TEXT_LIMIT:
            raise DomainError(_l("At most %(max)d characters.", max=WITNESS_TEXT_LIMIT), "witnesses")
        witnesses.append(Witness(name, role, value))
    if not witnesses:
        raise DomainError(_l("At least one witness enters a value at the draw; the seed depends on it."),
                          "witnesses")
    if len(witnesses) > MAX_WITNESSES:
        raise DomainError(_l("At most %(max)d witnesses.", max=MAX_WITNESSES), "witnesses")
    return witnesses


def open_commitment(session: Session, call: Call) -> DrawCommitment | None:
    """The prepared draw of the call that has not been made yet."""
    return session.scalar(select(DrawCommitment).where(DrawCommitment.call_id == call.id,
                                                       DrawCommitment.used_at.is_(None))
                          .order_by(DrawCommitment.id.desc()).limit(1))


def prepare_draw(session: Session, actor: Any, call: Call) -> DrawCommitment:
    """Fix the secret the next draw will reveal and publish its digest (the commitment)."""
    _require_panel_phase(call)
    _lock_call(session, call)
    if open_commitment(session, call) is not None:
        raise DomainError(_l("A draw is already prepared: its commitment is published. Make the draw with the "
                             "witnesses."))
    secret = drawing.new_secret()
    commitment = DrawCommitment(call_id=call.id, digest=drawing.commitment_digest(secret), secret=secret,
                                created_by_id=getattr(actor, "id", None))
    session.add(commitment)
    session.flush()
    audit.record(session, actor, "panel.draw_committed", commitment, call=call.id, digest=commitment.digest)
    return commitment


def _chain_head(session: Session) -> tuple[int, str]:
    """The audit chain's last entry, held so that no other entry comes in before this transaction's next one."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": audit._CHAIN_LOCK})
    head = session.execute(select(AuditEvent.seq, AuditEvent.entry_hash)
                           .order_by(AuditEvent.seq.desc()).limit(1)).first()
    return (int(head[0]), str(head[1])) if head else (0, audit.GENESIS)


def _run_draw(session: Session, actor: Any, call: Call, size: int, minimums: dict[str, int],
              action: str, *, commitment: DrawCommitment | None = None, witnesses: Sequence[Witness] = (),
              parent: PanelDraw | None = None, replaces: PanelMember | None = None) -> PanelDraw:
    pool = available_pool(session, call)
    facts: dict[str, Any] = {}
    record = PanelDraw(call_id=call.id, size=size, minimums=dict(minimums), pool_snapshot=drawing.snapshot(pool),
                       replaces_member_id=replaces.id if replaces else None, created_by_id=getattr(actor, "id", None))
    if commitment is not None:
        # Nothing is written to the audit log between reading its head and the draw's own entry.
        chain_seq, chain_head = _chain_head(session)
        record.seed = drawing.ceremony_seed(commitment.secret, [w.value for w in witnesses], chain_seq, chain_head)
        record.method = DrawMethod.CEREMONY
        record.commitment_id = commitment.id
        record.witnesses = [w.as_recorded() for w in witnesses]
        record.chain_seq, record.chain_head = chain_seq, chain_head
        commitment.used_at = utcnow()
        facts.update(commitment={"id": commitment.id, "digest": commitment.digest}, secret=commitment.secret,
                     witnesses=[w.as_audited() for w in witnesses], chain_seq=chain_seq, chain_head=chain_head)
    elif parent is not None and replaces is not None:
        record.seed = drawing.replacement_seed(parent.seed, replaces.id)
        record.method = DrawMethod.REPLACEMENT
        record.parent_draw_id = parent.id
        facts.update(parent_draw=parent.id)
    else:
        raise ValueError("a draw needs a commitment, or a parent draw and the member it replaces")
    result = drawing.draw_panel(record.seed, pool, size, minimums)
    record.chosen, record.shortfalls = list(result.chosen), dict(result.shortfalls)
    session.add(record)
    session.flush()
    members = [PanelMember(call_id=call.id, expert_id=expert_id, draw_id=record.id, status=MemberStatus.INVITED)
               for expert_id in result.chosen]
    session.add_all(members)
    session.flush()
    facts.update(call=call.id, method=record.method.value, seed=record.seed, size=size, minimums=dict(minimums),
                 pool=record.pool_snapshot, chosen=list(result.chosen), shortfalls=dict(result.shortfalls),
                 short_by=result.short_by)
    if replaces is not None:
        facts["replaces_member"] = replaces.id
    audit.record(session, actor, action, record, **facts)
    for member in members:
        _invite(session, member)
    return record


def draw(session: Session, actor: Any, call: Call, size: int, minimums: dict[str, int],
         witnesses: Sequence[Witness]) -> PanelDraw:
    """Draw ``size`` experts at random from the available pool, meeting the
    per-area minimums where the pool allows, with the prepared commitment and
    the witnesses' values. The draw's ``shortfalls`` say which areas the pool
    could not fill; ``size - len(chosen)`` seats stayed empty when the pool
    ran out."""
    _require_panel_phase(call)
    if not 1 <= size <= MAX_PANEL:
        raise DomainError(_l("A panel has from 1 to %(max)d experts.", max=MAX_PANEL), "size")
    unknown = sorted(set(minimums) - set(AREAS))
    if unknown:
        raise DomainError(_l("Unknown expertise area: %(areas)s.", areas=", ".join(unknown)))
    wanted = {area: int(n) for area, n in sorted(minimums.items()) if n}
    if any(n < 0 for n in wanted.values()):
        raise DomainError(_l("A minimum cannot be negative."))
    if any(n > size for n in wanted.values()):
        raise DomainError(_l("No minimum can be larger than the panel."), "size")
    if not witnesses:
        raise DomainError(_l("At least one witness enters a value at the draw; the seed depends on it."),
                          "witnesses")
    _lock_call(session, call)
    commitment = open_commitment(session, call)
    if commitment is None:
        raise DomainError(_l("Prepare the draw first: its commitment must be published before the witnesses "
                             "enter their values."))
    if not available_pool(session, call):
        raise DomainError(_l("Nobody in the expert pool is available for this call. "
                             "Invite experts to the pool or ask them to mark themselves available."))
    return _run_draw(session, actor, call, size, wanted, "panel.drawn", commitment=commitment,
                     witnesses=list(witnesses))


def discard_draw(session: Session, actor: Any, record: PanelDraw, reason: str) -> None:
    """Set aside a draw none of whose experts has answered yet. It stays listed,
    with the reason; its experts are told and go back to the pool."""
    call = record.call
    _require_panel_phase(call)
    reason = _required_reason(reason)
    _lock_call(session, call)
    if record.discarded_at is not None:
        raise DomainError(_l("This draw is already discarded."))
    drawn = list(session.scalars(select(PanelMember).where(PanelMember.draw_id == record.id)
                                 .order_by(PanelMember.id)))
    if any(m.status is not MemberStatus.INVITED for m in drawn):
        raise DomainError(_l("An expert of this draw has already answered, so it can no longer be discarded. "
                             "Stand members down instead."))
    record.discarded_at = utcnow()
    record.discard_reason = reason
    for member in drawn:
        user = member.expert.user
        if user.email and not user.is_deleted:
            mail.queue(session, user.email, "panel_draw_discarded", user.locale, user.timezone, call=call)
        session.delete(member)
    session.flush()
    audit.record(session, actor, "panel.draw_discarded", record, call=call.id, reason_sha256=_sha256(reason),
                 members=[m.id for m in drawn], experts=[m.expert_id for m in drawn])


def _replacement_minimums(session: Session, member: PanelMember) -> dict[str, int]:
    """The areas the decline leaves short compared with the draw that chose the decliner."""
    origin = member.draw
    if origin is None or not origin.minimums:
        return {}
    areas = set(member.expert.expertise or [])
    remaining = session.scalars(select(PanelMember).where(
        PanelMember.call_id == member.call_id, PanelMember.id != member.id,
        PanelMember.status.in_([MemberStatus.INVITED, MemberStatus.ACCEPTED]))).all()
    short: dict[str, int] = {}
    for area, needed in sorted(origin.minimums.items()):
        if area not in areas:
            continue
        have = sum(1 for m in remaining if area in (m.expert.expertise or []))
        if have < needed:
            short[area] = 1  # one seat to fill: one expert can bring each missing area
    return short


def respond(session: Session, actor: Any, member: PanelMember, accept: bool) -> PanelDraw | None:
    """The expert accepts or declines. A decline draws a replacement at once
    (returned); an acceptance finds the conflicts the profile shows."""
    if member.status is not MemberStatus.INVITED:
        raise DomainError(_l("You have already answered."))
    _require_panel_phase(member.call)
    member.status = MemberStatus.ACCEPTED if accept else MemberStatus.DECLINED
    member.responded_at = utcnow()
    session.flush()
    audit.record(session, actor, "panel.member_accepted" if accept else "panel.member_declined", member,
                 call=member.call_id, expert=member.expert_id)
    if accept:
        conflicts.derive(session, member, actor)
        return None
    return replace(session, actor, member)


def _parent_draw(session: Session, member: PanelMember) -> PanelDraw | None:
    """The draw a replacement for ``member`` derives its seed from: the one that chose them, else
    (an expert added by hand) the call's latest draw that was not discarded."""
    if member.draw is not None:
        return member.draw
    return session.scalar(select(PanelDraw).where(PanelDraw.call_id == member.call_id,
                                                  PanelDraw.discarded_at.is_(None))
                          .order_by(PanelDraw.id.desc()).limit(1))


def replace(session: Session, actor: Any, member: PanelMember) -> PanelDraw | None:
    """Draw one expert to take the place of a member who declined. None when
    the call has no draw to derive the seed from (its panel was added by hand:
    the organizers add or draw another)."""
    call = member.call
    _lock_call(session, call)
    parent = _parent_draw(session, member)
    if parent is None:
        return None
    record = _run_draw(session, actor, call, 1, _replacement_minimums(session, member),
                       "panel.replacement_drawn", parent=parent, replaces=member)
    if not record.chosen or record.shortfalls:
        redistribution.notify_organizers(session, call, "panel_shortfall", draw=record,
                                         areas=[AREAS[a] for a in record.shortfalls if a in AREAS])
    return record


def add_manual(session: Session, actor: Any, call: Call, expert: PoolExpert, reason: str) -> PanelMember:
    """An organizer adds an expert by hand. Marked as such; they still accept or decline."""
    _require_panel_phase(call)
    reason = _required_reason(reason)
    if expert.body_id != call.body_id:
        raise DomainError(_l("Choose an expert from this body's pool."), "expert")
    _lock_call(session, call)
    if session.scalar(select(PanelMember.id).where(PanelMember.call_id == call.id,
                                                   PanelMember.expert_id == expert.id)) is not None:
        raise DomainError(_l("This expert is already on the panel, or has answered before."), "expert")
    member = PanelMember(call_id=call.id, expert_id=expert.id, manual=True, status=MemberStatus.INVITED)
    session.add(member)
    session.flush()
    audit.record(session, actor, "panel.member_added_manually", member, call=call.id, expert=expert.id,
                 reason_sha256=_sha256(reason))
    _invite(session, member)
    return member


def withdraw(session: Session, actor: Any, member: PanelMember, reason: str) -> redistribution.Redistribution:
    """An accepted member steps down (or is stood down). Their open
    assignments go to the rest of the panel; reviews already submitted stay.
    Refused, changing nothing, when some proposal would be left without a reviewer."""
    reason = _required_reason(reason)
    if member.status is not MemberStatus.ACCEPTED:
        raise DomainError(_l("Only a member who has accepted can withdraw."))
    _require_panel_phase(member.call)
    _lock_call(session, member.call)
    open_items = [a for a in redistribution.active_assignments(session, member.call)
                  if a.member_id == member.id and not redistribution.review_submitted(a)]
    moved = redistribution.move_away(session, actor, member, open_items, "withdrew")
    member.status = MemberStatus.WITHDRAWN
    session.flush()
    audit.record(session, actor, "panel.member_withdrew", member, call=member.call_id,
                 reason_sha256=_sha256(reason), ended=[a.id for a in open_items], seed=moved.seed)
    return moved


# Assignment ------------------------------------------------------------------------------

def submitted_proposals(session: Session, call: Call) -> list[Proposal]:
    return list(session.scalars(select(Proposal).where(
        Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED, Proposal.version_count > 0)
        .order_by(Proposal.number, Proposal.id)))


@dataclass
class AssignmentPlan:
    """What "Assign reviewers" will do, or why it cannot yet."""

    per_proposal: int
    eligible: list[Proposal] = field(default_factory=list)
    unscreened: int = 0
    reviewers: list[PanelMember] = field(default_factory=list)
    undeclared: list[PanelMember] = field(default_factory=list)
    finance_reviewers: int = 0
    already_assigned: bool = False

    @property
    def reviews(self) -> int:
        return self.per_proposal * len(self.eligible)

    @property
    def load_range(self) -> tuple[int, int]:
        if not self.reviewers:
            return (0, 0)
        low, extra = divmod(self.reviews, len(self.reviewers))
        return (low, low + (1 if extra else 0))


def assignment_plan(session: Session, call: Call) -> AssignmentPlan:
    submitted = submitted_proposals(session, call)
    accepted = list(session.scalars(select(PanelMember).where(
        PanelMember.call_id == call.id, PanelMember.status == MemberStatus.ACCEPTED).order_by(PanelMember.id)))
    reviewers = [m for m in accepted if m.conflicts_declared_at is not None]
    return AssignmentPlan(
        per_proposal=call.reviewers_per_proposal,
        eligible=[p for p in submitted if p.screening is Screening.ELIGIBLE],
        unscreened=sum(1 for p in submitted if p.screening is Screening.PENDING),
        reviewers=reviewers,
        undeclared=[m for m in accepted if m.conflicts_declared_at is None],
        finance_reviewers=sum(1 for m in reviewers if redistribution.reviewer(m).finance),
        already_assigned=bool(redistribution.active_assignments(session, call)),
    )


def assign_call(session: Session, actor: Any, call: Call) -> assign.Assignment:
    """Give every eligible proposal the call's number of reviewers: no
    conflicts, loads within one of each other, a finance expert on each where
    the panel allows. Runs once; later changes are moves and redistributions."""
    if call.phase is not Phase.REVIEW:
        raise DomainError(_l("Reviewers are assigned once the review has started."))
    _lock_call(session, call)
    plan = assignment_plan(session, call)
    if plan.already_assigned:
        raise DomainError(_l("Reviewers are already assigned. Running the assignment again would undo the moves "
                             "made by hand since; move single assignments instead."))
    if plan.undeclared:
        raise DomainError(_l("%(num)d panel member(s) who accepted have not yet declared their conflicts of "
                             "interest. Every member must do so before proposals are assigned.",
                             num=len(plan.undeclared)))
    if plan.unscreened:
        raise DomainError(_l("%(num)d proposal(s) are not screened yet. Screen every proposal first.",
                             num=plan.unscreened))
    if not plan.eligible:
        raise DomainError(_l("No proposal is eligible for review."))
    if not plan.reviewers:
        raise DomainError(_l("Nobody on the panel has accepted yet."))
    for member in plan.reviewers:  # profiles may have changed since they accepted
        conflicts.derive(session, member, actor)
    conflict_map = redistribution.conflict_map(session, call, plan.eligible)
    seed = drawing.new_seed()
    try:
        result = assign.assign([p.id for p in plan.eligible], [redistribution.reviewer(m) for m in plan.reviewers],
                               plan.per_proposal, conflict_map, seed)
    except assign.AssignmentImpossible as error:
        stuck = {problem.proposal for problem in error.problems}
        raise DomainError(_l(
            "These proposals cannot get %(k)d reviewers without a conflict of interest: %(numbers)s. "
            "Add members to the panel, or lower the number of reviewers per proposal.",
            k=plan.per_proposal,
            numbers=redistribution.receipt_numbers(p for p in plan.eligible if p.id in stuck))) from None
    for proposal_id, member_ids in sorted(result.pairs.items()):
        for member_id in member_ids:
            session.add(Assignment(proposal_id=proposal_id, member_id=member_id, seed=seed))
    session.flush()
    audit.record(session, actor, "assignments.made", call, seed=seed, k=plan.per_proposal,
                 proposals=[p.id for p in plan.eligible],
                 reviewers=[{"member": m.id, "finance": redistribution.reviewer(m).finance} for m in plan.reviewers],
                 conflicts=sorted([p, m] for p, ms in conflict_map.items() for m in ms),
                 pairs=sorted([p, m] for p, ms in result.pairs.items() for m in ms),
                 balanced=result.balanced, without_finance=sorted(result.without_finance))
    loads = Counter(m for ms in result.pairs.values() for m in ms)
    for member in plan.reviewers:
        redistribution.notify_assigned(session, member, loads.get(member.id, 0))
    return result


def move(session: Session, actor: Any, assignment: Assignment, to_member: PanelMember, reason: str) -> Assignment:
    """An organizer gives one assignment to another member, conflicts still enforced."""
    reason = _required_reason(reason)
    call = assignment.proposal.call
    if call.phase is not Phase.REVIEW:
        raise DomainError(_l("Assignments can only be moved while the review lasts."))
    if assignment.ended_at is not None:
        raise DomainError(_l("This assignment has already ended."))
    if redistribution.review_submitted(assignment):
        raise DomainError(_l("The review of this proposal is already submitted; it cannot be moved."))
    if to_member.call_id != call.id or to_member.status is not MemberStatus.ACCEPTED:
        raise DomainError(_l("Choose a member of this panel who has accepted."), "to_member")
    if to_member.conflicts_declared_at is None:
        raise DomainError(_l("This member has not declared their conflicts of interest yet."), "to_member")
    if assignment.proposal.group_id in conflicts.conflicted_groups(session, to_member):
        raise DomainError(_l("This member has a conflict of interest with the applicant."), "to_member")
    _lock_call(session, call)
    if session.scalar(select(Assignment.id).where(
            Assignment.proposal_id == assignment.proposal_id, Assignment.member_id == to_member.id,
            Assignment.ended_at.is_(None))) is not None:
        raise DomainError(_l("This member already reviews this proposal."), "to_member")
    assignment.ended_at = utcnow()
    assignment.ended_reason = "moved"
    new = Assignment(proposal_id=assignment.proposal_id, member_id=to_member.id, manual=True)
    session.add(new)
    session.flush()
    audit.record(session, actor, "assignment.moved", new, proposal=assignment.proposal_id,
                 ended=assignment.id, **{"from": assignment.member_id, "to": to_member.id},
                 reason_sha256=_sha256(reason))
    redistribution.notify_assigned(session, to_member, 1)
    return new


def set_review_due(session: Session, actor: Any, call: Call, due_at: datetime) -> None:
    if call.phase not in PANEL_PHASES:
        raise DomainError(_l("The review deadline can only change before the review ends."))
    if due_at <= utcnow():
        raise DomainError(_l("The deadline must be in the future."), "due_at")
    previous = call.review_due_at
    call.review_due_at = due_at
    session.flush()
    audit.record(session, actor, "call.review_due_set", call, due_at=due_at.isoformat(),
                 previous=previous.isoformat() if previous else None)


# Reading -------------------------------------------------------------------------------

def members_of(session: Session, call: Call) -> list[PanelMember]:
    return list(session.scalars(select(PanelMember).where(PanelMember.call_id == call.id)
                                .order_by(PanelMember.created_at, PanelMember.id)))


def draws_of(session: Session, call: Call) -> list[PanelDraw]:
    return list(session.scalars(select(PanelDraw).where(PanelDraw.call_id == call.id)
                                .order_by(PanelDraw.created_at, PanelDraw.id)))


def active_loads(session: Session, call: Call) -> dict[int, int]:
    rows = session.execute(select(Assignment.member_id, func.count(Assignment.id))
                           .join(Proposal, Proposal.id == Assignment.proposal_id)
                           .where(Proposal.call_id == call.id, Assignment.ended_at.is_(None))
                           .group_by(Assignment.member_id))
    return {member_id: count for member_id, count in rows}
