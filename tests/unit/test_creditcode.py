import pytest

from venture.groups import creditcode


def test_known_valid_code() -> None:
    # A code published on a real registration certificate.
    assert creditcode.is_valid("91350100M000100Y43")


@pytest.mark.parametrize("first17", ["52440106MJL000017", "91110000600037341", "12100000400000624"])
def test_completed_codes_are_valid(first17: str) -> None:
    code = creditcode.complete(first17)
    assert creditcode.is_valid(code)
    assert creditcode.is_valid(code.lower()), "lower case is normalised"
    assert creditcode.is_valid(f" {code[:6]} {code[6:]} "), "spaces are ignored"


def test_every_wrong_check_character_is_refused() -> None:
    code = creditcode.complete("52440106MJL000017")
    wrong = [c for c in creditcode.ALPHABET if c != code[-1]]
    assert not any(creditcode.is_valid(code[:-1] + c) for c in wrong)


@pytest.mark.parametrize("bad", ["", "123", "52440106MJL0000171X", "I2440106MJL000017A",
                                 "5244010-6MJL00001", "52440106MJL00001O7"])
def test_malformed_codes(bad: str) -> None:
    assert not creditcode.is_valid(bad)


def test_single_character_typos_are_caught() -> None:
    code = creditcode.complete("52440106MJL000017")
    for position in range(17):
        for char in creditcode.ALPHABET:
            if char == code[position]:
                continue
            typo = code[:position] + char + code[position + 1:]
            assert not creditcode.is_valid(typo), typo
