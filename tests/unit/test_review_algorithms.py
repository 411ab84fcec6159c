"""Review algorithms: the reproducible panel draw and the reviewer assignment."""
from __future__ import annotations

import hashlib
from collections import Counter
from itertools import combinations, product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from venture.review.assign import (
    Assignment,
    AssignmentImpossible,
    Problem,
    Reviewer,
    assign,
    redistribute,
)
from venture.review.draw import (
    Candidate,
    candidates_from_snapshot,
    draw_order,
    draw_panel,
    new_seed,
    snapshot,
)

AREAS = ("finance", "law", "social_work", "field")
SEED = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


# --- the panel draw ---------------------------------------------------------------------------------------------


def pool_of(n: int) -> list[Candidate]:
    """A pool of n experts with a fixed, varied spread of areas."""
    return [Candidate(100 + i, tuple(a for j, a in enumerate(AREAS) if (i >> j) & 1 or i % 5 == j)) for i in range(n)]


def test_new_seed_is_32_hex_characters_and_fresh():
    seeds = {new_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(len(s) == 32 and int(s, 16) >= 0 for s in seeds)


def test_hand_checked_order_and_panel():
    pool = [Candidate(3, ("finance",)), Candidate(7, ("law",)), Candidate(11, ("social_work", "finance")),
            Candidate(42, ())]
    keys = {c.expert_id: hashlib.sha256(f"{SEED}:{c.expert_id}".encode()).hexdigest() for c in pool}
    by_hand = sorted(keys, key=lambda i: (keys[i], i))
    assert [c.expert_id for c in draw_order(SEED, pool)] == by_hand
    # Pinned, so that a change to the algorithm cannot pass unnoticed: recorded draws must stay re-runnable.
    assert by_hand == [11, 7, 42, 3]
    # law first (7), then filling from the top of the order (11).
    assert draw_panel(SEED, pool, 2, {"law": 1}).chosen == (7, 11)
    # finance takes 11 then 3 (skipping 7 and 42), law takes 7.
    assert draw_panel(SEED, pool, 3, {"finance": 2, "law": 1}).chosen == (11, 3, 7)


def test_same_seed_and_snapshot_give_the_same_panel():
    pool = pool_of(30)
    minimums = {"finance": 2, "law": 1, "social_work": 2}
    first = draw_panel(SEED, pool, 7, minimums)
    recorded = snapshot(reversed(pool))
    assert recorded == sorted(recorded, key=lambda e: e["expert"])
    assert all(e["areas"] == sorted(e["areas"]) for e in recorded)
    assert draw_panel(SEED, list(reversed(pool)), 7, minimums) == first
    assert draw_panel(SEED, candidates_from_snapshot(recorded), 7, dict(reversed(minimums.items()))) == first


def test_a_different_seed_gives_a_different_panel():
    pool = pool_of(30)
    panels = {draw_panel(seed, pool, 7, {"finance": 2}).chosen for seed in ("a", "b", "c", "d", "e")}
    assert len(panels) > 1


def test_minimums_are_met_when_the_pool_allows():
    pool = pool_of(30)
    minimums = {"finance": 3, "law": 2, "social_work": 2}
    for seed in ("a", "b", "c", "d"):
        result = draw_panel(seed, pool, 7, minimums)
        assert result.complete and len(result.chosen) == 7
        chosen = [c for c in pool if c.expert_id in result.chosen]
        for area, minimum in minimums.items():
            assert sum(area in c.areas for c in chosen) >= minimum


def test_shortfalls_are_reported_not_raised():
    pool = [Candidate(1, ("finance",)), Candidate(2, ("law",)), Candidate(3, ())]
    result = draw_panel(SEED, pool, 5, {"finance": 2, "law": 1, "ethics": 1})
    assert sorted(result.chosen) == [1, 2, 3]
    assert result.shortfalls == {"finance": 1, "ethics": 1}
    assert result.short_by == 2
    assert not result.complete


def test_an_expert_counts_for_every_area_they_have():
    pool = [Candidate(1, ("finance", "law")), Candidate(2, ("law",))] + [Candidate(i, ()) for i in range(10, 18)]
    for seed in ("a", "b", "c", "d", "e", "f"):
        result = draw_panel(seed, pool, 2, {"finance": 1, "law": 1})
        order = [c.expert_id for c in draw_order(seed, pool)]
        # Expert 1 is drawn for finance and already covers law, so the law step draws nobody:
        # the second seat goes to whoever comes first in the order.
        assert result.chosen == (1, next(i for i in order if i != 1))
        assert result.complete


@pytest.mark.parametrize("size,minimums", [(0, {}), (3, {"law": -1}), (2, {"law": 3})])
def test_impossible_requests_are_refused(size, minimums):
    with pytest.raises(ValueError):
        draw_panel(SEED, pool_of(10), size, minimums)


def test_a_repeated_expert_is_refused():
    with pytest.raises(ValueError):
        draw_order(SEED, [Candidate(1, ()), Candidate(1, ("law",))])


def test_a_minimum_above_the_sum_check_is_fine_when_experts_overlap():
    pool = [Candidate(1, ("finance", "law")), Candidate(2, ("finance", "law")), Candidate(3, ())]
    assert draw_panel(SEED, pool, 2, {"finance": 2, "law": 2}) == draw_panel(SEED, pool, 2, {"law": 2, "finance": 2})
    assert draw_panel(SEED, pool, 2, {"finance": 2, "law": 2}).complete


@settings(max_examples=200, deadline=None)
@given(
    areas=st.lists(st.sets(st.sampled_from(AREAS), max_size=3), max_size=25),
    size=st.integers(1, 12),
    minimums=st.dictionaries(st.sampled_from(AREAS), st.integers(0, 4), max_size=4),
    seed=st.text(min_size=1, max_size=12),
)
def test_draw_properties(areas, size, minimums, seed):
    if minimums and max(minimums.values()) > size:
        return
    pool = [Candidate(i * 7 + 1, tuple(a)) for i, a in enumerate(areas)]
    result = draw_panel(seed, pool, size, minimums)
    assert len(set(result.chosen)) == len(result.chosen) == min(size, len(pool))
    assert result.short_by == size - len(result.chosen)
    chosen = [c for c in pool if c.expert_id in result.chosen]
    for area, minimum in minimums.items():
        missing = minimum - sum(area in c.areas for c in chosen)
        assert result.shortfalls.get(area, 0) == max(0, missing)
    pool_allows = all(sum(area in c.areas for c in pool) >= m for area, m in minimums.items())
    if pool_allows and sum(minimums.values()) <= size:
        assert not result.shortfalls
    assert draw_panel(seed, candidates_from_snapshot(snapshot(pool)), size, minimums) == result


# --- the assignment ---------------------------------------------------------------------------------------------


def check_hard_constraints(result: Assignment, proposals, reviewers, k, conflicts, existing=None) -> None:
    ids = {r.id for r in reviewers}
    assert list(result.pairs) == list(proposals)
    for proposal, chosen in result.pairs.items():
        assert len(chosen) == len(set(chosen)) == k
        assert set(chosen) <= ids
        assert not set(chosen) & set(conflicts.get(proposal, ()))
    counted = Counter(r for chosen in result.pairs.values() for r in chosen)
    assert result.loads == {r.id: (existing or {}).get(r.id, 0) + counted[r.id] for r in reviewers}
    assert sum(result.loads.values()) == k * len(proposals) + sum((existing or {}).get(r.id, 0) for r in reviewers)
    spread = max(result.loads.values()) - min(result.loads.values())
    assert result.balanced == (spread <= 1)
    finance = {r.id for r in reviewers if r.finance}
    assert result.without_finance == tuple(p for p, chosen in result.pairs.items() if not set(chosen) & finance)


@st.composite
def instances(draw, max_proposals=40, max_reviewers=12, max_k=5, with_conflicts=True, with_existing=False):
    k = draw(st.integers(1, max_k))
    reviewer_count = draw(st.integers(k, max(k, max_reviewers)))
    proposals = [1000 + 3 * i for i in range(draw(st.integers(1, max_proposals)))]
    reviewers = [Reviewer(10 + i, draw(st.booleans())) for i in range(reviewer_count)]
    ids = [r.id for r in reviewers]
    conflicts = {}
    if with_conflicts:
        conflicts = draw(st.dictionaries(st.sampled_from(proposals), st.sets(st.sampled_from(ids), max_size=3),
                                         max_size=max(1, len(proposals) // 3)))
    existing = None
    if with_existing:
        existing = draw(st.dictionaries(st.sampled_from(ids), st.integers(0, 3), max_size=len(ids)))
    return proposals, reviewers, k, conflicts, existing


@settings(max_examples=200, deadline=None)
@given(instance=instances(with_existing=True), seed=st.text(max_size=8))
def test_assignment_meets_the_hard_constraints(instance, seed):
    proposals, reviewers, k, conflicts, existing = instance
    ids = {r.id for r in reviewers}
    short = [p for p in proposals if len(ids - set(conflicts.get(p, ()))) < k]
    try:
        result = assign(proposals, reviewers, k, conflicts, seed, existing_loads=existing)
    except AssignmentImpossible as error:
        assert [problem.proposal for problem in error.problems] == short and short
        return
    assert not short
    check_hard_constraints(result, proposals, reviewers, k, conflicts, existing)


@settings(max_examples=200, deadline=None)
@given(instance=instances(with_conflicts=False), seed=st.text(max_size=8))
def test_without_conflicts_the_load_is_always_even_and_finance_coverage_maximal(instance, seed):
    proposals, reviewers, k, conflicts, _ = instance
    result = assign(proposals, reviewers, k, conflicts, seed)
    check_hard_constraints(result, proposals, reviewers, k, conflicts)
    assert result.balanced
    # Best possible finance coverage under even loads: every finance reviewer at the higher load where it can be.
    total, count = k * len(proposals), len(reviewers)
    finance = sum(r.finance for r in reviewers)
    slots = finance * (total // count) + min(finance, total % count)
    assert len(result.without_finance) == max(0, len(proposals) - slots)


def brute_force(proposals, reviewers, k, conflicts, existing):
    """Every conflict-free assignment of a tiny instance, summarised."""
    ids = [r.id for r in reviewers]
    finance = {r.id for r in reviewers if r.finance}
    options = [list(combinations([i for i in ids if i not in conflicts.get(p, ())], k)) for p in proposals]
    outcomes = []  # (sum of squares, balanced, max load, min load, proposals with finance)
    for choice in product(*options):
        loads = Counter({i: existing.get(i, 0) for i in ids})
        for chosen in choice:
            loads.update(chosen)
        values = [loads[i] for i in ids]
        outcomes.append((sum(v * v for v in values), max(values) - min(values) <= 1, max(values), min(values),
                         sum(bool(set(chosen) & finance) for chosen in choice)))
    return outcomes


@settings(max_examples=300, deadline=None)
@given(instance=instances(max_proposals=4, max_reviewers=4, max_k=2, with_existing=True), seed=st.text(max_size=4))
def test_assignment_matches_a_brute_force_oracle(instance, seed):
    proposals, reviewers, k, conflicts, existing = instance
    existing = existing or {}
    outcomes = brute_force(proposals, reviewers, k, conflicts, existing)
    if not outcomes:
        with pytest.raises(AssignmentImpossible):
            assign(proposals, reviewers, k, conflicts, seed, existing_loads=existing)
        return
    result = assign(proposals, reviewers, k, conflicts, seed, existing_loads=existing)
    check_hard_constraints(result, proposals, reviewers, k, conflicts, existing)
    assert result.balanced == any(balanced for _, balanced, *_ in outcomes)
    least_squares = min(o[0] for o in outcomes)
    most_even = [o for o in outcomes if o[1]] or [o for o in outcomes if o[0] == least_squares]
    assert sum(v * v for v in result.loads.values()) == least_squares
    assert len(proposals) - len(result.without_finance) == max(o[4] for o in most_even)
    # The least sum of squares is also the smallest largest load and the largest smallest load.
    assert max(result.loads.values()) == min(o[2] for o in outcomes)
    assert min(result.loads.values()) == max(o[3] for o in outcomes)


def test_the_same_seed_gives_the_same_assignment_and_another_seed_another():
    proposals = list(range(1, 21))
    reviewers = [Reviewer(i, i % 3 == 0) for i in range(50, 58)]
    conflicts = {3: {50}, 9: {51, 52}}
    first = assign(proposals, reviewers, 3, conflicts, "seed-1")
    assert assign(list(proposals), list(reviewers), 3, dict(conflicts), "seed-1") == first
    others = [assign(proposals, reviewers, 3, conflicts, f"seed-{n}").pairs for n in range(2, 7)]
    assert any(pairs != first.pairs for pairs in others)


def test_impossible_names_the_proposal_with_too_many_conflicts():
    reviewers = [Reviewer(i, False) for i in (1, 2, 3, 4)]
    with pytest.raises(AssignmentImpossible) as raised:
        assign([10, 11, 12], reviewers, 2, {11: {1, 2, 3}, 12: {4}}, SEED)
    assert raised.value.problems == (Problem(11, frozenset({1, 2, 3}), 1, 2),)
    assert "proposal 11" in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_unbalanced_but_possible_is_returned_as_most_even():
    reviewers = [Reviewer(i, i == 1) for i in (1, 2, 3)]
    proposals = list(range(1, 7))
    conflicts = {p: {3} for p in proposals}  # reviewer 3 can take nothing
    result = assign(proposals, reviewers, 1, conflicts, SEED)
    check_hard_constraints(result, proposals, reviewers, 1, conflicts)
    assert not result.balanced and result.loads == {1: 3, 2: 3, 3: 0}


def test_existing_loads_are_topped_up_evenly():
    reviewers = [Reviewer(i, False) for i in (1, 2, 3)]
    result = assign([1, 2, 3], reviewers, 1, {}, SEED, existing_loads={1: 2, 2: 1})
    assert result.loads == {1: 2, 2: 2, 3: 2} and result.balanced


def test_a_large_call_is_assigned_within_the_constraints():
    proposals = list(range(5000, 5300))
    reviewers = [Reviewer(i, i % 4 == 0) for i in range(1, 26)]
    conflicts = {5000: {1, 2}, 5017: {3}, 5123: {4, 8, 12}, 5200: {1}, 5299: {25, 24, 23, 22}}
    result = assign(proposals, reviewers, 5, conflicts, SEED)
    check_hard_constraints(result, proposals, reviewers, 5, conflicts)
    assert result.balanced and set(result.loads.values()) == {60}
    assert result.without_finance == ()


# --- redistribution ---------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(instance=instances(max_proposals=25, max_reviewers=10, max_k=4), pick=st.integers(0, 100),
       seed=st.text(max_size=6))
def test_redistribution_respects_conflicts_and_never_doubles(instance, pick, seed):
    proposals, reviewers, k, conflicts, _ = instance
    try:
        start = assign(proposals, reviewers, k, conflicts, seed)
    except AssignmentImpossible:
        return
    leaving = reviewers[pick % len(reviewers)].id
    current = {p: set(chosen) for p, chosen in start.pairs.items()}
    open_items = [p for p, chosen in current.items() if leaving in chosen]
    possible = {p for p in open_items
                if {r.id for r in reviewers} - current[p] - set(conflicts.get(p, ())) - {leaving}}
    try:
        moved = redistribute(open_items, leaving, reviewers, current, conflicts, start.loads, seed)
    except AssignmentImpossible as error:
        assert {problem.proposal for problem in error.problems} == set(open_items) - possible
        return
    assert set(moved) == set(open_items) == possible
    for proposal, replacement in moved.items():
        assert replacement != leaving
        assert replacement not in current[proposal]
        assert replacement not in conflicts.get(proposal, ())
    assert moved == redistribute(open_items, leaving, reviewers, current, conflicts, start.loads, seed)


def test_redistribution_takes_the_lowest_load_and_counts_as_it_goes():
    reviewers = [Reviewer(i, False) for i in (1, 2, 3, 4)]
    current = {10: {1, 2}, 11: {1, 2}, 12: {1, 3}}
    loads = {1: 3, 2: 2, 3: 5, 4: 5}
    moved = redistribute([10, 11, 12], 1, reviewers, current, {12: {2}}, loads, SEED)
    # 10 and 11 can take 3 or 4 (equal loads, tie by seed): one each. 12 cannot take 2 (conflict) or 3 (already on it).
    assert {moved[10], moved[11]} == {3, 4}
    assert moved[12] == 4


def test_redistribution_keeps_a_finance_reviewer_on_the_proposal():
    reviewers = [Reviewer(1, True), Reviewer(2, False), Reviewer(3, False), Reviewer(4, True)]
    loads = {1: 2, 2: 2, 3: 0, 4: 9}
    assert redistribute([10], 1, reviewers, {10: {1, 2}}, {}, loads, SEED) == {10: 4}
    # With another finance reviewer still on it, the lowest load wins.
    assert redistribute([10], 1, reviewers, {10: {1, 4}}, {}, loads, SEED) == {10: 3}


def test_redistribution_names_a_proposal_nobody_can_take():
    reviewers = [Reviewer(i, False) for i in (1, 2, 3)]
    with pytest.raises(AssignmentImpossible) as raised:
        redistribute([10, 11], 1, reviewers, {10: {1, 2}, 11: {1, 2}}, {10: {3}}, {}, SEED)
    assert [problem.proposal for problem in raised.value.problems] == [10]
