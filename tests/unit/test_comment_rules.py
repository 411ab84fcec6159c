"""The rules of comments without a database: text limits, why a comment is
held, posting limits, the edit window, and what each viewer sees of each
comment (``venture.comments.views._entry``), including the applicant team's
anonymity while review is blind."""
from __future__ import annotations

from datetime import timedelta

import pytest

from venture import create_app, permissions
from venture.accounts.models import User
from venture.calls.models import Call, Phase
from venture.comments import services
from venture.comments.models import Comment, CommentStatus
from venture.comments.views import Entry, _entry, author_label
from venture.core.errors import DomainError
from venture.core.timeutil import utcnow
from venture.groups.models import Group
from venture.proposals.models import Proposal, ProposalStatus

RUTH, NED, MOD = 1, 2, 3


def person(ident: int, name: str = "Ruth", verified: bool = True, deleted: bool = False) -> User:
    now = utcnow()
    return User(id=ident, email=None if deleted else f"u{ident}@example.org", display_name=name,
                email_verified_at=now if verified else None, deleted_at=now if deleted else None,
                created_at=now - timedelta(days=30))


def a_comment(status: CommentStatus = CommentStatus.VISIBLE, author: User | None = None,
              phase: Phase = Phase.REVIEW, team: bool = False, parent_id: int | None = None,
              age: timedelta = timedelta(minutes=1), locked: bool = False, ident: int = 10) -> Comment:
    call = Call(phase=phase, body_id=1)
    group = Group(id=1, name="幸福里邻里互助队", contact_name="赵桂英", contact_phone="13900139004",
                  contact_email="team@xingfu.example")
    proposal = Proposal(id=5, call=call, comments_locked=locked, group=group, group_id=1,
                        status=ProposalStatus.SUBMITTED, version_count=1)  # public
    author = author or person(RUTH, "Resident Ruth")
    return Comment(id=ident, proposal=proposal, proposal_id=5, author=author, author_id=author.id,
                   parent_id=parent_id, status=status, by_applicant_team=team, body_markdown="text",
                   body_html="<p>text</p>", held_reason="", moderation_reason="Rude",
                   created_at=utcnow() - age)


class Nobody:
    is_authenticated = False
    id = None


@pytest.fixture
def ctx(bare_app, monkeypatch):
    from venture.showcase import visibility

    # No database here: nobody sits on a review panel (that rule is tested in tests/web/test_review.py).
    monkeypatch.setattr(visibility, "panel_call_ids", lambda user_id: set())
    with bare_app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield bare_app


# Text ----------------------------------------------------------------------------------------------

def test_a_comment_is_one_to_five_thousand_characters(ctx):
    assert services.clean_body("  hello \n") == "hello"
    assert services.clean_body("长" * 5000) == "长" * 5000
    for empty in ("", "   \n\t ", None, "\x00\x01"):
        with pytest.raises(DomainError) as refused:
            services.clean_body(empty)
        assert refused.value.field == "body"
    with pytest.raises(DomainError):
        services.clean_body("长" * 5001)


def test_control_characters_are_dropped_but_lines_kept(ctx):
    assert services.clean_body("a\x00b\x07c\r\nd\te\u2028f") == "abc\nd\te\nf"  # every line break a newline


def test_a_reason_is_required_and_short(ctx):
    assert services.clean_reason(" spam ") == "spam"
    with pytest.raises(DomainError) as refused:
        services.clean_reason("  ")
    assert refused.value.field == "reason"
    with pytest.raises(DomainError):
        services.clean_reason("x" * 501)


def test_why_a_comment_is_held_is_said_in_words(ctx):
    comment = a_comment()
    comment.held_reason = ""
    assert services.held_reason_labels(comment) == []
    comment.held_reason = "pre"
    assert services.held_reason_labels(comment) == [
        "This call's comments are checked by a moderator before they appear."]
    comment.held_reason = "pre;words:lottery, loan"
    labels = services.held_reason_labels(comment)
    assert len(labels) == 2 and labels[1] == "Contains a sensitive word: lottery, loan"


# Posting limits -----------------------------------------------------------------------------------------

def test_new_accounts_post_less_often(ctx):
    settled = person(RUTH)
    newcomer = person(NED)
    newcomer.created_at = utcnow() - timedelta(hours=23)
    assert services.posting_limits(settled).per_user == 10
    assert services.posting_limits(newcomer).per_user == 3
    assert services.posting_limits(newcomer, now=utcnow() + timedelta(hours=2)).per_user == 10
    limits = services.posting_limits(settled)
    assert (limits.per_address, limits.window) == (30, 600)


def test_posting_limits_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMENT_LIMIT_PER_USER", "4")
    monkeypatch.setenv("COMMENT_LIMIT_NEW_ACCOUNT", "1")
    monkeypatch.setenv("COMMENT_LIMIT_PER_ADDRESS", "7")
    monkeypatch.setenv("COMMENT_WINDOW", "60")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://", "SECRET_KEY": "k" * 40})
    assert (app.config["COMMENT_LIMIT_PER_USER"], app.config["COMMENT_LIMIT_NEW_ACCOUNT"],
            app.config["COMMENT_LIMIT_PER_ADDRESS"], app.config["COMMENT_WINDOW"]) == (4, 1, 7, 60)


def test_the_limiter_counts_per_user_then_per_address(ctx):
    from venture.core.ratelimit import TooManyAttempts

    ctx.config.update(COMMENT_LIMIT_PER_USER=2, COMMENT_LIMIT_PER_ADDRESS=3)
    ruth, ned = person(RUTH), person(NED)
    services.check_posting_rate(ruth, "10.0.0.1")
    services.check_posting_rate(ruth, "10.0.0.1")
    with pytest.raises(TooManyAttempts) as refused:
        services.check_posting_rate(ruth, "10.0.0.1")
    assert 0 < refused.value.retry_after <= 600
    services.check_posting_rate(ned, "10.0.0.1")  # the address's third post
    with pytest.raises(TooManyAttempts):
        services.check_posting_rate(ned, "10.0.0.1")
    services.check_posting_rate(person(MOD), "10.0.0.2")  # another person elsewhere


# Access rules ---------------------------------------------------------------------------------------------

def test_the_author_edits_for_fifteen_minutes(ctx):
    ruth = person(RUTH)
    assert permissions.can(ruth, "comment:edit", a_comment(author=ruth, age=timedelta(minutes=14)))
    assert not permissions.can(ruth, "comment:edit", a_comment(author=ruth, age=timedelta(minutes=16)))
    assert not permissions.can(person(NED), "comment:edit", a_comment(author=ruth))
    assert not permissions.can(ruth, "comment:edit", a_comment(author=ruth, status=CommentStatus.HIDDEN))
    assert not permissions.can(ruth, "comment:edit", a_comment(author=ruth, locked=True))
    assert permissions.can(ruth, "comment:edit", a_comment(author=ruth, status=CommentStatus.PENDING))


def test_only_a_visible_comment_of_someone_else_is_reported(ctx):
    ruth, ned = person(RUTH), person(NED)
    assert permissions.can(ned, "comment:report", a_comment(author=ruth))
    assert not permissions.can(ruth, "comment:report", a_comment(author=ruth))
    assert not permissions.can(person(NED, verified=False), "comment:report", a_comment(author=ruth))
    assert not permissions.can(Nobody(), "comment:report", a_comment(author=ruth))
    for status in (CommentStatus.PENDING, CommentStatus.HIDDEN, CommentStatus.DELETED):
        assert not permissions.can(ned, "comment:report", a_comment(author=ruth, status=status))


def test_the_edit_window_is_checked_by_the_service_too(ctx):
    ruth = person(RUTH)
    late = a_comment(author=ruth, age=timedelta(minutes=15, seconds=1))
    with pytest.raises(DomainError, match="15 minutes"):
        services.edit_comment(None, ruth, late, "new text")  # type: ignore[arg-type]


# Names ------------------------------------------------------------------------------------------------------

def test_the_applicant_team_is_unnamed_until_the_public_notice(ctx):
    member = person(RUTH, "Member Mingzhu")
    for phase in (Phase.OPEN, Phase.CLOSED, Phase.REVIEW):
        assert author_label(a_comment(author=member, team=True, phase=phase)) == "Applicant team"
    for phase in (Phase.NOTICE, Phase.PUBLISHED):
        assert author_label(a_comment(author=member, team=True, phase=phase)) == "Member Mingzhu"
    assert author_label(a_comment(author=member, team=False)) == "Member Mingzhu"
    assert author_label(a_comment(author=person(RUTH, "Gone", deleted=True))) == "Deleted user"
    assert author_label(a_comment(author=person(RUTH, "Gone", deleted=True), team=True)) == "Applicant team"


# What each viewer sees ------------------------------------------------------------------------------------------

def see(comment: Comment, viewer, moderator: bool = False, replies: list[Entry] | None = None,
        can_post: bool = True) -> Entry | None:
    return _entry(comment, viewer, moderator, replies or [], can_post)


def test_a_visible_comment_is_seen_by_all(ctx):
    ruth = person(RUTH)
    comment = a_comment(author=ruth)
    for viewer in (Nobody(), person(NED), ruth):
        entry = see(comment, viewer)
        assert entry is not None and entry.show_text and entry.author == "Ruth"
    assert see(comment, ruth).can_edit and see(comment, ruth).can_delete and not see(comment, ruth).can_report
    assert see(comment, person(NED)).can_report and not see(comment, person(NED)).can_edit
    assert see(comment, person(NED)).can_reply
    assert not see(comment, person(NED), can_post=False).can_reply
    assert not see(a_comment(parent_id=1), person(NED)).can_reply, "one level of replies"
    moderated = see(comment, person(MOD), moderator=True)
    assert moderated.can_hide and not moderated.can_restore and not moderated.can_approve


def test_a_held_comment_is_seen_by_its_author_and_the_moderators(ctx):
    ruth = person(RUTH)
    comment = a_comment(author=ruth, status=CommentStatus.PENDING)
    comment.held_reason = "words:loan"
    assert see(comment, Nobody()) is None and see(comment, person(NED)) is None
    mine = see(comment, ruth)
    assert mine.show_text and mine.note == "Awaiting moderation" and mine.reasons == [], \
        "the author is not told which word held it"
    assert not mine.can_reply
    moderated = see(comment, person(MOD), moderator=True)
    assert moderated.show_text and moderated.can_approve and moderated.can_hide
    assert moderated.reasons == ["Contains a sensitive word: loan"]
    reply = Entry(comment=a_comment(ident=11, parent_id=10), show_text=True)
    public = see(comment, Nobody(), replies=[reply])
    assert public is not None and not public.show_text and public.placeholder


def test_a_hidden_comment_shows_a_placeholder_to_the_public(ctx):
    ruth = person(RUTH)
    comment = a_comment(author=ruth, status=CommentStatus.HIDDEN)
    public = see(comment, person(NED))
    assert not public.show_text and public.placeholder == "Hidden by the moderator"
    assert public.author == "" and public.reasons == [] and not public.can_report
    own = see(comment, ruth)
    assert not own.show_text and own.reasons == ["Reason: Rude"] and not own.can_edit
    moderated = see(comment, person(MOD), moderator=True)
    assert moderated.show_text and moderated.can_restore and not moderated.can_hide
    assert moderated.reasons == ["Reason: Rude"]


def test_a_deleted_comment_shows_only_if_it_has_replies(ctx):
    comment = a_comment(status=CommentStatus.DELETED)
    reply = Entry(comment=a_comment(ident=11, parent_id=10), show_text=True)
    for viewer, moderator in ((Nobody(), False), (person(RUTH), False), (person(MOD), True)):
        assert see(comment, viewer, moderator) is None
        kept = see(comment, viewer, moderator, replies=[reply])
        assert kept is not None and not kept.show_text and kept.placeholder == "Deleted by its author"
        assert not (kept.can_edit or kept.can_delete or kept.can_hide or kept.can_restore or kept.can_approve)


def test_entries_never_carry_a_team_members_name_while_blind(ctx):
    member = person(RUTH, "Member Mingzhu")
    for status in CommentStatus:
        for viewer, moderator in ((Nobody(), False), (member, False), (person(MOD), True)):
            comment = a_comment(author=member, team=True, status=status)
            reply = Entry(comment=a_comment(ident=11, parent_id=10), show_text=True)
            entry = see(comment, viewer, moderator, replies=[reply])
            assert entry is None or "Mingzhu" not in f"{entry.author}{entry.placeholder}{entry.note}{entry.reasons}"
