"""Comments through requests: posting, replies, the edit window, deletion,
reports, moderation with its audit trail, pre-moderation, sensitive words,
closing a thread, rate limits, the applicant team's anonymity while review
is blind, and the visible-comment count."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import render_template_string
from sqlalchemy import func, select, update

from tests.builders import make_body, make_call, make_group
from tests.conftest import Client, login, make_user
from venture.accounts.models import User
from venture.audit.models import AuditEvent
from venture.calls.models import Call, Phase
from venture.comments.models import Comment, CommentReport, CommentStatus, SensitiveWord
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.proposals.models import Proposal, ProposalStatus, ProposalVersion

EN = {"Accept-Language": "en"}
MEMBER_NAMES = ("Owner Ouyang", "Member Mingzhu")
MEMBER_EMAILS = ("owner@example.org", "member@example.org")


# Building a world ----------------------------------------------------------------------------------

def public_proposal(app, call_id: int, group_id: int, serial: int = 1, title: str = "邻里菜园") -> int:
    """A submitted proposal with one frozen version: public while the call shows proposals."""
    from venture.proposals.services import fingerprint, snapshot

    with app.app_context():
        now = utcnow()
        proposal = Proposal(call_id=call_id, group_id=group_id, status=ProposalStatus.SUBMITTED,
                            number=f"2026-ML-{serial:04d}", title=title, summary="把空地变成菜园",
                            sections={"problem": "空地荒废", "activities": "种菜", "beneficiaries": "老人"},
                            budget=[{"item": "种子", "unit_cost_fen": 300_000, "quantity": "1"}],
                            requested_fen=300_000, beneficiaries=20, district="天河区", theme="长者关爱",
                            version_count=1, submitted_at=now)
        db.session.add(proposal)
        db.session.flush()
        content = snapshot(proposal)
        db.session.add(ProposalVersion(proposal=proposal, version_no=1, number=proposal.number, submitted_at=now,
                                       content=content, fingerprint=fingerprint(content)))
        db.session.commit()
        return proposal.id


@pytest.fixture
def showcase_page(app):
    return ensure_showcase_page(app)


def ensure_showcase_page(app):
    """The public proposal page renders the thread; should it not be
    registered yet, stand in with a minimal page (in the test only)."""
    if "showcase.proposal" not in app.view_functions:
        from venture.comments.views import thread_context

        def stub(proposal_id):
            proposal = db.session.get(Proposal, int(proposal_id))
            return render_template_string('{% extends "base.html" %}{% block content %}'
                                          '{% include "comments/_thread.html" %}{% endblock %}',
                                          **thread_context(proposal))

        app.add_url_rule("/proposals/<proposal_id>", "showcase.proposal", stub)
    return app


@pytest.fixture
def world(app, showcase_page):
    make_user(app, "owner@example.org", name=MEMBER_NAMES[0])
    make_user(app, "member@example.org", name=MEMBER_NAMES[1])
    make_user(app, "resident@example.org", name="Resident Ruth")
    make_user(app, "neighbour@example.org", name="Neighbour Ned")
    make_user(app, "organizer@example.org", name="Organizer Olga")
    make_user(app, "other-org@example.org", name="Other Organizer")
    make_user(app, "unverified@example.org", name="Unverified Una", verified=False)
    with app.app_context():  # established accounts: the normal posting limit applies
        db.session.execute(update(User).values(created_at=utcnow() - timedelta(days=3)))
        db.session.commit()
    body = make_body(app, "organizer@example.org")
    other_body = make_body(app, "other-org@example.org", name="Other body")
    call = make_call(app, body, Phase.OPEN)
    group = make_group(app, "owner@example.org", members=("member@example.org",))
    other_group = make_group(app, "neighbour@example.org", name="Other team")
    return {"body": body, "other_body": other_body, "call": call, "group": group,
            "proposal": public_proposal(app, call, group),
            "other_proposal": public_proposal(app, call, other_group, serial=2, title="长者食堂")}


def client_for(app, email=None):
    client = Client(app, app.response_class, use_cookies=True)
    if email:
        login(client, email)
    return client


def post(client, proposal_id, text, parent=None, **extra):
    data = {"body": text, **extra}
    if parent is not None:
        data["parent_id"] = str(parent)
    return client.submit(f"/proposals/{proposal_id}/comments", data, headers=EN)


def posted_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    found = re.search(r"#comment-(\d+)$", response.location)
    assert found, response.location
    return int(found.group(1))


def page(client, proposal_id) -> str:
    response = client.get(f"/proposals/{proposal_id}", headers=EN)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def thread_html(html: str) -> str:
    start = html.index('<section id="comments"')
    return html[start:html.index("</section>", html.rindex('id="comments-title"'))]


def the_comment(app, comment_id) -> Comment:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        db.session.expunge_all()
        return comment


def comment_count(app, proposal_id) -> tuple[int, int]:
    """(the stored count, the real number of visible comments)."""
    with app.app_context():
        stored = db.session.get(Proposal, proposal_id).comment_count
        real = db.session.scalar(select(func.count(Comment.id)).where(
            Comment.proposal_id == proposal_id, Comment.status == CommentStatus.VISIBLE))
        return stored, real


def audit_actions(app, object_type="comments") -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == object_type)
                                       .order_by(AuditEvent.seq)))


def set_call(app, call_id, **values):
    with app.app_context():
        db.session.execute(update(Call).where(Call.id == call_id).values(**values))
        db.session.commit()


# Posting and reading ----------------------------------------------------------------------------------

def test_a_resident_posts_a_comment_everyone_can_read(app, world, monkeypatch):
    from venture.search import services as search

    queued = []
    original = search.enqueue
    monkeypatch.setattr(search, "enqueue", lambda session, kind, ident: (queued.append((kind, ident)),
                                                                          original(session, kind, ident)))
    resident = client_for(app, "resident@example.org")
    response = post(resident, world["proposal"], "Good idea. **Who** waters the garden in August?")
    comment_id = posted_id(response)
    assert response.location.startswith(f"/proposals/{world['proposal']}#comment-")
    html = page(client_for(app), world["proposal"])
    assert f'id="comment-{comment_id}"' in html
    assert "<strong>Who</strong> waters the garden" in html, "Markdown rendered once, when written"
    assert "Resident Ruth" in html
    comment = the_comment(app, comment_id)
    assert comment.status is CommentStatus.VISIBLE and not comment.by_applicant_team
    assert comment.body_html == "<p>Good idea. <strong>Who</strong> waters the garden in August?</p>"
    assert comment_count(app, world["proposal"]) == (1, 1)
    assert audit_actions(app) == ["comment.posted"]
    assert queued == [("comment", comment_id)], "the search index hears of it"


def test_a_comment_keeps_the_groups_edit_lock_untouched(app, world):
    with app.app_context():
        before = db.session.get(Proposal, world["proposal"]).lock_version
    posted_id(post(client_for(app, "resident@example.org"), world["proposal"], "Nice"))
    with app.app_context():
        assert db.session.get(Proposal, world["proposal"]).lock_version == before, \
            "commenting must not make the group's editor report a conflict"


def test_the_author_is_the_signed_in_user_whatever_the_form_says(app, world):
    with app.app_context():
        ruth = db.session.scalar(select(User.id).where(User.email == "resident@example.org"))
        ned = db.session.scalar(select(User.id).where(User.email == "neighbour@example.org"))
    comment_id = posted_id(post(client_for(app, "neighbour@example.org"), world["proposal"], "Forged?",
                                author_id=str(ruth), by_applicant_team="y", status="hidden"))
    comment = the_comment(app, comment_id)
    assert comment.author_id == ned and not comment.by_applicant_team
    assert comment.status is CommentStatus.VISIBLE


def test_an_empty_or_overlong_comment_is_refused_and_the_text_kept(app, world):
    resident = client_for(app, "resident@example.org")
    empty = post(resident, world["proposal"], "   ")
    assert empty.status_code == 422 and "Write your comment first." in empty.get_data(as_text=True)
    long_text = "长" * 5001
    too_long = post(resident, world["proposal"], long_text)
    assert too_long.status_code == 422
    assert long_text in too_long.get_data(as_text=True), "what they wrote is still in the form"
    assert posted_id(post(resident, world["proposal"], "长" * 5000))
    assert comment_count(app, world["proposal"]) == (1, 1)


def test_replies_go_one_level_deep(app, world):
    resident = client_for(app, "resident@example.org")
    neighbour = client_for(app, "neighbour@example.org")
    top = posted_id(post(resident, world["proposal"], "How many seeds?"))
    reply = posted_id(post(neighbour, world["proposal"], "About a hundred packets.", parent=top))
    assert the_comment(app, reply).parent_id == top
    deeper = post(resident, world["proposal"], "Reply to the reply", parent=reply)
    assert deeper.status_code == 422
    assert "not to another reply" in deeper.get_data(as_text=True)
    elsewhere = posted_id(post(resident, world["other_proposal"], "Elsewhere"))
    assert post(neighbour, world["proposal"], "Cross-thread", parent=elsewhere).status_code == 404
    assert post(neighbour, world["proposal"], "Nowhere", parent=999_999).status_code == 404
    html = thread_html(page(client_for(app), world["proposal"]))
    assert html.index("How many seeds?") < html.index("About a hundred packets.")
    assert f'<input type="hidden" name="parent_id" value="{top}">' not in html, "anonymous visitors get no form"
    html = thread_html(page(resident, world["proposal"]))
    assert f'<input type="hidden" name="parent_id" value="{top}">' in html
    assert f'<input type="hidden" name="parent_id" value="{reply}">' not in html, "no reply button on replies"
    assert comment_count(app, world["proposal"]) == (2, 2)


def test_top_level_comments_are_oldest_first(app, world):
    resident = client_for(app, "resident@example.org")
    first = posted_id(post(resident, world["proposal"], "First comment"))
    second = posted_id(post(resident, world["proposal"], "Second comment"))
    html = page(client_for(app), world["proposal"])
    assert html.index(f'id="comment-{first}"') < html.index(f'id="comment-{second}"')


def test_anonymous_and_unverified_visitors_cannot_post(app, world):
    anonymous = client_for(app)
    response = post(anonymous, world["proposal"], "Hello")
    assert response.status_code == 302 and "/login" in response.location
    html = page(anonymous, world["proposal"])
    assert "Log in to comment." in html and 'name="body"' not in html
    unverified = client_for(app, "unverified@example.org")
    assert post(unverified, world["proposal"], "Hello").status_code == 403
    assert "Confirm your e-mail address to comment" in page(unverified, world["proposal"])
    assert comment_count(app, world["proposal"]) == (0, 0)


def test_a_proposal_that_is_not_public_cannot_be_commented(app, world):
    with app.app_context():
        db.session.execute(update(Proposal).where(Proposal.id == world["proposal"])
                           .values(status=ProposalStatus.WITHDRAWN))
        db.session.commit()
    assert post(client_for(app, "resident@example.org"), world["proposal"], "Hi").status_code == 404


# The edit window and deletion -------------------------------------------------------------------------------

def test_the_author_edits_within_fifteen_minutes(app, world):
    resident = client_for(app, "resident@example.org")
    comment_id = posted_id(post(resident, world["proposal"], "Teh garden"))
    form = resident.get(f"/comments/{comment_id}/edit", headers=EN)
    assert form.status_code == 200 and "Teh garden" in form.get_data(as_text=True)
    assert client_for(app, "neighbour@example.org").get(f"/comments/{comment_id}/edit").status_code == 403
    saved = resident.submit(f"/comments/{comment_id}/edit", {"body": "The garden"}, headers=EN)
    assert saved.status_code == 302 and saved.location.endswith(f"#comment-{comment_id}")
    comment = the_comment(app, comment_id)
    assert comment.body_markdown == "The garden" and comment.edited_at is not None
    html = thread_html(page(client_for(app), world["proposal"]))
    assert "The garden" in html and "Teh garden" not in html and "edited" in html
    assert "comment.edited" in audit_actions(app)
    # Sixteen minutes later the window has closed.
    with app.app_context():
        db.session.execute(update(Comment).where(Comment.id == comment_id)
                           .values(created_at=utcnow() - timedelta(minutes=16)))
        db.session.commit()
    assert resident.get(f"/comments/{comment_id}/edit").status_code == 403
    assert resident.submit(f"/comments/{comment_id}/edit", {"body": "Too late"}).status_code == 403
    assert the_comment(app, comment_id).body_markdown == "The garden"
    assert f"/comments/{comment_id}/edit" not in page(resident, world["proposal"])


def test_a_deleted_comment_leaves_a_placeholder_only_when_it_has_replies(app, world):
    resident = client_for(app, "resident@example.org")
    neighbour = client_for(app, "neighbour@example.org")
    lonely = posted_id(post(resident, world["proposal"], "Lonely remark"))
    answered = posted_id(post(resident, world["proposal"], "Answered remark"))
    posted_id(post(neighbour, world["proposal"], "An answer", parent=answered))
    assert neighbour.submit(f"/comments/{answered}/delete").status_code == 403, "only the author deletes"
    assert resident.submit(f"/comments/{lonely}/delete").status_code == 302
    response = resident.submit(f"/comments/{answered}/delete")
    assert response.status_code == 302 and response.location.endswith(f"#comment-{answered}")
    html = thread_html(page(client_for(app), world["proposal"]))
    assert "Lonely remark" not in html and f'id="comment-{lonely}"' not in html
    assert "Answered remark" not in html and "Deleted by its author" in html
    assert f'id="comment-{answered}"' in html and "An answer" in html
    assert "Resident Ruth" not in html, "a deleted comment does not show who wrote it"
    assert the_comment(app, answered).status is CommentStatus.DELETED
    assert comment_count(app, world["proposal"]) == (1, 1)
    assert resident.submit(f"/comments/{answered}/delete").status_code == 403, "already deleted"
    assert audit_actions(app).count("comment.deleted") == 2


# Reports --------------------------------------------------------------------------------------------------

def test_a_comment_is_reported_once_per_person(app, world):
    resident = client_for(app, "resident@example.org")
    neighbour = client_for(app, "neighbour@example.org")
    comment_id = posted_id(post(resident, world["proposal"], "Rude words"))
    missing = neighbour.submit(f"/comments/{comment_id}/report", {"reason": ""}, headers=EN)
    assert missing.status_code == 422 and "This field is required." in missing.get_data(as_text=True)
    first = neighbour.submit(f"/comments/{comment_id}/report", {"reason": "Insulting"}, headers=EN)
    assert first.status_code == 302
    again = neighbour.submit(f"/comments/{comment_id}/report", {"reason": "Still insulting"}, headers=EN)
    assert again.status_code == 302
    assert "already reported" in neighbour.get(again.location, headers=EN).get_data(as_text=True)
    assert resident.submit(f"/comments/{comment_id}/report", {"reason": "Me"}).status_code == 403, "not one's own"
    assert client_for(app).submit(f"/comments/{comment_id}/report", {"reason": "x"}).status_code == 302
    organizer = client_for(app, "organizer@example.org")
    assert organizer.submit(f"/comments/{comment_id}/report", {"reason": "Also"}).status_code == 302
    with app.app_context():
        assert db.session.get(Comment, comment_id).report_count == 2
        assert db.session.scalar(select(func.count(CommentReport.id))) == 2
    assert audit_actions(app).count("comment.reported") == 2
    queue = organizer.get(f"/bodies/{world['body']}/moderation", headers=EN).get_data(as_text=True)
    assert "Insulting" in queue and "Rude words" in queue


# Moderation ------------------------------------------------------------------------------------------------

def test_organizers_hide_and_restore_with_an_audit_trail(app, world):
    resident = client_for(app, "resident@example.org")
    organizer = client_for(app, "organizer@example.org")
    comment_id = posted_id(post(resident, world["proposal"], "Call 13800000000 for cheap loans"))
    client_for(app, "neighbour@example.org").submit(f"/comments/{comment_id}/report", {"reason": "Spam"})
    refused = organizer.submit(f"/comments/{comment_id}/hide", {"reason": ""}, headers=EN)
    assert refused.status_code == 422, "a reason is required"
    hidden = organizer.submit(f"/comments/{comment_id}/hide", {"reason": "Advertising"}, headers=EN)
    assert hidden.status_code == 302
    comment = the_comment(app, comment_id)
    assert comment.status is CommentStatus.HIDDEN and comment.moderation_reason == "Advertising"
    assert comment.moderated_by_id is not None and comment.moderated_at is not None
    assert comment_count(app, world["proposal"]) == (0, 0)
    with app.app_context():
        assert db.session.scalar(select(CommentReport.resolved_at)) is not None, "the report is settled"

    public = thread_html(page(client_for(app), world["proposal"]))
    assert "Hidden by the moderator" in public and "cheap loans" not in public and "Advertising" not in public
    author_view = thread_html(page(resident, world["proposal"]))
    assert "Advertising" in author_view and "cheap loans" not in author_view
    moderator_view = thread_html(page(organizer, world["proposal"]))
    assert "cheap loans" in moderator_view and "Advertising" in moderator_view
    assert f"/comments/{comment_id}/restore" in moderator_view

    restored = organizer.submit(f"/comments/{comment_id}/restore", headers=EN)
    assert restored.status_code == 302
    assert the_comment(app, comment_id).status is CommentStatus.VISIBLE
    assert comment_count(app, world["proposal"]) == (1, 1)
    assert "cheap loans" in thread_html(page(client_for(app), world["proposal"]))
    assert audit_actions(app) == ["comment.posted", "comment.reported", "comment.hidden", "comment.restored"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "comment.hidden"))
        assert event.data["reason"] == "Advertising" and event.data["from"] == "visible"
        assert event.object_id == comment_id
        from venture.audit.services import verify
        assert verify(db.session).ok


def test_the_moderation_queue_dismisses_reports_and_returns_to_itself(app, world):
    organizer = client_for(app, "organizer@example.org")
    comment_id = posted_id(post(client_for(app, "resident@example.org"), world["proposal"], "Fine remark"))
    client_for(app, "neighbour@example.org").submit(f"/comments/{comment_id}/report", {"reason": "Dislike"})
    queue_url = f"/bodies/{world['body']}/moderation"
    assert queue_url in organizer.get(f"/bodies/{world['body']}").get_data(as_text=True), "linked from the body"
    assert queue_url not in client_for(app, "resident@example.org").get(f"/bodies/{world['body']}").get_data(
        as_text=True)
    response = organizer.submit(f"/comments/{comment_id}/dismiss-reports", {"next": queue_url}, headers=EN)
    assert response.status_code == 302 and response.location == queue_url
    queue = organizer.get(queue_url, headers=EN).get_data(as_text=True)
    assert "Dislike" not in queue and "No open reports." in queue
    assert the_comment(app, comment_id).status is CommentStatus.VISIBLE
    assert "comment.reports_dismissed" in audit_actions(app)
    offsite = organizer.submit(f"/comments/{comment_id}/restore", {"next": "https://evil.example/"})
    assert offsite.status_code == 302 and "evil.example" not in offsite.location


def test_another_bodys_organizer_cannot_moderate(app, world):
    comment_id = posted_id(post(client_for(app, "resident@example.org"), world["proposal"], "A remark"))
    outsider = client_for(app, "other-org@example.org")
    assert outsider.submit(f"/comments/{comment_id}/hide", {"reason": "Mine now"}).status_code == 403
    assert outsider.submit(f"/comments/{comment_id}/restore").status_code == 403
    assert outsider.submit(f"/comments/{comment_id}/approve").status_code == 403
    assert outsider.submit(f"/comments/{comment_id}/dismiss-reports").status_code == 403
    assert outsider.submit(f"/proposals/{world['proposal']}/comments/lock").status_code == 403
    assert outsider.get(f"/bodies/{world['body']}/moderation").status_code == 403
    assert outsider.submit(f"/bodies/{world['body']}/moderation/words", {"word": "x"}).status_code == 403
    assert outsider.get(f"/bodies/{world['other_body']}/moderation").status_code == 200, "their own queue"
    assert "/hide" not in thread_html(page(outsider, world["proposal"]))
    resident = client_for(app, "resident@example.org")
    assert resident.submit(f"/comments/{comment_id}/hide", {"reason": "x"}).status_code == 403
    assert the_comment(app, comment_id).status is CommentStatus.VISIBLE
    # The service refuses too, whoever calls it.
    from venture.comments import services
    from venture.core.errors import NotAllowed
    with app.test_request_context():
        actor = db.session.scalar(select(User).where(User.email == "other-org@example.org"))
        with pytest.raises(NotAllowed):
            services.hide_comment(db.session, actor, db.session.get(Comment, comment_id), "reason")


def test_pre_moderation_holds_comments_until_approved(app, world):
    set_call(app, world["call"], comment_moderation="pre")
    resident = client_for(app, "resident@example.org")
    organizer = client_for(app, "organizer@example.org")
    response = post(resident, world["proposal"], "Held remark")
    comment_id = posted_id(response)
    assert "once a moderator has approved it" in resident.get(response.location, headers=EN).get_data(as_text=True)
    comment = the_comment(app, comment_id)
    assert comment.status is CommentStatus.PENDING and comment.held_reason == "pre"
    assert comment_count(app, world["proposal"]) == (0, 0)
    assert "Held remark" not in page(client_for(app), world["proposal"])
    assert "Held remark" not in page(client_for(app, "neighbour@example.org"), world["proposal"])
    mine = thread_html(page(resident, world["proposal"]))
    assert "Held remark" in mine and "Awaiting moderation" in mine
    moderator_view = thread_html(page(organizer, world["proposal"]))
    assert "Held remark" in moderator_view and f"/comments/{comment_id}/approve" in moderator_view
    queue = organizer.get(f"/bodies/{world['body']}/moderation", headers=EN).get_data(as_text=True)
    assert "Held remark" in queue and "checked by a moderator before they appear" in queue
    # Nobody may reply to a comment the public cannot see.
    assert post(client_for(app, "neighbour@example.org"), world["proposal"], "Re", parent=comment_id).status_code == 422
    assert organizer.submit(f"/comments/{comment_id}/approve").status_code == 302
    assert the_comment(app, comment_id).status is CommentStatus.VISIBLE
    assert comment_count(app, world["proposal"]) == (1, 1)
    assert "Held remark" in page(client_for(app), world["proposal"])
    assert audit_actions(app) == ["comment.posted", "comment.approved"]


def test_an_organizer_can_turn_down_a_held_comment(app, world):
    set_call(app, world["call"], comment_moderation="pre")
    comment_id = posted_id(post(client_for(app, "resident@example.org"), world["proposal"], "Off topic"))
    organizer = client_for(app, "organizer@example.org")
    assert organizer.submit(f"/comments/{comment_id}/hide", {"reason": "Off topic"}).status_code == 302
    assert the_comment(app, comment_id).status is CommentStatus.HIDDEN
    assert comment_count(app, world["proposal"]) == (0, 0)


def test_sensitive_words_hold_a_comment(app, world):
    organizer = client_for(app, "organizer@example.org")
    queue_url = f"/bodies/{world['body']}/moderation"
    assert organizer.submit(f"{queue_url}/words", {"word": "Lottery"}, headers=EN).status_code == 302
    duplicate = organizer.submit(f"{queue_url}/words", {"word": "LOTTERY"}, headers=EN)
    assert duplicate.status_code == 422 and "already on the list" in duplicate.get_data(as_text=True)
    resident = client_for(app, "resident@example.org")
    held = posted_id(post(resident, world["proposal"], "Win the lOtTeRy today"))
    comment = the_comment(app, held)
    assert comment.status is CommentStatus.PENDING and comment.held_reason == "words:Lottery"
    assert "Win the" not in page(client_for(app), world["proposal"])
    queue = organizer.get(queue_url, headers=EN).get_data(as_text=True)
    assert "Win the" in queue and "Contains a sensitive word: Lottery" in queue
    # A comment without the word is published at once.
    fine = posted_id(post(resident, world["proposal"], "A fine remark"))
    assert the_comment(app, fine).status is CommentStatus.VISIBLE
    # Editing a word in sends a visible comment back to the queue; editing it out publishes.
    resident.submit(f"/comments/{fine}/edit", {"body": "A fine lottery remark"})
    assert the_comment(app, fine).status is CommentStatus.PENDING
    resident.submit(f"/comments/{held}/edit", {"body": "Win the garden today"})
    assert the_comment(app, held).status is CommentStatus.VISIBLE
    assert comment_count(app, world["proposal"]) == (1, 1)
    with app.app_context():
        word_id = db.session.scalar(select(SensitiveWord.id))
    assert organizer.submit(f"{queue_url}/words/remove", {"word_id": str(word_id)}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(SensitiveWord.id)) is None
    assert audit_actions(app, "organizing_bodies") == ["comment.word_added", "comment.word_removed"]


def test_organizers_close_and_reopen_a_thread(app, world):
    with app.app_context():
        lock_before = db.session.get(Proposal, world["proposal"]).lock_version
    resident = client_for(app, "resident@example.org")
    organizer = client_for(app, "organizer@example.org")
    comment_id = posted_id(post(resident, world["proposal"], "Before closing"))
    assert "Close comments on this proposal" in page(organizer, world["proposal"])
    assert "Close comments on this proposal" not in page(resident, world["proposal"])
    assert organizer.submit(f"/proposals/{world['proposal']}/comments/lock").status_code == 302
    html = thread_html(page(resident, world["proposal"]))
    assert "Comments on this proposal are closed." in html and "Before closing" in html
    assert 'name="body"' not in html
    assert post(resident, world["proposal"], "After closing").status_code == 403
    assert post(resident, world["proposal"], "A reply", parent=comment_id).status_code == 403
    assert resident.get(f"/comments/{comment_id}/edit").status_code == 403
    assert "Open comments again" in page(organizer, world["proposal"])
    assert organizer.submit(f"/proposals/{world['proposal']}/comments/unlock").status_code == 302
    assert posted_id(post(resident, world["proposal"], "After reopening"))
    with app.app_context():
        assert db.session.get(Proposal, world["proposal"]).lock_version == lock_before
    assert audit_actions(app, "proposals")[-2:] == ["comment.locked", "comment.unlocked"]


# Rate limits -------------------------------------------------------------------------------------------------

def test_posting_too_often_is_refused_with_retry_after(app, world):
    resident = client_for(app, "resident@example.org")
    for n in range(10):
        posted_id(post(resident, world["proposal"], f"Comment number {n}"))
    refused = post(resident, world["proposal"], "One too many")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    html = refused.get_data(as_text=True)
    assert "posted several comments in a short time" in html and "One too many" in html
    assert comment_count(app, world["proposal"]) == (10, 10)
    # Someone else may still post.
    assert posted_id(post(client_for(app, "neighbour@example.org"), world["proposal"], "Me too"))


def test_new_accounts_get_a_stricter_limit(app, world):
    make_user(app, "newcomer@example.org", name="New Nina")
    newcomer = client_for(app, "newcomer@example.org")
    for n in range(3):
        posted_id(post(newcomer, world["proposal"], f"New comment {n}"))
    assert post(newcomer, world["proposal"], "Fourth").status_code == 429


@pytest.mark.parametrize("app_config", [{"COMMENT_LIMIT_PER_ADDRESS": 4}])
def test_one_address_is_limited_across_accounts(app, world):
    for email in ("resident@example.org", "neighbour@example.org"):
        client = client_for(app, email)
        for n in range(2):
            posted_id(post(client, world["proposal"], f"{email} {n}"))
    third = client_for(app, "organizer@example.org")
    response = post(third, world["proposal"], "From the same address")
    assert response.status_code == 429 and "Retry-After" in response.headers


# The applicant team while review is blind --------------------------------------------------------------------------

def _no_member_identity(html: str) -> None:
    for secret in (*MEMBER_NAMES, *MEMBER_EMAILS, "Ouyang", "Mingzhu"):
        assert secret not in html, f"{secret!r} appears in the page"


def test_the_applicant_team_is_not_named_while_review_is_blind(app, world):
    member = client_for(app, "member@example.org")
    resident = client_for(app, "resident@example.org")
    top = posted_id(post(resident, world["proposal"], "Who runs this?"))
    answer = posted_id(post(member, world["proposal"], "We do, every Saturday.", parent=top))
    own = posted_id(post(client_for(app, "owner@example.org"), world["proposal"], "Thank you all!"))
    assert the_comment(app, answer).by_applicant_team and the_comment(app, own).by_applicant_team
    organizer = client_for(app, "organizer@example.org")
    for phase in (Phase.OPEN, Phase.CLOSED, Phase.REVIEW):
        set_call(app, world["call"], phase=phase)
        for viewer in (client_for(app), resident, member, organizer):
            html = page(viewer, world["proposal"])
            assert "Applicant team" in thread_html(html) and "We do, every Saturday." in html
            _no_member_identity(html)
    # Every other page that shows the comment keeps the secret too.
    set_call(app, world["call"], phase=Phase.OPEN, comment_moderation="pre")
    resident.submit(f"/comments/{top}/report", {"reason": "x"})
    member.submit(f"/comments/{answer}/edit", {"body": "We do, every Sunday."})  # held again: pre-moderation
    _no_member_identity(member.get(f"/comments/{answer}/edit", headers=EN).get_data(as_text=True))
    _no_member_identity(organizer.get(f"/bodies/{world['body']}/moderation", headers=EN).get_data(as_text=True))
    _no_member_identity(post(member, world["proposal"], "", parent=top).get_data(as_text=True))
    organizer.submit(f"/comments/{answer}/approve")

    # The public notice names the group and its members.
    set_call(app, world["call"], phase=Phase.NOTICE)
    html = thread_html(page(client_for(app), world["proposal"]))
    assert MEMBER_NAMES[1] in html and MEMBER_NAMES[0] in html and "Applicant team" in html


def test_the_team_label_is_decided_when_the_comment_is_written(app, world):
    resident = client_for(app, "resident@example.org")
    before = posted_id(post(resident, world["proposal"], "Still an outsider"))
    with app.app_context():
        from venture.groups.models import GroupMembership, MemberRole
        ruth = db.session.scalar(select(User).where(User.email == "resident@example.org"))
        db.session.add(GroupMembership(group_id=world["group"], user_id=ruth.id, role=MemberRole.MEMBER))
        db.session.commit()
    after = posted_id(post(resident, world["proposal"], "Now one of the team"))
    assert not the_comment(app, before).by_applicant_team
    assert the_comment(app, after).by_applicant_team
    html = thread_html(page(client_for(app), world["proposal"]))
    assert "Applicant team" in html and "Still an outsider" in html
    # She is one of the group now: while the review is blind her name is part
    # of what identifies it, so her earlier comment no longer shows it either.
    assert "Resident Ruth" not in html and "■■■" in html


# The count -----------------------------------------------------------------------------------------------------------

def test_the_visible_count_follows_every_change(app, world):
    resident = client_for(app, "resident@example.org")
    neighbour = client_for(app, "neighbour@example.org")
    organizer = client_for(app, "organizer@example.org")
    a = posted_id(post(resident, world["proposal"], "a"))
    b = posted_id(post(neighbour, world["proposal"], "b", parent=a))
    c = posted_id(post(neighbour, world["proposal"], "c"))
    assert comment_count(app, world["proposal"]) == (3, 3)
    organizer.submit(f"/comments/{b}/hide", {"reason": "r"})
    assert comment_count(app, world["proposal"]) == (2, 2)
    neighbour.submit(f"/comments/{c}/delete")
    assert comment_count(app, world["proposal"]) == (1, 1)
    organizer.submit(f"/comments/{b}/restore")
    assert comment_count(app, world["proposal"]) == (2, 2)
    assert comment_count(app, world["other_proposal"]) == (0, 0)
    assert "(2)" in thread_html(page(client_for(app), world["proposal"]))


@pytest.mark.parametrize("app_config", [{"LOGIN_LIMIT_PER_ADDRESS": 1000}])
def test_the_count_survives_comments_posted_at_the_same_moment(app, world):
    import threading

    posters = []
    for index in range(16):
        make_user(app, f"racer{index}@example.org", name=f"Racer {index}")
        posters.append(client_for(app, f"racer{index}@example.org"))
    tokens = [poster.csrf_token() for poster in posters]
    start = threading.Barrier(len(posters))
    codes: list[int] = []

    def race(poster, token, index):
        start.wait()
        response = poster.post(f"/proposals/{world['proposal']}/comments",
                               data={"body": f"At once {index}", "csrf_token": token})
        codes.append(response.status_code)

    threads = [threading.Thread(target=race, args=(p, t, i)) for i, (p, t) in enumerate(zip(posters, tokens, strict=True))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(codes) == [302] * len(posters)
    assert comment_count(app, world["proposal"]) == (len(posters), len(posters))
