"""Calls: the phase state machine, rubric and budget rules, time rules."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.builders import rules
from venture.calls.models import TRANSITIONS, Call, Criterion, Phase
from venture.calls.services import CriterionSpec, rubric_problems, rules_problems
from venture.core.timeutil import utcnow


def spec(name: str, weight: int, points: str = "10") -> CriterionSpec:
    return CriterionSpec(name, weight, Decimal(points))


def test_the_state_machine_is_a_line_with_cancel():
    assert TRANSITIONS[Phase.DRAFT] == {Phase.OPEN, Phase.CANCELLED}
    assert TRANSITIONS[Phase.OPEN] == {Phase.CLOSED, Phase.CANCELLED}
    assert TRANSITIONS[Phase.CLOSED] == {Phase.REVIEW, Phase.CANCELLED}
    assert TRANSITIONS[Phase.REVIEW] == {Phase.NOTICE, Phase.CANCELLED}
    assert TRANSITIONS[Phase.NOTICE] == {Phase.PUBLISHED}
    assert TRANSITIONS[Phase.PUBLISHED] == set() and TRANSITIONS[Phase.CANCELLED] == set()
    # Every phase is reachable from draft.
    seen, todo = {Phase.DRAFT}, [Phase.DRAFT]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(Phase)


@pytest.mark.parametrize("weights,ok", [([40, 60], True), ([100], True), ([50, 49], False),
                                        ([50, 51], False), ([], False), ([100, 0], False)])
def test_rubric_weights_must_sum_to_100(bare_app, weights, ok):
    criteria = [spec(f"c{i}", w) for i, w in enumerate(weights)]
    assert (rubric_problems(criteria) == []) is ok


def test_rubric_names_unique_and_points_positive(bare_app):
    assert rubric_problems([spec("需求", 50), spec("需求", 50)])
    assert rubric_problems([spec("Need", 50), spec("need ", 50)])
    assert rubric_problems([spec("a", 50, "0"), spec("b", 50)])


def test_rules_problems(bare_app):
    assert rules_problems(rules()) == []
    now = utcnow()
    assert rules_problems(rules(min_grant_fen=5_000_000, max_grant_fen=1_000_000))
    assert rules_problems(rules(max_grant_fen=30_000_000))
    assert rules_problems(rules(allow_registered=False, allow_grassroots=False))
    assert rules_problems(rules(opens_at=now, closes_at=now))
    assert rules_problems(rules(sections=[]))
    assert rules_problems(rules(sections=[{"key": "a1", "title": "x"}]))  # clashes with an attachment key


def _call(opens: int, closes: int, phase: Phase = Phase.OPEN) -> Call:
    now = utcnow()
    return Call(phase=phase, opens_at=now + timedelta(hours=opens), closes_at=now + timedelta(hours=closes))


def test_time_decides_whether_a_call_accepts():
    now = utcnow()
    assert _call(-1, 1).is_accepting(now)
    assert not _call(1, 2).is_accepting(now) and _call(1, 2).is_upcoming(now)
    closed = _call(-2, -1)
    assert not closed.is_accepting(now)
    assert closed.effective_phase(now) is Phase.CLOSED, "past its closing time, an open call is closed"
    assert not _call(-1, 1, Phase.DRAFT).is_accepting(now)
    assert not _call(-1, 1, Phase.CANCELLED).is_accepting(now)


def test_closing_is_exclusive():
    call = _call(-1, 1)
    assert call.is_accepting(call.closes_at - timedelta(microseconds=1))
    assert not call.is_accepting(call.closes_at)


def test_closes_within():
    now = utcnow()
    assert _call(-1, 24 * 6).closes_within(now, timedelta(days=7))
    assert not _call(-1, 24 * 8).closes_within(now, timedelta(days=7))


def test_rubric_total_weight():
    call = Call(criteria=[Criterion(position=1, name="a", weight=30, max_points=Decimal(10)),
                          Criterion(position=2, name="b", weight=70, max_points=Decimal(10))])
    assert call.rubric_total_weight == 100


def test_rules_are_plain_values():
    changed = replace(rules(), title="x")
    assert changed.title == "x"
