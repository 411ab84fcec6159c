"""What the public may see of a call's panel draws, decided in one place.

Before the public notice the public sees only the commitments (a digest and
when it was made: a commitment is useless unless it is public before the
draw). From the notice on – when the groups are named and the review is over
– every draw of the call is public, discarded ones included: where its seed
came from (the revealed secret, the witnesses and their values, the audit
chain's head), the pool it was drawn from under the experts' pool numbers
with their expertise areas, what it chose, its shortfalls and what it
replaced, and the audit entries that recorded the commitment and the draw.
Never an expert's name: the pool numbers are not linked to the reviewers'
letters in the result.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.audit.models import AuditEvent
from venture.calls.models import Call
from venture.results.public import is_released, public_entry
from venture.review.models import DrawCommitment, DrawMethod, MemberStatus, PanelDraw, PanelMember

# The draws whose audit entries are published: their actor is an organizer.
# A replacement's entry is not (its actor is the expert who declined); its
# seed needs no entry, as it is derived from the draw it fills in for.
_PUBLISHED_ENTRIES = {"panel.drawn": DrawMethod.CEREMONY}


def commitments_for(session: Session, calls: list[Call]) -> dict[int, list[dict[str, Any]]]:
    """Call id -> every commitment of the call, in two queries for any number
    of calls. A commitment is public from the moment it is made; its secret
    and the draw that used it only once a draw has revealed it and the call's
    notice has opened."""
    released = {call.id: is_released(call) for call in calls}
    ids = list(released)
    used_by = dict(session.execute(select(PanelDraw.commitment_id, PanelDraw.id)
                                   .where(PanelDraw.call_id.in_(ids), PanelDraw.commitment_id.is_not(None))).all())
    out: dict[int, list[dict[str, Any]]] = {call_id: [] for call_id in ids}
    for commitment in session.scalars(select(DrawCommitment).where(DrawCommitment.call_id.in_(ids))
                                      .order_by(DrawCommitment.id)):
        draw_id = used_by.get(commitment.id)
        shown = released[commitment.call_id] and draw_id is not None
        out[commitment.call_id].append({
            "digest": commitment.digest, "committed_at": commitment.created_at.isoformat(),
            "used": commitment.used_at is not None, "draw": draw_id if shown else None,
            "secret": commitment.secret if shown else None,
        })
    return out


def commitments(session: Session, call: Call) -> list[dict[str, Any]]:
    return commitments_for(session, [call])[call.id]


def _entries(session: Session, call: Call) -> dict[tuple[str, int], AuditEvent]:
    """(object type, object id) -> the entry that recorded the commitment or the ceremony draw."""
    draw_ids = select(PanelDraw.id).where(PanelDraw.call_id == call.id)
    commitment_ids = select(DrawCommitment.id).where(DrawCommitment.call_id == call.id)
    found: dict[tuple[str, int], AuditEvent] = {}
    events = session.scalars(select(AuditEvent).where(
        ((AuditEvent.object_type == PanelDraw.__tablename__) & AuditEvent.object_id.in_(draw_ids)
         & AuditEvent.action.in_(list(_PUBLISHED_ENTRIES)))
        | ((AuditEvent.object_type == DrawCommitment.__tablename__) & AuditEvent.object_id.in_(commitment_ids)
           & (AuditEvent.action == "panel.draw_committed"))).order_by(AuditEvent.seq))
    for event in events:
        found.setdefault((event.object_type, int(event.object_id or 0)), event)
    return found


def draws(session: Session, call: Call) -> dict[str, Any] | None:
    """The call's draws as the public sees them, or None before the notice."""
    if not is_released(call):
        return None
    entries = _entries(session, call)
    listed = []
    records = session.scalars(select(PanelDraw).where(PanelDraw.call_id == call.id)
                              .order_by(PanelDraw.created_at, PanelDraw.id)).all()
    commitment_rows = {c.id: c for c in session.scalars(select(DrawCommitment)
                                                        .where(DrawCommitment.call_id == call.id))}
    for record in records:
        commitment = commitment_rows.get(record.commitment_id) if record.commitment_id else None
        entry = entries.get((PanelDraw.__tablename__, record.id))
        committed = entries.get((DrawCommitment.__tablename__, commitment.id)) if commitment else None
        listed.append({
            "number": record.id,
            "made_at": record.created_at.isoformat(),
            "method": record.method.value,
            "seed": record.seed,
            "commitment": None if commitment is None else {
                "id": commitment.id, "digest": commitment.digest, "committed_at": commitment.created_at.isoformat(),
                "secret": commitment.secret, "audit_entry": public_entry(committed)},
            "witnesses": [{"name": str(w.get("name", "")), "role": str(w.get("role", "")),
                           "value": str(w.get("value", ""))} for w in record.witnesses or []],
            "chain_seq": record.chain_seq,
            "chain_head": record.chain_head or None,
            "parent_draw": record.parent_draw_id,
            "replaces_member": record.replaces_member_id,
            "size": record.size,
            "minimums": {str(k): int(v) for k, v in sorted((record.minimums or {}).items())},
            "pool": [{"expert": int(e["expert"]), "areas": [str(a) for a in e.get("areas") or []]}
                     for e in record.pool_snapshot or []],
            "chosen": [int(e) for e in record.chosen or []],
            "shortfalls": {str(k): int(v) for k, v in sorted((record.shortfalls or {}).items())},
            "short_by": max(0, record.size - len(record.chosen or [])),
            "discarded": None if record.discarded_at is None else {
                "at": record.discarded_at.isoformat(), "reason": record.discard_reason},
            "audit_entry": public_entry(entry) if record.method in _PUBLISHED_ENTRIES.values() else None,
        })
    members = session.execute(select(PanelMember.manual, PanelMember.status)
                              .where(PanelMember.call_id == call.id)).all()
    serving = [manual for manual, status in members if status is MemberStatus.ACCEPTED]
    return {
        "call": call.id,
        "algorithm": {"name": "venture-draw", "version": 1, "key": "sha256(\"<seed>:<expert>\")",
                      "ceremony_seed": "sha256(canonical({chain_head, chain_seq, secret, witness_values}))",
                      "replacement_seed": "sha256(canonical({parent_seed, replaces_member}))"},
        "commitments": commitments(session, call),
        "draws": listed,
        "panel": {"members": len(members), "accepted": len(serving),
                  "accepted_drawn": sum(1 for manual in serving if not manual),
                  "accepted_added_by_hand": sum(1 for manual in serving if manual)},
    }

