from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from venture.accounts.models import User
from venture.bodies.models import OrganizingBody
from venture.core.models import Base
from venture.groups.models import Group


class InvitationKind(enum.StrEnum):
    GROUP_MEMBER = "group_member"
    ORGANIZER = "organizer"
    EXPERT = "expert"


class Invitation(Base):
    """Sent by e-mail; accepted once, before it expires, by the signed-in
    person whose verified address it was sent to."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'group_member' AND group_id IS NOT NULL AND body_id IS NULL)"
            " OR (kind IN ('organizer', 'expert') AND body_id IS NOT NULL AND group_id IS NULL)",
            name="kind_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[InvitationKind] = mapped_column(
        Enum(InvitationKind, native_enum=False, length=20,
             values_callable=lambda e: [m.value for m in e])
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    body_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizing_bodies.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]

    group: Mapped[Group | None] = relationship()
    body: Mapped[OrganizingBody | None] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    def is_pending(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now

    @property
    def target_name(self) -> str:
        target = self.group if self.group is not None else self.body
        return target.name if target is not None else ""
