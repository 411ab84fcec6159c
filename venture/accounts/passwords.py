"""Password rules and hashing (Argon2id)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from venture.core.l10n import lazy_gettext as _l

MIN_LENGTH = 10
MAX_LENGTH = 200


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    path = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def problems(password: str, email: str | None = None, name: str | None = None) -> list[str]:
    """What is wrong with a new password, as messages; empty when it is fine."""
    found: list[str] = []
    if len(password) < MIN_LENGTH:
        found.append(str(_l("Use at least %(n)d characters.", n=MIN_LENGTH)))
    if len(password) > MAX_LENGTH:
        found.append(str(_l("Use at most %(n)d characters.", n=MAX_LENGTH)))
    lowered = password.lower()
    if lowered in _common() or len(set(password)) < 4:
        found.append(str(_l("This password is too easy to guess.")))
    for personal in (email.split("@")[0] if email else None, name):
        if personal and len(personal) >= 4 and personal.lower() in lowered:
            found.append(str(_l("Do not use your name or e-mail address in the password.")))
            break
    return found


def _hasher() -> PasswordHasher:
    config = current_app.config
    return _cached_hasher(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"],
                          config["ARGON2_PARALLELISM"])


@lru_cache(maxsize=4)
def _cached_hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(stored: str | None, password: str) -> bool:
    """Compare in constant-ish time; with nothing stored, still spend the
    time of a real check so the answer does not reveal unknown accounts."""
    hasher = _hasher()
    if not stored:
        try:
            hasher.verify(_dummy_hash(), password + "x")
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher().check_needs_rehash(stored)


def _dummy_hash() -> str:
    config = current_app.config
    return _cached_dummy(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"],
                         config["ARGON2_PARALLELISM"])


@lru_cache(maxsize=4)
def _cached_dummy(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return _cached_hasher(time_cost, memory_cost, parallelism).hash("not a real password")
