"""Screening (资格初审): once a call closes, organizers decide for each submitted
proposal whether it meets the published conditions, with a written reason.
Only eligible proposals go to review; decisions may be reversed, with a
reason, until the review starts."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, subqueryload

from venture.accounts.models import User
from venture.audit import services as audit
from venture.calls.models import Call, Phase
from venture.calls.services import catch_up_with_clock
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow
from venture.mail import services as mail
from venture.proposals.models import Proposal, ProposalStatus, Screening

MIN_REASON = 5
MAX_REASON = 2000

# Why a decision was taken, in one word that is published with the result
# (the written reason goes to the group only: it may name them).
ELIGIBLE_CATEGORY = "meets_conditions"
CATEGORIES = {
    ELIGIBLE_CATEGORY: _l("Meets the published conditions"),
    "applicant_kind": _l("This kind of group may not apply to the call"),
    "amount": _l("The amount requested is outside the call's limits"),
    "attachments": _l("A required attachment is missing"),
    "area": _l("Outside the call's districts or theme areas"),
    "conditions": _l("Another published condition is not met"),
    "incomplete": _l("The proposal is incomplete"),
}
INELIGIBLE_CATEGORIES = tuple(key for key in CATEGORIES if key != ELIGIBLE_CATEGORY)
# Shown for decisions recorded before categories were kept.
NOT_RECORDED = "not_recorded"
NOT_RECORDED_LABEL = _l("Not recorded")


def category_label(key: str) -> str:
    return str(CATEGORIES.get(key, NOT_RECORDED_LABEL))
# From the review on, the set of proposals under review is fixed.
REVIEW_STARTED = frozenset({Phase.REVIEW, Phase.NOTICE, Phase.PUBLISHED})


@dataclass(frozen=True)
class Check:
    """One published condition checked automatically: a hint for the organizer, never the decision."""

    key: str
    label: Any
    ok: bool
    detail: Any = ""


def is_screenable(proposal: Proposal) -> bool:
    return proposal.status is ProposalStatus.SUBMITTED and proposal.version_count > 0


def submitted_proposals(session: Session, call: Call) -> list[Proposal]:
    return list(session.scalars(select(Proposal).where(
        Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED, Proposal.version_count > 0)
        .options(joinedload(Proposal.group), subqueryload(Proposal.versions))
        .order_by(Proposal.number, Proposal.id)))


def counts(proposals: list[Proposal]) -> dict[Screening, int]:
    found = dict.fromkeys(Screening, 0)
    for proposal in proposals:
        found[proposal.screening] += 1
    return found


def phase_problem(call: Call, now: datetime) -> Any:
    """Why screening cannot happen now, or None when it can."""
    phase = call.effective_phase(now)
    if phase in REVIEW_STARTED:
        return _l("The review has started: screening decisions can no longer change.")
    if phase is Phase.CANCELLED:
        return _l("This call was cancelled.")
    if phase is not Phase.CLOSED:
        return _l("Screening starts when the call has closed.")
    return None


def screen(session: Session, actor: User | None, proposal: Proposal, eligible: bool, reason: str,
           now: datetime | None = None, category: str = "") -> bool:
    """Record the decision on one proposal, with its reason and (when not
    eligible) its category, one of ``INELIGIBLE_CATEGORIES``. Returns False
    when the same decision with the same reason is already recorded (nothing
    changes)."""
    now = now or utcnow()
    call = proposal.call
    problem = phase_problem(call, now)
    if problem is not None:
        raise DomainError(problem)
    if not is_screenable(proposal):
        raise DomainError(_l("Only submitted proposals are screened."))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise DomainError(_l("Write the reason for this decision (at least %(n)d characters); the group "
                             "will read it.", n=MIN_REASON), "reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_l("At most %(max)d characters.", max=MAX_REASON), "reason")
    if eligible:
        category = ELIGIBLE_CATEGORY
    elif category not in INELIGIBLE_CATEGORIES:
        raise DomainError(_l("Choose why it is not eligible; the category is published with the result."),
                          "category")
    catch_up_with_clock(session, call, now)
    old = proposal.screening
    new = Screening.ELIGIBLE if eligible else Screening.INELIGIBLE
    if old is new and reason == proposal.screening_reason and category == proposal.screening_category:
        return False
    reversal = old is not Screening.PENDING and old is not new
    proposal.screening = new
    proposal.screening_reason = reason
    proposal.screening_category = category
    proposal.screened_at = now
    session.flush()
    audit.record(session, actor, "proposal.screened", proposal, call=call.id, reversal=reversal,
                 reason_sha256=hashlib.sha256(reason.encode("utf-8")).hexdigest(), category=category,
                 **{"from": old.value, "to": new.value})
    for owner in proposal.group.owners:
        if owner.email and not owner.is_deleted:
            mail.queue(session, owner.email, "screening_decision", owner.locale, proposal=proposal, call=call,
                       reversal=reversal)
    return True


def condition_checks(proposal: Proposal) -> list[Check]:
    """The submitted version against the call's published conditions."""
    from venture.core.formatting import format_money

    call = proposal.call
    latest = proposal.latest_version
    content: dict[str, Any] = latest.content if latest is not None else {}
    checks: list[Check] = []

    kind = proposal.group.kind
    checks.append(Check("group_kind", _l("Kind of group"), kind.value in call.eligible_kinds, kind.label))

    requested = int(content.get("requested_fen", proposal.requested_fen) or 0)
    checks.append(Check("amount", _l("Amount requested"),
                        call.min_grant_fen <= requested <= call.max_grant_fen,
                        _l("%(amount)s (allowed %(low)s to %(high)s)", amount=format_money(requested),
                           low=format_money(call.min_grant_fen), high=format_money(call.max_grant_fen))))

    if call.required_attachments:
        present = {item.get("slot") for item in content.get("attachments", [])}
        missing = [a["title"] for a in call.required_attachments if a["key"] not in present]
        checks.append(Check("attachments", _l("Required attachments"), not missing,
                            _l("missing: %(titles)s", titles=", ".join(missing)) if missing else _l("all present")))

    if call.districts:
        district = content.get("district", "") or ""
        checks.append(Check("district", _l("District"), district in call.districts, district or _l("none given")))

    if call.themes:
        theme = content.get("theme", "") or ""
        checks.append(Check("theme", _l("Theme"), theme in call.themes, theme or _l("none given")))

    from venture.projects.bars import screening_check  # a failed evaluation bars the group for two years

    bar = screening_check(proposal)
    if bar is not None:
        checks.append(bar)
    return checks


def unscreened(session: Session, call: Call) -> list[Proposal]:
    return [p for p in submitted_proposals(session, call) if p.screening is Screening.PENDING]


def start_problems(session: Session, call: Call) -> list[str]:
    """What keeps the review from starting: the receipt numbers of proposals still unscreened."""
    return [p.number or str(p.id) for p in unscreened(session, call)]
