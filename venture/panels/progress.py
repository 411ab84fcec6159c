"""How far a call's review has come, and reminders to the panel.

``call_progress`` reads everything the organizer's progress page shows in
four queries, however many proposals and members there are: the members
with their names, the assignments counted per member, the eligible proposals
with their assignments counted, and the last reminder per member from the
audit log.

``remind`` e-mails panel members who still owe something: reviews, an answer
to the panel invitation, or their declaration of conflicts. Like every e-mail
to a reviewer, a reminder never carries anything that identifies an applicant
group - not even proposal titles, which may name the group; receipt numbers
are the only reference to a proposal in it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from venture.accounts.models import User
from venture.audit.models import AuditEvent
from venture.audit.services import record
from venture.bodies.models import PoolExpert
from venture.calls.models import Call, Phase
from venture.core.collation import name_sort_key
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.core.l10n import ngettext
from venture.core.timeutil import utcnow
from venture.mail import services as mail
from venture.proposals.models import Proposal, ProposalStatus, ProposalVersion, Screening
from venture.review.models import Assignment, MemberStatus, PanelMember, Review, ReviewStatus

REMINDED = "review.reminded"
# A member reminded more recently than this is not reminded again.
REMINDER_GAP = timedelta(hours=12)
# Phases in which each kind of reminder makes sense (see venture/permissions.py).
RESPOND_PHASES = frozenset({Phase.OPEN, Phase.CLOSED, Phase.REVIEW})
CONFLICT_PHASES = frozenset({Phase.CLOSED, Phase.REVIEW})
REVIEW_PHASES = frozenset({Phase.REVIEW})


def _percent(done: int, total: int) -> int:
    return int(100 * done / total) if total else 0


@dataclass
class MemberProgress:
    """One panel member's part: counts over their live assignments."""

    member_id: int
    name: str
    status: MemberStatus
    responded: bool
    conflicts_declared: bool
    assigned: int = 0  # live assignments
    drafts: int = 0
    submitted: int = 0
    ever_assigned: int = 0  # live or ended
    last_activity: datetime | None = None
    last_reminded: datetime | None = None
    # For the reminder only; never shown.
    email: str | None = field(default=None, repr=False)
    locale: str | None = field(default=None, repr=False)

    @property
    def not_started(self) -> int:
        return self.assigned - self.drafts - self.submitted

    @property
    def outstanding(self) -> int:
        return self.assigned - self.submitted

    @property
    def percent(self) -> int:
        return _percent(self.submitted, self.assigned)

    @property
    def needs_response(self) -> bool:
        return self.status is MemberStatus.INVITED

    @property
    def needs_conflicts(self) -> bool:
        return self.status is MemberStatus.ACCEPTED and not self.conflicts_declared


@dataclass
class ProposalProgress:
    proposal_id: int
    number: str
    title: str
    required: int
    assigned: int  # live assignments
    submitted: int

    @property
    def short(self) -> bool:
        """Fewer reviewers assigned than the call asks for."""
        return self.assigned < self.required

    @property
    def expected(self) -> int:
        return max(self.required, self.assigned)

    @property
    def percent(self) -> int:
        return _percent(self.submitted, self.expected)


@dataclass
class Progress:
    call: Call
    now: datetime
    members: list[MemberProgress]  # accepted, and withdrawn ones who had assignments
    pending: list[MemberProgress]  # no answer to the invitation yet, or conflicts not declared
    proposals: list[ProposalProgress]
    remindable: set[int]  # members a reminder would reach now (ignoring the 12-hour gap)

    @property
    def required(self) -> int:
        """Reviews expected in all: per proposal the call's number, or more where more are assigned."""
        return sum(p.expected for p in self.proposals)

    @property
    def assigned(self) -> int:
        return sum(p.assigned for p in self.proposals)

    @property
    def submitted(self) -> int:
        return sum(p.submitted for p in self.proposals)

    @property
    def percent(self) -> int:
        return _percent(self.submitted, self.required)

    @property
    def short_proposals(self) -> int:
        return sum(1 for p in self.proposals if p.short)

    @property
    def due_at(self) -> datetime | None:
        return self.call.review_due_at

    @property
    def time_left(self) -> timedelta | None:
        """Until the review is due; negative once it is overdue."""
        return self.call.review_due_at - self.now if self.call.review_due_at else None

    @property
    def overdue(self) -> bool:
        left = self.time_left
        return left is not None and left < timedelta(0)

    def recently_reminded(self, member: MemberProgress) -> bool:
        return member.last_reminded is not None and self.now - member.last_reminded < REMINDER_GAP


# Reading ---------------------------------------------------------------------------------------

def _members(session: Session, call: Call) -> list[MemberProgress]:
    rows = session.execute(
        select(PanelMember.id, PanelMember.status, PanelMember.responded_at, PanelMember.conflicts_declared_at,
               User.display_name, User.deleted_at, User.email, User.locale)
        .join(PoolExpert, PoolExpert.id == PanelMember.expert_id)
        .join(User, User.id == PoolExpert.user_id)
        .where(PanelMember.call_id == call.id)
    ).all()
    rows = sorted(rows, key=lambda row: (name_sort_key(row.display_name), row.id))
    return [MemberProgress(member_id=row.id, status=row.status, responded=row.responded_at is not None,
                           conflicts_declared=row.conflicts_declared_at is not None,
                           name=str(_l("Deleted user")) if row.deleted_at else row.display_name,
                           email=row.email, locale=row.locale)
            for row in rows]


def _count_per_member(session: Session, call: Call, members: dict[int, MemberProgress]) -> None:
    live = Assignment.ended_at.is_(None)
    rows = session.execute(
        select(Assignment.member_id,
               func.count(Assignment.id).label("ever"),
               func.count(case((live, 1))).label("assigned"),
               func.count(case((and_(live, Review.status == ReviewStatus.DRAFT), 1))).label("drafts"),
               func.count(case((and_(live, Review.status == ReviewStatus.SUBMITTED), 1))).label("submitted"),
               func.max(Review.updated_at).label("last_activity"))
        .join(PanelMember, PanelMember.id == Assignment.member_id)
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .where(PanelMember.call_id == call.id)
        .group_by(Assignment.member_id)
    ).all()
    for row in rows:
        member = members.get(row.member_id)
        if member is not None:
            member.ever_assigned, member.assigned = row.ever, row.assigned
            member.drafts, member.submitted = row.drafts, row.submitted
            member.last_activity = row.last_activity


def _last_reminders(session: Session, call: Call, members: dict[int, MemberProgress]) -> None:
    rows = session.execute(
        select(AuditEvent.object_id, func.max(AuditEvent.occurred_at).label("last"))
        .where(AuditEvent.action == REMINDED, AuditEvent.object_type == PanelMember.__tablename__,
               AuditEvent.object_id.in_(select(PanelMember.id).where(PanelMember.call_id == call.id)))
        .group_by(AuditEvent.object_id)
    ).all()
    for row in rows:
        member = members.get(row.object_id)
        if member is not None:
            member.last_reminded = row.last


def _proposals(session: Session, call: Call) -> list[ProposalProgress]:
    counts = (
        select(Assignment.proposal_id.label("proposal_id"),
               func.count(Assignment.id).label("assigned"),
               func.count(case((Review.status == ReviewStatus.SUBMITTED, 1))).label("submitted"))
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .where(Proposal.call_id == call.id, Assignment.ended_at.is_(None))
        .group_by(Assignment.proposal_id)
        .subquery()
    )
    # The title as submitted (the latest version), not the working copy.
    title = func.coalesce(ProposalVersion.content["title"].as_string(), Proposal.title)
    rows = session.execute(
        select(Proposal.id, Proposal.number, title.label("title"),
               func.coalesce(counts.c.assigned, 0).label("assigned"),
               func.coalesce(counts.c.submitted, 0).label("submitted"))
        .outerjoin(ProposalVersion, and_(ProposalVersion.proposal_id == Proposal.id,
                                         ProposalVersion.version_no == Proposal.version_count))
        .outerjoin(counts, counts.c.proposal_id == Proposal.id)
        .where(Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED,
               Proposal.screening == Screening.ELIGIBLE)
        .order_by(Proposal.number, Proposal.id)
    ).all()
    return [ProposalProgress(proposal_id=row.id, number=row.number or "", title=row.title or "",
                             required=call.reviewers_per_proposal, assigned=row.assigned,
                             submitted=row.submitted)
            for row in rows]


def _reasons(call: Call, member: MemberProgress) -> tuple[int, bool, bool]:
    """What a reminder to this member would be about now: reviews outstanding,
    an unanswered invitation, undeclared conflicts."""
    outstanding = (member.outstanding if member.status is MemberStatus.ACCEPTED and call.phase in REVIEW_PHASES
                   else 0)
    respond = member.needs_response and call.phase in RESPOND_PHASES
    conflicts = member.needs_conflicts and call.phase in CONFLICT_PHASES
    return outstanding, respond, conflicts


def call_progress(session: Session, call: Call, now: datetime | None = None) -> Progress:
    """Everything the progress page shows, in a fixed number of queries."""
    everyone = _members(session, call)
    by_id = {member.member_id: member for member in everyone}
    _count_per_member(session, call, by_id)
    _last_reminders(session, call, by_id)
    proposals = _proposals(session, call)
    shown = [m for m in everyone
             if m.status is MemberStatus.ACCEPTED or (m.status is MemberStatus.WITHDRAWN and m.ever_assigned)]
    pending = [m for m in everyone if m.needs_response or m.needs_conflicts]
    remindable = {m.member_id for m in everyone if m.email and any(_reasons(call, m))}
    return Progress(call=call, now=now or utcnow(), members=shown, pending=pending, proposals=proposals,
                    remindable=remindable)


# Reminding -------------------------------------------------------------------------------------

class Reminded(int):
    """How many reminders were queued (an ``int``), with how many members
    were skipped because they had been reminded less than 12 hours ago."""

    skipped: int

    def __new__(cls, sent: int, skipped: int = 0) -> Reminded:
        value = super().__new__(cls, sent)
        value.skipped = skipped
        return value

    @property
    def sent(self) -> int:
        return int(self)

    @property
    def message(self) -> str:
        if not self and not self.skipped:
            return str(_l("Nobody needed a reminder: there are no unfinished reviews, unanswered "
                          "invitations or undeclared conflicts."))
        text = ngettext("%(num)d reminder sent.", "%(num)d reminders sent.", self.sent)
        if self.skipped:
            text += " " + ngettext(
                "%(num)d member was skipped: they were reminded less than 12 hours ago.",
                "%(num)d members were skipped: they were reminded less than 12 hours ago.", self.skipped)
        return text


def _outstanding_numbers(session: Session, call: Call) -> dict[int, list[str]]:
    """Receipt numbers of each member's unfinished live assignments (one query)."""
    rows = session.execute(
        select(Assignment.member_id, Proposal.number)
        .join(PanelMember, PanelMember.id == Assignment.member_id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .where(PanelMember.call_id == call.id, Assignment.ended_at.is_(None),
               (Review.id.is_(None)) | (Review.status != ReviewStatus.SUBMITTED))
        .order_by(Proposal.number)
    ).all()
    numbers: dict[int, list[str]] = {}
    for member_id, number in rows:
        numbers.setdefault(member_id, []).append(number or "")
    return numbers


def remind(session: Session, actor: Any, call: Call, member: PanelMember | None = None,
           now: datetime | None = None) -> Reminded:
    """Queue a reminder to each panel member who still owes something (or to
    ``member`` alone) and audit it; members reminded less than 12 hours ago
    are skipped. Returns how many were sent, with ``.skipped``."""
    if call.phase not in RESPOND_PHASES:
        raise DomainError(_l("Reminders can only be sent while the panel is formed or the review runs."))
    if member is not None and member.call_id != call.id:
        raise DomainError(_l("This person is not on the panel of this call."))
    progress = call_progress(session, call, now)
    targets = [m for m in progress.members + progress.pending
               if m.member_id in progress.remindable and (member is None or m.member_id == member.id)]
    targets = list({m.member_id: m for m in targets}.values())
    if member is not None and not targets:
        raise DomainError(_l("This member has nothing to be reminded of."))
    numbers = _outstanding_numbers(session, call) if call.phase in REVIEW_PHASES else {}
    sent = skipped = 0
    for target in targets:
        if progress.recently_reminded(target):
            skipped += 1
            continue
        outstanding, respond, conflicts = _reasons(call, target)
        assert target.email is not None  # remindable members have an address
        mail.queue(session, target.email, "review_reminder", target.locale,
                   name=target.name, call=call, outstanding=outstanding,
                   numbers=numbers.get(target.member_id, []) if outstanding else [],
                   needs_response=respond, needs_conflicts=conflicts, due_at=call.review_due_at)
        record(session, actor, REMINDED, object_type=PanelMember.__tablename__, object_id=target.member_id,
               outstanding=outstanding, invitation=respond, conflicts=conflicts)
        sent += 1
    return Reminded(sent, skipped)
