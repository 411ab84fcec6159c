"""``flask --app venture panels verify-draw DRAW_ID``: re-run a panel draw
from its record, and check where its seed came from."""
from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.audit.models import AuditEvent
from venture.extensions import db
from venture.review import draw
from venture.review.models import DrawCommitment, DrawMethod, PanelDraw

panels_cli = AppGroup("panels", help="Review panels.")
DRAW_ACTIONS = ("panel.drawn", "panel.replacement_drawn")


@dataclass
class DrawCheck:
    """The outcome of re-running a draw: one line per comparison, and whether all agree."""

    lines: list[str] = field(default_factory=list)
    ok: bool = True

    def compare(self, what: str, rerun: Any, recorded: Any) -> None:
        if rerun == recorded:
            self.lines.append(f"{what}: matches ({_show(recorded)})")
        else:
            self.ok = False
            self.lines.append(f"{what}: DOES NOT MATCH – re-run gives {_show(rerun)}, recorded {_show(recorded)}")


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items())) or "none"
    return ", ".join(str(v) for v in value) or "nobody"


def _rerun(seed: str, pool: Any, size: int, minimums: dict[str, int]) -> draw.DrawResult:
    return draw.draw_panel(seed, draw.candidates_from_snapshot(pool), int(size),
                           {str(k): int(v) for k, v in (minimums or {}).items()})


def verify_draw(session: Session, draw_id: int) -> DrawCheck:
    """Re-run the draw from the stored record and from its audit entry and
    compare both with the experts stored as chosen."""
    check = DrawCheck()
    record = session.get(PanelDraw, draw_id)
    if record is None:
        check.ok = False
        check.lines.append(f"draw {draw_id}: no such draw")
        return check
    stored = [int(e) for e in record.chosen]
    from_record = _rerun(record.seed, record.pool_snapshot, record.size, record.minimums)
    check.lines.append(f"draw {record.id} of call {record.call_id}, seed {record.seed}, size {record.size}, "
                       f"pool of {len(record.pool_snapshot)}")
    check.compare("re-run from the stored record vs stored chosen", list(from_record.chosen), stored)
    check.compare("re-run from the stored record vs stored shortfalls", from_record.shortfalls,
                  dict(record.shortfalls or {}))

    event = session.scalar(select(AuditEvent).where(
        AuditEvent.object_type == PanelDraw.__tablename__, AuditEvent.object_id == record.id,
        AuditEvent.action.in_(DRAW_ACTIONS)).order_by(AuditEvent.seq).limit(1))
    if event is None:
        check.ok = False
        check.lines.append("audit log: NO ENTRY for this draw")
        return check
    data = event.data
    from_audit = _rerun(data["seed"], data["pool"], data["size"], data.get("minimums") or {})
    check.lines.append(f"audit entry {event.seq} ({event.action})")
    check.compare("re-run from the audit entry vs chosen in the audit entry", list(from_audit.chosen),
                  [int(e) for e in data.get("chosen", [])])
    check.compare("re-run from the audit entry vs stored chosen", list(from_audit.chosen), stored)
    check.compare("audit seed vs stored seed", [data["seed"]], [record.seed])
    _check_seed(session, check, record, event)
    return check


def _check_seed(session: Session, check: DrawCheck, record: PanelDraw, event: AuditEvent) -> None:
    """The seed from its inputs: the commitment, the witnesses' values and the chain head, or the parent draw."""
    data = event.data
    if record.method is DrawMethod.REPLACEMENT:
        parent = session.get(PanelDraw, record.parent_draw_id) if record.parent_draw_id else None
        if parent is None or record.replaces_member_id is None:
            check.ok = False
            check.lines.append("replacement: the draw it derives its seed from is MISSING")
            return
        check.compare("seed derived from the parent draw vs stored seed",
                      [draw.replacement_seed(parent.seed, record.replaces_member_id)], [record.seed])
        check.compare("parent draw in the audit entry vs stored", [data.get("parent_draw")], [parent.id])
        return
    if record.method is not DrawMethod.CEREMONY:
        check.lines.append("seed chosen by the server alone (a draw made before draws had a commitment and "
                           "witnesses): its inputs cannot be checked")
        return
    commitment = session.get(DrawCommitment, record.commitment_id) if record.commitment_id else None
    if commitment is None:
        check.ok = False
        check.lines.append("commitment: MISSING")
        return
    values = [str(w.get("value", "")) for w in record.witnesses or []]
    check.compare("digest of the revealed secret vs the published commitment",
                  [draw.commitment_digest(commitment.secret)], [commitment.digest])
    check.compare("seed from the secret, the witnesses' values and the chain head vs stored seed",
                  [draw.ceremony_seed(commitment.secret, values, record.chain_seq or 0, record.chain_head)],
                  [record.seed])
    check.compare("audit entry's seed inputs vs stored",
                  [data.get("secret"), (data.get("commitment") or {}).get("digest"), data.get("chain_seq"),
                   data.get("chain_head")],
                  [commitment.secret, commitment.digest, record.chain_seq, record.chain_head])
    audited = [(w.get("name_sha256"), w.get("role"), w.get("value")) for w in data.get("witnesses") or []]
    stored_witnesses = [(hashlib.sha256(str(w.get("name", "")).encode("utf-8")).hexdigest(), w.get("role"),
                         w.get("value")) for w in record.witnesses or []]
    check.compare("witnesses in the audit entry vs stored", audited, stored_witnesses)
    check.compare("the chain head the seed used vs the entry before the draw's", [event.prev_hash],
                  [record.chain_head])
    committed = session.scalar(select(AuditEvent).where(
        AuditEvent.object_type == DrawCommitment.__tablename__, AuditEvent.object_id == commitment.id,
        AuditEvent.action == "panel.draw_committed").order_by(AuditEvent.seq).limit(1))
    if committed is None or committed.seq >= event.seq:
        check.ok = False
        check.lines.append("commitment: NO AUDIT ENTRY before the draw")
        return
    check.compare(f"commitment in audit entry {committed.seq} vs stored", [committed.data.get("digest")],
                  [commitment.digest])


@panels_cli.command("verify-draw")
@click.argument("draw_id", type=int)
def verify_draw_command(draw_id: int) -> None:
    """Re-run a panel draw from its stored record and its audit entry; say whether they match."""
    check = verify_draw(db.session, draw_id)
    for line in check.lines:
        click.echo(line)
    if check.ok:
        click.echo(f"draw {draw_id}: MATCHES – re-running it gives the experts that were recorded")
        return
    click.echo(f"draw {draw_id}: DOES NOT MATCH the record", err=True)
    sys.exit(1)
