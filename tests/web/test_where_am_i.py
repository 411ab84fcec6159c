"""Where am I, what next: the organizer's home, the applicant's stage and
timeline, the reviewer's open work first."""
from __future__ import annotations

from datetime import timedelta

from tests.builders import make_body, make_call, make_group
from tests.conftest import Client, count_statements, login, make_user
from tests.review_builders import add_member, assign, make_expert, make_submitted_proposal
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.proposals.models import Screening
from venture.results.models import Objection

EN = {"Accept-Language": "en"}


def _client(app, email=None):
    client = Client(app, app.response_class, use_cookies=True)
    if email:
        login(client, email)
    return client


def _organizer_world(app, calls=1):
    make_user(app, "org@example.org")
    make_user(app, "owner@example.org")
    body_id = make_body(app, "org@example.org")
    made = []
    for n in range(calls):
        call_id = make_call(app, body_id, Phase.CLOSED, title=f"2026 助老微民生 {n}", reviewers_per_proposal=3)
        group_id = make_group(app, "owner@example.org", name=f"幸福里邻里互助队{n}")
        make_submitted_proposal(app, call_id, group_id)
        made.append(call_id)
    return body_id, made


def test_the_organizer_home_counts_what_needs_them(app):
    body_id, (call_id,) = _organizer_world(app)
    make_user(app, "expert@example.org")
    add_member(app, call_id, make_expert(app, body_id, "expert@example.org"))
    page = _client(app, "org@example.org").get("/bodies/mine", headers=EN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2026 助老微民生 0" in html
    assert "1 proposal to screen" in html
    assert "2 members short" in html


def test_overdue_reviews_and_open_objections_are_counted(app):
    body_id, (call_id,) = _organizer_world(app)
    make_user(app, "expert@example.org")
    member_id = add_member(app, call_id, make_expert(app, body_id, "expert@example.org"))
    group_id = make_group(app, "owner@example.org", name="第二队")
    other = make_submitted_proposal(app, call_id, group_id, screening=Screening.ELIGIBLE)["proposal_id"]
    assign(app, other, member_id)
    with app.app_context():
        call = db.session.get(Call, call_id)
        call.phase, call.review_due_at = Phase.REVIEW, utcnow() - timedelta(days=1)
        db.session.add(Objection(call_id=call_id, text="评分有误"))
        db.session.commit()
    html = _client(app, "org@example.org").get("/bodies/mine", headers=EN).get_data(as_text=True)
    assert "1 review overdue" in html
    assert "1 objection to answer" in html


def test_the_organizer_home_is_for_organizers_only(app):
    _organizer_world(app)
    make_user(app, "someone@example.org")
    assert _client(app, "someone@example.org").get("/bodies/mine").status_code == 403
    assert _client(app).get("/bodies/mine").status_code == 302  # to the log-in


def test_the_organizer_home_is_in_chinese_too(app):
    _organizer_world(app)
    client = _client(app, "org@example.org")
    html = client.get("/bodies/mine", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "份申报书待资格初审" in html


def test_the_organizer_home_runs_a_fixed_number_of_statements(app):
    _organizer_world(app, calls=2)
    client = _client(app, "org@example.org")
    client.get("/bodies/mine")
    few = count_statements(app, client, "/bodies/mine")
    body_id = make_body(app, "org@example.org", name="越秀区残联")
    for n in range(6):
        call_id = make_call(app, body_id, Phase.CLOSED, title=f"越秀 {n}")
        make_submitted_proposal(app, call_id, make_group(app, "owner@example.org", name=f"越秀队{n}"))
    many = count_statements(app, client, "/bodies/mine")
    assert many == few


def test_the_applicant_sees_the_stage_follow_the_call(app):
    body_id, (call_id,) = _organizer_world(app)
    client = _client(app, "owner@example.org")
    assert "Submitted, waiting for screening" in client.get("/my/proposals", headers=EN).get_data(as_text=True)
    with app.app_context():
        db.session.get(Call, call_id).phase = Phase.REVIEW
        db.session.commit()
    mine = client.get("/my/proposals", headers=EN).get_data(as_text=True)
    assert "In expert review" in mine
    from sqlalchemy import select

    from venture.proposals.models import Proposal
    with app.app_context():
        proposal_id = db.session.scalar(select(Proposal.id).where(Proposal.call_id == call_id))
    page = client.get(f"/proposals/{proposal_id}/edit", headers=EN).get_data(as_text=True)
    assert "Where your proposal is" in page
    assert 'aria-current="step"' in page
    zh = client.get(f"/proposals/{proposal_id}/edit", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "专家评审中" in zh


def test_the_reviewer_sees_open_work_first(app):
    make_user(app, "org@example.org")
    make_user(app, "owner@example.org")
    make_user(app, "expert@example.org")
    body_id = make_body(app, "org@example.org")
    expert_id = make_expert(app, body_id, "expert@example.org")
    done_call = make_call(app, body_id, Phase.CLOSED, title="早的征集")
    open_call = make_call(app, body_id, Phase.CLOSED, title="晚的征集")
    # The newest panel comes first today; its work is done, so the older one must lead.
    first = add_member(app, open_call, expert_id)
    second = add_member(app, done_call, expert_id)
    group_id = make_group(app, "owner@example.org", name="一队")
    p1 = make_submitted_proposal(app, open_call, group_id, screening=Screening.ELIGIBLE)["proposal_id"]
    p2 = make_submitted_proposal(app, done_call, group_id, screening=Screening.ELIGIBLE)["proposal_id"]
    assign(app, p1, first)
    a2 = assign(app, p2, second)
    from venture.review.models import Review, ReviewStatus
    with app.app_context():
        for call_id in (open_call, done_call):
            db.session.get(Call, call_id).phase = Phase.REVIEW
        db.session.add(Review(assignment_id=a2, status=ReviewStatus.SUBMITTED, submitted_at=utcnow()))
        db.session.commit()
    html = _client(app, "expert@example.org").get("/review/").get_data(as_text=True)
    assert html.index("晚的征集") < html.index("早的征集")
