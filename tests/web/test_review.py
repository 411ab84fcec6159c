"""Blind scoring through requests: the reviewer's dashboard, the blind
proposal and its files, drafts, submissions and revisions, access for
unassigned and conflicted reviewers, residents' opinion after submission,
panel members kept out of the public showcase, and an expired sign-in."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from tests.builders import make_body, make_call, make_group
from tests.conftest import Client, count_statements, login, make_user
from tests.review_builders import add_member, assign, make_expert, make_submitted_proposal
from venture.calls.models import Call, Criterion, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.groups.models import Group, GroupKind
from venture.proposals.models import Screening
from venture.review.models import Conflict, ConflictSource, MemberStatus, Review, ReviewStatus

EN = {"Accept-Language": "en"}
GROUP_NAME = "幸福里邻里互助队"
OWNER_NAME = "王晓明"
MEMBER_NAME = "Li Wenjun"
CONTACT_NAME = "赵桂英"
PHONE = "13900139004"
EMAIL = "team@xingfu.example"
REASON = "需求调研扎实，目标人群清楚。"


@pytest.fixture
def world(app):
    make_user(app, "owner@example.org", name=OWNER_NAME)
    make_user(app, "member@example.org", name=MEMBER_NAME)
    for email in ("reviewer@example.org", "second@example.org", "org@example.org", "resident@example.org",
                  "other-owner@example.org"):
        make_user(app, email)
    body = make_body(app, "org@example.org")
    group = make_group(app, "owner@example.org", kind=GroupKind.REGISTERED, name=GROUP_NAME,
                       members=("member@example.org",))
    other_group = make_group(app, "other-owner@example.org", name="Other team")
    with app.app_context():
        credit_code = db.session.get(Group, group).credit_code
    text = (f"我们是{GROUP_NAME}，负责人{OWNER_NAME}和{MEMBER_NAME}，联系人{CONTACT_NAME}，"
            f"电话{PHONE}，邮箱{EMAIL}，统一社会信用代码{credit_code}。为社区独居长者提供午餐。")
    call = make_call(app, body, Phase.CLOSED, title="2026 助老服务创投")
    made = make_submitted_proposal(app, call, group, title=f"{GROUP_NAME}长者助餐点", text=text,
                                   attachment_author=f"{GROUP_NAME} {CONTACT_NAME}", screening=Screening.ELIGIBLE)
    other = make_submitted_proposal(app, call, other_group, title="邻里菜园计划", screening=Screening.ELIGIBLE)
    expert = make_expert(app, body, "reviewer@example.org")
    member = add_member(app, call, expert)
    assignment = assign(app, made["proposal_id"], member)
    second_expert = make_expert(app, body, "second@example.org")
    second_member = add_member(app, call, second_expert)
    assign(app, other["proposal_id"], second_member)
    with app.app_context():
        db.session.get(Call, call).phase = Phase.REVIEW
        db.session.commit()
        criteria = [c.id for c in db.session.scalars(select(Criterion).where(Criterion.call_id == call)
                                                     .order_by(Criterion.position))]
    return {"body": body, "group": group, "call": call, "proposal": made["proposal_id"],
            "attachment": made["attachment_id"], "other_proposal": other["proposal_id"], "member": member,
            "second_member": second_member, "assignment": assignment, "criteria": criteria,
            "identity": [GROUP_NAME, "幸福里邻里", OWNER_NAME, MEMBER_NAME, CONTACT_NAME, PHONE, EMAIL, credit_code]}


def client_for(app, email):
    client = Client(app, app.response_class, use_cookies=True)
    login(client, email)
    return client


def lock_of(page: str) -> str:
    return re.search(r'name="lock_version" type="hidden" value="(-?\d+)"', page).group(1)


def sheet(world, lock, first="7.5", second="8", reasons=(REASON, REASON), action="save", **extra):
    need, feasible = world["criteria"]
    data = {"lock_version": lock, "action": action, f"score_{need}": first, f"score_{feasible}": second,
            f"reason_{need}": reasons[0], f"reason_{feasible}": reasons[1],
            "comment": "预算清楚，建议细化志愿者培训。", "note": "预算表第 3 行需核实。"}
    data.update(extra)
    return data


def post_sheet(client, world, **kwargs):
    url = f"/review/{world['assignment']}"
    lock = lock_of(client.get(url).get_data(as_text=True))
    return client.submit(url, sheet(world, lock, **kwargs), headers=EN)


def the_review(app, assignment_id) -> Review | None:
    with app.app_context():
        review = db.session.scalar(select(Review).where(Review.assignment_id == assignment_id))
        if review is not None:
            _ = review.versions
        db.session.expunge_all()
        return review


def set_phase(app, call_id, phase):
    with app.app_context():
        db.session.get(Call, call_id).phase = phase
        db.session.commit()


def assert_blind(text: str, world) -> None:
    for term in world["identity"]:
        assert term not in text, f"{term!r} leaked"


# The blind view ---------------------------------------------------------------------------------

def test_the_blind_page_and_the_dashboard_name_nobody(app, world):
    reviewer = client_for(app, "reviewer@example.org")
    page = reviewer.get(f"/review/{world['assignment']}", headers=EN)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert_blind(text, world)
    assert "■■■" in text and "为社区独居长者提供午餐" in text and "长者助餐点" in text
    assert "2026-ML-T" in text, "the receipt number is fine"
    assert 'step="0.5"' in text and 'inputmode="decimal"' in text and 'max="10"' in text
    dashboard = reviewer.get("/review/", headers=EN)
    assert dashboard.status_code == 200
    board = dashboard.get_data(as_text=True)
    assert_blind(board, world)
    assert "2026 助老服务创投" in board and "Not started" in board and "0 of 1" in board
    assert f"/review/{world['assignment']}" in board
    assert f"/panels/{world['member']}/conflicts" in board
    assert 'href="/review/"' in board, "the Reviews link in the navigation"


def test_the_served_attachment_has_no_metadata_and_a_safe_name(app, world):
    reviewer = client_for(app, "reviewer@example.org")
    response = reviewer.get(f"/review/{world['assignment']}/files/{world['attachment']}")
    assert response.status_code == 200
    data = response.get_data()
    metadata = PdfReader(io.BytesIO(data)).metadata or {}
    assert "/Author" not in metadata
    for term in world["identity"]:
        assert term.encode() not in data and term.encode("utf-16-be") not in data
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert_blind(unquote(response.headers["Content-Disposition"]), world)
    # Only files listed in the submitted version, of this assignment's proposal.
    with app.app_context():
        from venture.proposals.models import Attachment
        other = db.session.scalar(select(Attachment.id).where(Attachment.proposal_id == world["other_proposal"]))
    assert reviewer.get(f"/review/{world['assignment']}/files/{other}").status_code == 404
    assert reviewer.get(f"/review/{world['assignment']}/files/999999").status_code == 404


def test_a_renamed_attachment_is_served_under_a_neutral_name(app, world):
    with app.app_context():
        from venture.proposals.models import Attachment, ProposalVersion
        attachment = db.session.get(Attachment, world["attachment"])
        attachment.filename = f"{GROUP_NAME}预算表.pdf"
        version = db.session.scalar(select(ProposalVersion).where(ProposalVersion.proposal_id == world["proposal"]))
        content = dict(version.content)
        content["attachments"] = [dict(content["attachments"][0], filename=attachment.filename)]
        version.content = content
        db.session.commit()
    reviewer = client_for(app, "reviewer@example.org")
    assert_blind(reviewer.get(f"/review/{world['assignment']}").get_data(as_text=True), world)
    response = reviewer.get(f"/review/{world['assignment']}/files/{world['attachment']}")
    assert response.status_code == 200
    disposition = unquote(response.headers["Content-Disposition"])
    assert_blind(disposition, world)
    assert "预算表" not in disposition, "nothing of the group's own file name is kept"
    assert disposition.endswith("附件1.pdf")


# Scoring ------------------------------------------------------------------------------------------

def test_a_draft_may_be_incomplete(app, world):
    reviewer = client_for(app, "reviewer@example.org")
    response = post_sheet(reviewer, world, first="7,5", second="", reasons=("短", ""))
    assert response.status_code == 302
    review = the_review(app, world["assignment"])
    need, feasible = world["criteria"]
    assert review.status is ReviewStatus.DRAFT and review.scores == {str(need): "7.5"}
    assert review.reasons == {str(need): "短"} and review.versions == []
    board = reviewer.get("/review/", headers=EN).get_data(as_text=True)
    assert "Draft saved" in board


@pytest.mark.parametrize("bad", ["7.3", "11", "-1", "abc"])
def test_malformed_scores_are_refused_and_the_input_kept(app, world, bad):
    reviewer = client_for(app, "reviewer@example.org")
    response = post_sheet(reviewer, world, first=bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page and f'value="{bad}"' in page and REASON in page
    assert the_review(app, world["assignment"]) is None


def test_submission_needs_every_reason(app, world):
    reviewer = client_for(app, "reviewer@example.org")
    response = post_sheet(reviewer, world, action="submit", reasons=(REASON, "太短"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page and "at least 10 characters" in page
    assert 'value="7.5"' in page and "太短" in page
    assert the_review(app, world["assignment"]) is None


def test_submit_then_revise_keeps_every_version_and_audits_them(app, world):
    from venture.audit.models import AuditEvent

    reviewer = client_for(app, "reviewer@example.org")
    first = post_sheet(reviewer, world, action="submit")
    assert first.status_code == 302 and first.location.endswith("#submitted")
    review = the_review(app, world["assignment"])
    # 40 × 7.5/10 + 60 × 8/10 = 30 + 48
    assert review.status is ReviewStatus.SUBMITTED and [str(v.total) for v in review.versions] == ["78.00"]
    page = reviewer.get(f"/review/{world['assignment']}", headers=EN).get_data(as_text=True)
    assert "Your submitted review" in page and "78.00" in page and "Revise your review" in page
    assert 'value="7.5"' in page, "the form stays filled for a revision"
    # Revising: 40 × 7.5/10 + 60 × 9.5/10 = 30 + 57
    second = post_sheet(reviewer, world, action="submit", second="9,5")
    assert second.status_code == 302
    review = the_review(app, world["assignment"])
    assert [(v.version_no, str(v.total)) for v in review.versions] == [(1, "78.00"), (2, "87.00")]
    assert review.versions[0].content["criteria"][1]["score"] == "8"
    assert review.versions[1].content["criteria"][1]["score"] == "9.5"
    assert review.version_count == 2
    page = reviewer.get(f"/review/{world['assignment']}", headers=EN).get_data(as_text=True)
    assert "All submitted versions" in page and "78.00" in page and "87.00" in page
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.submitted")
                                    .order_by(AuditEvent.seq)).all()
        assert [e.data["version"] for e in events] == [1, 2]
        assert [e.data["total"] for e in events] == ["78.00", "87.00"]
        assert [e.data["fingerprint"] for e in events] == [v.fingerprint for v in review.versions]
        for event in events:
            assert REASON not in str(event.data) and "预算" not in str(event.data)
    # Submitting the same again makes no new version.
    again = post_sheet(reviewer, world, action="submit", second="9.5")
    assert again.status_code == 422
    assert len(the_review(app, world["assignment"]).versions) == 2


def test_the_dashboard_marks_a_submitted_review_saved_with_changes_since(app, world):
    reviewer = client_for(app, "reviewer@example.org")
    assert post_sheet(reviewer, world, action="submit").status_code == 302
    marker = "with changes not yet submitted"
    assert marker not in reviewer.get("/review/", headers=EN).get_data(as_text=True)
    # Saved again unchanged: later than the submission, but nothing differs.
    assert post_sheet(reviewer, world).status_code == 302
    board = reviewer.get("/review/", headers=EN).get_data(as_text=True)
    assert "Submitted, version 1" in board and marker not in board
    assert post_sheet(reviewer, world, second="9").status_code == 302
    assert marker in reviewer.get("/review/", headers=EN).get_data(as_text=True)
    assert post_sheet(reviewer, world, action="submit", second="9").status_code == 302
    board = reviewer.get("/review/", headers=EN).get_data(as_text=True)
    assert "Submitted, version 2" in board and marker not in board


def test_a_stale_form_is_refused_not_overwritten(app, world):
    url = f"/review/{world['assignment']}"
    window_a = client_for(app, "reviewer@example.org")
    window_b = client_for(app, "reviewer@example.org")
    stale = lock_of(window_b.get(url).get_data(as_text=True))
    assert window_a.submit(url, sheet(world, stale, first="6")).status_code == 302
    response = window_b.submit(url, sheet(world, stale, first="9"), headers=EN)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'value="9"' in page, "what was typed is kept"
    assert "saved in another window" in page
    assert the_review(app, world["assignment"]).scores[str(world["criteria"][0])] == "6"
    # The refreshed lock lets them save on purpose.
    assert window_b.submit(url, sheet(world, lock_of(page), first="9")).status_code == 302
    assert the_review(app, world["assignment"]).scores[str(world["criteria"][0])] == "9"


def test_scoring_ends_with_the_review_phase_but_the_view_stays(app, world):
    reviewer = client_for(app, "reviewer@example.org")
    assert post_sheet(reviewer, world, action="submit").status_code == 302
    url = f"/review/{world['assignment']}"
    lock = lock_of(reviewer.get(url).get_data(as_text=True))
    set_phase(app, world["call"], Phase.NOTICE)
    page = reviewer.get(url, headers=EN)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "78.00" in text and 'name="lock_version"' not in text and "Submit review" not in text
    assert reviewer.submit(url, sheet(world, lock, first="1", action="submit")).status_code == 403
    assert len(the_review(app, world["assignment"]).versions) == 1


# Access -------------------------------------------------------------------------------------------

def test_an_unassigned_reviewer_and_others_are_refused(app, world):
    url = f"/review/{world['assignment']}"
    for email in ("second@example.org", "resident@example.org", "owner@example.org", "org@example.org"):
        client = client_for(app, email)  # to them the assignment does not exist
        assert client.get(url).status_code == 404, email
        assert client.get(f"{url}/files/{world['attachment']}").status_code == 404, email
        assert client.submit(url, sheet(world, "0", action="submit")).status_code == 404, email
    assert the_review(app, world["assignment"]) is None
    assert client_for(app, "resident@example.org").get("/review/").status_code == 403
    anonymous = Client(app, app.response_class, use_cookies=True)
    assert "/login" in anonymous.get(url).location


def test_a_conflicted_reviewer_is_refused_even_when_assigned(app, world):
    with app.app_context():
        db.session.add(Conflict(member_id=world["member"], group_id=world["group"], source=ConflictSource.DECLARED))
        db.session.commit()
    reviewer = client_for(app, "reviewer@example.org")
    url = f"/review/{world['assignment']}"
    assert reviewer.get(url).status_code == 404
    assert reviewer.get(f"{url}/files/{world['attachment']}").status_code == 404
    assert reviewer.submit(url, sheet(world, "0", action="submit")).status_code == 404
    board = reviewer.get("/review/").get_data(as_text=True)
    assert url not in board
    assert_blind(board, world)
    assert reviewer.get(f"/proposals/{world['proposal']}").status_code == 404


# Residents' opinion ------------------------------------------------------------------------------

def _opinions(app, world):
    from venture.accounts.models import User
    from venture.comments.models import Comment
    from venture.showcase.models import Support

    with app.app_context():
        users = {u.email: u.id for u in db.session.scalars(select(User))}
        db.session.add_all([
            Comment(proposal_id=world["proposal"], author_id=users["resident@example.org"],
                    body_markdown="x", body_html=f"<p>楼下的长者都需要 {GROUP_NAME}</p>"),
            Comment(proposal_id=world["proposal"], author_id=users["owner@example.org"], by_applicant_team=True,
                    body_markdown="x", body_html="<p>谢谢大家的支持，欢迎来试吃。</p>"),
            Support(proposal_id=world["proposal"], user_id=users["resident@example.org"]),
            Support(proposal_id=world["proposal"], user_id=users["other-owner@example.org"]),
        ])
        from venture.proposals.models import Proposal
        db.session.get(Proposal, world["proposal"]).support_count = 2
        db.session.commit()


def test_opinion_is_hidden_until_the_review_is_in_then_shown_when_the_call_allows(app, world):
    _opinions(app, world)
    with app.app_context():
        db.session.get(Call, world["call"]).reviewers_see_opinion = True
        db.session.commit()
    reviewer = client_for(app, "reviewer@example.org")
    url = f"/review/{world['assignment']}"
    before = reviewer.get(url, headers=EN).get_data(as_text=True)
    for hidden in ("楼下的长者", "欢迎来试吃", "support", "Residents’ opinion", "Applicant team"):
        assert hidden not in before, hidden
    post_sheet(reviewer, world, first="7")  # a draft is not enough
    assert "欢迎来试吃" not in reviewer.get(url).get_data(as_text=True)
    assert post_sheet(reviewer, world, action="submit").status_code == 302
    after = reviewer.get(url, headers=EN).get_data(as_text=True)
    assert "2 residents support this proposal." in after
    assert "楼下的长者" in after and "欢迎来试吃" in after
    assert "Applicant team" in after
    assert_blind(after, world)


def test_opinion_stays_hidden_when_the_call_does_not_allow_it(app, world):
    _opinions(app, world)
    reviewer = client_for(app, "reviewer@example.org")
    assert post_sheet(reviewer, world, action="submit").status_code == 302
    after = reviewer.get(f"/review/{world['assignment']}", headers=EN).get_data(as_text=True)
    for hidden in ("楼下的长者", "欢迎来试吃", "support", "Residents’ opinion"):
        assert hidden not in after, hidden


# The public showcase ------------------------------------------------------------------------------

def _index(app, world):
    from venture.search import services as search

    with app.app_context():
        for proposal in (world["proposal"], world["other_proposal"]):
            search.enqueue(db.session, "proposal", proposal)
        db.session.commit()
    search.drain(app)


@pytest.mark.parametrize("status", [MemberStatus.ACCEPTED, MemberStatus.INVITED])
def test_panel_members_do_not_find_the_calls_proposals_in_public(app, world, status):
    _index(app, world)
    with app.app_context():
        from venture.review.models import PanelMember
        db.session.get(PanelMember, world["second_member"]).status = status
        db.session.commit()
    resident = client_for(app, "resident@example.org")
    places = ["/showcase", f"/calls/{world['call']}/proposals", f"/calls/{world['call']}/feed.atom",
              "/search?q=午餐"]
    for place in places:
        text = resident.get(place).get_data(as_text=True)
        assert "长者助餐点" in text or "邻里菜园计划" in text, place
    for email in ("reviewer@example.org", "second@example.org"):
        member = client_for(app, email)
        for place in places:
            response = member.get(place)
            assert response.status_code == 200, (email, place)
            text = response.get_data(as_text=True)
            assert "长者助餐点" not in text and "邻里菜园计划" not in text, (email, place)
            assert f"/proposals/{world['proposal']}\"" not in text and f"/proposals/{world['other_proposal']}\"" not in text
    reviewer = client_for(app, "reviewer@example.org")
    # The assigned proposal's public page opens the blind view; any other of the call is not there.
    redirected = reviewer.get(f"/proposals/{world['proposal']}")
    assert redirected.status_code == 302 and redirected.location.endswith(f"/review/{world['assignment']}")
    assert reviewer.get(f"/proposals/{world['other_proposal']}").status_code == 404
    assert reviewer.submit(f"/proposals/{world['other_proposal']}/support").status_code == 404
    assert reviewer.submit(f"/proposals/{world['other_proposal']}/comments",
                           {"body": "看起来不错"}).status_code in (403, 404)
    # Files the group shows in public are not a way round either.
    with app.app_context():
        from venture.proposals.models import Attachment
        public = db.session.scalar(select(Attachment).where(Attachment.proposal_id == world["other_proposal"]))
        public.is_public = True
        db.session.commit()
        public_id = public.id
    assert resident.get(f"/attachments/{public_id}").status_code == 200
    assert reviewer.get(f"/attachments/{public_id}").status_code == 404
    second = client_for(app, "second@example.org")
    assert second.get(f"/proposals/{world['proposal']}").status_code == 404
    # Once review is over the showcase is theirs again, like everyone's.
    set_phase(app, world["call"], Phase.NOTICE)
    assert "邻里菜园计划" in second.get("/showcase").get_data(as_text=True)
    assert second.get(f"/proposals/{world['other_proposal']}").status_code == 200


def test_a_panel_member_of_another_call_sees_this_one_as_everyone_does(app, world):
    with app.app_context():
        from venture.review.models import PanelMember
        db.session.get(PanelMember, world["second_member"]).status = MemberStatus.DECLINED
        db.session.commit()
    second = client_for(app, "second@example.org")
    assert second.get(f"/proposals/{world['other_proposal']}").status_code == 200
    assert "邻里菜园计划" in second.get("/showcase").get_data(as_text=True)


# An expired sign-in --------------------------------------------------------------------------------

def test_an_expired_session_does_not_lose_the_review(app, world):
    from venture.accounts.models import LoginSession

    reviewer = client_for(app, "reviewer@example.org")
    url = f"/review/{world['assignment']}"
    lock = lock_of(reviewer.get(url).get_data(as_text=True))
    with app.app_context():
        db.session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    typed = sheet(world, lock, first="6.5", reasons=("深夜写下的理由，很长很长。", REASON))
    response = reviewer.submit(url, typed)
    assert response.status_code == 302 and "/login" in response.location
    target = unquote(re.search(r"next=([^&]+)", response.location).group(1))
    assert "stash=" in target
    assert the_review(app, world["assignment"]) is None
    again = reviewer.submit("/login", {"email": "reviewer@example.org", "password": "correct horse battery",
                                       "next": target})
    assert again.location == target
    page = reviewer.get(target).get_data(as_text=True)
    assert 'value="6.5"' in page and "深夜写下的理由" in page
    # The stash link is no use in another browser.
    other = client_for(app, "reviewer@example.org")
    assert "深夜写下的理由" not in other.get(target).get_data(as_text=True)
    # Saving it from the restored form works.
    assert reviewer.submit(url, typed | {"lock_version": lock_of(page)}).status_code == 302
    assert the_review(app, world["assignment"]).scores[str(world["criteria"][0])] == "6.5"


def test_a_lost_browser_session_is_stashed_too(app, world):
    reviewer = client_for(app, "reviewer@example.org")
    url = f"/review/{world['assignment']}"
    lock = lock_of(reviewer.get(url).get_data(as_text=True))
    fresh = Client(app, app.response_class, use_cookies=True)
    fresh.set_cookie("venture_browser", reviewer.get_cookie("venture_browser").value)
    response = fresh.post(url, data=sheet(world, lock))
    assert response.status_code == 302 and "/login" in response.location
    attacker = Client(app, app.response_class, use_cookies=True)
    assert attacker.post(url, data=sheet(world, lock)).status_code == 400


def _more_assignments(app, world, how_many):
    for index in range(how_many):
        group = make_group(app, "other-owner@example.org", name=f"计数小组{index}")
        proposal = make_submitted_proposal(app, world["call"], group, title=f"追加项目{index}",
                                           screening=Screening.ELIGIBLE)["proposal_id"]
        assign(app, proposal, world["member"])


def test_the_dashboard_queries_do_not_grow_with_assignments(app, world):
    reviewer = client_for(app, "reviewer@example.org")
    post_sheet(reviewer, world, action="submit")
    _more_assignments(app, world, 1)
    few = count_statements(app, reviewer, "/review/")
    _more_assignments(app, world, 10)
    many = count_statements(app, reviewer, "/review/")
    page = reviewer.get("/review/").get_data(as_text=True)
    assert page.count("追加项目") == 11
    assert_blind(page, world)
    assert many == few
