"""A user downloads their own data (issue 8, point 10), and deleting an
account leaves the audit chain whole and free of personal fields."""
from __future__ import annotations

import json
import pytest
from sqlalchemy import select

from tests.builders import make_body, make_call, make_group
from tests.conftest import PASSWORD, Client, login, make_user
from tests.review_builders import make_review_world, make_submitted_proposal
from tests.results_builders import seal_objection
from venture.accounts import personal_data
from venture.accounts.models import User
from venture.audit.models import AuditEvent
from venture.calls.models import Phase
from venture.core.timeutil import utcnow
from venture.extensions import db

ME, ME_NAME = "me@example.org", "Lin Xiaoyu"
FRIEND, FRIEND_NAME = "friend@example.org", "Friend Zhang"
STRANGER, STRANGER_NAME = "stranger@example.org", "Stranger Wu"
ORGANIZER = "organizer@example.org"
MY_GROUP, REVIEWED_GROUP = "我的邻里互助队", "被评审的助老团队"
# make_group gives every group these contact details.
GROUP_CONTACT = ("team@xingfu.example", "13900139004", "赵桂英", "幸福里社区居委会")
MY_COMMENT, FRIEND_COMMENT = "这个项目很有意义，支持！", "朋友的评论，不属于我"
MY_OBJECTION, ANSWER = "评分结果与公示材料不一致，请复核。", "已复核，结果无误。"
REASON, COMMENT_TO_APPLICANT, NOTE = "需求真实，方案可行。", "建议补充风险预案。", "给组织方的备注"


@pytest.fixture
def app_config():
    return {"FORM_LIMIT_PER_ADDRESS": 4}


def _build(app) -> dict[str, int]:
    """Me: owner of a group with a friend, author of a comment, a support and an
    objection, and a reviewer who submitted a review of another group's proposal."""
    from venture.comments.models import Comment
    from venture.results.models import Objection, ObjectionStatus
    from venture.review import services as reviews
    from venture.review.models import Assignment
    from venture.showcase.models import Support

    me = make_user(app, ME, name=ME_NAME)
    make_user(app, FRIEND, name=FRIEND_NAME)
    make_user(app, STRANGER, name=STRANGER_NAME)
    make_user(app, ORGANIZER, name="Organizer Chen")
    body = make_body(app, ORGANIZER)
    mine = make_group(app, ME, name=MY_GROUP, members=(FRIEND,))
    reviewed = make_group(app, STRANGER, name=REVIEWED_GROUP)
    open_call = make_call(app, body, Phase.OPEN)
    own = make_submitted_proposal(app, open_call, mine, title="我们的助餐点")["proposal_id"]
    theirs = make_submitted_proposal(app, open_call, reviewed, title="别人的项目")["proposal_id"]
    review = make_review_world(app, body, reviewed, ME)
    with app.test_request_context():
        from venture.proposals.models import Proposal

        db.session.get(Proposal, own).created_by_id = me
        db.session.get(Proposal, theirs).created_by_id = db.session.scalar(
            select(User.id).where(User.email == STRANGER))
        friend = db.session.scalar(select(User).where(User.email == FRIEND))
        db.session.add_all([
            Comment(proposal_id=theirs, author_id=me, body_markdown=MY_COMMENT, body_html=f"<p>{MY_COMMENT}</p>"),
            Comment(proposal_id=theirs, author_id=friend.id, body_markdown=FRIEND_COMMENT,
                    body_html=f"<p>{FRIEND_COMMENT}</p>"),
            Support(proposal_id=theirs, user_id=me),
            objection := Objection(call_id=open_call, proposal_id=theirs, author_id=me, text=MY_OBJECTION,
                                   status=ObjectionStatus.REJECTED, answer=ANSWER, answered_at=utcnow(),
                                   answered_by_id=db.session.scalar(select(User.id).where(User.email == ORGANIZER))),
        ])
        db.session.flush()
        seal_objection(objection)
        assignment = db.session.get(Assignment, review["assignment_id"])
        reviewer = db.session.get(User, me)
        criteria = list(assignment.proposal.call.criteria)
        reviews.submit(db.session, reviewer, assignment, {str(c.id): "7.5" for c in criteria},
                       {str(c.id): REASON for c in criteria}, COMMENT_TO_APPLICANT, NOTE,
                       reviews.current_lock(assignment))
        db.session.commit()
        number = assignment.proposal.number
    return {"me": me, "own": own, "theirs": theirs, "body": body, "review_number": number, **review}


def _download(client) -> tuple[object, dict]:
    response = client.submit("/account/data.json")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response, json.loads(response.get_data(as_text=True))


def test_the_download_holds_my_data_and_nothing_about_others(app, client):
    ids = _build(app)
    login(client, ME)
    page = client.get("/account/data", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert 'action="/account/data.json"' in page.get_data(as_text=True)

    response, data = _download(client)
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="venture-my-data.json"'
    assert response.headers["Cache-Control"] == "no-store"

    assert data["profile"]["email"] == ME and data["profile"]["display_name"] == ME_NAME
    assert data["profile"]["email_verified_at"] and data["profile"]["timezone"]
    assert [(m["group"], m["role"]) for m in data["group_memberships"]] == [(MY_GROUP, "owner")]
    assert [(p["id"], p["title"], p["status"]) for p in data["proposals"]] == [(ids["own"], "我们的助餐点", "submitted")]
    assert [(c["text"], c["proposal_id"], c["status"]) for c in data["comments"]] == [
        (MY_COMMENT, ids["theirs"], "visible")]
    assert [s["proposal_id"] for s in data["supports"]] == [ids["theirs"]]
    [objection] = data["objections"]
    assert (objection["text"], objection["status"], objection["answer"]) == (MY_OBJECTION, "rejected", ANSWER)
    [expert] = data["expert_profiles"]
    assert expert["expertise"] == ["finance", "social_work"] and expert["available"] is True
    [seat] = data["panel_seats"]
    assert seat["call"] == "2026 助老服务创投" and seat["status"] == "accepted"
    [review] = data["reviews"]
    assert review["proposal_number"] == ids["review_number"] and review["status"] == "submitted"
    [version] = review["versions"]
    assert [(c["criterion"], c["score"], c["reason"]) for c in version["criteria"]] == [
        ("需求", "7.5", REASON), ("可行性", "7.5", REASON)]
    assert (version["comment_to_applicant"], version["note_to_organizer"]) == (COMMENT_TO_APPLICANT, NOTE)
    assert data["login_sessions"] and all(s["created_at"] for s in data["login_sessions"])
    assert "review.submitted" in {e["action"] for e in data["audit_events"]}
    assert all(set(e) == {"seq", "action", "at", "object_type", "object_id"} for e in data["audit_events"])

    text = response.get_data(as_text=True)
    for other in (FRIEND, FRIEND_NAME, STRANGER, STRANGER_NAME, ORGANIZER, "Organizer Chen", FRIEND_COMMENT,
                  *GROUP_CONTACT):
        assert other not in text, f"{other!r} is someone else's data"
    # The blind review holds in the export: no trace of the reviewed group or its proposal's title.
    assert REVIEWED_GROUP not in text and "长者助餐点" not in text and "别人的项目" not in text

    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.data_downloaded"))
        assert event is not None and event.actor_id == ids["me"] and event.object_id == ids["me"]
        assert event.data == {}


def test_collect_for_a_new_account_is_empty_but_complete(app):
    user_id = make_user(app, "new@example.org", verified=False)
    with app.app_context():
        data = personal_data.collect(db.session, db.session.get(User, user_id))
    assert data["format"] == "venture-personal-data" and data["profile"]["email"] == "new@example.org"
    assert data["profile"]["email_verified_at"] is None
    for section in ("group_memberships", "proposals", "comments", "supports", "objections", "expert_profiles",
                    "panel_seats", "reviews", "login_sessions"):
        assert data[section] == [], section
    json.dumps(data)  # plain JSON types only


def test_anonymous_users_are_sent_to_log_in(app, client):
    for response in (client.get("/account/data"), client.submit("/account/data.json")):
        assert response.status_code == 302 and "/login" in response.location
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.data_downloaded")) is None


def test_the_download_needs_a_post_with_a_csrf_token(app, client):
    make_user(app, ME)
    login(client, ME)
    assert client.get("/account/data.json").status_code == 405
    assert client.post("/account/data.json").status_code == 400


def test_downloads_are_rate_limited(app, client):
    make_user(app, ME)
    login(client, ME)
    for _ in range(4):
        _download(client)
    refused = client.submit("/account/data.json")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_settings_and_the_delete_page_link_to_the_download(app, client):
    make_user(app, ME)
    login(client, ME)
    for path in ("/account", "/account/delete"):
        assert 'href="/account/data"' in client.get(path).get_data(as_text=True), path


def test_after_deleting_an_account_the_audit_chain_verifies_and_keeps_only_the_id(app, client):
    """Deletion scrubs the person; the audit chain refers to them by id only and still verifies."""
    ids = _build(app)
    with app.app_context():
        # The friend owns the group too, so I may leave it by deleting my account.
        from venture.groups.models import GroupMembership, MemberRole

        friend = db.session.scalar(select(User).where(User.email == FRIEND))
        db.session.scalar(select(GroupMembership).where(GroupMembership.user_id == friend.id)).role = MemberRole.OWNER
        db.session.commit()
    login(client, ME)
    _download(client)
    assert client.submit("/account/delete", {"password": PASSWORD, "confirm": "y"}).status_code == 302

    runner = app.test_cli_runner()
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "audit chain intact" in verified.output and "stored records match the chain" in verified.output
    with app.app_context():
        from venture.audit.records import verify_records
        from venture.audit.services import verify

        assert verify(db.session).ok and verify_records(db.session).ok
        deleted = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.deleted"))
        assert deleted.actor_id == ids["me"] and deleted.object_type == "users" and deleted.object_id == ids["me"]
        mine = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == ids["me"])).all()
        assert {"review.submitted", "account.data_downloaded", "account.deleted"} <= {e.action for e in mine}
        for event in db.session.scalars(select(AuditEvent)):
            stored = json.dumps(event.data, ensure_ascii=False)
            assert ME not in stored and ME_NAME not in stored, (event.action, stored)
        user = db.session.get(User, ids["me"])
        assert user.email is None and user.display_name == "" and user.is_deleted
        # What is left of the account holds nothing personal.
        data = personal_data.collect(db.session, user)
        assert data["profile"]["email"] is None and data["group_memberships"] == []
    # Signed out, and the download is gone with the account.
    assert client.get("/account/data").status_code == 302


def test_a_reviewer_download_during_review_names_no_group(app, client):
    """While the call is in review the reviewer's export carries the receipt number only."""
    ids = _build(app)
    login(client, ME)
    _, data = _download(client)
    [review] = data["reviews"]
    assert set(review) == {"proposal_number", "status", "updated_at", "submitted_at", "working_copy", "versions"}
    assert review["proposal_number"] == ids["review_number"]
    assert [c["score"] for c in review["working_copy"]["criteria"]] == ["7.5", "7.5"]
    with app.app_context():
        from venture.calls.models import Call

        assert db.session.get(Call, ids["review_call_id"]).phase is Phase.REVIEW


def test_login_sessions_are_listed_without_their_handles(app):
    user_id = make_user(app, ME)
    client = Client(app, app.response_class, use_cookies=True)
    login(client, ME, remember=True)
    with app.app_context():
        from venture.accounts.models import LoginSession

        digest = db.session.scalar(select(LoginSession.token_digest).where(LoginSession.user_id == user_id))
        data = personal_data.collect(db.session, db.session.get(User, user_id))
    [entry] = data["login_sessions"]
    assert entry["remember_me"] is True and entry["ended_at"] is None
    assert digest not in json.dumps(data)
    assert entry["expires_at"] > entry["created_at"]
