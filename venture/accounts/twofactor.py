"""Two-factor sign-in: an authenticator app (TOTP) plus single-use recovery codes.

Codes are TOTP (RFC 6238 over RFC 4226) computed by pyotp: HMAC-SHA1, six
digits, 30-second steps, what every authenticator app (FreeOTP, Google or
Microsoft Authenticator, 1Password ...) makes from an ``otpauth://`` URI. A
code is accepted for the current step and one step either side (clock
drift), and never for a step at or before the last one accepted, so a code
seen over someone's shoulder cannot be used again.

Enrolling stores a fresh secret on the account, unconfirmed; a correct code
from the app confirms it, switches two-factor sign-in on and hands out ten
recovery codes, shown once and stored only as digests. Switching it off needs
the password and a code. Every change is audited and the owner is told by
e-mail when it is switched on or off. Services flush, never commit.
"""
from __future__ import annotations

import base64
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import pyotp
from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from venture.accounts import passwords
from venture.accounts.models import LoginSession, RecoveryCode, User
from venture.audit import services as audit
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow
from venture.core.tokens import token_digest
from venture.mail import services as mail

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
SECRET_CHARACTERS = 32  # base32: 160 bits, the size RFC 4226 recommends for HMAC-SHA1

RECOVERY_CODES = 10
# No 0/o, 1/l/i: easy to read back from paper.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CODE_HALF = 5

WRONG_CODE = _l("That code is not right, or it was already used. Enter the current code from your "
                "authenticator app, or one of your recovery codes.")


def is_enabled(user: Any) -> bool:
    return getattr(user, "totp_enabled_at", None) is not None


def is_enrolling(user: User) -> bool:
    return user.totp_secret is not None and user.totp_enabled_at is None


def required_for(user: Any) -> bool:
    """Whether the site makes this person use two-factor sign-in (organizers and admins)."""
    from venture import permissions

    if not current_app.config.get("REQUIRE_2FA_FOR_STAFF"):
        return False
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_site_admin) or permissions.is_any_organizer(user)


# Authenticator codes ----------------------------------------------------------------

def new_secret() -> str:
    """A fresh random secret, base32 without padding (32 characters)."""
    return pyotp.random_base32(SECRET_CHARACTERS)


def normalise_secret(secret: str) -> str:
    """Upper case, without spaces, hyphens or padding."""
    return "".join(secret.split()).replace("-", "").rstrip("=").upper()


def _totp(secret: str, digits: int = DIGITS) -> pyotp.TOTP:
    return pyotp.TOTP(normalise_secret(secret), digits=digits, interval=STEP_SECONDS)


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226: the code for one counter value of a raw key."""
    return pyotp.HOTP(base64.b32encode(key).decode("ascii"), digits=digits).at(counter)


def step_at(now: datetime | float) -> int:
    """The 30-second time step a moment falls in (seconds since 1970 // 30)."""
    seconds = now.timestamp() if isinstance(now, datetime) else float(now)
    return int(seconds // STEP_SECONDS)


def code_at(secret: str, step: int, digits: int = DIGITS) -> str:
    """The code for one time step."""
    return _totp(secret, digits).generate_otp(step)


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
    generator = _totp(secret)
    current = step_at(now)
    found = None
    for step in range(max(current - DRIFT_STEPS, 0), current + DRIFT_STEPS + 1):
        # Compare every candidate, so the time taken says nothing about which matched.
        if pyotp.utils.strings_equal(generator.generate_otp(step), code) and found is None:
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


# Recovery codes -------------------------------------------------------------------

def normalise_recovery_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(2 * _CODE_HALF))
    return f"{raw[:_CODE_HALF]}-{raw[_CODE_HALF:]}"


def _replace_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_digest=token_digest(normalise_recovery_code(code))))
    session.flush()
    return codes


def recovery_codes_left(session: Session, user: User) -> int:
    return session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


# Checking a second factor -----------------------------------------------------------

def _use_totp(session: Session, user: User, code: str) -> bool:
    if not user.totp_secret:
        return False
    step = verify(user.totp_secret, code, utcnow(), user.totp_last_step)
    if step is None:
        return False
    # Conditional, so two requests racing with the same code cannot both pass.
    done = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return False
    session.expire(user, ["totp_last_step"])
    return True


def _use_recovery_code(session: Session, user: User, code: str) -> bool:
    cleaned = normalise_recovery_code(code)
    if len(cleaned) != 2 * _CODE_HALF:
        return False
    found = session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_digest == token_digest(cleaned)))
    if found is None or found.used_at is not None:
        return False
    done = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == found.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return False
    session.expire(found, ["used_at"])
    audit.record(session, user, "account.recovery_code_used", user,
                 codes_left=recovery_codes_left(session, user))
    return True


def check_second_factor(session: Session, user: User, code: str, *, recovery: bool = True,
                        field: str = "code") -> str:
    """Accept a current authenticator code or (when ``recovery``) an unused
    recovery code, using it up. Returns "totp" or "recovery"; raises
    DomainError otherwise."""
    if not is_enabled(user):
        raise DomainError(WRONG_CODE, field=field)
    if looks_like_code(code):
        if _use_totp(session, user, code):
            return "totp"
    elif recovery and _use_recovery_code(session, user, code):
        return "recovery"
    raise DomainError(WRONG_CODE, field=field)


# Enrolling, confirming, switching off ----------------------------------------------

def start_enrolment(session: Session, user: User) -> str:
    """Store a new, unconfirmed secret (replacing an earlier unconfirmed one)."""
    if is_enabled(user):
        raise DomainError(_l("Two-factor sign-in is already on."))
    user.totp_secret = new_secret()
    user.totp_last_step = None
    session.flush()
    return user.totp_secret


def confirm_enrolment(session: Session, user: User, code: str) -> list[str]:
    """Switch two-factor sign-in on with a first correct code. Returns the
    recovery codes, which are never shown again. Other sign-ins end."""
    if is_enabled(user):
        raise DomainError(_l("Two-factor sign-in is already on."))
    if not user.totp_secret:
        raise DomainError(_l("Start again: set up your authenticator app first."))
    step = verify(user.totp_secret, code, utcnow(), user.totp_last_step)
    if step is None:
        raise DomainError(_l("That code is not right. Check that your device's clock is correct "
                             "and enter the code the app shows now."), field="code")
    user.totp_last_step = step
    user.totp_enabled_at = utcnow()
    codes = _replace_recovery_codes(session, user)
    _end_other_sign_ins(session, user)
    audit.record(session, user, "account.2fa_enabled", user, recovery_codes=len(codes))
    mail.queue(session, user.email or "", "two_factor_enabled", user.locale, user.timezone, user=user)
    session.flush()
    return codes


def disable(session: Session, user: User, password: str, code: str) -> None:
    """Switch two-factor sign-in off: needs the password and a code (app or recovery)."""
    if not is_enabled(user):
        raise DomainError(_l("Two-factor sign-in is not on."))
    if not passwords.check_password(user.password_hash, password):
        raise DomainError(_l("Your current password is not right."), field="password")
    used = check_second_factor(session, user, code)
    forget(session, user)
    audit.record(session, user, "account.2fa_disabled", user, confirmed_with=used)
    mail.queue(session, user.email or "", "two_factor_disabled", user.locale, user.timezone, user=user)
    session.flush()


def regenerate_recovery_codes(session: Session, user: User, code: str) -> list[str]:
    """New recovery codes for a current authenticator code; the old ones stop working."""
    if not is_enabled(user):
        raise DomainError(_l("Two-factor sign-in is not on."))
    if not (looks_like_code(code) and _use_totp(session, user, code)):
        raise DomainError(_l("That code is not right, or it was already used. Enter the current "
                             "code from your authenticator app."), field="code")
    codes = _replace_recovery_codes(session, user)
    audit.record(session, user, "account.recovery_codes_regenerated", user, recovery_codes=len(codes))
    session.flush()
    return codes


def reset(session: Session, user: User) -> None:
    """Switched off by the site's operator (command line), for someone who lost
    both their phone and their recovery codes."""
    forget(session, user)
    audit.record(session, None, "account.2fa_disabled", user, confirmed_with="operator")
    mail.queue(session, user.email or "", "two_factor_disabled", user.locale, user.timezone, user=user)
    session.flush()


def forget(session: Session, user: User) -> None:
    """Drop the secret and the recovery codes (when an account is deleted)."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def _end_other_sign_ins(session: Session, user: User) -> None:
    # Sign-ins made with the password alone (and their remember-me cookies) end.
    query = update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
    if user.current_login_token:
        query = query.where(LoginSession.token_digest != token_digest(user.current_login_token))
    session.execute(query.values(revoked_at=utcnow()))


# The QR code ---------------------------------------------------------------------------

def qr_svg(uri: str, label: str) -> Markup:
    """The provisioning URI as an inline SVG QR code (no styles, no scripts:
    fine under the site's Content-Security-Policy), labelled for screen readers."""
    import segno

    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff",
                                                 svgclass="qr-code", lineclass=None, omitsize=False)
    assert svg.startswith("<svg ")
    return Markup(f'<svg role="img" aria-label="{escape(label)}" focusable="false" ') + Markup(svg[5:])
