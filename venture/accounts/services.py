"""Every change to an account: check, change, audit, flush. Never commits."""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from venture.accounts import attempts, passwords
from venture.accounts.models import AccountToken, LoginSession, User
from venture.audit import services as audit
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.core.ratelimit import TooManyAttempts, limiter
from venture.core.timeutil import utcnow
from venture.core.tokens import digests_equal, new_token, token_digest
from venture.groups.models import MemberRole
from venture.mail import services as mail


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def account_state(user: User) -> str:
    """A keyed digest of what a link mailed to the account vouches for: its
    address and its password. A link issued before either changed (a reset
    link read in an old mailbox, a stolen one) no longer matches."""
    message = "\0".join((str(user.id), user.email or "", user.password_hash or ""))
    return hmac.new(str(current_app.config["SECRET_KEY"]).encode(), message.encode(), hashlib.sha256).hexdigest()


def _check_new_password(password: str, email: str | None, name: str | None) -> None:
    found = passwords.problems(password, email, name)
    if found:
        raise DomainError(" ".join(found), field="password")


# Registration and verification ----------------------------------------------

def register(session: Session, email: str, display_name: str, password: str,
             locale: str | None = None) -> tuple[User | None, Any]:
    """Create an unverified account and mail a verification link.

    If the address is already registered, nothing is created and the owner
    of the address gets a note instead, so the answer on screen is the same
    either way and reveals nothing. Both ways do the same expensive work (the
    password is hashed, one mail is queued), so the time taken does not tell
    them apart either. Returns (user or None, queued mail).
    """
    email = normalise_email(email)
    _check_new_password(password, email, display_name)
    password_hash = passwords.hash_password(password)
    existing = find_by_email(session, email)
    if existing is not None:
        if not limiter().hit(f"register:to:{email}", current_app.config["RESET_MAILS_PER_ADDRESS"], 3600).allowed:
            return None, None  # the owner has been told often enough this hour
        note = mail.queue(session, email, "already_registered", existing.locale or locale,
                          user=existing)
        return None, note
    user = User(email=email, display_name=display_name.strip(),
                password_hash=password_hash, locale=locale,
                timezone=current_app.config["DEFAULT_TIMEZONE"])
    session.add(user)
    session.flush()
    audit.record(session, user, "account.registered", user)
    return user, send_verification(session, user)


def send_verification(session: Session, user: User) -> Any:
    token = _issue_token(session, user, "verify_email",
                         timedelta(hours=current_app.config["VERIFY_TOKEN_HOURS"]))
    return mail.queue(session, user.email or "", "verify_email", user.locale, user.timezone, user=user, token=token)


def _issue_token(session: Session, user: User, purpose: str, lifetime: timedelta,
                 new_email: str | None = None) -> str:
    # A new link replaces any earlier unused one for the same purpose.
    session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose,
               AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    token = new_token()
    session.add(AccountToken(user_id=user.id, purpose=purpose, token_digest=token_digest(token),
                             new_email=new_email, expires_at=utcnow() + lifetime,
                             state_digest=account_state(user)))
    session.flush()
    return token


def _valid_token(session: Session, token: str, purpose: str) -> AccountToken | None:
    found = session.scalar(select(AccountToken).where(AccountToken.token_digest == token_digest(token)))
    if (found is None or found.purpose != purpose or found.used_at is not None
            or found.expires_at <= utcnow() or found.user.is_deleted):
        return None
    if not found.state_digest or not digests_equal(found.state_digest, account_state(found.user)):
        return None  # the password or the address changed since the link was sent
    return found


def peek_token(session: Session, token: str, purpose: str) -> AccountToken | None:
    return _valid_token(session, token, purpose)


def verify_email(session: Session, token: str) -> User:
    found = _valid_token(session, token, "verify_email")
    if found is None:
        raise DomainError(_l("This link is invalid, already used or expired. Log in to ask for a new one."))
    found.used_at = utcnow()
    user = found.user
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        audit.record(session, user, "account.verified", user)
    session.flush()
    return user


# Signing in and out ------------------------------------------------------------

class MailCheckNeeded(DomainError):
    """Many failed attempts on the account: a new device signs in through a
    link mailed to the account, whatever the password typed."""

    def __init__(self) -> None:
        super().__init__(_l("There have been many failed attempts to log in to this account, so a new device "
                            "needs a confirmation by e-mail. If the password you typed is right, we have sent "
                            "a link to the account's e-mail address: open it on this device to log in."))


def authenticate(session: Session, email: str, password: str, address: str,
                 device_cookie: str | None = None) -> User:
    """Check a log-in: the same message for an unknown address and a wrong
    password. Only failures count against the limits (see ``attempts``);
    raises ``TooManyAttempts`` where a limit is reached and
    ``MailCheckNeeded`` when the account needs a mailed confirmation."""
    email = normalise_email(email)
    user = find_by_email(session, email)
    device = attempts.trusted_device(device_cookie, user.id if user else None,
                                     account_state(user) if user else None)
    attempt = attempts.begin(email, address, device)
    right = passwords.check_password(user.password_hash if user else None, password) and user is not None
    if not right:
        attempt.failed()
    if attempt.needs_mail_check:
        if right and user is not None:
            attempt.succeeded()
            send_login_confirmation(session, user)
        raise MailCheckNeeded()
    if not right or user is None:
        raise DomainError(_l("The e-mail address or password is not right."))
    attempt.succeeded()
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def send_login_confirmation(session: Session, user: User) -> Any:
    token = _issue_token(session, user, "confirm_login",
                         timedelta(minutes=current_app.config["RESET_TOKEN_MINUTES"]))
    return mail.queue(session, user.email or "", "confirm_login", user.locale, user.timezone, user=user, token=token)


def confirm_login(session: Session, token: str) -> User:
    """Use a mailed log-in link: the device that opens it may sign in."""
    found = _valid_token(session, token, "confirm_login")
    if found is None:
        raise DomainError(_l("This link is invalid, already used or expired. Log in to ask for a new one."))
    found.used_at = utcnow()
    audit.record(session, found.user, "account.login_confirmed_by_mail", found.user)
    session.flush()
    return found.user


def start_login_session(session: Session, user: User, remember: bool) -> str:
    config = current_app.config
    lifetime = (timedelta(days=config["REMEMBER_DAYS"]) if remember
                else timedelta(hours=config["SESSION_HOURS"]))
    token = new_token()
    session.add(LoginSession(user_id=user.id, token_digest=token_digest(token),
                             expires_at=utcnow() + lifetime, remember=remember))
    session.flush()
    user.current_login_token = token
    return token


def user_for_login_token(session: Session, token: str) -> User | None:
    found = session.scalar(select(LoginSession).where(LoginSession.token_digest == token_digest(token)))
    if found is None or found.revoked_at is not None or found.expires_at <= utcnow():
        return None
    user = found.user
    if user.is_deleted:
        return None
    user.current_login_token = token
    return user


def end_login_session(session: Session, token: str | None) -> None:
    if not token:
        return
    session.execute(
        update(LoginSession)
        .where(LoginSession.token_digest == token_digest(token), LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def end_all_login_sessions(session: Session, user: User, keep: str | None = None) -> None:
    query = update(LoginSession).where(LoginSession.user_id == user.id,
                                       LoginSession.revoked_at.is_(None))
    if keep:
        query = query.where(LoginSession.token_digest != token_digest(keep))
    session.execute(query.values(revoked_at=utcnow()))


# Passwords ---------------------------------------------------------------------

def request_password_reset(session: Session, email: str, address: str, locale: str | None = None) -> Any:
    """Mail a reset link if the address has an account, and a note saying
    there is none if it has not: the answer on screen is the same, and so is
    the work done (one lookup, one token drawn, one mail queued). At most
    ``RESET_MAILS_PER_ADDRESS`` mails an hour go to one address, whoever asks;
    past that nothing is sent, so nobody can flood a mailbox."""
    verdict = limiter().hit(f"reset:addr:{address}", current_app.config["FORM_LIMIT_PER_ADDRESS"], 3600)
    if not verdict.allowed:
        raise TooManyAttempts(verdict.retry_after)
    email = normalise_email(email)
    user = find_by_email(session, email)
    if not limiter().hit(f"reset:to:{email}", current_app.config["RESET_MAILS_PER_ADDRESS"], 3600).allowed:
        return None
    if user is None:
        new_token()  # drawn and thrown away: the same work as for an account
        return mail.queue(session, email, "reset_unknown", locale, email=email)
    token = _issue_token(session, user, "reset_password",
                         timedelta(minutes=current_app.config["RESET_TOKEN_MINUTES"]))
    return mail.queue(session, user.email or "", "reset_password", user.locale, user.timezone, user=user, token=token)


def reset_password(session: Session, token: str, password: str) -> User:
    found = _valid_token(session, token, "reset_password")
    if found is None:
        raise DomainError(_l("This link is invalid, already used or expired. Ask for a new one."))
    user = found.user
    _check_new_password(password, user.email, user.display_name)
    found.used_at = utcnow()
    user.password_hash = passwords.hash_password(password)
    # Whoever could read the reset mail proved they own the address.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    end_all_login_sessions(session, user)
    # The owner proved they read the account's mail: a guessing attack's lock on new devices ends.
    limiter().reset(f"login:acct:{user.email}")
    audit.record(session, user, "account.password_reset", user)
    session.flush()
    return user


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not passwords.check_password(user.password_hash, current):
        raise DomainError(_l("Your current password is not right."), field="current_password")
    _check_new_password(new, user.email, user.display_name)
    user.password_hash = passwords.hash_password(new)
    end_all_login_sessions(session, user, keep=user.current_login_token)
    audit.record(session, user, "account.password_changed", user)
    session.flush()


# Profile and e-mail ---------------------------------------------------------------

def update_profile(session: Session, user: User, display_name: str, locale: str | None,
                   timezone: str) -> None:
    user.display_name = display_name.strip()
    user.locale = locale or None
    user.timezone = timezone
    session.flush()


def request_email_change(session: Session, user: User, password: str, new_email: str) -> Any:
    if not passwords.check_password(user.password_hash, password):
        raise DomainError(_l("Your current password is not right."), field="password")
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise DomainError(_l("This is already your e-mail address."), field="new_email")
    token = _issue_token(session, user, "change_email", timedelta(hours=24), new_email=new_email)
    # Sent whether or not the address is taken; confirming then says so.
    return mail.queue(session, new_email, "change_email", user.locale, user.timezone, user=user, token=token)


def confirm_email_change(session: Session, token: str) -> User:
    found = _valid_token(session, token, "change_email")
    if found is None or not found.new_email:
        raise DomainError(_l("This link is invalid, already used or expired."))
    user = found.user
    if find_by_email(session, found.new_email) is not None:
        raise DomainError(_l("That e-mail address belongs to another account."))
    old_email = user.email
    found.used_at = utcnow()
    user.email = found.new_email
    user.email_verified_at = utcnow()
    mail.queue(session, old_email or "", "email_changed", user.locale, user.timezone, user=user)
    audit.record(session, user, "account.email_changed", user)
    session.flush()
    return user


# Deleting an account ------------------------------------------------------------

def delete_account(session: Session, user: User, password: str) -> None:
    """Scrub personal data and keep the row so authored content stays,
    attributed to a deleted user. Refused while the person is the only owner
    of a group that has other members: ownership must be handed over first."""
    if not passwords.check_password(user.password_hash, password):
        raise DomainError(_l("Your current password is not right."), field="password")
    for membership in list(user.memberships):
        group = membership.group
        others = [m for m in group.memberships if m.user_id != user.id]
        sole_owner = membership.role is MemberRole.OWNER and not any(
            m.role is MemberRole.OWNER for m in others)
        if sole_owner and others:
            raise DomainError(_l("You are the only owner of %(group)s. Make another member an "
                                 "owner before deleting your account.", group=group.name))
    for membership in list(user.memberships):
        session.delete(membership)
    session.execute(update(AccountToken).where(AccountToken.user_id == user.id,
                                               AccountToken.used_at.is_(None))
                    .values(used_at=utcnow()))
    end_all_login_sessions(session, user)
    from venture.accounts import twofactor

    twofactor.forget(session, user)
    user.email = None
    user.display_name = ""
    user.password_hash = None
    user.email_verified_at = None
    user.is_site_admin = False
    user.deleted_at = utcnow()
    audit.record(session, user, "account.deleted", user)
    session.flush()


def create_admin(session: Session, email: str, display_name: str, password: str) -> User:
    """Used by the command line to create the first site admin (verified)."""
    _check_new_password(password, email, display_name)
    user = find_by_email(session, email)
    if user is None:
        user = User(email=normalise_email(email), display_name=display_name,
                    timezone=current_app.config["DEFAULT_TIMEZONE"])
        session.add(user)
    user.password_hash = passwords.hash_password(password)
    user.email_verified_at = user.email_verified_at or utcnow()
    user.is_site_admin = True
    session.flush()
    audit.record(session, None, "account.admin_granted", user)
    return user


