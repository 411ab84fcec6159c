"""TOTP (RFC 6238) and HOTP (RFC 4226) against the RFCs' own test vectors."""
from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from venture.accounts import twofactor as totp

# RFC 6238 appendix B and RFC 4226 appendix D use the ASCII secret "12345678901234567890".
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize("counter, code", list(enumerate(
    ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"])))
def test_hotp_matches_rfc_4226(counter, code):
    assert totp.hotp(b"12345678901234567890", counter) == code


@pytest.mark.parametrize("seconds, eight_digits", [
    (59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
    (1234567890, "89005924"), (2000000000, "69279037"), (20000000000, "65353130"),
])
def test_totp_matches_rfc_6238_sha1(seconds, eight_digits):
    step = totp.step_at(seconds)
    assert totp.code_at(RFC_SECRET, step, digits=8) == eight_digits
    # Six digits are the last six of the eight (same truncated number, smaller modulus).
    assert totp.code_at(RFC_SECRET, step) == eight_digits[-6:]
    assert totp.step_at(datetime.fromtimestamp(seconds, UTC)) == step


def test_verify_accepts_one_step_of_drift_and_returns_the_step():
    now = 1111111111
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        assert totp.verify(RFC_SECRET, totp.code_at(RFC_SECRET, step + offset), now, None) == step + offset
    for offset in (-3, -2, 2, 3):
        assert totp.verify(RFC_SECRET, totp.code_at(RFC_SECRET, step + offset), now, None) is None


def test_verify_refuses_replays_and_old_steps():
    now = 1234567890
    step = totp.step_at(now)
    code = totp.code_at(RFC_SECRET, step)
    assert totp.verify(RFC_SECRET, code, now, step - 1) == step
    assert totp.verify(RFC_SECRET, code, now, step) is None, "the same step twice is a replay"
    assert totp.verify(RFC_SECRET, code, now, step + 1) is None
    previous = totp.code_at(RFC_SECRET, step - 1)
    assert totp.verify(RFC_SECRET, previous, now, step - 1) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "１２３４５６", None])
def test_verify_refuses_what_is_not_a_six_digit_code(code):
    assert totp.verify(RFC_SECRET, code, 59, None) is None


def test_verify_tolerates_spaces_in_the_code_and_the_secret():
    step = totp.step_at(59)
    code = totp.code_at(RFC_SECRET, step)
    spaced_secret = totp.grouped(RFC_SECRET).lower()
    assert totp.verify(spaced_secret, f"{code[:3]} {code[3:]}", 59, None) == step


def test_new_secrets_are_random_base32_of_160_bits():
    secrets = {totp.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert len(secret) == 32
        assert len(base64.b32decode(secret)) == 20


def test_provisioning_uri():
    uri = totp.provisioning_uri("JBSW Y3DP EHPK 3PXP", "ann@example.org")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert parts.path == "/Venture:ann@example.org"
    query = parse_qs(parts.query)
    assert query == {"secret": ["JBSWY3DPEHPK3PXP"], "issuer": ["Venture"]}
    assert "%20" in totp.provisioning_uri("JBSWY3DPEHPK3PXP", "a b", issuer="My Site")


def test_grouped():
    assert totp.grouped("JBSWY3DPEHPK3PXP") == "JBSW Y3DP EHPK 3PXP"
    assert totp.grouped("abcdefghij") == "ABCD EFGH IJ"
