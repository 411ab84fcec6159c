"""Screening (资格初审) through requests: organizers decide on each submitted
proposal with a reason once the call closes, the group is told, decisions are
audited and reversible until the review starts, and the review cannot start
while a proposal is unscreened. Also the call's rule on showing residents'
opinion to reviewers."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from sqlalchemy import select

from tests.builders import make_body, make_call, make_group, set_call_times
from tests.conftest import Client, login, make_user, outbox
from tests.review_builders import make_submitted_proposal
from tests.web.test_calls import call_form
from venture.audit.models import AuditEvent
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.groups.models import GroupKind
from venture.proposals.models import Proposal, Screening
from venture.screening import services as screening

EN = {"Accept-Language": "en"}
REASON = "符合申报条件：草根组织已备案，预算在范围内。"


def _client(app, email):
    client = Client(app, app.response_class, use_cookies=True)
    login(client, email)
    return client


def _world(app, phase=Phase.CLOSED, **call_overrides):
    make_user(app, "org@example.org")
    make_user(app, "owner@example.org")
    body_id = make_body(app, "org@example.org")
    call_id = make_call(app, body_id, phase, title="2026 助老微民生", **call_overrides)
    group_id = make_group(app, "owner@example.org", name="幸福里邻里互助队")
    proposal_id = make_submitted_proposal(app, call_id, group_id)["proposal_id"]
    return {"organizer": _client(app, "org@example.org"), "body_id": body_id, "call_id": call_id,
            "group_id": group_id, "proposal_id": proposal_id}


def _proposal(app, proposal_id) -> Proposal:
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        db.session.expunge_all()
        return proposal


def _decide(client, world, decision, reason=REASON, category="conditions", **kwargs):
    return client.submit(f"/calls/{world['call_id']}/screening/{world['proposal_id']}",
                         {"decision": decision, "reason": reason, "category": category}, **kwargs)


def _events(app, action="proposal.screened"):
    with app.app_context():
        return [e.data for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                                   .order_by(AuditEvent.seq))]


def test_organizer_screens_a_proposal_the_group_is_told_and_it_is_audited(app):
    world = _world(app)
    organizer = world["organizer"]
    manage = organizer.get(f"/calls/{world['call_id']}/manage", headers=EN).get_data(as_text=True)
    assert f"/calls/{world['call_id']}/screening" in manage
    page = organizer.get(f"/calls/{world['call_id']}/screening", headers=EN).get_data(as_text=True)
    assert "幸福里邻里互助队" in page and "Not screened yet" in page and "Published conditions" in page
    assert "does not meet:" not in page, "the builder's proposal meets every published condition"

    response = _decide(organizer, world, "eligible")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    proposal = _proposal(app, world["proposal_id"])
    assert proposal.screening is Screening.ELIGIBLE and proposal.screening_reason == REASON
    assert proposal.screened_at is not None
    [event] = _events(app)
    assert event == {"from": "pending", "to": "eligible", "reversal": False, "call": world["call_id"],
                     "reason_sha256": hashlib.sha256(REASON.encode()).hexdigest(), "category": "meets_conditions"}
    assert proposal.screening_category == "meets_conditions"
    [mail] = outbox(app, "owner@example.org")
    assert proposal.number in mail.subject and REASON in mail.body_text
    assert f"/proposals/{world['proposal_id']}/edit" in mail.body_text

    # Sending the same decision again changes nothing and sends nothing.
    assert _decide(organizer, world, "eligible").status_code == 302
    assert len(_events(app)) == 1 and len(outbox(app, "owner@example.org")) == 1


def test_a_reason_is_required_and_the_input_is_kept(app):
    world = _world(app)
    response = _decide(world["organizer"], world, "ineligible", reason="  短  ", headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Write the reason for this decision" in page
    assert re.search(r'<input checked id="decision-\d+-ineligible"', page), "the choice is kept"
    assert "短" in page
    response = _decide(world["organizer"], world, "", headers=EN)
    assert response.status_code == 422 and "Choose eligible or not eligible." in response.get_data(as_text=True)
    assert _proposal(app, world["proposal_id"]).screening is Screening.PENDING
    assert _events(app) == [] and outbox(app, "owner@example.org") == []


def test_a_decision_is_reversed_with_a_reason_until_review_starts(app):
    world = _world(app)
    organizer = world["organizer"]
    _decide(organizer, world, "eligible")
    reversal = "复核发现缺少备案证明，不符合条件。"
    assert _decide(organizer, world, "ineligible", reason="   ").status_code == 422
    assert _decide(organizer, world, "ineligible", reason=reversal).status_code == 302
    proposal = _proposal(app, world["proposal_id"])
    assert proposal.screening is Screening.INELIGIBLE and proposal.screening_reason == reversal
    assert [(e["from"], e["to"], e["reversal"]) for e in _events(app)] == [
        ("pending", "eligible", False), ("eligible", "ineligible", True)]
    mails = outbox(app, "owner@example.org")
    assert len(mails) == 2 and reversal in mails[-1].body_text

    # The organizer still sees the ineligible proposal, with its reason.
    page = organizer.get(f"/calls/{world['call_id']}/screening", headers=EN).get_data(as_text=True)
    assert "Not eligible" in page and reversal in page and proposal.number in page

    # Once the review has started, no decision changes.
    _decide(organizer, world, "eligible")
    assert organizer.submit(f"/calls/{world['call_id']}/phase", {"to": "review"}).status_code == 302
    with app.app_context():
        assert db.session.get(Call, world["call_id"]).phase is Phase.REVIEW
    refused = _decide(organizer, world, "ineligible", reason=reversal, headers=EN)
    assert refused.status_code == 422
    assert "The review has started" in refused.get_data(as_text=True)
    assert _proposal(app, world["proposal_id"]).screening is Screening.ELIGIBLE


def test_the_review_cannot_start_while_a_proposal_is_unscreened(app):
    world = _world(app)
    organizer = world["organizer"]
    second_group = make_group(app, "owner@example.org", name="阳光互助队")
    second = make_submitted_proposal(app, world["call_id"], second_group)["proposal_id"]
    response = organizer.submit(f"/calls/{world['call_id']}/phase", {"to": "review"}, headers=EN,
                                follow_redirects=True)
    assert "2 submitted proposals are not screened yet" in response.get_data(as_text=True)
    _decide(organizer, world, "eligible")
    response = organizer.submit(f"/calls/{world['call_id']}/phase", {"to": "review"}, headers=EN,
                                follow_redirects=True)
    assert "1 submitted proposal is not screened yet" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Call, world["call_id"]).phase is Phase.CLOSED
        call = db.session.get(Call, world["call_id"])
        assert screening.start_problems(db.session, call) == [db.session.get(Proposal, second).number]
    organizer.submit(f"/calls/{world['call_id']}/screening/{second}",
                     {"decision": "ineligible", "reason": "预算超出上限，不符合条件。", "category": "amount"})
    organizer.submit(f"/calls/{world['call_id']}/phase", {"to": "review"})
    with app.app_context():
        assert db.session.get(Call, world["call_id"]).phase is Phase.REVIEW


def test_a_decision_against_needs_its_published_category(app):
    world = _world(app)
    organizer = world["organizer"]
    response = _decide(organizer, world, "ineligible", reason="缺少登记证书。", category="", headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose why it is not eligible" in page and "缺少登记证书。" in page  # what was typed is kept
    for wrong in ("meets_conditions", "nonsense"):
        assert _decide(organizer, world, "ineligible", category=wrong).status_code == 422
    assert _proposal(app, world["proposal_id"]).screening is Screening.PENDING and _events(app) == []
    assert _decide(organizer, world, "ineligible", reason="缺少登记证书。", category="attachments").status_code == 302
    proposal = _proposal(app, world["proposal_id"])
    assert (proposal.screening, proposal.screening_category) == (Screening.INELIGIBLE, "attachments")
    [event] = _events(app)
    assert event["category"] == "attachments" and "登记证书" not in str(event)
    page = organizer.get(f"/calls/{world['call_id']}/screening", headers=EN).get_data(as_text=True)
    assert "Published category:" in page and "A required attachment is missing" in page
    assert re.search(r'<option selected value="attachments">', page), "the form shows the recorded category"
    # A new category alone is a change; the same decision again is not.
    assert _decide(organizer, world, "ineligible", reason="缺少登记证书。", category="incomplete").status_code == 302
    assert _decide(organizer, world, "ineligible", reason="缺少登记证书。", category="incomplete").status_code == 302
    assert [e["category"] for e in _events(app)] == ["attachments", "incomplete"]
    # Any category typed with an eligible decision is ignored: eligible is eligible.
    _decide(organizer, world, "eligible", category="amount")
    assert _proposal(app, world["proposal_id"]).screening_category == "meets_conditions"


def test_the_group_sees_the_decision_and_its_reason(app):
    world = _world(app)
    owner = _client(app, "owner@example.org")
    assert "Screening" not in owner.get("/my/proposals", headers=EN).get_data(as_text=True)
    reason = "未按要求提交预算表原件。"
    _decide(world["organizer"], world, "ineligible", reason=reason)
    mine = owner.get("/my/proposals", headers=EN).get_data(as_text=True)
    assert "Screening" in mine and "Not eligible" in mine and reason in mine
    edit = owner.get(f"/proposals/{world['proposal_id']}/edit", headers=EN).get_data(as_text=True)
    assert "Not eligible" in edit and reason in edit


def test_screening_waits_for_the_closing_time_and_only_organizers_of_the_body_screen(app):
    world = _world(app, phase=Phase.OPEN)
    organizer = world["organizer"]
    manage = organizer.get(f"/calls/{world['call_id']}/manage").get_data(as_text=True)
    assert f"/calls/{world['call_id']}/screening" not in manage
    refused = _decide(organizer, world, "eligible", headers=EN)
    assert refused.status_code == 422 and "Screening starts when the call has closed" in refused.get_data(as_text=True)

    make_user(app, "other@example.org")
    make_body(app, "other@example.org", name="Other body")
    other = _client(app, "other@example.org")
    assert other.get(f"/calls/{world['call_id']}/screening").status_code == 403
    assert _decide(other, world, "eligible").status_code == 403
    assert _decide(_client(app, "owner@example.org"), world, "eligible").status_code == 403

    # Past the closing time the clock's move is recorded, and screening may begin.
    set_call_times(app, world["call_id"], opens_at=utcnow() - timedelta(days=3),
                   closes_at=utcnow() - timedelta(minutes=1))
    assert f"/calls/{world['call_id']}/screening" in organizer.get(f"/calls/{world['call_id']}/manage").get_data(as_text=True)
    assert _decide(organizer, world, "eligible").status_code == 302
    with app.app_context():
        assert db.session.get(Call, world["call_id"]).phase is Phase.CLOSED


def test_condition_checks_flag_what_breaks_the_published_conditions(app):
    world = _world(app, allow_grassroots=False, min_grant_fen=2_000_000, districts=["越秀区"], themes=["儿童成长"],
                   required_attachments=[{"key": "a1", "title": "预算表"}, {"key": "a2", "title": "登记证书"}])
    with app.app_context():
        proposal = db.session.get(Proposal, world["proposal_id"])
        checks = {check.key: check for check in screening.condition_checks(proposal)}
        assert set(checks) == {"group_kind", "amount", "attachments", "district", "theme"}
        assert not any(check.ok for check in checks.values())
        assert "登记证书" in str(checks["attachments"].detail) and "预算表" not in str(checks["attachments"].detail)
    page = world["organizer"].get(f"/calls/{world['call_id']}/screening", headers=EN).get_data(as_text=True)
    assert page.count("does not meet:") >= 10, "five failed checks, in the table and by the form"

    # A call without district or theme lists does not check them; a registered group passes the kind.
    make_user(app, "reg@example.org")
    other_call = make_call(app, world["body_id"], Phase.CLOSED, districts=[], themes=[], allow_grassroots=False)
    group = make_group(app, "reg@example.org", kind=GroupKind.REGISTERED, name="阳光社工服务中心")
    other = make_submitted_proposal(app, other_call, group)["proposal_id"]
    with app.app_context():
        checks = screening.condition_checks(db.session.get(Proposal, other))
        assert [(c.key, c.ok) for c in checks] == [("group_kind", True), ("amount", True), ("attachments", True)]


# The call's rule on residents' opinion ------------------------------------------------------------

def test_reviewers_see_opinion_is_a_rule_of_the_call_frozen_once_open(app):
    make_user(app, "org@example.org")
    body_id = make_body(app, "org@example.org")
    organizer = _client(app, "org@example.org")
    response = organizer.submit(f"/bodies/{body_id}/calls/new", call_form(reviewers_see_opinion="y"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        call = db.session.scalar(select(Call))
        call_id = call.id
        assert call.reviewers_see_opinion is True
    edit = organizer.get(f"/calls/{call_id}/edit", headers=EN).get_data(as_text=True)
    assert "reviewers may see residents" in edit
    assert re.search(r'<input[^>]*\bchecked\b[^>]*id="reviewers_see_opinion"', edit)
    show = organizer.get(f"/calls/{call_id}", headers=EN).get_data(as_text=True)
    assert "Reviewers may see them after submitting their own review." in show

    organizer.submit(f"/calls/{call_id}/phase", {"to": "open"})
    refused = organizer.submit(f"/calls/{call_id}/edit", call_form(), headers=EN)  # the box left unticked
    assert refused.status_code == 422 and "cannot change" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Call, call_id).reviewers_see_opinion is True
    assert organizer.submit(f"/calls/{call_id}/edit", call_form(reviewers_see_opinion="y")).status_code == 302
