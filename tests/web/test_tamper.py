"""Rows edited behind the application's back are caught by `audit verify`:
the chain vouches for every stored score, total, time and amount, and the
command names the first row that no longer matches."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, text

from tests.conftest import Client, login
from tests.results_builders import make_results_world, review_table
from venture.audit.models import AuditEvent
from venture.audit.records import verify_records
from venture.extensions import db
from venture.proposals.models import ProposalVersion
from venture.results.models import FundingAdjustment, ResultRecord
from venture.review.models import ReviewVersion


def _verify(app) -> Any:
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def _is_pg(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def _raw(app, sql: str, **params: Any) -> Any:
    with app.app_context():
        value = db.session.execute(text(sql), params).scalar()
        db.session.rollback()
        return value


def _write(app, sql: str, **params: Any) -> None:
    with app.app_context():
        db.session.execute(text(sql), params)
        db.session.commit()


def _write_json(app, table: str, column: str, row_id: int, value: Any) -> None:
    placeholder = "CAST(:v AS json)" if _is_pg(app) else ":v"
    key = "seq" if table == "audit_events" else "id"
    _write(app, f"UPDATE {table} SET {column} = {placeholder} WHERE {key} = :id",
           v=json.dumps(value, ensure_ascii=False), id=row_id)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _broken(app, where: str, what: str) -> None:
    result = _verify(app)
    assert result.exit_code == 1, result.output
    assert where in result.output and what in result.output, result.output


def _intact(app) -> None:
    result = _verify(app)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output and "stored records match the chain" in result.output


def _first_id(app, model: Any, **where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(model.id).filter_by(**where).order_by(model.id))


def test_edits_behind_the_applications_back_are_detected(app):
    world = make_results_world(app)
    review_table(app, world)
    organizer = Client(app, app.response_class, use_cookies=True)
    login(organizer, "organizer@example.org")
    assert organizer.submit(f"/calls/{world.call}/deliberation/{world.proposals[1]}/adjust",
                            {"amount": "5000", "reason": "预算核减"}).status_code == 302
    assert organizer.submit(f"/calls/{world.call}/deliberation/open-notice", {}).status_code == 302
    _intact(app)
    with app.app_context():
        assert verify_records(db.session).checked >= 3 + 9 + 1 + 1

    # A score inside a submitted review.
    review = _first_id(app, ReviewVersion)
    original = _json(_raw(app, "SELECT content FROM review_versions WHERE id = :id", id=review))
    changed = json.loads(json.dumps(original))
    changed["criteria"][0]["score"] = "10"
    _write_json(app, "review_versions", "content", review, changed)
    _broken(app, f"review_versions row {review}", "does not match its fingerprint")
    _write_json(app, "review_versions", "content", review, original)
    _intact(app)

    # A review's total.
    _write(app, "UPDATE review_versions SET total = total + 5 WHERE id = :id", id=review)
    _broken(app, f"review_versions row {review}", "total")
    _write(app, "UPDATE review_versions SET total = total - 5 WHERE id = :id", id=review)
    _intact(app)

    # The time a review was submitted.
    when = _raw(app, "SELECT submitted_at FROM review_versions WHERE id = :id", id=review)
    if _is_pg(app):
        _write(app, "UPDATE review_versions SET submitted_at = submitted_at - interval '1 hour' WHERE id = :id",
               id=review)
    else:
        _write(app, "UPDATE review_versions SET submitted_at = datetime(submitted_at, '-1 hour') WHERE id = :id",
               id=review)
    _broken(app, f"review_versions row {review}", "time")
    _write(app, "UPDATE review_versions SET submitted_at = :t WHERE id = :id", t=when, id=review)
    _intact(app)

    # The time a proposal was submitted.
    version = _first_id(app, ProposalVersion)
    when = _raw(app, "SELECT submitted_at FROM proposal_versions WHERE id = :id", id=version)
    if _is_pg(app):
        _write(app, "UPDATE proposal_versions SET submitted_at = submitted_at - interval '1 hour' WHERE id = :id",
               id=version)
    else:
        _write(app, "UPDATE proposal_versions SET submitted_at = datetime(submitted_at, '-1 hour') WHERE id = :id",
               id=version)
    _broken(app, f"proposal_versions row {version}", "submission time")
    _write(app, "UPDATE proposal_versions SET submitted_at = :t WHERE id = :id", t=when, id=version)
    _intact(app)

    # An organizer's amount.
    adjustment = _first_id(app, FundingAdjustment)
    _write(app, "UPDATE funding_adjustments SET amount_fen = 900000 WHERE id = :id", id=adjustment)
    _broken(app, f"funding_adjustments row {adjustment}", "amount")
    _write(app, "UPDATE funding_adjustments SET amount_fen = 500000 WHERE id = :id", id=adjustment)
    _intact(app)

    # An amount in the published result.
    record = _first_id(app, ResultRecord)
    content = _json(_raw(app, "SELECT content FROM result_records WHERE id = :id", id=record))
    altered = json.loads(json.dumps(content))
    altered["lines"][2]["amount_fen"] = 1_000_000
    altered["lines"][2]["outcome"] = "funded"
    _write_json(app, "result_records", "content", record, altered)
    _broken(app, f"result_records row {record}", "does not match its fingerprint")
    _write_json(app, "result_records", "content", record, content)
    _intact(app)

    # The audit log itself.
    with app.app_context():
        seq = db.session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "results.adjusted"))
    data = _json(_raw(app, "SELECT data FROM audit_events WHERE seq = :id", id=seq))
    _write_json(app, "audit_events", "data", seq, {**data, "amount_fen": 900000})
    _broken(app, f"BROKEN at entry {seq}", "content altered")
    _write_json(app, "audit_events", "data", seq, data)
    _intact(app)


def test_a_fingerprint_rewritten_with_its_content_still_disagrees_with_the_chain(app):
    """Whoever edits a review and recomputes its fingerprint is caught by the audited one."""
    from venture.review.scoring import fingerprint

    world = make_results_world(app, proposals=1, reviewers=1)
    review_table(app, world)
    review = _first_id(app, ReviewVersion)
    content = _json(_raw(app, "SELECT content FROM review_versions WHERE id = :id", id=review))
    content["criteria"][1]["score"] = "10"
    _write_json(app, "review_versions", "content", review, content)
    _write(app, "UPDATE review_versions SET fingerprint = :f WHERE id = :id", f=fingerprint(content), id=review)
    _broken(app, f"review_versions row {review}", "fingerprint differs from audit entry")
