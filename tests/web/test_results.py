"""The organizers' side of results: computing, adjusting, opening the public
notice, finalising, and the deliberation page that nobody else sees."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import Client, count_statements, login, outbox
from tests.results_builders import make_results_world, review_table, seal_objection, submit_review
from venture.audit.models import AuditEvent
from venture.audit.records import verify_records
from venture.audit.services import canonical, verify
from venture.calls import services as calls
from venture.calls.models import Call, Phase
from venture.core.errors import DomainError, InvalidTransition
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.proposals.models import Proposal, Screening
from venture.results import services as results
from venture.results.funding import Outcome
from venture.results.models import FundingAdjustment, Objection, ObjectionStatus, ResultRecord, ResultStage
from venture.review.models import Assignment, Conflict, ConflictSource

EN = {"Accept-Language": "en"}


def _client(app, email="organizer@example.org"):
    client = Client(app, app.response_class, use_cookies=True)
    login(client, email)
    return client


def _events(app, action):
    with app.app_context():
        found = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.seq)).all()
        db.session.expunge_all()
        return found


def _record(app, call_id, stage):
    with app.app_context():
        record = db.session.scalar(select(ResultRecord).where(ResultRecord.call_id == call_id,
                                                              ResultRecord.stage == stage))
        db.session.expunge_all()
        return record


def _objection(app, world, proposal=None, status=ObjectionStatus.OPEN):
    with app.app_context():
        objection = Objection(call_id=world.call, proposal_id=proposal, text="评分有误",
                              status=status, answer="" if status is ObjectionStatus.OPEN else "已核实")
        db.session.add(objection)
        db.session.flush()
        seal_objection(objection)
        db.session.commit()
        return objection.id


@pytest.fixture
def world(app):
    world = make_results_world(app)
    review_table(app, world)
    return world


def test_compute_on_a_hand_built_table(app, world):
    with app.test_request_context():
        call = db.session.get(Call, world.call)
        assert len(results.review_scores(db.session, call)) == 9
        computation = results.compute(db.session, call)
        p0, p1, p2 = world.proposals
        assert {p: computation.scores[p].final for p in world.proposals} == {
            p0: Decimal("84.00"), p1: Decimal("64.00"), p2: Decimal("35.33")}
        assert computation.scores[p0].criteria_means == {1: Decimal("8.00"), 2: Decimal("8.67")}
        assert computation.scores[p0].spread == Decimal(14)
        lines = {line.proposal: line for line in computation.lines}
        assert [(lines[p].rank, lines[p].outcome, lines[p].amount_fen) for p in world.proposals] == [
            (1, Outcome.FUNDED, 1_000_000), (2, Outcome.DOES_NOT_FIT, 0), (3, Outcome.BELOW_MINIMUM, 0)]
        assert computation.funded_fen == 1_000_000 and computation.left_fen == 500_000
        assert computation.disagreements == [p2] and computation.scores[p2].spread == Decimal(40)
        stats = computation.reviewer_stats[world.members[1]]
        assert stats.count == 3 and stats.mean == Decimal("60.67")


def test_trimmed_mean_and_a_tie_break_criterion_are_applied(app):
    world = make_results_world(app, proposals=2, reviewers=5, aggregation_method="trimmed")
    with app.app_context():
        call = db.session.get(Call, world.call)
        call.tie_criterion_position = 1
        db.session.commit()
    # Proposal 0: totals 100, 80, 80, 80, 0 → trimmed mean 80; proposal 1: all 80 but 需求 lower.
    for j, scores in enumerate([(10, 10), (8, 8), (8, 8), (8, 8), (0, 0)]):
        submit_review(app, world.assignments[(0, j)], *scores)
    for j in range(5):
        submit_review(app, world.assignments[(1, j)], 5, 10)  # 20 + 60 = 80
    with app.test_request_context():
        computation = results.compute(db.session, db.session.get(Call, world.call))
        p0, p1 = world.proposals
        assert computation.scores[p0].final == computation.scores[p1].final == Decimal("80.00")
        assert "trimmed" in computation.scores[p0].notes
        assert [line.proposal for line in computation.lines] == [p0, p1]  # 需求 mean 7.6 beats 5


def test_reviews_of_conflicted_members_never_count_but_ended_assignments_do(app, world):
    from tests.conftest import make_user
    from tests.review_builders import add_member, assign, make_expert

    p0 = world.proposals[0]
    # A fourth member reviewed proposal 0 before their tie to the group came out.
    make_user(app, "late@example.org")
    member = add_member(app, world.call, make_expert(app, world.body, "late@example.org"))
    assignment = assign(app, p0, member)
    submit_review(app, assignment, 1, 1)  # total 10
    with app.app_context():
        db.session.add(Conflict(member_id=member, group_id=world.groups[0], source=ConflictSource.ORGANIZER))
        # Reviewer 2's assignment of proposal 1 ended after the review went in: it still counts.
        db.session.get(Assignment, world.assignments[(1, 2)]).ended_at = utcnow()
        db.session.commit()
    with app.test_request_context():
        computation = results.compute(db.session, db.session.get(Call, world.call))
        assert computation.scores[p0].final == Decimal("84.00")
        assert len(computation.scores[p0].reviews) == 3
        assert computation.scores[world.proposals[1]].final == Decimal("64.00")


def test_open_notice_is_refused_with_missing_reviews_unless_confirmed(app):
    world = make_results_world(app)
    review_table(app, world, skip=((2, 2),))
    organizer = _client(app)
    refused = organizer.submit(f"/calls/{world.call}/deliberation/open-notice", {}, headers=EN)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "1 review is still missing" in page and "Open the notice although reviews are missing" in page
    with app.app_context():
        assert db.session.get(Call, world.call).phase is Phase.REVIEW
    opened = organizer.submit(f"/calls/{world.call}/deliberation/open-notice", {"confirm_incomplete": "y"})
    assert opened.status_code == 302
    record = _record(app, world.call, ResultStage.PROPOSED)
    line = next(line for line in record.content["lines"] if line["proposal"] == world.proposals[2])
    assert line["missing"] == 1 and line["reviews"] == 2 and "incomplete" in line["notes"]
    assert _events(app, "results.proposed")[0].data["confirmed_incomplete"] is True


def test_the_phase_moves_to_notice_and_published_only_through_the_results(app, world):
    with app.test_request_context():
        call = db.session.get(Call, world.call)
        with pytest.raises(InvalidTransition):
            calls.transition(db.session, None, call, Phase.NOTICE)
    organizer = _client(app)
    assert organizer.submit(f"/calls/{world.call}/phase", {"to": "notice"}).status_code in (302, 400)
    with app.app_context():
        assert db.session.get(Call, world.call).phase is Phase.REVIEW


def test_the_proposed_record_its_fingerprint_audit_and_mail(app, world):
    organizer = _client(app)
    before = utcnow()
    assert organizer.submit(f"/calls/{world.call}/deliberation/open-notice", {}).status_code == 302
    record = _record(app, world.call, ResultStage.PROPOSED)
    content = record.content
    assert set(content) == {"format", "call", "stage", "computed_at", "method", "criteria", "lines", "totals",
                            "changes", "screening"}
    assert content["stage"] == "proposed" and content["call"] == world.call and content["changes"] == []
    assert content["format"] == 2
    assert content["method"] == {
        "name": "mean", "trim_from": 5, "trim_each_side": 1, "normalise": False, "component_weight": "0.00", "component_label": "",
        "minimum_score": "60.00", "budget_fen": 1_500_000, "reviewers_per_proposal": 3,
        "disagreement_threshold": "20.00", "tie_criterion": None}
    assert content["criteria"] == [{"position": 1, "name": "需求", "weight": 40, "max_points": "10.00"},
                                   {"position": 2, "name": "可行性", "weight": 60, "max_points": "10.00"}]
    first = content["lines"][0]
    assert set(first) == {"rank", "proposal", "number", "title", "group", "group_kind", "theme", "district",
                          "request_fen", "amount_fen", "outcome", "score", "component", "final", "criteria_means",
                          "reviews", "missing", "notes", "adjustment", "first_submitted_at", "score_exact",
                          "review_scores", "reviews_not_counted"}
    assert first == {**first, "rank": 1, "proposal": world.proposals[0], "title": "项目0", "group": "互助队0",
                     "group_kind": "grassroots", "request_fen": 1_000_000, "amount_fen": 1_000_000,
                     "outcome": "funded", "score": "84.00", "component": None, "final": "84.00",
                     "criteria_means": {"1": "8.00", "2": "8.67"}, "reviews": 3, "missing": 0, "notes": [],
                     "adjustment": None, "score_exact": "84.0", "reviews_not_counted": []}
    # Every counted review's points, under the call's letters (the members in id order), never a name.
    assert first["review_scores"] == [
        {"reviewer": "A", "scores": {"1": "8", "2": "9"}, "total": "86.00", "used": "86.0", "dropped": False},
        {"reviewer": "B", "scores": {"1": "7", "2": "8"}, "total": "76.00", "used": "76.0", "dropped": False},
        {"reviewer": "C", "scores": {"1": "9", "2": "9"}, "total": "90.00", "used": "90.0", "dropped": False}]
    with app.app_context():
        from venture.proposals.models import ProposalVersion
        submitted = db.session.scalar(select(ProposalVersion.submitted_at).where(
            ProposalVersion.proposal_id == world.proposals[0], ProposalVersion.version_no == 1))
    assert datetime.fromisoformat(first["first_submitted_at"]) == submitted  # the tie-break's input, exactly
    assert content["screening"] == [{"number": line["number"], "outcome": "eligible", "category": "meets_conditions"}
                                    for line in sorted(content["lines"], key=lambda line: line["number"])]
    assert "Reviewer 0" not in json.dumps(content, ensure_ascii=False)
    assert [line["outcome"] for line in content["lines"]] == ["funded", "does_not_fit", "below_minimum"]
    assert content["totals"] == {"funded": 1, "amount_fen": 1_000_000, "budget_fen": 1_500_000, "proposals": 3}
    assert record.fingerprint == hashlib.sha256(canonical(content)).hexdigest()

    proposed = _events(app, "results.proposed")
    assert len(proposed) == 1
    assert proposed[0].data["fingerprint"] == record.fingerprint and proposed[0].object_id == record.id
    assert proposed[0].data["lines"][0] == {"proposal": world.proposals[0], "final": "84.00",
                                            "amount_fen": 1_000_000, "outcome": "funded"}
    assert (record.chain_seq, record.chain_head) == (proposed[0].seq, proposed[0].entry_hash)
    assert [e.data["to"] for e in _events(app, "call.phase")] == ["notice"]
    with app.app_context():
        call = db.session.get(Call, world.call)
        assert call.phase is Phase.NOTICE and call.notice_opened_at >= before
        assert call.notice_ends_at == call.notice_opened_at + timedelta(days=7)
        assert verify(db.session).ok
        assert verify_records(db.session).ok, verify_records(db.session)
    mails = outbox(app, "owner0@example.org")
    assert len(mails) == 1 and "2026 结果测试" in mails[0].subject
    assert "Reviewer 0" not in mails[0].body_text and "r0@example.org" not in mails[0].body_text
    assert not outbox(app, "r0@example.org")
    # The page now shows the frozen fingerprint; a second opening is refused.
    assert record.fingerprint in organizer.get(f"/calls/{world.call}/deliberation").get_data(as_text=True)
    assert organizer.submit(f"/calls/{world.call}/deliberation/open-notice", {}).status_code == 422


def test_adjustments_are_validated_and_audited(app, world):
    organizer = _client(app)
    p1 = world.proposals[1]
    url = f"/calls/{world.call}/deliberation/{p1}/adjust"
    above = organizer.submit(url, {"amount": "10000.01", "reason": "预算核减"}, headers=EN)
    assert above.status_code == 422 and "cannot be above the request" in above.get_data(as_text=True)
    no_reason = organizer.submit(url, {"amount": "5000", "reason": " "}, headers=EN)
    assert no_reason.status_code == 422 and "Give the reason" in no_reason.get_data(as_text=True)
    assert 'value="5000' in no_reason.get_data(as_text=True), "what was typed is kept"
    assert organizer.submit(url, {"amount": "5000", "reason": "预算核减：场地费用过高"}).status_code == 302
    adjusted = _events(app, "results.adjusted")
    assert len(adjusted) == 1
    assert adjusted[0].data == {**adjusted[0].data, "proposal": p1, "amount_fen": 500_000, "set_aside": False,
                                "request_fen": 1_000_000, "objection": None}
    assert "预算核减" not in str(adjusted[0].data)
    with app.test_request_context():
        computation = results.compute(db.session, db.session.get(Call, world.call))
        line = computation.line_by_proposal[p1]
        assert (line.outcome, line.amount_fen) == (Outcome.FUNDED, 500_000)
        assert computation.left_fen == 0, "the budget is spent exactly"
    # Set aside, then back to the request.
    assert organizer.submit(url, {"set_aside": "y", "reason": "重复申报"}).status_code == 302
    with app.test_request_context():
        line = results.compute(db.session, db.session.get(Call, world.call)).line_by_proposal[p1]
        assert line.outcome is Outcome.SET_ASIDE
    assert organizer.submit(f"/calls/{world.call}/deliberation/{p1}/clear", {}).status_code == 302
    assert [e.data["proposal"] for e in _events(app, "results.adjustment_cleared")] == [p1]
    with app.app_context():
        assert db.session.scalar(select(FundingAdjustment)) is None
        assert verify_records(db.session).ok


def test_component_scores_for_a_composite_call(app):
    world = make_results_world(app, proposals=2, component_weight=Decimal("0.30"), component_label="往期评估")
    review_table(app, world)
    organizer = _client(app)
    p0, p1 = world.proposals
    refused = organizer.submit(f"/calls/{world.call}/deliberation/open-notice", {"confirm_incomplete": "y"},
                               headers=EN)
    assert refused.status_code == 422 and "no 往期评估 score yet" in refused.get_data(as_text=True)
    assert organizer.submit(f"/calls/{world.call}/deliberation/{p0}/component",
                            {"value": "101"}).status_code == 422
    assert organizer.submit(f"/calls/{world.call}/deliberation/{p0}/component",
                            {"value": "90", "note": "2025 年度评估"}).status_code == 302
    assert organizer.submit(f"/calls/{world.call}/deliberation/{p1}/component", {"value": "50"}).status_code == 302
    assert [e.data["value"] for e in _events(app, "results.component_set")] == ["90.00", "50.00"]
    with app.test_request_context():
        computation = results.compute(db.session, db.session.get(Call, world.call))
        assert computation.scores[p0].final == Decimal("85.80")  # 0.3 × 90 + 0.7 × 84
        assert computation.scores[p1].final == Decimal("59.80")  # 0.3 × 50 + 0.7 × 64
    assert organizer.submit(f"/calls/{world.call}/deliberation/open-notice", {}).status_code == 302
    content = _record(app, world.call, ResultStage.PROPOSED).content
    assert content["method"]["component_weight"] == "0.30" and content["lines"][0]["component"] == "90.00"


def _open(app, world):
    organizer = _client(app)
    assert organizer.submit(f"/calls/{world.call}/deliberation/open-notice", {}).status_code == 302
    return organizer


def test_during_the_notice_amounts_change_only_for_an_upheld_objection(app, world):
    organizer = _open(app, world)
    p0, p1, _p2 = world.proposals
    url = f"/calls/{world.call}/deliberation/{p1}/adjust"
    data = {"amount": "5000", "reason": "采纳异议，核减后资助"}
    assert organizer.submit(url, data, headers=EN).status_code == 422
    pending = _objection(app, world, p1)
    assert organizer.submit(url, {**data, "objection": str(pending)}).status_code == 422
    elsewhere = _objection(app, world, p0, ObjectionStatus.UPHELD)
    assert organizer.submit(url, {**data, "objection": str(elsewhere)}).status_code == 422
    rejected = _objection(app, world, p1, ObjectionStatus.REJECTED)
    assert organizer.submit(url, {**data, "objection": str(rejected)}).status_code == 422
    assert _events(app, "results.adjusted") == []
    upheld = _objection(app, world, p1, ObjectionStatus.UPHELD)
    assert organizer.submit(url, {**data, "objection": str(upheld)}).status_code == 302
    assert _events(app, "results.adjusted")[0].data["objection"] == upheld
    # Components are fixed once the review is over.
    with app.test_request_context(), pytest.raises(DomainError):
        results.set_component(db.session, None, db.session.get(Proposal, p0), 50)


def test_finalise_waits_for_the_end_of_the_notice_and_every_answer(app, world):
    organizer = _open(app, world)
    p1 = world.proposals[1]
    early = organizer.submit(f"/calls/{world.call}/deliberation/finalise", {}, headers=EN)
    assert early.status_code == 422 and "runs until" in early.get_data(as_text=True)
    upheld = _objection(app, world, p1, ObjectionStatus.UPHELD)
    organizer.submit(f"/calls/{world.call}/deliberation/{p1}/adjust",
                     {"amount": "5000", "reason": "采纳异议", "objection": str(upheld)})
    pending = _objection(app, world, None)
    with app.app_context():
        call = db.session.get(Call, world.call)
        call.notice_ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    page = organizer.get(f"/calls/{world.call}/deliberation", headers=EN).get_data(as_text=True)
    assert "Publish the final result" in page and f'name="reason-{p1}"' in page
    unanswered = organizer.submit(f"/calls/{world.call}/deliberation/finalise", {f"reason-{p1}": "采纳异议"},
                                  headers=EN)
    assert unanswered.status_code == 422 and "1 objection has no answer yet" in unanswered.get_data(as_text=True)
    with app.app_context():
        from venture.accounts.models import User
        from venture.results import objections

        objection = db.session.get(Objection, pending)
        organizer_user = db.session.scalar(select(User).where(User.email == "organizer@example.org"))
        objections.answer(db.session, organizer_user, objection, "评分符合规则", upheld=False)
        db.session.commit()
    no_reason = organizer.submit(f"/calls/{world.call}/deliberation/finalise", {}, headers=EN)
    assert no_reason.status_code == 422 and "Give the reason for each change" in no_reason.get_data(as_text=True)
    done = organizer.submit(f"/calls/{world.call}/deliberation/finalise", {f"reason-{p1}": "采纳异议：核减后资助"})
    assert done.status_code == 302
    final = _record(app, world.call, ResultStage.FINAL)
    assert final.content["stage"] == "final"
    assert final.content["changes"] == [
        {"proposal": p1, "number": final.content["lines"][1]["number"], "what": "amount", "before": 0,
         "after": 500_000, "reason": "采纳异议：核减后资助", "objection": upheld},
        {"proposal": p1, "number": final.content["lines"][1]["number"], "what": "outcome",
         "before": "does_not_fit", "after": "funded", "reason": "采纳异议：核减后资助", "objection": upheld}]
    assert final.content["lines"][1]["adjustment"] == {"amount_fen": 500_000, "set_aside": False,
                                                       "reason": "采纳异议"}
    assert final.content["totals"]["amount_fen"] == 1_500_000
    published = _events(app, "results.published")
    head = _events(app, "results.chain_head")
    assert published[0].data["fingerprint"] == final.fingerprint
    assert head[0].seq > published[0].seq and head[0].data["published_hash"] == published[0].entry_hash
    assert (final.chain_seq, final.chain_head) == (head[0].seq, head[0].entry_hash)
    with app.app_context():
        call = db.session.get(Call, world.call)
        assert call.phase is Phase.PUBLISHED and call.results_published_at is not None
        assert verify(db.session).ok and verify(db.session).head == final.chain_head
        assert verify_records(db.session).ok
    assert len(outbox(app, "owner1@example.org")) == 2
    assert organizer.get(f"/calls/{world.call}/deliberation").status_code == 200


def test_the_deliberation_page_is_for_the_calls_organizers_only(app, world):
    page = _client(app).get(f"/calls/{world.call}/deliberation", headers=EN)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "互助队0" in text and "Reviewer 1" in text and "84.00" in text and "reviewers disagree" in text
    for email in ["r0@example.org", "owner0@example.org", "resident@example.org", "other_organizer@example.org"]:
        assert _client(app, email).get(f"/calls/{world.call}/deliberation").status_code == 403, email
        assert _client(app, email).submit(f"/calls/{world.call}/deliberation/open-notice",
                                          {"confirm_incomplete": "y"}).status_code == 403
    anonymous = app.test_client().get(f"/calls/{world.call}/deliberation")
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    # The public call page explains the method and shows nothing of the result.
    public = app.test_client().get(f"/calls/{world.call}", headers=EN).get_data(as_text=True)
    assert "Final score = mean of the reviewers" in public and "84.00" not in public


def test_the_page_queries_do_not_grow_with_proposals(app):
    small = make_results_world(app, proposals=3)
    review_table(app, small)
    organizer = _client(app)
    organizer.get(f"/calls/{small.call}/deliberation")
    few = count_statements(app, organizer, f"/calls/{small.call}/deliberation")
    with app.app_context():
        from venture.bodies.models import Organizer, OrganizingBody
        body = db.session.get(OrganizingBody, small.body)
        assert body is not None and db.session.scalar(select(Organizer.id).where(Organizer.body_id == body.id))
    large = _large_world(app)
    many = count_statements(app, organizer, f"/calls/{large}/deliberation")
    assert many == few


def _large_world(app):
    """A second call of the same body with 12 proposals, 3 reviews each (new reviewers and owners)."""
    from tests.builders import make_call, make_group
    from tests.conftest import make_user
    from tests.results_builders import seal_versions
    from tests.review_builders import add_member, assign, make_expert, make_submitted_proposal
    from venture.bodies.models import Organizer

    with app.app_context():
        body = db.session.scalar(select(Organizer.body_id))
    call = make_call(app, body, Phase.CLOSED, title="大批量", total_budget_fen=5_000_000, max_grant_fen=1_000_000)
    members = []
    for j in range(3):
        make_user(app, f"big{j}@example.org", name=f"Big {j}")
        members.append(add_member(app, call, make_expert(app, body, f"big{j}@example.org")))
    assignments = []
    for i in range(12):
        make_user(app, f"bigowner{i}@example.org")
        group = make_group(app, f"bigowner{i}@example.org", name=f"大组{i}")
        proposal = make_submitted_proposal(app, call, group, title=f"大项目{i}",
                                           screening=Screening.ELIGIBLE)["proposal_id"]
        assignments += [assign(app, proposal, member) for member in members]
    with app.app_context():
        db.session.get(Call, call).phase = Phase.REVIEW
        db.session.commit()
    seal_versions(app)
    for index, assignment in enumerate(assignments):
        submit_review(app, assignment, 5 + index % 5, 6 + index % 4)
    return call


def test_the_method_is_a_rule_of_the_call_published_and_frozen_once_open(app):
    from tests.web.test_calls import call_form

    from tests.builders import make_body
    from tests.conftest import make_user

    make_user(app, "org@example.org")
    body = make_body(app, "org@example.org")
    organizer = _client(app, "org@example.org")
    method = {"aggregation_method": "trimmed", "normalise_scores": "y", "component_percent": "30",
              "component_label": "往期评估", "tie_criterion_position": "2", "disagreement_threshold": "15"}
    unnamed = organizer.submit(f"/bodies/{body}/calls/new", call_form(**{**method, "component_label": ""}),
                               headers=EN)
    assert unnamed.status_code == 422 and "Name the component score" in unnamed.get_data(as_text=True)
    no_row = organizer.submit(f"/bodies/{body}/calls/new", call_form(**{**method, "tie_criterion_position": "5"}),
                              headers=EN)
    assert no_row.status_code == 422 and "tie-break criterion must be one of the rubric" in no_row.get_data(as_text=True)
    assert organizer.submit(f"/bodies/{body}/calls/new", call_form(**method)).status_code == 302
    with app.app_context():
        call = db.session.scalar(select(Call))
        assert (call.aggregation_method, call.normalise_scores, call.component_weight, call.component_label,
                call.tie_criterion_position, call.disagreement_threshold) == (
            "trimmed", True, Decimal("0.30"), "往期评估", 2, Decimal(15))
        call_id = call.id
    edit = organizer.get(f"/calls/{call_id}/edit").get_data(as_text=True)
    assert 'name="component_percent"' in edit and 'value="30"' in edit
    assert organizer.submit(f"/calls/{call_id}/phase", {"to": "open"}).status_code == 302
    public = app.test_client().get(f"/calls/{call_id}", headers=EN).get_data(as_text=True)
    assert "the highest and the lowest total are dropped when a proposal has five or more reviews" in public
    assert "30% of the final score is “往期评估”" in public and "moved onto the panel" in public
    assert "higher mean score on “服务计划”" in public
    frozen = organizer.submit(f"/calls/{call_id}/edit", call_form(**{**method, "aggregation_method": "mean"}),
                              headers=EN)
    assert frozen.status_code == 422 and "cannot change" in frozen.get_data(as_text=True)
    assert organizer.submit(f"/calls/{call_id}/edit", call_form(**{**method, "summary": "更正"})).status_code == 302
