from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from venture.core.l10n import lazy_gettext as _l
from venture.core.models import Base
from venture.core.timeutil import utcnow


class User(Base):
    """A person with an account. Deleting an account scrubs the personal
    fields and keeps the row, so what the person wrote stays attributed to
    "a deleted user" and audit records keep pointing at something."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(deleted_at IS NULL) = (email IS NOT NULL)", name="email_unless_deleted"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None]
    is_site_admin: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    # Two-factor sign-in (TOTP, RFC 6238): the shared secret, set while
    # enrolling and kept once confirmed; the last time step used, so a code
    # cannot be replayed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]

    memberships: Mapped[list[GroupMembership]] = relationship(  # noqa: F821 (groups.models builds on this one)
        back_populates="user", cascade="all, delete-orphan"
    )

    # Set by the login machinery: the handle of the sign-in this request runs under.
    current_login_token = None  # type: str | None

    # Flask-Login protocol -------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        # The session and the remember-me cookie carry the sign-in handle,
        # never the user id: revoking the handle ends both on the server.
        return self.current_login_token

    # Derived ---------------------------------------------------------------
    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None and self.deleted_at is None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def public_name(self) -> str:
        return str(_l("Deleted user")) if self.is_deleted else self.display_name

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class LoginSession(Base):
    """One sign-in on one browser. The cookie holds a random handle; the
    database holds its digest. Signing out or changing the password revokes
    it, so a replayed cookie finds nothing valid."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    remember: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()


class AccountToken(Base):
    """A single-use, expiring secret sent by e-mail: verify an address, reset
    a password, confirm a new address (``new_email`` then holds it), confirm a
    log-in from a new device while the account is under attack.
    ``state_digest`` is ``accounts.services.account_state`` when it was
    issued: the link stops working when the address or password changes."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint(
            "purpose IN ('verify_email', 'reset_password', 'change_email', 'confirm_login')",
            name="known_purpose",
        ),
        Index("ix_account_tokens_user_purpose", "user_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    state_digest: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """A single-use code that replaces the authenticator app once; stored as a digest."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
