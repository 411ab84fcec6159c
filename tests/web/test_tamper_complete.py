"""`audit verify` is complete: on the demo site (made entirely through the
services), each kind of row the chain vouches for is altered, deleted,
put back to an earlier state or inserted behind the application's back, each
stored file is edited or removed on disk, and each published rule of a call
is changed after it opened; every time the row, file or rule is named.

Each change is made in the checking session's own transaction and rolled
back after the check, so the cases do not disturb one another."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from tests.results_builders import make_results_world, review_table
from venture.audit.models import AuditEvent
from venture.audit.records import verify_records
from venture.audit.services import verify
from venture.calls.models import Call, Criterion, Phase
from venture.extensions import db
from venture.proposals import storage
from venture.proposals.models import Attachment, Proposal, ProposalStatus, ProposalVersion, Screening
from venture.results.models import FundingAdjustment, Objection, ObjectionStatus, ResultRecord
from venture.review.models import Assignment, PanelDraw, Review, ReviewVersion


@dataclass
class Case:
    name: str
    change: Callable[[Session, dict[str, Any]], None]
    expected: Callable[[dict[str, Any]], list[str]]


def _sql(statement: str, **fixed: Any) -> Callable[[Session, dict[str, Any]], None]:
    def change(session: Session, ids: dict[str, Any]) -> None:
        session.execute(text(statement.format(**ids)), fixed)
    return change


def _orm(model: Any, key: str, **values: Any) -> Callable[[Session, dict[str, Any]], None]:
    def change(session: Session, ids: dict[str, Any]) -> None:
        session.execute(update(model).where(model.id == ids[key]).values(**values)
                        .execution_options(synchronize_session=False))
    return change


def _ids(session: Session) -> dict[str, Any]:
    ids: dict[str, Any] = {}
    version = session.execute(
        select(ProposalVersion.id, ProposalVersion.proposal_id, ProposalVersion.number)
        .join(Proposal, Proposal.id == ProposalVersion.proposal_id)
        .where(Proposal.version_count == 1, Proposal.status == ProposalStatus.SUBMITTED)
        .order_by(ProposalVersion.id)).first()
    ids.update(version=version.id, version_proposal=version.proposal_id, receipt=version.number)
    review = session.execute(select(ReviewVersion.id, ReviewVersion.review_id)
                             .join(Review, Review.id == ReviewVersion.review_id)
                             .where(Review.version_count == 1).order_by(ReviewVersion.id)).first()
    ids.update(review_version=review.id, review=review.review_id)
    ids["screened"] = session.scalar(select(Proposal.id).where(Proposal.screening == Screening.ELIGIBLE)
                                     .order_by(Proposal.id))
    ids["draw"] = session.scalar(select(PanelDraw.id).where(PanelDraw.commitment_id.is_not(None))
                                 .order_by(PanelDraw.id))
    ids["commitment"] = session.scalar(select(PanelDraw.commitment_id).where(PanelDraw.id == ids["draw"]))
    assignment = session.execute(select(Assignment.id, Assignment.proposal_id, Assignment.member_id)
                                 .where(Assignment.ended_at.is_(None)).order_by(Assignment.id)).first()
    ids.update(assignment=assignment.id, assigned_proposal=assignment.proposal_id,
               assigned_member=assignment.member_id)
    ids["other_member"] = session.scalar(select(Assignment.member_id).where(
        Assignment.member_id != assignment.member_id,
        Assignment.proposal_id.in_(select(Assignment.proposal_id).where(Assignment.member_id == assignment.member_id))
    ).order_by(Assignment.id))
    ids["record"] = session.scalar(select(ResultRecord.id).order_by(ResultRecord.id))
    ids["objection"] = session.scalar(select(Objection.id).where(Objection.status != ObjectionStatus.OPEN)
                                      .order_by(Objection.id))
    attachment = session.execute(select(Attachment.id, Attachment.stored_name)
                                 .where(Attachment.removed_at.is_(None)).order_by(Attachment.id)).first()
    ids.update(attachment=attachment.id, stored=attachment.stored_name)
    opened = session.scalars(select(AuditEvent).where(AuditEvent.action == "call.phase")
                             .order_by(AuditEvent.seq)).all()
    ids["call"] = next(e.object_id for e in opened if e.data.get("to") == "open" and "rules" in e.data
                       and session.get(Call, e.object_id).allow_grassroots)
    ids["criterion"] = session.scalar(select(Criterion.id).where(Criterion.call_id == ids["call"])
                                      .order_by(Criterion.position))
    ids["adjustment"] = session.scalar(select(FundingAdjustment.id))
    session.expunge_all()
    return ids


def _earlier_close(session: Session, call_id: int) -> None:
    closes = session.scalar(select(Call.closes_at).where(Call.id == call_id))
    session.execute(update(Call).where(Call.id == call_id).values(closes_at=closes - timedelta(hours=1))
                    .execution_options(synchronize_session=False))


def _rule(name: str) -> Callable[[dict[str, Any]], list[str]]:
    return lambda ids: [f"calls row {ids['call']}: the published rule “{name}” changed after the call opened"]


CASES = [
    # Submissions.
    Case("a proposal version's text", _sql("UPDATE proposal_versions SET fingerprint = 'x' || substr(fingerprint, 2) "
                                           "WHERE id = {version}"),
         lambda ids: [f"proposal_versions row {ids['version']}: the content does not match its fingerprint"]),
    Case("a receipted version deleted and its proposal set back to draft",
         _sql("DELETE FROM proposal_versions WHERE id = {version}"),
         lambda ids: [f"MISSING from proposal_versions: version 1 of proposal {ids['version_proposal']} "
                      f"(receipt {ids['receipt']})"]),
    Case("a proposal set back to draft", _sql("UPDATE proposals SET status = 'draft', number = NULL "
                                              "WHERE id = {version_proposal}"),
         lambda ids: [f"proposals row {ids['version_proposal']}: the status is draft, but audit entry"]),
    Case("a submitted review deleted", _sql("DELETE FROM review_versions WHERE id = {review_version}"),
         lambda ids: [f"MISSING from review_versions: version 1 of review {ids['review']}"]),
    Case("a review set back to draft", _sql("UPDATE reviews SET status = 'draft' WHERE id = {review}"),
         lambda ids: [f"reviews row {ids['review']}: the review is draft"]),
    Case("a review's total", _sql("UPDATE review_versions SET total = total + 1 WHERE id = {review_version}"),
         lambda ids: [f"review_versions row {ids['review_version']}: the total differs"]),
    # Screening.
    Case("a screening decision reversed", _sql("UPDATE proposals SET screening = 'ineligible' WHERE id = {screened}"),
         lambda ids: [f"proposals row {ids['screened']}: the screening decision is ineligible, but audit entry"]),
    Case("a screening reason", _sql("UPDATE proposals SET screening_reason = 'something else' WHERE id = {screened}"),
         lambda ids: [f"proposals row {ids['screened']}: the screening reason differs from audit entry"]),
    Case("a screening decision undone", _sql("UPDATE proposals SET screening = 'pending' WHERE id = {screened}"),
         lambda ids: [f"proposals row {ids['screened']}: not screened any more"]),
    # The panel.
    Case("a draw's chosen experts", _orm(PanelDraw, "draw", chosen=[999999]),
         lambda ids: [f"panel_draws row {ids['draw']}: the chosen differs from audit entry"]),
    Case("a draw's seed", _orm(PanelDraw, "draw", seed="0" * 64),
         lambda ids: [f"panel_draws row {ids['draw']}: the seed differs from audit entry"]),
    Case("a draw's witnesses", _orm(PanelDraw, "draw", witnesses=[{"name": "某人", "role": "居民代表",
                                                                    "value": "123"}]),
         lambda ids: [f"panel_draws row {ids['draw']}: the witnesses differs from audit entry"]),
    Case("a draw's chain head", _orm(PanelDraw, "draw", chain_head="f" * 64),
         lambda ids: [f"panel_draws row {ids['draw']}: the chain_head differs from audit entry"]),
    Case("a draw's method", _sql("UPDATE panel_draws SET method = 'server' WHERE id = {draw}"),
         lambda ids: [f"panel_draws row {ids['draw']}: the method differs from audit entry"]),
    Case("a draw marked discarded without an entry", _sql("UPDATE panel_draws SET discarded_at = created_at "
                                                          "WHERE id = {draw}"),
         lambda ids: [f"panel_draws row {ids['draw']}: the draw is marked discarded, but no audit entry"]),
    Case("a draw's commitment digest", _sql("UPDATE draw_commitments SET digest = 'e' || substr(digest, 2) "
                                            "WHERE id = {commitment}"),
         lambda ids: [f"draw_commitments row {ids['commitment']}: the digest or call differs"]),
    Case("a draw's commitment deleted", _sql("DELETE FROM draw_commitments WHERE id = {commitment}"),
         lambda ids: [f"MISSING from draw_commitments: draw commitment {ids['commitment']} of call"]),
    Case("a screening category", _sql("UPDATE proposals SET screening_category = 'other' WHERE id = {screened}"),
         lambda ids: [f"proposals row {ids['screened']}: the screening category differs from audit entry"]),
    Case("a draw deleted", _sql("DELETE FROM panel_draws WHERE id = {draw}"),
         lambda ids: [f"MISSING from panel_draws: panel draw {ids['draw']} of call"]),
    Case("an assignment given to someone else",
         _sql("UPDATE assignments SET member_id = {other_member} WHERE id = {assignment}"),
         lambda ids: [f"MISSING from assignments: the assignment of proposal {ids['assigned_proposal']} to panel "
                      f"member {ids['assigned_member']}",
                      f"no audit entry gave proposal {ids['assigned_proposal']} to panel member "
                      f"{ids['other_member']}"]),
    Case("an assignment deleted", _sql("DELETE FROM assignments WHERE id = {assignment}"),
         lambda ids: [f"MISSING from assignments: the assignment of proposal {ids['assigned_proposal']} to panel "
                      f"member {ids['assigned_member']}"]),
    Case("an assignment ended", _sql("UPDATE assignments SET ended_at = '2026-01-01 00:00:00', ended_reason = 'x' "
                                     "WHERE id = {assignment}"),
         lambda ids: [f"assignments row {ids['assignment']}: the assignment is ended, but no audit entry ended it"]),
    Case("an assignment slipped in",
         _sql("INSERT INTO assignments (proposal_id, member_id, manual, seed, created_at, ended_reason) "
              "VALUES ({assigned_proposal}, {assigned_member}, false, '', '2026-01-01 00:00:00', '')"),
         lambda ids: ["no audit entry gave proposal"]),
    # Results.
    Case("a result record's amounts", _sql("UPDATE result_records SET fingerprint = :f WHERE id = {record}",
                                           f="0" * 64),
         lambda ids: [f"result_records row {ids['record']}: the content (lines, scores, amounts) does not match"]),
    Case("a result record deleted", _sql("DELETE FROM result_records WHERE id = {record}"),
         lambda ids: ["MISSING from result_records: the proposed result of call"]),
    Case("an adjustment's amount", _sql("UPDATE funding_adjustments SET amount_fen = amount_fen + 100 "
                                        "WHERE id = {adjustment}"),
         lambda ids: [f"funding_adjustments row {ids['adjustment']}: the amount differs from audit entry"]),
    Case("an adjustment deleted", _sql("DELETE FROM funding_adjustments WHERE id = {adjustment}"),
         lambda ids: [f"MISSING from funding_adjustments: adjustment {ids['adjustment']} of proposal"]),
    # Objections.
    Case("an objection's text", _sql("UPDATE objections SET text = 'a different objection' WHERE id = {objection}"),
         lambda ids: [f"objections row {ids['objection']}: the text differs from audit entry"]),
    Case("an objection's answer", _sql("UPDATE objections SET answer = 'a different answer' WHERE id = {objection}"),
         lambda ids: [f"objections row {ids['objection']}: the answer differs from audit entry"]),
    Case("an objection reopened", _sql("UPDATE objections SET status = 'open' WHERE id = {objection}"),
         lambda ids: [f"objections row {ids['objection']}: the status is open"]),
    Case("an objection deleted", _sql("DELETE FROM objections WHERE id = {objection}"),
         lambda ids: [f"MISSING from objections: objection {ids['objection']}"]),
    # Files and their rows.
    Case("an attachment's digest", _sql("UPDATE attachments SET sha256 = '{stored}' WHERE id = {attachment}"),
         lambda ids: [f"attachments row {ids['attachment']}: the digest, size or proposal differs from audit entry"]),
    Case("an attachment row deleted", _sql("DELETE FROM attachments WHERE id = {attachment}"),
         lambda ids: [f"MISSING from attachments: attachment {ids['attachment']} of proposal"]),
    # The published rules of a call that is open.
    Case("a criterion's weight", _sql("UPDATE criteria SET weight = weight + 5 WHERE id = {criterion}"),
         _rule("criteria")),
    Case("a criterion's maximum", _sql("UPDATE criteria SET max_points = max_points + 1 WHERE id = {criterion}"),
         _rule("criteria")),
    Case("the budget", _sql("UPDATE calls SET total_budget_fen = total_budget_fen + 100 WHERE id = {call}"),
         _rule("total_budget_fen")),
    Case("the grant maximum", _sql("UPDATE calls SET max_grant_fen = max_grant_fen - 100 WHERE id = {call}"),
         _rule("max_grant_fen")),
    Case("the grant minimum", _sql("UPDATE calls SET min_grant_fen = min_grant_fen + 100 WHERE id = {call}"),
         _rule("min_grant_fen")),
    Case("the minimum score", _sql("UPDATE calls SET min_fundable_score = min_fundable_score + 1 WHERE id = {call}"),
         _rule("min_fundable_score")),
    Case("reviewers per proposal", _sql("UPDATE calls SET reviewers_per_proposal = reviewers_per_proposal + 1 "
                                        "WHERE id = {call}"), _rule("reviewers_per_proposal")),
    Case("the notice length", _sql("UPDATE calls SET notice_days = notice_days + 1 WHERE id = {call}"),
         _rule("notice_days")),
    Case("who may apply", _sql("UPDATE calls SET allow_grassroots = false WHERE id = {call}"),
         _rule("allow_grassroots")),
    Case("the districts", _orm(Call, "call", districts=["别的区"]), _rule("districts")),
    Case("the required sections", _orm(Call, "call", sections=[{"key": "x", "title": "X"}]), _rule("sections")),
    Case("the method", _sql("UPDATE calls SET aggregation_method = CASE aggregation_method WHEN 'mean' THEN "
                            "'trimmed' ELSE 'mean' END WHERE id = {call}"), _rule("aggregation_method")),
    Case("the tie-break", _sql("UPDATE calls SET tie_criterion_position = 1 WHERE id = {call}"),
         _rule("tie_criterion_position")),
    Case("the component's share", _sql("UPDATE calls SET component_weight = 0.3, component_label = 'x' "
                                       "WHERE id = {call}"), _rule("component_weight")),
    Case("the closing time brought forward", lambda session, ids: _earlier_close(session, ids["call"]),
         _rule("closes_at")),
]


def _check(session: Session, ids: dict[str, Any], case: Case) -> None:
    case.change(session, ids)
    session.expire_all()
    found = "\n".join(str(p) for p in verify_records(session).problems)
    for expected in case.expected(ids):
        assert expected in found, f"{case.name}: {expected!r} not in:\n{found}"
    session.rollback()


def _load_demo_with_an_adjustment(app: Any) -> None:
    from venture.accounts.models import User
    from venture.results import services as results

    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    with app.test_request_context():
        call = db.session.scalar(select(Call).where(Call.phase == Phase.REVIEW))
        proposal = db.session.scalar(select(Proposal).where(Proposal.call_id == call.id,
                                                            Proposal.screening == Screening.ELIGIBLE))
        organizer = db.session.scalar(select(User).where(User.email.like("%organizer%")).order_by(User.id))
        results.adjust(db.session, organizer, proposal, 100_000, False, "预算核减：场地费用偏高")
        db.session.commit()


def test_every_kind_of_row_altered_or_deleted_is_named(app):
    _load_demo_with_an_adjustment(app)
    with app.app_context():
        session = db.session
        assert verify(session).ok
        assert verify_records(session).ok, verify_records(session)
        ids = _ids(session)
        assert all(value is not None for value in ids.values()), ids
        for case in CASES:
            _check(session, ids, case)
        assert verify_records(session).ok, "every change was rolled back"


def test_files_edited_or_removed_on_disk_are_named(app):
    _load_demo_with_an_adjustment(app)
    with app.app_context():
        ids = _ids(db.session)
        path = storage.path_of(ids["stored"])
        original = path.read_bytes()
        path.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
        found = str(verify_records(db.session))
        assert f"attachments row {ids['attachment']}: the file" in found and "does not match its SHA-256" in found
        path.unlink()
        found = str(verify_records(db.session))
        assert f"attachments row {ids['attachment']}: the file" in found
        assert "is missing from the upload folder" in found
        path.write_bytes(original)
        assert verify_records(db.session).ok


def test_an_objections_attached_file_edited_on_disk_is_named(app):
    from tests.builders import png_bytes
    from venture.accounts.models import User
    from venture.results import objections

    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    with app.test_request_context():
        resident = db.session.scalar(select(User).where(User.email.like("%resident%")).order_by(User.id))
        call = db.session.scalar(select(Call).where(Call.phase == Phase.NOTICE))
        objection = objections.lodge(db.session, resident, call, "第二名的评分明显偏低，请公开每位评审专家的评分理由。",
                                     filename="证据.png", data=png_bytes())
        db.session.commit()
        stored, objection_id = objection.attachment_stored, objection.id
    with app.app_context():
        assert verify_records(db.session).ok, verify_records(db.session)
        storage.path_of(stored).write_bytes(b"\x89PNG altered")
        found = str(verify_records(db.session))
        assert f"objections row {objection_id}: the attached file on disk does not match its SHA-256" in found


def test_a_component_score_altered_or_deleted_is_named(app):
    from venture.accounts.models import User
    from venture.results import services as results

    world = make_results_world(app, proposals=2, reviewers=1, component_weight="0.3",
                               component_label="往期评估")
    review_table(app, world)
    with app.test_request_context():
        organizer = db.session.scalar(select(User).where(User.email == "organizer@example.org"))
        row = results.set_component(db.session, organizer, db.session.get(Proposal, world.proposals[0]), "88")
        db.session.commit()
        component = row.id
    with app.app_context():
        assert verify_records(db.session).ok, verify_records(db.session)
        db.session.execute(text("UPDATE component_scores SET value = 99 WHERE id = :id"), {"id": component})
        assert f"component_scores row {component}: the value differs" in str(verify_records(db.session))
        db.session.rollback()
        db.session.execute(text("DELETE FROM component_scores WHERE id = :id"), {"id": component})
        assert f"MISSING from component_scores: component score {component}" in str(verify_records(db.session))
        db.session.rollback()


def test_the_command_names_a_deleted_receipted_version_by_its_receipt(app):
    """The outside auditor's case: a receipted version deleted and its proposal set back to draft."""
    _load_demo_with_an_adjustment(app)
    with app.app_context():
        ids = _ids(db.session)
        db.session.execute(text("DELETE FROM proposal_versions WHERE id = :id"), {"id": ids["version"]})
        db.session.execute(text("UPDATE proposals SET status = 'draft', number = NULL, version_count = 0 "
                                "WHERE id = :id"), {"id": ids["version_proposal"]})
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1, result.output
    assert "audit chain intact" in result.output
    assert (f"stored record MISSING from proposal_versions: version 1 of proposal {ids['version_proposal']} "
            f"(receipt {ids['receipt']}), submitted in audit entry") in result.output
    assert f"stored record MISMATCH in proposals row {ids['version_proposal']}: the status is draft" in result.output


def test_rules_may_be_clarified_and_the_closing_time_extended_after_opening(app):
    """What update_call allows after opening (texts, a later closing time) is not a change of the rules."""
    from tests.builders import make_body, rules
    from tests.conftest import make_user
    from venture.accounts.models import User
    from venture.bodies.models import OrganizingBody
    from venture.calls import services as calls

    make_user(app, "organizer@example.org")
    body_id = make_body(app, "organizer@example.org")
    with app.test_request_context():
        organizer = db.session.scalar(select(User).where(User.email == "organizer@example.org"))
        call = calls.create_call(db.session, organizer, db.session.get(OrganizingBody, body_id), rules())
        calls.transition(db.session, organizer, call, Phase.OPEN)
        db.session.commit()
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "call.phase")).one()
        assert event.data["rules_sha256"] == hashlib.sha256(
            json.dumps(event.data["rules"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            .encode()).hexdigest()
        assert event.data["rules"]["criteria"][0]["weight"] == call.criteria[0].weight
        later = rules(title="更清楚的标题", closes_at=call.closes_at + timedelta(days=3))
        later.opens_at = call.opens_at
        calls.update_call(db.session, organizer, call, later)
        db.session.commit()
        call_id = call.id
    with app.app_context():
        assert verify_records(db.session).ok, verify_records(db.session)
        call = db.session.get(Call, call_id)
        call.closes_at = call.closes_at - timedelta(days=1)  # still later than the original closing time
        db.session.flush()
        assert f"calls row {call_id}: the published rule “closes_at” changed" in str(verify_records(db.session))
        db.session.rollback()


def test_a_call_made_without_the_application_is_noted_not_trusted(app):
    from tests.builders import make_body, make_call
    from tests.conftest import make_user

    make_user(app, "organizer@example.org")
    call = make_call(app, make_body(app, "organizer@example.org"), Phase.CLOSED)
    with app.app_context():
        report = verify_records(db.session)
        assert report.ok and any(f": {call}" in note for note in report.notes), report.notes
