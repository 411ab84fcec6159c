from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from venture.accounts.models import User
from venture.core.l10n import lazy_gettext as _l
from venture.core.models import Base
from venture.core.timeutil import utcnow


class GroupKind(enum.StrEnum):
    REGISTERED = "registered"  # lawfully registered social organisation or agency
    GRASSROOTS = "grassroots"  # unregistered group filed with its community (备案)

    @property
    def label(self) -> str:
        return str(GROUP_KIND_LABELS[self])


GROUP_KIND_LABELS = {
    GroupKind.REGISTERED: _l("Registered organisation"),
    GroupKind.GRASSROOTS: _l("Grassroots group"),
}


class RegistrationType(enum.StrEnum):
    SOCIAL_GROUP = "social_group"  # 社会团体
    SOCIAL_SERVICE = "social_service"  # 社会服务机构 (民办非企业单位)
    FOUNDATION = "foundation"  # 基金会
    SOCIAL_WORK_AGENCY = "social_work_agency"  # 社工机构 registered as a social service body
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(REGISTRATION_TYPE_LABELS[self])


REGISTRATION_TYPE_LABELS = {
    RegistrationType.SOCIAL_GROUP: _l("Social group"),
    RegistrationType.SOCIAL_SERVICE: _l("Social service organisation"),
    RegistrationType.FOUNDATION: _l("Foundation"),
    RegistrationType.SOCIAL_WORK_AGENCY: _l("Social-work agency"),
    RegistrationType.OTHER: _l("Other registered body"),
}


class MemberRole(enum.StrEnum):
    OWNER = "owner"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return str(_l("Owner") if self is MemberRole.OWNER else _l("Member"))


class Group(Base):
    """An applicant group (申报组织). A registered organisation carries its
    unified social credit code; a grassroots group names the community it is
    filed with."""

    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'registered' AND credit_code IS NOT NULL AND registration_type IS NOT NULL)"
            " OR (kind = 'grassroots' AND credit_code IS NULL AND filed_with IS NOT NULL)",
            name="kind_fields",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[GroupKind] = mapped_column(
        Enum(GroupKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    name: Mapped[str] = mapped_column(String(120))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    registration_type: Mapped[RegistrationType | None] = mapped_column(
        Enum(RegistrationType, native_enum=False, length=30,
             values_callable=lambda e: [m.value for m in e])
    )
    founded_year: Mapped[int | None]
    address: Mapped[str | None] = mapped_column(String(200))
    filed_with: Mapped[str | None] = mapped_column(String(120))
    contact_name: Mapped[str] = mapped_column(String(80))
    contact_phone: Mapped[str] = mapped_column(String(30))
    contact_email: Mapped[str] = mapped_column(String(254))
    description: Mapped[str] = mapped_column(String(2000), default="")
    # Names the group went or goes by: hidden like its name while review is blind.
    former_names: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    other_names: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")  # short, English ...
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[GroupMembership]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupMembership.id"
    )

    def membership_of(self, user: User | None) -> GroupMembership | None:
        if user is None or not getattr(user, "id", None):
            return None
        return next((m for m in self.memberships if m.user_id == user.id), None)

    @property
    def owners(self) -> list[User]:
        return [m.user for m in self.memberships if m.role is MemberRole.OWNER]


class GroupMembership(Base):
    __tablename__ = "group_memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(
        Enum(MemberRole, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e])
    )
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[Group] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")
