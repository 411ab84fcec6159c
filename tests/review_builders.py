"""Builders for the review stage: experts, submitted proposals, panels and
assignments, made directly in the database so tests start where they need to."""
from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask
from sqlalchemy import select

from tests.builders import make_call, pdf_bytes
from venture.accounts.models import User
from venture.bodies.models import PoolExpert
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.proposals import storage
from venture.proposals.models import Attachment, Proposal, ProposalStatus, ProposalVersion, Screening
from venture.review.models import Assignment, MemberStatus, PanelMember

_counter = [0]


def make_expert(app: Flask, body_id: int, email: str, expertise: tuple[str, ...] = ("social_work",),
                affiliations: list[dict[str, str]] | None = None, available: bool = True) -> int:
    """The user with ``email`` joins the body's pool with this profile."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        expert = db.session.scalar(select(PoolExpert).where(PoolExpert.body_id == body_id,
                                                            PoolExpert.user_id == user.id))
        if expert is None:
            expert = PoolExpert(body_id=body_id, user_id=user.id)
            db.session.add(expert)
        expert.expertise = list(expertise)
        expert.affiliations = affiliations or []
        expert.available = available
        db.session.commit()
        return expert.id


def make_submitted_proposal(app: Flask, call_id: int, group_id: int, title: str = "长者助餐点",
                            text: str = "为社区独居长者提供午餐。", attachment_author: str | None = None,
                            screening: Screening = Screening.PENDING) -> dict[str, int]:
    """A submitted proposal with one frozen version and one PDF attachment."""
    with app.app_context():
        call = db.session.get(Call, call_id)
        _counter[0] += 1
        now = utcnow()
        proposal = Proposal(call_id=call_id, group_id=group_id, status=ProposalStatus.SUBMITTED,
                            number=f"2026-{call.kind.code}-T{_counter[0]:04d}", title=title, summary=text,
                            sections={s["key"]: text for s in call.sections},
                            budget=[{"item": "食材", "unit_cost_fen": 1_000_000, "quantity": "1"}],
                            requested_fen=1_000_000, beneficiaries=40, district="天河区", theme="长者关爱",
                            submitted_at=now, version_count=1, screening=screening)
        db.session.add(proposal)
        db.session.flush()
        data = pdf_bytes(author=attachment_author)
        attachment = Attachment(proposal_id=proposal.id, slot="a1", filename="预算表.pdf",
                                stored_name=storage.store(data), kind="pdf", size=len(data),
                                sha256=hashlib.sha256(data).hexdigest())
        db.session.add(attachment)
        db.session.flush()
        content: dict[str, Any] = {
            "call": call_id, "title": title, "summary": text,
            "sections": [{"key": s["key"], "title": s["title"], "text": text} for s in call.sections],
            "budget": [{"item": "食材", "unit_cost_fen": 1_000_000, "quantity": "1", "subtotal_fen": 1_000_000}],
            "requested_fen": 1_000_000, "beneficiaries": 40, "district": "天河区", "theme": "长者关爱",
            "attachments": [{"id": attachment.id, "slot": "a1", "filename": attachment.filename, "kind": "pdf",
                             "size": attachment.size, "sha256": attachment.sha256}],
        }
        from venture.audit import services as audit
        from venture.proposals.services import fingerprint

        version = ProposalVersion(proposal_id=proposal.id, version_no=1, number=proposal.number,
                                  submitted_at=now, content=content, fingerprint=fingerprint(content))
        db.session.add(version)
        db.session.flush()
        # The audit entries the services would have written, so `audit verify` vouches for these rows.
        audit.record(db.session, None, "proposal.attachment_added", proposal, attachment=attachment.id,
                     sha256=attachment.sha256, size=attachment.size)
        audit.record(db.session, None, "proposal.submitted", proposal, number=proposal.number, version=1,
                     fingerprint=version.fingerprint, submitted_at=now.isoformat(), **{"from": "draft"})
        if screening is not Screening.PENDING:
            audit.record(db.session, None, "proposal.screened", proposal, call=call_id, reversal=False,
                         reason_sha256=hashlib.sha256(b"").hexdigest(),
                         **{"from": Screening.PENDING.value, "to": screening.value})
        db.session.commit()
        return {"proposal_id": proposal.id, "attachment_id": attachment.id}


def add_member(app: Flask, call_id: int, expert_id: int, status: MemberStatus = MemberStatus.ACCEPTED,
               declared: bool = True) -> int:
    with app.app_context():
        member = PanelMember(call_id=call_id, expert_id=expert_id, status=status, manual=True,
                             responded_at=utcnow() if status is not MemberStatus.INVITED else None,
                             conflicts_declared_at=utcnow() if declared else None)
        db.session.add(member)
        db.session.commit()
        return member.id


def assign(app: Flask, proposal_id: int, member_id: int) -> int:
    from venture.audit import services as audit

    with app.app_context():
        assignment = Assignment(proposal_id=proposal_id, member_id=member_id, manual=True)
        db.session.add(assignment)
        db.session.flush()
        call = db.session.get(Proposal, proposal_id).call
        audit.record(db.session, None, "assignments.made", call, seed="", k=1, proposals=[proposal_id],
                     pairs=[[proposal_id, member_id]])
        db.session.commit()
        return assignment.id


def make_review_world(app: Flask, body_id: int, group_id: int, reviewer_email: str,
                      phase: Phase = Phase.REVIEW) -> dict[str, int]:
    """A call in ``phase`` with one eligible submitted proposal of ``group_id``,
    assigned to the reviewer, who is an accepted panel member with conflicts
    declared. Returns the ids, named as route arguments."""
    call_id = make_call(app, body_id, Phase.CLOSED, title="2026 助老服务创投")
    made = make_submitted_proposal(app, call_id, group_id, screening=Screening.ELIGIBLE,
                                   attachment_author="幸福里邻里互助队 赵桂英")
    expert_id = make_expert(app, body_id, reviewer_email, expertise=("finance", "social_work"))
    member_id = add_member(app, call_id, expert_id)
    assignment_id = assign(app, made["proposal_id"], member_id)
    with app.app_context():
        db.session.get(Call, call_id).phase = phase
        db.session.commit()
    return {"review_call_id": call_id, "review_proposal_id": made["proposal_id"],
            "review_attachment_id": made["attachment_id"], "expert_id": expert_id, "member_id": member_id,
            "assignment_id": assignment_id}
