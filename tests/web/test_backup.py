"""`backup create` while the site writes, `backup restore` into an empty
database: content, attachment bytes and the audit chain come back whole; a
tampered backup and a non-empty database are refused. On SQLite and PostgreSQL."""
from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from tests.builders import make_body, make_call, make_group, pdf_bytes
from tests.conftest import PG_ADMIN_URL, make_user
from tests.conftest import test_config as config_for
from venture import create_app
from venture.accounts.models import User
from venture.audit import services as audit
from venture.audit.models import AuditEvent
from venture.calls.models import Call, Phase
from venture.extensions import db
from venture.proposals import storage
from venture.proposals.models import Attachment, Proposal, ProposalStatus, ProposalVersion


@pytest.fixture
def empty_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[object]:
    """A factory of brand-new, never-migrated databases on the test's backend."""
    made: list[str] = []

    def make() -> str:
        if backend == "sqlite":
            return "sqlite:///" + str(tmp_path / f"fresh-{uuid.uuid4().hex[:6]}.sqlite3")
        request.getfixturevalue("pg_url")  # skips (or fails in CI) without PostgreSQL
        name = f"venture_restore_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        made.append(name)
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    yield make
    if made:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _fresh_app(tmp_path: Path, url: str, label: str) -> Iterator[Flask]:
    """A second application on a fresh database. ``db`` is one object shared by
    every application of the process: point it back at the test's own
    database afterwards."""
    saved = (db.engine, db._sessionmaker)
    folder = tmp_path / label
    folder.mkdir()
    try:
        yield create_app(config_for(folder, url))
    finally:
        db.engine.dispose()
        db.engine, db._sessionmaker = saved


def _world(app) -> dict[str, object]:
    """Two users, an open call, a group whose proposal with its PDF was
    submitted through the services (so the audit chain and the stored
    version agree), and a few more audit entries."""
    from decimal import Decimal

    from venture.groups.models import Group
    from venture.proposals import services
    from venture.proposals.services import BudgetLine, DraftContent

    make_user(app, "org@example.org", name="Organizer Wang")
    make_user(app, "owner@example.org", name="Owner Zhao")
    body_id = make_body(app, "org@example.org")
    call_id = make_call(app, body_id, Phase.OPEN)
    group_id = make_group(app, "owner@example.org")
    data = pdf_bytes()
    with app.test_request_context():
        owner = db.session.scalar(select(User).where(User.email == "owner@example.org"))
        proposal = services.start_proposal(db.session, owner, db.session.get(Call, call_id),
                                           db.session.get(Group, group_id))
        services.save_draft(db.session, owner, proposal, DraftContent(
            title="社区菜园", summary="A shared garden", district="天河区", theme="长者关爱", beneficiaries=50,
            sections={"problem": "An empty lot", "activities": "Plant vegetables", "beneficiaries": "Neighbours"},
            budget=[BudgetLine("Seeds", 300_000, Decimal(1))]), proposal.lock_version)
        attachment = services.add_attachment(db.session, owner, proposal, "a1", "budget.pdf", data)
        services.submit(db.session, owner, proposal, confirmed_warnings=True)
        for number in range(3):
            audit.record(db.session, None, "test.backup", object_type="test", object_id=number, n=number)
        db.session.commit()
        return {"call_id": call_id, "proposal_id": proposal.id, "attachment_id": attachment.id,
                "attachment_bytes": storage.read(attachment.stored_name),  # as stored: cleaned at upload
                "audit_entries": db.session.scalar(select(func.count(AuditEvent.seq)))}


def test_backup_while_writing_then_restore_into_an_empty_database(app, tmp_path, empty_url):
    world = _world(app)
    target = tmp_path / "backup"

    # The site keeps writing (audit entries, each its own commit) while the backup runs.
    stop, started = threading.Event(), threading.Event()
    written = [0]

    def keep_writing() -> None:
        with app.app_context():
            while not stop.is_set() and written[0] < 500:
                audit.record(db.session, None, "test.during_backup", object_type="test", object_id=written[0])
                db.session.commit()
                written[0] += 1
                started.set()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    assert started.wait(timeout=10)
    try:
        created = app.test_cli_runner().invoke(args=["backup", "create", str(target)])
    finally:
        stop.set()
        writer.join(timeout=30)
    assert created.exit_code == 0, created.output
    assert "search rebuild" in created.output

    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["audit"]["intact"] is True
    before = world["audit_entries"]
    assert manifest["tables"]["audit_events"] == manifest["audit"]["entries"] > before
    print(f"{written[0]} audit entries written during the backup; {manifest['audit']['entries'] - before} in it")
    assert manifest["tables"]["users"] == 2 and manifest["tables"]["proposals"] == 1
    assert manifest["schema_revision"] == manifest["code_revision"] != []
    assert manifest["missing_uploads"] == []
    uploads = [name for name in manifest["files"] if name.startswith("uploads/")]
    assert len(uploads) == 1
    assert manifest["database"]["file"] in manifest["files"]
    assert "search" in manifest["search_index"]
    assert not list(tmp_path.glob(".backup.partial-*")), "no half-written backup left behind"

    with _fresh_app(tmp_path, empty_url(), "restored") as fresh:
        _check_restored(fresh, target, world, manifest)


def _check_restored(fresh: Flask, target: Path, world: dict[str, object], manifest: dict[str, object]) -> None:
    restored = fresh.test_cli_runner().invoke(args=["backup", "restore", str(target)])
    assert restored.exit_code == 0, restored.output
    assert "audit chain intact" in restored.output
    assert "stored records match the chain" in restored.output
    assert "search rebuild" in restored.output

    with fresh.app_context():
        assert sorted(db.session.scalars(select(User.email))) == ["org@example.org", "owner@example.org"]
        proposal = db.session.get(Proposal, world["proposal_id"])
        assert proposal.status is ProposalStatus.SUBMITTED and proposal.title == "社区菜园"
        [version] = db.session.scalars(select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id))
        assert version.number == proposal.number
        assert db.session.get(Call, world["call_id"]).phase is Phase.OPEN
        attachment = db.session.get(Attachment, world["attachment_id"])
        assert storage.read(attachment.stored_name) == world["attachment_bytes"]
        assert db.session.scalar(select(func.count(AuditEvent.seq))) == manifest["audit"]["entries"]
        result = audit.verify(db.session)
        assert result.ok and result.head == manifest["audit"]["head_hash"]
        # The restored site goes on: new entries chain onto the restored head.
        audit.record(db.session, None, "test.after_restore", object_type="test", object_id=1)
        db.session.commit()
        assert audit.verify(db.session).ok
    verified = fresh.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_restore_refuses_a_tampered_backup_and_a_database_with_data(app, tmp_path, empty_url):
    _world(app)
    target = tmp_path / "backup"
    created = app.test_cli_runner().invoke(args=["backup", "create", str(target)])
    assert created.exit_code == 0, created.output

    # Into the database that holds data: refused, and nothing is touched.
    refused = app.test_cli_runner().invoke(args=["backup", "restore", str(target)])
    assert refused.exit_code != 0 and "already holds data" in refused.output

    manifest = json.loads((target / "manifest.json").read_text())
    [upload] = [name for name in manifest["files"] if name.startswith("uploads/")]
    tampered = target / upload
    data = bytearray(tampered.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit flipped
    tampered.write_bytes(bytes(data))

    with _fresh_app(tmp_path, empty_url(), "tampered") as fresh:
        rejected = fresh.test_cli_runner().invoke(args=["backup", "restore", str(target)])
        assert rejected.exit_code != 0
        assert upload in rejected.output and "does not match its manifest" in rejected.output
        with fresh.app_context():
            assert inspect(db.engine).get_table_names() == [], "nothing restored"
        assert not any(Path(fresh.config["UPLOAD_FOLDER"]).rglob("*"))

    # A backup directory that is not empty is never written into.
    again = app.test_cli_runner().invoke(args=["backup", "create", str(target)])
    assert again.exit_code != 0 and "not an empty directory" in again.output
