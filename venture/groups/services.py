"""Every change to a group: check, change, audit, flush."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.accounts.models import User
from venture.audit import services as audit
from venture.core.collation import name_sort_key
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.groups import creditcode
from venture.groups.models import Group, GroupKind, GroupMembership, MemberRole, RegistrationType


@dataclass
class GroupProfile:
    """What a group says about itself, as plain values mapped from the form."""

    kind: GroupKind
    name: str
    contact_name: str
    contact_phone: str
    contact_email: str
    description: str = ""
    credit_code: str | None = None
    registration_type: RegistrationType | None = None
    founded_year: int | None = None
    address: str | None = None
    filed_with: str | None = None
    former_names: list[str] = field(default_factory=list)
    other_names: list[str] = field(default_factory=list)


def _apply(session: Session, group: Group, profile: GroupProfile) -> None:
    if profile.kind is GroupKind.REGISTERED:
        code = creditcode.normalise(profile.credit_code or "")
        if not creditcode.is_valid(code):
            raise DomainError(_l("This is not a valid unified social credit code."),
                              field="credit_code")
        taken = session.scalar(select(Group.id).where(Group.credit_code == code, Group.id != group.id))
        if taken is not None:
            raise DomainError(_l("Another group on this site has this credit code. If it is "
                                 "yours, ask its owner to invite you."), field="credit_code")
        if profile.registration_type is None:
            raise DomainError(_l("Choose the registration type."), field="registration_type")
        group.credit_code = code
        group.registration_type = profile.registration_type
        group.founded_year = profile.founded_year
        group.address = profile.address or None
        group.filed_with = None
    else:
        if not profile.filed_with:
            raise DomainError(_l("Name the community your group is filed with."), field="filed_with")
        group.credit_code = None
        group.registration_type = None
        group.founded_year = profile.founded_year
        group.address = profile.address or None
        group.filed_with = profile.filed_with
    group.kind = profile.kind
    former = [name for name in profile.former_names if name != profile.name]
    if group.name and group.name != profile.name and group.name not in former:
        former.append(group.name)  # a renamed group's old name stays hidden while blind
    group.former_names = former[:MAX_NAMES]
    group.other_names = [name for name in profile.other_names if name != profile.name][:MAX_NAMES]
    group.name = profile.name
    group.contact_name = profile.contact_name
    group.contact_phone = profile.contact_phone
    group.contact_email = profile.contact_email.lower()
    group.description = profile.description


MAX_NAMES = 20


def public_face_changed(session: Session, group: Group) -> None:
    """The group's names or members changed: the public faces of its
    proposals (redacted of them) are indexed again."""
    from venture.proposals.models import Proposal
    from venture.search import services as search

    for proposal_id in session.scalars(select(Proposal.id).where(Proposal.group_id == group.id,
                                                                 Proposal.version_count > 0)):
        search.enqueue(session, "proposal", proposal_id)


def create_group(session: Session, actor: User, profile: GroupProfile) -> Group:
    group = Group()
    _apply(session, group, profile)
    group.memberships.append(GroupMembership(user=actor, role=MemberRole.OWNER))
    session.add(group)
    session.flush()
    audit.record(session, actor, "group.created", group, kind=group.kind.value)
    return group


def update_group(session: Session, actor: User, group: Group, profile: GroupProfile) -> None:
    before = (group.name, group.credit_code)
    _apply(session, group, profile)
    session.flush()
    public_face_changed(session, group)
    audit.record(session, actor, "group.updated", group)
    if (group.name, group.credit_code) != before:  # what conflicts of interest are found from
        _rederive_conflicts(session, actor, "group.updated", groups=[group.id])


def remove_member(session: Session, actor: User, membership: GroupMembership) -> None:
    group = membership.group
    if membership.role is MemberRole.OWNER and len(group.owners) <= 1:
        raise DomainError(_l("A group needs at least one owner."))
    audit.record(session, actor, "group.member_removed", group, member=membership.user_id,
                 left=actor.id == membership.user_id)
    # Before the membership goes: a tie it shows is recorded, and outlasts it.
    _rederive_conflicts(session, actor, "group.member_removed", users=[membership.user_id])
    group.memberships.remove(membership)
    session.flush()
    public_face_changed(session, group)


def change_role(session: Session, actor: User, membership: GroupMembership, role: MemberRole) -> None:
    group = membership.group
    if membership.role is MemberRole.OWNER and role is not MemberRole.OWNER and len(group.owners) <= 1:
        raise DomainError(_l("A group needs at least one owner."))
    membership.role = role
    session.flush()
    audit.record(session, actor, "group.role_changed", group, member=membership.user_id,
                 role=role.value)


def _rederive_conflicts(session: Session, actor: User, cause: str, **inputs: list[int]) -> None:
    from venture.panels import conflicts

    conflicts.rederive(session, actor, cause, **inputs)


def groups_of(session: Session, user: User) -> list[Group]:
    """The groups someone belongs to, in pinyin order of their names."""
    found = session.scalars(select(Group).join(GroupMembership).where(GroupMembership.user_id == user.id))
    return sorted(found, key=lambda group: (name_sort_key(group.name), group.id))
