"""Random secrets handed to users (links in e-mails, session handles).

Only a SHA-256 digest is stored, so a copy of the database does not hand out
working links or sessions.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def digests_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
