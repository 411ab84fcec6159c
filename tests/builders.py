"""Builders for calls and proposals, shared by request and browser tests."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask

from venture.accounts.models import User
from venture.bodies.models import BodyKind, Organizer, OrganizingBody
from venture.calls import services as calls
from venture.calls.models import Call, CallKind, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.groups import creditcode
from venture.groups.models import Group, GroupKind, GroupMembership, MemberRole


def rules(**overrides: Any) -> calls.CallRules:
    now = utcnow()
    values: dict[str, Any] = dict(
        kind=CallKind.MICRO_LIVELIHOOD, title="2026 幸福社区微民生项目", summary="小额资助社区自治项目",
        text_markdown="## 资助范围\n\n- 长者关爱\n- 儿童成长", themes=["长者关爱", "儿童成长"],
        districts=["天河区", "越秀区"], allow_registered=True, allow_grassroots=True,
        total_budget_fen=20_000_000, min_grant_fen=200_000, max_grant_fen=3_000_000,
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=10), timezone="Asia/Shanghai",
        sections=calls.default_sections(CallKind.MICRO_LIVELIHOOD),
        required_attachments=[{"key": "a1", "title": "预算表"}],
        reviewers_per_proposal=3, min_fundable_score=Decimal(60), notice_days=7,
        criteria=[calls.CriterionSpec("需求", 40, Decimal(10)), calls.CriterionSpec("可行性", 60, Decimal(10))],
    )
    values.update(overrides)
    return calls.CallRules(**values)


def make_body(app: Flask, organizer_email: str | None = None, name: str = "天河区民政局") -> int:
    with app.app_context():
        body = OrganizingBody(name=name, kind=BodyKind.CIVIL_AFFAIRS)
        db.session.add(body)
        db.session.flush()
        if organizer_email:
            user = db.session.query(User).filter_by(email=organizer_email).one()
            db.session.add(Organizer(body_id=body.id, user_id=user.id))
        db.session.commit()
        return body.id


def make_call(app: Flask, body_id: int, phase: Phase = Phase.OPEN, **overrides: Any) -> int:
    with app.test_request_context():
        body = db.session.get(OrganizingBody, body_id)
        call = calls.create_call(db.session, None, body, rules(**overrides))  # type: ignore[arg-type]
        if phase is not Phase.DRAFT:
            call.phase = phase
            call.published_at = utcnow()
        db.session.commit()
        return call.id


def make_group(app: Flask, owner_email: str, kind: GroupKind = GroupKind.GRASSROOTS,
               name: str = "幸福里邻里互助队", members: tuple[str, ...] = ()) -> int:
    with app.app_context():
        owner = db.session.query(User).filter_by(email=owner_email).one()
        fields: dict[str, Any] = dict(kind=kind, name=name, contact_name="赵桂英", contact_phone="13900139004",
                                      contact_email="team@xingfu.example")
        if kind is GroupKind.REGISTERED:
            fields.update(credit_code=creditcode.complete("52440106MJL" + f"{abs(hash(name)) % 10**6:06d}"),
                          registration_type="social_service")
        else:
            fields.update(filed_with="幸福里社区居委会")
        group = Group(**fields)
        db.session.add(group)
        group.memberships.append(GroupMembership(user=owner, role=MemberRole.OWNER))
        for email in members:
            user = db.session.query(User).filter_by(email=email).one()
            group.memberships.append(GroupMembership(user=user, role=MemberRole.MEMBER))
        db.session.add(group)
        db.session.commit()
        return group.id


def set_call_times(app: Flask, call_id: int, opens_at: datetime | None = None,
                   closes_at: datetime | None = None) -> None:
    with app.app_context():
        call = db.session.get(Call, call_id)
        if opens_at is not None:
            call.opens_at = opens_at
        if closes_at is not None:
            call.closes_at = closes_at
        db.session.commit()


def png_bytes() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


def pdf_bytes(text: str = "Budget sheet", author: str | None = None) -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if author:
        writer.add_metadata({"/Author": author})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
