"""The organizer's review progress page and reminder e-mails."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.builders import make_body, make_call, make_group
from tests.conftest import Client, count_statements, login, make_user, outbox
from tests.review_builders import add_member, assign, make_expert, make_submitted_proposal
from venture.accounts.models import User
from venture.audit.models import AuditEvent
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.groups.models import Group, GroupKind
from venture.panels import progress as service
from venture.proposals.models import Screening
from venture.review.models import Assignment, MemberStatus, PanelMember, Review, ReviewStatus

EN = {"Accept-Language": "en"}
GROUP_NAMES = ["清源河畔助老互助会", "北岸青年志愿队", "东山社工服务中心"]
TITLES = ["清源河畔助老互助会长者助餐", "北岸青年夜间陪护", "东山社工阅读角"]
REVIEWERS = {"r1": "Ada Reviewer", "r2": "Ben Reviewer", "r3": "Cai Invited", "r4": "Dora Undeclared",
             "r5": "Eli Withdrawn"}


def _review(app, assignment_id, status):
    with app.app_context():
        now = utcnow()
        db.session.add(Review(assignment_id=assignment_id, status=status, updated_at=now,
                              submitted_at=now if status is ReviewStatus.SUBMITTED else None))
        db.session.commit()


def _end(app, assignment_id):
    with app.app_context():
        db.session.get(Assignment, assignment_id).ended_at = utcnow()
        db.session.commit()


def _client(app, email):
    client = Client(app, app.response_class, use_cookies=True)
    login(client, email)
    return client


@pytest.fixture
def world(app):
    """A call in review with two reviewers per proposal and three eligible proposals:

    r1: p1 submitted, p2 draft, p3 not started     r2: p1 and p2 submitted
    r3: asked, no answer                           r4: accepted, conflicts not declared
    r5: withdrawn, their p3 assignment ended
    """
    make_user(app, "org@example.org", name="Olga Organizer")
    make_user(app, "other-org@example.org")
    make_user(app, "owner@example.org", name="赵申请人")
    make_user(app, "teammate@example.org", name="钱队员")
    for key, name in REVIEWERS.items():
        make_user(app, f"{key}@example.org", name=name)
    body = make_body(app, "org@example.org")
    make_body(app, "other-org@example.org", name="Other body")
    groups = [make_group(app, "owner@example.org", kind=GroupKind.REGISTERED, name=name,
                         members=("teammate@example.org",)) for name in GROUP_NAMES]
    call = make_call(app, body, Phase.CLOSED, title="2026 助老服务创投", reviewers_per_proposal=2)
    proposals = [make_submitted_proposal(app, call, group, title=title, screening=Screening.ELIGIBLE)["proposal_id"]
                 for group, title in zip(groups, TITLES, strict=True)]
    # Not eligible: never shown, never counted.
    make_submitted_proposal(app, call, make_group(app, "owner@example.org", name="不合格小组"), title="不合格",
                            screening=Screening.INELIGIBLE)
    members = {}
    for key in REVIEWERS:
        expert = make_expert(app, body, f"{key}@example.org")
        status = {"r3": MemberStatus.INVITED, "r5": MemberStatus.WITHDRAWN}.get(key, MemberStatus.ACCEPTED)
        members[key] = add_member(app, call, expert, status=status, declared=key not in ("r3", "r4"))
    p1, p2, p3 = proposals
    _review(app, assign(app, p1, members["r1"]), ReviewStatus.SUBMITTED)
    _review(app, assign(app, p2, members["r1"]), ReviewStatus.DRAFT)
    assign(app, p3, members["r1"])
    _review(app, assign(app, p1, members["r2"]), ReviewStatus.SUBMITTED)
    _review(app, assign(app, p2, members["r2"]), ReviewStatus.SUBMITTED)
    _end(app, assign(app, p3, members["r5"]))
    with app.app_context():
        found = db.session.get(Call, call)
        found.phase = Phase.REVIEW
        found.review_due_at = utcnow() + timedelta(days=3)
        db.session.commit()
    _set_locale(app, "en")
    return {"call": call, "body": body, "groups": groups, "proposals": proposals, "members": members}


def _progress(app, call_id, **kwargs):
    with app.test_request_context():
        return service.call_progress(db.session, db.session.get(Call, call_id), **kwargs)


def test_counts_per_member_and_per_proposal(app, world):
    progress = _progress(app, world["call"])
    members = {m.name: m for m in progress.members}
    assert set(members) == {"Ada Reviewer", "Ben Reviewer", "Dora Undeclared", "Eli Withdrawn"}
    ada = members["Ada Reviewer"]
    assert (ada.assigned, ada.not_started, ada.drafts, ada.submitted, ada.outstanding) == (3, 1, 1, 1, 2)
    assert ada.last_activity is not None and ada.last_reminded is None
    ben = members["Ben Reviewer"]
    assert (ben.assigned, ben.not_started, ben.drafts, ben.submitted) == (2, 0, 0, 2)
    eli = members["Eli Withdrawn"]
    assert (eli.assigned, eli.ever_assigned, eli.status) == (0, 1, MemberStatus.WITHDRAWN)
    assert members["Dora Undeclared"].assigned == 0

    rows = [(p.title, p.submitted, p.required, p.assigned, p.short) for p in progress.proposals]
    assert rows == [(TITLES[0], 2, 2, 2, False), (TITLES[1], 1, 2, 2, False), (TITLES[2], 0, 2, 1, True)]
    assert all(p.number.startswith("2026-") for p in progress.proposals)
    assert (progress.submitted, progress.required, progress.percent) == (3, 6, 50)
    assert progress.short_proposals == 1
    assert timedelta(days=2) < progress.time_left <= timedelta(days=3) and not progress.overdue
    assert {m.name for m in progress.pending} == {"Cai Invited", "Dora Undeclared"}
    assert progress.remindable == {world["members"][k] for k in ("r1", "r3", "r4")}


def test_the_page_shows_the_numbers(app, world):
    client = _client(app, "org@example.org")
    response = client.get(f"/calls/{world['call']}/progress", headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "3 of 6 reviews submitted (50%)" in page
    assert "<caption>Progress per reviewer" in page and "<caption>Progress per eligible proposal" in page
    assert '<th scope="row">Ada Reviewer</th>' in page
    assert page.count("<progress ") == 1 + 4 - 2 + 3  # overall, members with assignments, proposals
    assert 'aria-label="1 of 3 submitted"' in page
    assert "fewer than 2: assign more reviewers" in page
    assert "No answer to the invitation yet" in page and "Conflicts of interest not declared" in page
    assert "不合格" not in page
    # Ada and Dora in the reviewers' table, Cai and Dora again among those still to answer; Ben is done.
    assert page.count('name="member_id"') == 2 + 2
    assert "Remind everyone with unfinished reviews" in page


@pytest.mark.parametrize("email", ["r1@example.org", "owner@example.org", "other-org@example.org"])
def test_the_page_refuses_reviewers_applicants_and_other_bodies(app, world, email):
    client = _client(app, email)
    assert client.get(f"/calls/{world['call']}/progress").status_code == 403
    assert client.submit(f"/calls/{world['call']}/progress/remind").status_code == 403
    assert outbox(app) == []


def test_anonymous_is_sent_to_log_in(app, world):
    response = app.test_client().get(f"/calls/{world['call']}/progress")
    assert response.status_code == 302 and "/login" in response.location


def _reminders(app):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.reminded")
                                  .order_by(AuditEvent.seq)).all()


def test_reminders_go_only_to_members_who_owe_something(app, world):
    client = _client(app, "org@example.org")
    response = client.submit(f"/calls/{world['call']}/progress/remind", headers=EN, follow_redirects=True)
    assert response.status_code == 200
    assert "3 reminders sent." in response.get_data(as_text=True)
    mails = {mail.recipient: mail for mail in outbox(app)}
    assert set(mails) == {"r1@example.org", "r3@example.org", "r4@example.org"}
    assert mails["r1@example.org"].subject == "Reminder: 2 reviews for “2026 助老服务创投” are not submitted yet"
    assert "2 of your reviews for the call “2026 助老服务创投” are not submitted yet." in mails["r1@example.org"].body_text
    assert "http://localhost/review/" in mails["r1@example.org"].body_text
    assert "Reviews are due by" in mails["r1@example.org"].body_text
    assert "answer the invitation" in mails["r3@example.org"].subject
    assert "declare your conflicts" in mails["r4@example.org"].subject
    rows = _reminders(app)
    members = world["members"]
    assert {(row.object_type, row.object_id) for row in rows} == {
        ("panel_members", members[k]) for k in ("r1", "r3", "r4")}
    by_member = {row.object_id: row.data for row in rows}
    assert by_member[members["r1"]] == {"outstanding": 2, "invitation": False, "conflicts": False}
    assert by_member[members["r3"]] == {"outstanding": 0, "invitation": True, "conflicts": False}
    assert by_member[members["r4"]] == {"outstanding": 0, "invitation": False, "conflicts": True}
    assert all(row.actor_id is not None for row in rows)


def test_a_member_reminded_within_12_hours_is_skipped(app, world):
    client = _client(app, "org@example.org")
    url = f"/calls/{world['call']}/progress/remind"
    client.submit(url, {"member_id": str(world["members"]["r1"])})
    assert [m.recipient for m in outbox(app)] == ["r1@example.org"]
    page = client.submit(url, headers=EN, follow_redirects=True).get_data(as_text=True)
    assert "2 reminders sent." in page
    assert "1 member was skipped: they were reminded less than 12 hours ago." in page
    assert sorted(m.recipient for m in outbox(app)) == ["r1@example.org", "r3@example.org", "r4@example.org"]
    page = client.submit(url, {"member_id": str(world["members"]["r1"])}, headers=EN,
                         follow_redirects=True).get_data(as_text=True)
    assert "0 reminders sent." in page and "1 member was skipped" in page
    assert len(outbox(app)) == 3 and len(_reminders(app)) == 3
    assert "Reminded less than 12 hours ago." in client.get(f"/calls/{world['call']}/progress", headers=EN).get_data(
        as_text=True)
    # Thirteen hours later, the same members may be reminded again.
    with app.test_request_context():
        call = db.session.get(Call, world["call"])
        assert service.remind(db.session, None, call, now=utcnow() + timedelta(hours=13)) == 3
        assert service.remind(db.session, None, call, now=utcnow() + timedelta(hours=1)).skipped == 3
        db.session.commit()


def test_reminding_one_member(app, world):
    client = _client(app, "org@example.org")
    url = f"/calls/{world['call']}/progress/remind"
    members = world["members"]
    page = client.submit(url, {"member_id": str(members["r2"])}, headers=EN,
                         follow_redirects=True).get_data(as_text=True)
    assert "This member has nothing to be reminded of." in page
    assert client.submit(url, {"member_id": "not-a-number"}).status_code == 404
    assert client.submit(url, {"member_id": "999999"}).status_code == 404
    # A member of another call of the same body is not found through this call.
    other_call = make_call(app, world["body"], Phase.REVIEW, title="Another call")
    with app.app_context():
        expert = db.session.scalar(select(PanelMember.expert_id).where(PanelMember.id == members["r1"]))
    stranger = add_member(app, other_call, expert)
    assert client.submit(url, {"member_id": str(stranger)}).status_code == 404
    assert outbox(app) == [] and _reminders(app) == []
    client.submit(url, {"member_id": str(members["r4"])})
    assert [m.recipient for m in outbox(app)] == ["r4@example.org"]


def test_reminders_are_refused_once_the_review_is_over(app, world):
    with app.app_context():
        db.session.get(Call, world["call"]).phase = Phase.NOTICE
        db.session.commit()
    client = _client(app, "org@example.org")
    page = client.submit(f"/calls/{world['call']}/progress/remind", headers=EN,
                         follow_redirects=True).get_data(as_text=True)
    assert "Reminders can only be sent while" in page
    assert outbox(app) == []


def _set_locale(app, locale):
    with app.app_context():
        for user in db.session.scalars(select(User).where(User.email.like("r_@example.org"))):
            user.locale = locale
        db.session.commit()


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_reminder_mail_carries_nothing_that_identifies_the_applicants(app, world, locale):
    _set_locale(app, locale)
    secrets = ["owner@example.org", "赵申请人", "teammate@example.org", "钱队员", *TITLES]
    with app.app_context():
        for group in db.session.scalars(select(Group).where(Group.id.in_(world["groups"]))):
            secrets += [group.name, group.contact_name, group.contact_phone, group.contact_email, group.credit_code]
    assert all(secrets)
    client = _client(app, "org@example.org")
    client.submit(f"/calls/{world['call']}/progress/remind")
    mails = outbox(app)
    assert len(mails) == 3
    for mail in mails:
        text = mail.subject + "\n" + mail.body_text
        for secret in secrets:
            assert secret not in text, (secret, text)
    first = next(m for m in mails if m.recipient == "r1@example.org")
    progress = _progress(app, world["call"])
    # The outstanding proposals (p2 draft, p3 not started) appear by receipt number only.
    assert progress.proposals[1].number in first.body_text and progress.proposals[2].number in first.body_text
    assert progress.proposals[0].number not in first.body_text
    assert "/review/" in first.body_text


def _proposals_under_review(app, world, call_id, members, how_many):
    for index in range(how_many):
        group = make_group(app, "owner@example.org", name=f"计数小组 {call_id}-{index}")
        proposal = make_submitted_proposal(app, call_id, group, title=f"追加 {index}",
                                           screening=Screening.ELIGIBLE)["proposal_id"]
        _review(app, assign(app, proposal, members[0]), ReviewStatus.DRAFT)
        _review(app, assign(app, proposal, members[1]), ReviewStatus.SUBMITTED)


def test_query_count_does_not_grow_with_proposals(app, world):
    call_id = make_call(app, world["body"], Phase.CLOSED, title="Counted call", reviewers_per_proposal=2)
    with app.app_context():
        experts = db.session.scalars(select(PanelMember.expert_id).where(
            PanelMember.id.in_([world["members"]["r1"], world["members"]["r2"]])).order_by(PanelMember.id)).all()
    members = [add_member(app, call_id, expert) for expert in experts]
    add_member(app, call_id, make_expert(app, world["body"], "r3@example.org"), status=MemberStatus.INVITED,
               declared=False)
    with app.app_context():
        db.session.get(Call, call_id).phase = Phase.REVIEW
        db.session.commit()
    client = _client(app, "org@example.org")
    path = f"/calls/{call_id}/progress"
    _proposals_under_review(app, world, call_id, members, 2)
    client.submit(f"{path}/remind")  # reminders on record, shown on the page
    client.get(path)  # warm up
    two = count_statements(app, client, path)
    _proposals_under_review(app, world, call_id, members, 10)
    twelve = count_statements(app, client, path)
    assert len(_progress(app, call_id).proposals) == 12
    assert two == twelve
