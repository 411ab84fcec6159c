"""One way a decimal becomes text: never scientific notation."""
from __future__ import annotations

from decimal import Decimal

import pytest

from venture.core.numbers import plain


@pytest.mark.parametrize("value,written", [
    (Decimal("10"), "10"), (Decimal("10").normalize(), "10"), (Decimal("1E+1"), "10"), ("1E+1", "10"),
    (Decimal("1E+6"), "1000000"), (Decimal("7.50"), "7.5"), (Decimal("0.25"), "0.25"),
    (Decimal("1E-7"), "0.0000001"), (Decimal("100.00"), "100"), (3, "3"), ("2.5", "2.5"), (None, ""),
])
def test_plain_never_writes_an_exponent(value, written):
    assert plain(value) == written
    assert "E" not in plain(value)


def test_what_is_not_a_number_is_left_as_it_is():
    assert plain("abc") == "abc" and plain(Decimal("NaN")) == "NaN"
