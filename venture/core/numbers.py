"""Writing exact numbers for people: the one way a decimal becomes text."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def plain(value: Any) -> str:
    """A quantity, score or total as people write it: never in scientific
    notation, without trailing zeros: 10 (not 1E+1), 7.5, 0.25. Decimal's own
    ``str`` writes 10 as ``1E+1`` once it has been normalised, which is how
    stored budget quantities came to show as "1E+1"."""
    if value is None or value == "":
        return ""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")
