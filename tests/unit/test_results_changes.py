"""What finalising lists as changed between the proposed and the final result."""
from __future__ import annotations

from venture.results.services import Change, changes_since, two_places


def _line(proposal, rank, amount, outcome):
    return {"proposal": proposal, "number": f"N{proposal}", "rank": rank, "amount_fen": amount, "outcome": outcome}


def test_each_changed_field_of_each_line_is_listed():
    proposed = {"lines": [_line(1, 1, 100, "funded"), _line(2, 2, 0, "does_not_fit"), _line(3, 3, 0, "below_minimum")]}
    final = {"lines": [_line(1, 1, 80, "funded"), _line(2, 2, 20, "funded"), _line(3, 3, 0, "below_minimum")]}
    assert changes_since(proposed, final) == [
        Change(1, "N1", "amount", 100, 80), Change(2, "N2", "amount", 0, 20),
        Change(2, "N2", "outcome", "does_not_fit", "funded")]
    assert changes_since(proposed, proposed) == []


def test_two_places():
    assert two_places("7.5") == "7.50" and two_places(60) == "60.00" and two_places("8.665") == "8.67"
