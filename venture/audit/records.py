"""Stored rows checked against the audit chain.

The chain proves that the log was not altered; this proves that what the log
says still matches the rows people read: every submitted proposal version,
every submitted review version, every frozen result record, every funding
adjustment and component score. A score, a total, a time or an amount changed
directly in the database no longer matches its fingerprint or its audited
event, and ``verify_records`` names the first such row.

Run it after the chain walk (``flask --app venture audit verify`` does): the
events it compares with are only worth trusting once the chain holds.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.audit.models import AuditEvent
from venture.audit.services import canonical


@dataclass
class RecordCheck:
    ok: bool
    checked: int
    table: str = ""
    row_id: int | None = None
    what: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"{self.checked} stored records match the chain"
        return f"{self.table} {self.row_id}: {self.what}"


class _Mismatch(Exception):
    def __init__(self, table: str, row_id: int | None, what: str) -> None:
        super().__init__(what)
        self.table, self.row_id, self.what = table, row_id, what


def _events(session: Session, actions: Iterable[str]) -> dict[tuple[str, int | None], list[AuditEvent]]:
    """Events of these actions by object, oldest first."""
    found: dict[tuple[str, int | None], list[AuditEvent]] = {}
    for event in session.scalars(select(AuditEvent).where(AuditEvent.action.in_(list(actions)))
                                 .order_by(AuditEvent.seq)):
        found.setdefault((event.object_type, event.object_id), []).append(event)
    return found


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _same_moment(a: Any, b: Any) -> bool:
    first, second = _moment(a), _moment(b)
    if first is None or second is None:
        return False
    if (first.tzinfo is None) != (second.tzinfo is None):
        return False
    return first == second


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _proposal_versions(session: Session) -> int:
    from venture.proposals.models import ProposalVersion
    from venture.proposals.services import fingerprint

    table = ProposalVersion.__tablename__
    events = _events(session, ["proposal.submitted"])
    checked = 0
    for version in session.scalars(select(ProposalVersion).order_by(ProposalVersion.id)).yield_per(500):
        if fingerprint(version.content) != version.fingerprint:
            raise _Mismatch(table, version.id, "the content does not match its fingerprint")
        event = next((e for e in events.get(("proposals", version.proposal_id), [])
                      if e.data.get("version") == version.version_no), None)
        if event is None:
            raise _Mismatch(table, version.id, "no audited submission for this version")
        if event.data.get("fingerprint") != version.fingerprint:
            raise _Mismatch(table, version.id, f"the fingerprint differs from audit entry {event.seq}")
        if not _same_moment(event.data.get("submitted_at"), version.submitted_at):
            raise _Mismatch(table, version.id, f"the submission time differs from audit entry {event.seq}")
        if "number" in event.data and event.data["number"] != version.number:
            raise _Mismatch(table, version.id, f"the receipt number differs from audit entry {event.seq}")
        checked += 1
    return checked


def _review_versions(session: Session) -> int:
    from venture.review.models import ReviewVersion
    from venture.review.scoring import fingerprint

    table = ReviewVersion.__tablename__
    events = _events(session, ["review.submitted"])
    checked = 0
    for version in session.scalars(select(ReviewVersion).order_by(ReviewVersion.id)).yield_per(500):
        if fingerprint(version.content) != version.fingerprint:
            raise _Mismatch(table, version.id, "the content (scores, reasons, comments) does not match its fingerprint")
        if _decimal(version.content.get("total")) != _decimal(version.total):
            raise _Mismatch(table, version.id, "the total differs from the submitted content")
        event = next((e for e in events.get(("reviews", version.review_id), [])
                      if e.data.get("version") == version.version_no), None)
        if event is None:
            raise _Mismatch(table, version.id, "no audited submission for this version")
        if event.data.get("fingerprint") != version.fingerprint:
            raise _Mismatch(table, version.id, f"the fingerprint differs from audit entry {event.seq}")
        if _decimal(event.data.get("total")) != _decimal(version.total):
            raise _Mismatch(table, version.id, f"the total differs from audit entry {event.seq}")
        if "submitted_at" in event.data and not _same_moment(event.data["submitted_at"], version.submitted_at):
            raise _Mismatch(table, version.id, f"the submission time differs from audit entry {event.seq}")
        checked += 1
    return checked


def _result_records(session: Session) -> int:
    from venture.results.models import ResultRecord, ResultStage

    table = ResultRecord.__tablename__
    events = _events(session, ["results.proposed", "results.published"])
    by_seq = {}
    seqs = [r.chain_seq for r in session.scalars(select(ResultRecord)) if r.chain_seq is not None]
    if seqs:
        by_seq = dict(session.execute(select(AuditEvent.seq, AuditEvent.entry_hash)
                                      .where(AuditEvent.seq.in_(seqs))).all())
    checked = 0
    for record in session.scalars(select(ResultRecord).order_by(ResultRecord.id)):
        if hashlib.sha256(canonical(record.content)).hexdigest() != record.fingerprint:
            raise _Mismatch(table, record.id, "the content (lines, scores, amounts) does not match its fingerprint")
        action = "results.proposed" if record.stage is ResultStage.PROPOSED else "results.published"
        event = next((e for e in reversed(events.get((table, record.id), [])) if e.action == action), None)
        if event is None:
            raise _Mismatch(table, record.id, f"no audited {action} event")
        if event.data.get("fingerprint") != record.fingerprint:
            raise _Mismatch(table, record.id, f"the fingerprint differs from audit entry {event.seq}")
        if event.data.get("call") != record.call_id or record.content.get("call") != record.call_id:
            raise _Mismatch(table, record.id, f"the call differs from audit entry {event.seq}")
        if record.chain_seq is not None and by_seq.get(record.chain_seq) != record.chain_head:
            raise _Mismatch(table, record.id, f"the chain head differs from audit entry {record.chain_seq}")
        checked += 1
    return checked


def _adjustments(session: Session) -> int:
    from venture.results.models import FundingAdjustment
    from venture.results.services import reason_digest

    table = FundingAdjustment.__tablename__
    events = _events(session, ["results.adjusted", "results.adjustment_cleared"])
    checked = 0
    for row in session.scalars(select(FundingAdjustment).order_by(FundingAdjustment.id)):
        history = events.get((table, row.id), [])
        if not history or history[-1].action != "results.adjusted":
            raise _Mismatch(table, row.id, "no audited adjustment for this row")
        data = history[-1].data
        if (data.get("proposal") != row.proposal_id or data.get("amount_fen") != row.amount_fen
                or bool(data.get("set_aside")) != bool(row.set_aside)):
            raise _Mismatch(table, row.id, f"the amount differs from audit entry {history[-1].seq}")
        if "reason_sha256" in data and data["reason_sha256"] != reason_digest(row.reason):
            raise _Mismatch(table, row.id, f"the reason differs from audit entry {history[-1].seq}")
        checked += 1
    return checked


def _components(session: Session) -> int:
    from venture.results.models import ComponentScore

    table = ComponentScore.__tablename__
    events = _events(session, ["results.component_set"])
    checked = 0
    for row in session.scalars(select(ComponentScore).order_by(ComponentScore.id)):
        history = events.get((table, row.id), [])
        if not history:
            raise _Mismatch(table, row.id, "no audited component score for this row")
        data = history[-1].data
        if data.get("proposal") != row.proposal_id or _decimal(data.get("value")) != _decimal(row.value):
            raise _Mismatch(table, row.id, f"the value differs from audit entry {history[-1].seq}")
        checked += 1
    return checked


def _funded_projects(session: Session) -> int:
    """Plans, agreements, tranches, reports, evaluations and bars (``venture.projects.records``)."""
    from venture.projects.records import check_all

    found: list[_Mismatch] = []
    checked = check_all(session, lambda table, row_id, what: found.append(_Mismatch(table, row_id, what)),
                        lambda table, what: found.append(_Mismatch(table, None, f"missing: {what}")))
    if found:
        raise found[0]
    return checked


CHECKS = (_proposal_versions, _review_versions, _result_records, _adjustments, _components, _funded_projects)


def verify_records(session: Session) -> RecordCheck:
    """Check every stored row that the chain vouches for; name the first that does not match."""
    checked = 0
    try:
        for check in CHECKS:
            checked += check(session)
    except _Mismatch as mismatch:
        return RecordCheck(False, checked, mismatch.table, mismatch.row_id, mismatch.what)
    return RecordCheck(True, checked)
