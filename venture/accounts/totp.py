"""Time-based one-time passwords (RFC 6238 over RFC 4226), standard library only.

HMAC-SHA1, six digits, 30-second steps: what every authenticator app
(FreeOTP, Google Authenticator, Microsoft Authenticator, 1Password ...)
produces from an ``otpauth://`` URI. A code is accepted for the current
step and one step either side (clock drift), and never for a step at or
before the last one accepted, so a code seen over someone's shoulder cannot
be used again.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import datetime
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits, the size RFC 4226 recommends for HMAC-SHA1


def new_secret() -> str:
    """A fresh random secret, base32 without padding (32 characters)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def normalise_secret(secret: str) -> str:
    """Upper case, without spaces, hyphens or padding."""
    return "".join(secret.split()).replace("-", "").rstrip("=").upper()


def _key(secret: str) -> bytes:
    cleaned = normalise_secret(secret)
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226: the HMAC-SHA1 of the counter, dynamically truncated."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def step_at(now: datetime | float) -> int:
    """The 30-second time step a moment falls in (seconds since 1970 // 30)."""
    seconds = now.timestamp() if isinstance(now, datetime) else float(now)
    return int(seconds // STEP_SECONDS)


def code_at(secret: str, step: int, digits: int = DIGITS) -> str:
    """The code for one time step."""
    return hotp(_key(secret), step, digits)


def normalise_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "")


def looks_like_code(code: str) -> bool:
    cleaned = normalise_code(code)
    return len(cleaned) == DIGITS and cleaned.isascii() and cleaned.isdigit()


def verify(secret: str, code: str, now: datetime | float, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to, or None when it is wrong, outside the
    allowed drift, or for a step at or before ``last_step`` (a replay)."""
    if not secret or not looks_like_code(code):
        return None
    code = normalise_code(code)
    key = _key(secret)
    current = step_at(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Compare every candidate, so the time taken says nothing about which matched.
        if hmac.compare_digest(hotp(key, step), code) and found is None:
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found


def provisioning_uri(secret: str, account: str, issuer: str = "Venture") -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    label = quote(f"{issuer}:{account}", safe="@:")
    # SHA1, 6 digits and 30 s are the defaults every app assumes; left out, the QR code stays small.
    query = urlencode({"secret": normalise_secret(secret), "issuer": issuer}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


def grouped(secret: str, size: int = 4) -> str:
    """The secret in groups of four, for typing it by hand."""
    cleaned = normalise_secret(secret)
    return " ".join(cleaned[i:i + size] for i in range(0, len(cleaned), size))
