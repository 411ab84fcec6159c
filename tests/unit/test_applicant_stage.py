"""The stage a group sees follows its call, not "submitted" for ever."""
from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from venture.calls.models import Phase
from venture.proposals.models import ProposalStatus, Screening
from venture.proposals.stage import Stage, applicant_stage, timeline

S, D, W = ProposalStatus.SUBMITTED, ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN
P, E, I = Screening.PENDING, Screening.ELIGIBLE, Screening.INELIGIBLE


@pytest.mark.parametrize(("phase", "status", "screening", "outcome", "expected"), [
    (Phase.OPEN, D, P, None, Stage.DRAFT),
    (Phase.CLOSED, D, P, None, Stage.NOT_SUBMITTED),
    (Phase.OPEN, S, P, None, Stage.SUBMITTED),
    (Phase.CLOSED, S, P, None, Stage.SUBMITTED),
    (Phase.CLOSED, S, E, None, Stage.SCREENED),
    (Phase.CLOSED, S, I, None, Stage.NOT_ELIGIBLE),
    (Phase.REVIEW, S, E, None, Stage.IN_REVIEW),
    (Phase.REVIEW, S, I, None, Stage.NOT_ELIGIBLE),
    (Phase.NOTICE, S, E, "funded", Stage.NOTICE),
    (Phase.PUBLISHED, S, E, "funded", Stage.FUNDED),
    (Phase.PUBLISHED, S, E, "below_minimum", Stage.NOT_FUNDED),
    (Phase.PUBLISHED, S, E, None, Stage.NOT_FUNDED),
    (Phase.PUBLISHED, S, I, None, Stage.NOT_ELIGIBLE),
    (Phase.CANCELLED, S, E, None, Stage.CANCELLED),
    (Phase.REVIEW, W, P, None, Stage.WITHDRAWN),
])
def test_the_stage_follows_the_call(phase, status, screening, outcome, expected) -> None:
    assert applicant_stage(phase, status, screening, outcome) is expected


def _call(**dates):
    base = dict(closes_at=datetime(2026, 5, 1, tzinfo=UTC), review_due_at=None, notice_opened_at=None,
                notice_ends_at=None, results_published_at=None)
    return SimpleNamespace(**{**base, **dates})


def test_the_timeline_marks_where_the_proposal_is() -> None:
    proposal = SimpleNamespace(submitted_at=datetime(2026, 4, 20, tzinfo=UTC), screened_at=datetime(2026, 5, 3, tzinfo=UTC))
    steps = timeline(_call(), proposal, Stage.IN_REVIEW)
    assert [s.key for s in steps] == ["submitted", "screened", "review", "notice", "result"]
    assert [s.state for s in steps] == ["done", "done", "current", "upcoming", "upcoming"]
    assert steps[0].on == proposal.submitted_at


def test_the_last_step_names_the_result() -> None:
    proposal = SimpleNamespace(submitted_at=None, screened_at=None)
    published = datetime(2026, 7, 1, tzinfo=UTC)
    steps = timeline(_call(results_published_at=published), proposal, Stage.FUNDED)
    assert steps[-1].state == "done" and steps[-1].on == published
    assert steps[-1].label == Stage.FUNDED.label


def test_an_ineligible_proposal_stops_at_screening() -> None:
    proposal = SimpleNamespace(submitted_at=None, screened_at=None)
    steps = timeline(_call(), proposal, Stage.NOT_ELIGIBLE)
    assert [s.key for s in steps] == ["submitted", "screened"]
    assert all(s.state == "done" for s in steps)
