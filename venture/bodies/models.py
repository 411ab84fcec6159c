from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from venture.accounts.models import User
from venture.core.l10n import lazy_gettext as _l
from venture.core.models import Base
from venture.core.timeutil import utcnow


class BodyKind(enum.StrEnum):
    CIVIL_AFFAIRS = "civil_affairs"
    DISABILITY_FEDERATION = "disability_federation"
    STREET_OFFICE = "street_office"
    FOUNDATION = "foundation"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(BODY_KIND_LABELS[self])


BODY_KIND_LABELS = {
    BodyKind.CIVIL_AFFAIRS: _l("Civil-affairs bureau"),
    BodyKind.DISABILITY_FEDERATION: _l("Disability federation"),
    BodyKind.STREET_OFFICE: _l("Street office"),
    BodyKind.FOUNDATION: _l("Foundation"),
    BodyKind.OTHER: _l("Other organizing body"),
}


class OrganizingBody(Base):
    __tablename__ = "organizing_bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[BodyKind] = mapped_column(
        Enum(BodyKind, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])
    )
    region: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organizers: Mapped[list[Organizer]] = relationship(
        back_populates="body", cascade="all, delete-orphan", order_by="Organizer.id"
    )
    experts: Mapped[list[PoolExpert]] = relationship(
        back_populates="body", cascade="all, delete-orphan", order_by="PoolExpert.id"
    )


class Organizer(Base):
    """A member of a body's staff who runs its calls."""

    __tablename__ = "organizers"
    __table_args__ = (UniqueConstraint("body_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("organizing_bodies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    appointed_at: Mapped[datetime] = mapped_column(default=utcnow)
    appointed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    body: Mapped[OrganizingBody] = relationship(back_populates="organizers")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class PoolExpert(Base):
    """An expert in a body's pool (专家库): the reviewer role, with the
    profile that panel draws and conflict checks read."""

    __tablename__ = "pool_experts"
    __table_args__ = (UniqueConstraint("body_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("organizing_bodies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Keys of venture.review.expertise.AREAS, e.g. ["finance", "social_work"].
    expertise: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # [{"name": "...", "credit_code": "...", "relation": "employer|past_employer|board|tie",
    #   "until": "2024"}]: organisations the expert is or was tied to.
    affiliations: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, server_default="[]")
    available: Mapped[bool] = mapped_column(default=True, server_default=true())
    availability_note: Mapped[str] = mapped_column(String(300), default="", server_default="")
    profile_updated_at: Mapped[datetime | None]

    body: Mapped[OrganizingBody] = relationship(back_populates="experts")
    user: Mapped[User] = relationship()
