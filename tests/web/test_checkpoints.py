"""Signed checkpoints anchor the audit chain outside the database: made at
every phase change and daily, published on /transparency and in the API in a
fixed format, checked by `audit verify`; an insider who rewrites the whole
chain (and the heads stored beside it) is named through them, and an outsider
holding an old copy detects a rewrite even when every checkpoint was deleted."""
from __future__ import annotations

import base64
import json
import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key
from sqlalchemy import select, text

from tests.conftest import Client, login
from tests.results_builders import make_results_world, review_table
from venture.audit.models import AuditCheckpoint, AuditEvent
from venture.audit.services import GENESIS, _payload, entry_hash
from venture.extensions import db
from venture.results.models import ResultRecord

TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _world_in_notice(app: Any) -> Any:
    world = make_results_world(app)
    review_table(app, world)
    organizer = Client(app, app.response_class, use_cookies=True)
    login(organizer, "organizer@example.org")
    assert organizer.submit(f"/calls/{world.call}/deliberation/open-notice", {}).status_code == 302
    return world


def _verify(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def _published(app: Any) -> dict[str, Any]:
    response = app.test_client().get("/api/v1/checkpoints")
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json()


def test_phase_changes_are_signed_and_published_in_the_promised_format(app):
    world = _world_in_notice(app)
    data = _published(app)
    assert set(data) == {"algorithm", "public_key", "checkpoints"} and data["algorithm"] == "Ed25519"
    raw = base64.b64decode(data["public_key"], validate=True)
    assert len(raw) == 32
    key = Ed25519PublicKey.from_public_bytes(raw)
    items = data["checkpoints"]
    assert items and [i["sequence"] for i in items] == sorted(i["sequence"] for i in items)
    with app.app_context():
        heads = dict(db.session.execute(select(AuditEvent.seq, AuditEvent.entry_hash)).all())
        record = db.session.scalar(select(ResultRecord))
    for item in items:
        assert set(item) == {"sequence", "head", "time", "reason", "signature"}
        assert TIME.match(item["time"]) and heads[item["sequence"]] == item["head"]
        signature = base64.b64decode(item["signature"], validate=True)
        assert len(signature) == 64
        # The message exactly as an outside verifier rebuilds it; raises if the signature does not hold.
        key.verify(signature, f"venture-checkpoint:v1:{item['sequence']}:{item['head']}:{item['time']}".encode())
    notice = [i for i in items if i["reason"] == "phase:notice"]
    assert len(notice) == 1, items
    assert (record.chain_seq, record.chain_head) == (notice[0]["sequence"], notice[0]["head"]), \
        "the result's published chain head is itself signed"

    pem = app.test_client().get("/transparency/public-key.pem")
    assert pem.status_code == 200 and "attachment" in pem.headers["Content-Disposition"]
    assert load_pem_public_key(pem.data).public_bytes(Encoding.Raw, PublicFormat.Raw) == raw
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert f"checkpoints hold: {len(items)} signed checkpoints" in result.output and data["public_key"] in result.output
    del world


def test_a_phase_changed_through_the_call_page_is_checkpointed(app, client):
    from tests.builders import make_body, make_call
    from tests.conftest import make_user
    from venture.calls.models import Phase

    make_user(app, "organizer@example.org")
    call = make_call(app, make_body(app, "organizer@example.org"), Phase.DRAFT)
    login(client, "organizer@example.org")
    assert client.submit(f"/calls/{call}/phase", {"to": "open"}).status_code == 302
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "call.phase")).one()
        assert event.data["checkpoint"] is True and event.data["rules"]["total_budget_fen"] == 20_000_000
    assert [(i["sequence"], i["reason"]) for i in _published(app)["checkpoints"]] == [(event.seq, "phase:open")]


def test_the_daily_tick_signs_the_head_once_it_moved(app, client):
    _world_in_notice(app)
    runner = app.test_cli_runner()
    app.config["AUDIT_CHECKPOINT_HOURS"] = 0
    assert "signed a checkpoint" not in runner.invoke(args=["calls", "tick"]).output, "the head is already signed"
    client.submit("/register", {"display_name": "A", "email": "a@example.org",
                                "password": "correct horse battery", "password_again": "correct horse battery"})
    ticked = runner.invoke(args=["calls", "tick"])
    with app.app_context():
        head = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    assert f"signed a checkpoint of entry {head}" in ticked.output
    newest = _published(app)["checkpoints"][-1]
    assert (newest["sequence"], newest["reason"]) == (head, "daily")
    app.config["AUDIT_CHECKPOINT_HOURS"] = 24
    client.submit("/register", {"display_name": "B", "email": "b@example.org",
                                "password": "correct horse battery", "password_again": "correct horse battery"})
    assert "signed a checkpoint" not in runner.invoke(args=["calls", "tick"]).output, "one a day is enough"
    made = runner.invoke(args=["audit", "checkpoint"])
    assert made.exit_code == 0 and f"checkpoint of entry {head + 1}" in made.output
    assert _verify(app).exit_code == 0


def test_the_transparency_page_in_both_languages(app, client):
    _world_in_notice(app)
    data = _published(app)
    for lang, footer, heading in (("en", "Transparency", "signed checkpoints of the audit log"),
                                  ("zh_CN", "公开透明", "审计日志的签名检查点")):
        client.set_cookie("lang", lang)
        home = client.get("/").get_data(as_text=True)
        assert f'href="/transparency">{footer}</a>' in home, lang
        page = client.get("/transparency").get_data(as_text=True)
        assert heading in page and data["public_key"] in page
        for item in data["checkpoints"]:
            assert item["head"] in page and item["signature"] in page and item["time"] in page
    assert client.get("/transparency?before=abc").status_code == 200


def _rewrite_chain(app: Any, edit: Any) -> None:
    """What an insider with the database (but not the key file) would do:
    change old entries, recompute every hash from the first, and put the new
    heads into the result records so that everything agrees again."""
    with app.app_context():
        session = db.session
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        edit(events)
        previous = GENESIS
        for event in events:
            payload = _payload(event.seq, event.occurred_at, event.actor_id, event.action, event.object_type,
                               event.object_id, event.data)
            event.prev_hash, event.entry_hash = previous, entry_hash(previous, payload)
            previous = event.entry_hash
        heads = {e.seq: e.entry_hash for e in events}
        for record in session.scalars(select(ResultRecord)):
            if record.chain_seq is not None:
                record.chain_head = heads[record.chain_seq]
        session.commit()


def _blame_the_organizer(events: list[AuditEvent]) -> None:
    """Rewrite history: the first submission was made by the organizer (user 1)."""
    first = next(e for e in events if e.action == "proposal.submitted")
    first.actor_id = 1


def _strip_the_marks(events: list[AuditEvent]) -> None:
    for event in events:
        if "checkpoint" in event.data:
            event.data = {key: value for key, value in event.data.items() if key != "checkpoint"}


def test_an_insider_who_recomputes_the_whole_chain_is_named_through_the_checkpoints(app, tmp_path):
    _world_in_notice(app)
    saved = tmp_path / "saved-checkpoints.json"
    saved.write_text(json.dumps(_published(app)))  # an outsider keeps a copy
    assert _verify(app, "--checkpoints", str(saved)).exit_code == 0

    _rewrite_chain(app, _blame_the_organizer)
    result = _verify(app)
    assert result.exit_code == 1
    assert "audit chain intact" in result.output, "the recomputed chain is consistent in itself"
    assert "stored records match the chain" in result.output, "and so are the rows"
    with app.app_context():
        signed = db.session.scalars(select(AuditCheckpoint)).all()
    for checkpoint in signed:
        assert (f"checkpoint PROBLEM: checkpoint of entry {checkpoint.sequence}" in result.output
                and "no longer has the signed head" in result.output
                and "the chain was rewritten after" in result.output), result.output

    # Updating the stored checkpoints to the new heads breaks their signatures.
    with app.app_context():
        for row in db.session.scalars(select(AuditCheckpoint)):
            row.head = db.session.scalar(select(AuditEvent.entry_hash).where(AuditEvent.seq == row.sequence))
        db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1 and "the signature does not hold for this site's key" in result.output

    # Deleting them is seen too: the entries that were checkpointed say so.
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_checkpoints"))
        db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    for checkpoint in signed:
        assert (f"audit entry {checkpoint.sequence} (" in result.output
                and "its checkpoint is no longer stored (deleted)" in result.output), result.output

    # An insider who also strips those marks from the entries gets a chain that verifies on its own,
    # but not against a copy kept outside: the outsider's checkpoints still name the rewrite.
    _rewrite_chain(app, _strip_the_marks)
    assert _verify(app).exit_code == 0
    result = _verify(app, "--checkpoints", str(saved))
    assert result.exit_code == 1
    for checkpoint in signed:
        assert f"saved checkpoint of entry {checkpoint.sequence}" in result.output
    assert "no longer published (deleted from the database)" in result.output
    assert "the chain was rewritten after" in result.output


def test_a_forged_checkpoint_or_another_key_is_named(app):
    _world_in_notice(app)
    with app.app_context():
        head = db.session.execute(select(AuditEvent.seq, AuditEvent.entry_hash)
                                  .order_by(AuditEvent.seq.desc()).limit(1)).one()
        db.session.add(AuditCheckpoint(sequence=head.seq + 100, head="ab" * 32, made_at=db.session.scalar(
            select(AuditCheckpoint.made_at)), reason="daily", signature=base64.b64encode(b"x" * 64).decode()))
        db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"checkpoint of entry {head.seq + 100}" in result.output and "signature does not hold" in result.output
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_checkpoints WHERE sequence = :s"), {"s": head.seq + 100})
        db.session.commit()
    assert _verify(app).exit_code == 0

    stranger = base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)).decode()
    other = _verify(app, "--public-key", stranger)
    assert other.exit_code == 1 and "signature does not hold for this site's key" in other.output
    bad = _verify(app, "--public-key", "not-a-key")
    assert bad.exit_code == 1 and "cannot check the checkpoints" in bad.output
