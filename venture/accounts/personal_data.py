"""A person's own data, as one JSON document they can download.

``collect`` gathers what the site keeps about the user and what they wrote:
their profile, groups, proposals, comments, supports, objections, expert
profiles, panel seats, reviews, sign-ins and their own audit trail. Nothing
about other people: no other user's name or e-mail, no group's contact
details. Reviews name only the proposal's receipt number, never the group,
so the download itself cannot break the blind review while a call is judged.
"""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from venture.accounts.models import LoginSession, User
from venture.audit import services as audit
from venture.audit.models import AuditEvent
from venture.bodies.models import Organizer, PoolExpert
from venture.calls.models import Criterion
from venture.comments.models import Comment, CommentReport
from venture.core.timeutil import utcnow
from venture.groups.models import GroupMembership
from venture.proposals.models import Proposal
from venture.results.models import Objection
from venture.review.models import Assignment, PanelMember, Review
from venture.showcase.models import Support

FORMAT = "venture-personal-data"
FORMAT_VERSION = 1
FILENAME = "venture-my-data.json"


def _plain(value: Any) -> Any:
    """Dates as ISO 8601, enums as their stored value, decimals as text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _profile(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "locale": user.locale,
        "timezone": user.timezone,
        "created_at": _plain(user.created_at),
        "email_verified_at": _plain(user.email_verified_at),
        "two_factor_enabled": getattr(user, "totp_enabled_at", None) is not None,
    }


def _memberships(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(select(GroupMembership).where(GroupMembership.user_id == user.id)
                           .order_by(GroupMembership.id))
    return [{"group_id": m.group_id, "group": m.group.name, "role": _plain(m.role),
             "joined_at": _plain(m.joined_at)} for m in rows]


def _organizer_roles(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(select(Organizer).where(Organizer.user_id == user.id).order_by(Organizer.id))
    return [{"body_id": o.body_id, "body": o.body.name, "appointed_at": _plain(o.appointed_at)} for o in rows]


def _proposals(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(select(Proposal).where(or_(Proposal.created_by_id == user.id,
                                                      Proposal.updated_by_id == user.id))
                           .order_by(Proposal.id))
    return [{"id": p.id, "number": p.number, "title": p.title, "status": _plain(p.status),
             "created_by_you": p.created_by_id == user.id, "last_updated_by_you": p.updated_by_id == user.id,
             "created_at": _plain(p.created_at), "updated_at": _plain(p.updated_at),
             "submitted_at": _plain(p.submitted_at)} for p in rows]


def _comments(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(select(Comment).where(Comment.author_id == user.id).order_by(Comment.id))
    return [{"id": c.id, "proposal_id": c.proposal_id, "reply_to": c.parent_id, "text": c.body_markdown,
             "status": _plain(c.status), "created_at": _plain(c.created_at), "edited_at": _plain(c.edited_at),
             "moderation_reason": c.moderation_reason} for c in rows]


def _comment_reports(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(select(CommentReport).where(CommentReport.reporter_id == user.id)
                           .order_by(CommentReport.id))
    return [{"comment_id": r.comment_id, "reason": r.reason, "created_at": _plain(r.created_at),
             "resolved_at": _plain(r.resolved_at)} for r in rows]


def _supports(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(select(Support).where(Support.user_id == user.id).order_by(Support.id))
    return [{"proposal_id": s.proposal_id, "created_at": _plain(s.created_at)} for s in rows]


def _objections(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(select(Objection).where(Objection.author_id == user.id).order_by(Objection.id))
    return [{"id": o.id, "call_id": o.call_id, "proposal_id": o.proposal_id, "text": o.text,
             "attachment_name": o.attachment_name, "created_at": _plain(o.created_at),
             "status": _plain(o.status), "answer": o.answer, "answered_at": _plain(o.answered_at)}
            for o in rows]


def _expert_profiles(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(select(PoolExpert).where(PoolExpert.user_id == user.id).order_by(PoolExpert.id))
    return [{"body_id": e.body_id, "body": e.body.name, "joined_at": _plain(e.joined_at),
             "expertise": list(e.expertise or []), "affiliations": list(e.affiliations or []),
             "available": e.available, "availability_note": e.availability_note,
             "profile_updated_at": _plain(e.profile_updated_at)} for e in rows]


def _panel_seats(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(select(PanelMember).join(PoolExpert, PanelMember.expert_id == PoolExpert.id)
                           .where(PoolExpert.user_id == user.id).order_by(PanelMember.id))
    return [{"call_id": m.call_id, "call": m.call.title, "status": _plain(m.status),
             "invited_at": _plain(m.created_at), "responded_at": _plain(m.responded_at),
             "conflicts_declared_at": _plain(m.conflicts_declared_at)} for m in rows]


def _review_content(content: dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
    return {
        "criteria": [{"criterion": names.get(item.get("id"), ""), "score": item.get("score"),
                      "reason": item.get("reason", "")} for item in content.get("criteria", [])],
        "comment_to_applicant": content.get("comment", ""),
        "note_to_organizer": content.get("note", ""),
        "total": content.get("total"),
    }


def _criterion_order(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (0, key)


def _reviews(session: Session, user: User) -> list[dict[str, Any]]:
    """Only the receipt number names the proposal: no group, no title, no call."""
    rows = session.scalars(
        select(Review).join(Assignment, Review.assignment_id == Assignment.id)
        .join(PanelMember, Assignment.member_id == PanelMember.id)
        .join(PoolExpert, PanelMember.expert_id == PoolExpert.id)
        .where(PoolExpert.user_id == user.id).order_by(Review.id))
    found = []
    for review in rows:
        proposal = review.assignment.proposal
        names = {c.id: c.name for c in session.scalars(select(Criterion).where(
            Criterion.call_id == proposal.call_id))}
        found.append({
            "proposal_number": proposal.number,
            "status": _plain(review.status),
            "updated_at": _plain(review.updated_at),
            "submitted_at": _plain(review.submitted_at),
            "working_copy": {
                "criteria": [{"criterion": names.get(int(key), "") if key.isdigit() else "",
                              "score": review.scores.get(key), "reason": review.reasons.get(key, "")}
                             for key in sorted({*review.scores, *review.reasons}, key=_criterion_order)],
                "comment_to_applicant": review.comment_to_applicant,
                "note_to_organizer": review.note_to_organizer,
            },
            "versions": [{"version": v.version_no, "submitted_at": _plain(v.submitted_at),
                          "fingerprint": v.fingerprint, **_review_content(v.content, names)}
                         for v in review.versions],
        })
    return found


def _login_sessions(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)
                           .order_by(LoginSession.id))
    return [{"created_at": _plain(s.created_at), "expires_at": _plain(s.expires_at),
             "ended_at": _plain(s.revoked_at), "remember_me": s.remember} for s in rows]


def _audit_events(session: Session, user: User) -> list[dict[str, Any]]:
    """What the user did, as the audit log recorded it: the facts stay out,
    they may concern other people's work."""
    rows = session.scalars(select(AuditEvent).where(AuditEvent.actor_id == user.id).order_by(AuditEvent.seq))
    return [{"seq": e.seq, "action": e.action, "at": _plain(e.occurred_at), "object_type": e.object_type,
             "object_id": e.object_id} for e in rows]


def collect(session: Session, user: User) -> dict[str, Any]:
    """Everything the site keeps about ``user`` that the user may take away."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": _plain(utcnow()),
        "profile": _profile(user),
        "group_memberships": _memberships(session, user),
        "organizer_of": _organizer_roles(session, user),
        "proposals": _proposals(session, user),
        "comments": _comments(session, user),
        "comment_reports": _comment_reports(session, user),
        "supports": _supports(session, user),
        "objections": _objections(session, user),
        "expert_profiles": _expert_profiles(session, user),
        "panel_seats": _panel_seats(session, user),
        "reviews": _reviews(session, user),
        "login_sessions": _login_sessions(session, user),
        "audit_events": _audit_events(session, user),
    }


def export(session: Session, user: User) -> bytes:
    """The download: collected, audited, as UTF-8 JSON. Flushes, never commits."""
    data = collect(session, user)
    audit.record(session, user, "account.data_downloaded", user)
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
