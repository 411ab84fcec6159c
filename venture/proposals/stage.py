"""Where a proposal stands, as its group sees it: one word that follows the
call (not "submitted" for ever) and a timeline of the call's steps.

Plain functions of the call's phase, the proposal's state, its screening and
its published outcome; nothing here reads the database or the request.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from venture.calls.models import Phase
from venture.core.l10n import lazy_gettext as _l
from venture.proposals.models import ProposalStatus, Screening


class Stage(enum.StrEnum):
    DRAFT = "draft"
    WITHDRAWN = "withdrawn"
    NOT_SUBMITTED = "not_submitted"  # a draft left when the call closed
    SUBMITTED = "submitted"
    SCREENED = "screened"
    NOT_ELIGIBLE = "not_eligible"
    IN_REVIEW = "in_review"
    NOTICE = "notice"
    FUNDED = "funded"
    NOT_FUNDED = "not_funded"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self])


STAGE_LABELS = {
    Stage.DRAFT: _l("Draft"),
    Stage.WITHDRAWN: _l("Withdrawn"),
    Stage.NOT_SUBMITTED: _l("Not submitted before the call closed"),
    Stage.SUBMITTED: _l("Submitted, waiting for screening"),
    Stage.SCREENED: _l("Screened: eligible, waiting for review"),
    Stage.NOT_ELIGIBLE: _l("Screened: not eligible"),
    Stage.IN_REVIEW: _l("In expert review"),
    Stage.NOTICE: _l("Proposed result in public notice"),
    Stage.FUNDED: _l("Funded"),
    Stage.NOT_FUNDED: _l("Not funded"),
    Stage.CANCELLED: _l("The call was cancelled"),
}


def applicant_stage(phase: Phase, status: ProposalStatus, screening: Screening,
                    outcome: str | None = None) -> Stage:
    """The stage a group sees for its proposal. ``phase`` is the call's phase
    as the clock has it (``Call.effective_phase``); ``outcome`` the line's
    outcome in the published result (``"funded"`` or another), None before it."""
    if status is ProposalStatus.WITHDRAWN:
        return Stage.WITHDRAWN
    if phase is Phase.CANCELLED:
        return Stage.CANCELLED
    if status is ProposalStatus.DRAFT:
        return Stage.DRAFT if phase in (Phase.DRAFT, Phase.OPEN) else Stage.NOT_SUBMITTED
    if screening is Screening.INELIGIBLE:
        return Stage.NOT_ELIGIBLE
    if phase is Phase.PUBLISHED:
        return Stage.FUNDED if outcome == "funded" else Stage.NOT_FUNDED
    if phase is Phase.NOTICE:
        return Stage.NOTICE
    if phase is Phase.REVIEW:
        return Stage.IN_REVIEW
    if screening is Screening.ELIGIBLE:
        return Stage.SCREENED
    return Stage.SUBMITTED


STEP_LABELS = {
    "submitted": _l("Submitted"),
    "screened": _l("Eligibility screening"),
    "review": _l("Expert review"),
    "notice": _l("Public notice"),
    "result": _l("Result"),
}

# Where each stage sits on the timeline: the index of the current step.
_POSITION = {
    Stage.DRAFT: 0, Stage.NOT_SUBMITTED: 0, Stage.SUBMITTED: 1, Stage.SCREENED: 2, Stage.NOT_ELIGIBLE: 1,
    Stage.IN_REVIEW: 2, Stage.NOTICE: 3, Stage.FUNDED: 4, Stage.NOT_FUNDED: 4,
}


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    state: str  # "done", "current" or "upcoming"
    on: datetime | None  # when it happened, or is planned
    until: datetime | None = None


def timeline(call: Any, proposal: Any, stage: Stage) -> list[Step]:
    """The call's steps with their dates, marked done, current or upcoming."""
    dates: list[tuple[str, datetime | None, datetime | None]] = [
        ("submitted", proposal.submitted_at or call.closes_at, None),
        ("screened", proposal.screened_at, None),
        ("review", None, call.review_due_at),
        ("notice", call.notice_opened_at, call.notice_ends_at),
        ("result", call.results_published_at, None),
    ]
    current = _POSITION.get(stage)
    steps = []
    for index, (key, on, until) in enumerate(dates):
        if current is None:
            state = "upcoming"
        elif index < current or (index == current and stage in (Stage.FUNDED, Stage.NOT_FUNDED)):
            state = "done"
        elif index == current:
            state = "current"
        else:
            state = "upcoming"
        label = STEP_LABELS[key]
        if key == "result" and stage in (Stage.FUNDED, Stage.NOT_FUNDED):
            label = stage.label
        if key == "screened" and stage is Stage.NOT_ELIGIBLE:
            label, state = stage.label, "done"
        steps.append(Step(key, str(label), state, on, until))
    if stage is Stage.NOT_ELIGIBLE:
        steps = steps[:2]
    return steps
