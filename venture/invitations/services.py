"""Creating and accepting invitations."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.accounts.models import User
from venture.audit import services as audit
from venture.bodies.models import Organizer, OrganizingBody, PoolExpert
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow
from venture.core.tokens import new_token, token_digest
from venture.groups.models import Group, GroupMembership, MemberRole
from venture.invitations.models import Invitation, InvitationKind
from venture.mail import services as mail


def invite(session: Session, actor: User, kind: InvitationKind, email: str,
           group: Group | None = None, body: OrganizingBody | None = None,
           locale: str | None = None) -> tuple[Invitation, Any]:
    """Create an invitation and queue its e-mail. Re-inviting the same
    address replaces the earlier pending invitation."""
    email = email.strip().lower()
    now = utcnow()
    if _already_in(session, kind, email, group, body):
        raise DomainError(_l("%(email)s is already in.", email=email), field="email")
    if (group is None) == (body is None):
        raise ValueError("an invitation goes to exactly one group or body")
    target = Invitation.group_id == group.id if group is not None else Invitation.body_id == body.id  # type: ignore[union-attr]
    for earlier in session.scalars(select(Invitation).where(
            Invitation.kind == kind, Invitation.email == email, target,
            Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))):
        earlier.revoked_at = now
    token = new_token()
    invitation = Invitation(kind=kind, email=email, group=group, body=body,
                            token_digest=token_digest(token), invited_by=actor, created_at=now,
                            expires_at=now + timedelta(days=current_app.config["INVITATION_DAYS"]))
    session.add(invitation)
    session.flush()
    audit.record(session, actor, f"invitation.{kind.value}.sent", invitation,
                 group=group.id if group else None, body=body.id if body else None)
    note = mail.queue(session, email, "invitation", locale, invitation=invitation, token=token,
                      inviter=actor)
    return invitation, note


def _already_in(session: Session, kind: InvitationKind, email: str, group: Group | None,
                body: OrganizingBody | None) -> bool:
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        return False
    if kind is InvitationKind.GROUP_MEMBER and group is not None:
        return group.membership_of(user) is not None
    model = Organizer if kind is InvitationKind.ORGANIZER else PoolExpert
    return session.scalar(select(model).where(model.body_id == body.id,  # type: ignore[union-attr]
                                              model.user_id == user.id)) is not None


def find(session: Session, token: str) -> Invitation | None:
    return session.scalar(select(Invitation).where(Invitation.token_digest == token_digest(token)))


def accept(session: Session, user: User, token: str) -> Invitation:
    invitation = find(session, token)
    if invitation is None or not invitation.is_pending(utcnow()):
        raise DomainError(_l("This invitation is invalid, already used, withdrawn or expired."))
    if not user.is_verified or user.email != invitation.email:
        raise DomainError(_l("This invitation was sent to another e-mail address. Log in with "
                             "the account for that address, or register with it."))
    if invitation.kind is InvitationKind.GROUP_MEMBER:
        group = invitation.group
        assert group is not None
        if group.membership_of(user) is None:
            session.add(GroupMembership(group=group, user=user, role=MemberRole.MEMBER))
            from venture.groups.services import public_face_changed

            public_face_changed(session, group)
    elif invitation.kind is InvitationKind.ORGANIZER:
        if session.scalar(select(Organizer).where(Organizer.body_id == invitation.body_id,
                                                  Organizer.user_id == user.id)) is None:
            session.add(Organizer(body_id=invitation.body_id, user_id=user.id,
                                  appointed_by_id=invitation.invited_by_id))
    else:
        if session.scalar(select(PoolExpert).where(PoolExpert.body_id == invitation.body_id,
                                                   PoolExpert.user_id == user.id)) is None:
            session.add(PoolExpert(body_id=invitation.body_id, user_id=user.id))
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    session.flush()
    audit.record(session, user, f"invitation.{invitation.kind.value}.accepted", invitation)
    if invitation.kind in (InvitationKind.GROUP_MEMBER, InvitationKind.ORGANIZER):
        # A new member of a group, or a new organizer: ties of interest they now have.
        from venture.panels import conflicts

        conflicts.rederive(session, user, f"invitation.{invitation.kind.value}.accepted", users=[user.id])
    return invitation


def revoke(session: Session, actor: User, invitation: Invitation) -> None:
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise DomainError(_l("This invitation is no longer pending."))
    invitation.revoked_at = utcnow()
    audit.record(session, actor, f"invitation.{invitation.kind.value}.revoked", invitation)
    session.flush()


def pending_for(session: Session, group: Group | None = None,
                body: OrganizingBody | None = None, kind: InvitationKind | None = None) -> list[Invitation]:
    query = select(Invitation).where(Invitation.accepted_at.is_(None),
                                     Invitation.revoked_at.is_(None),
                                     Invitation.expires_at > utcnow())
    if group is not None:
        query = query.where(Invitation.group_id == group.id)
    if body is not None:
        query = query.where(Invitation.body_id == body.id)
    if kind is not None:
        query = query.where(Invitation.kind == kind)
    return list(session.scalars(query.order_by(Invitation.created_at)))
