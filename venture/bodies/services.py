"""Changes to organizing bodies and their staff."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.accounts.models import User
from venture.audit import services as audit
from venture.bodies.models import BodyKind, Organizer, OrganizingBody
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l


def save_body(session: Session, actor: User, body: OrganizingBody | None, *, name: str,
              kind: BodyKind, region: str, contact_email: str, description: str) -> OrganizingBody:
    taken = session.scalar(select(OrganizingBody.id).where(
        OrganizingBody.name == name, OrganizingBody.id != (body.id if body else -1)))
    if taken is not None:
        raise DomainError(_l("A body with this name already exists."), field="name")
    created = body is None
    if body is None:
        body = OrganizingBody()
        session.add(body)
    body.name, body.kind, body.region = name, kind, region
    body.contact_email, body.description = contact_email.lower(), description
    session.flush()
    audit.record(session, actor, "body.created" if created else "body.updated", body)
    return body


def remove_organizer(session: Session, actor: User, organizer: Organizer) -> None:
    audit.record(session, actor, "body.organizer_removed", organizer.body, organizer=organizer.user_id)
    session.delete(organizer)
    session.flush()
