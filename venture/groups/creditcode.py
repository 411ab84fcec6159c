"""The unified social credit code (统一社会信用代码, GB 32100-2015).

Eighteen characters from a 31-letter alphabet (digits and capitals without
I, O, S, V, Z); the last is a check character over the first seventeen.
"""
from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {char: value for value, char in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    return "".join(code.split()).upper()


def is_valid(code: str) -> bool:
    code = normalise(code)
    if len(code) != 18 or any(char not in _VALUE for char in code):
        return False
    if not code[8:16].isalnum():
        return False
    return check_character(code[:17]) == code[17]


def complete(first17: str) -> str:
    """Append the check character: for building valid codes (demo data, tests)."""
    return first17 + check_character(first17)
