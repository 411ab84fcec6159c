"""The proposal page shows its comment thread a page at a time: 50
top-level comments with their replies, oldest first, keyset cursors that
stay valid while people write, accessible links to the older and newer
pages, and links to one comment (after posting, editing, from the
moderation queue or a search) that open the page holding it. The page runs
the same number of SQL statements however long the thread is."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from tests.conftest import count_statements
from tests.web.test_comments import (  # noqa: F401  (fixtures)
    EN,
    client_for,
    comment_count,
    page,
    post,
    posted_id,
    showcase_page,
    thread_html,
    world,
)
from venture.accounts.models import User
from venture.comments import services
from venture.comments.models import Comment, CommentStatus
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.proposals.models import Proposal
from venture.showcase.services import encode_cursor

PAGE = services.PAGE_SIZE
ZH = {"Accept-Language": "zh-CN"}


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def add_comments(app, proposal_id: int, count: int, *, email: str = "neighbour@example.org",
                 status: CommentStatus = CommentStatus.VISIBLE, parents: list[int] | None = None,
                 start=None, text: str = "Bulk comment", authors: list[int] | None = None) -> list[int]:
    """``count`` comments inserted in one statement, a second apart from
    ``start`` (long ago by default, so none is in its author's edit window),
    as replies to ``parents`` (one each) when given, by ``email`` or in turn
    by ``authors``; the proposal's count is recounted as the application
    does. Their ids, oldest first."""
    authors = authors or [user_id(app, email)]
    start = start or utcnow() - timedelta(days=30)
    rows = [{"proposal_id": proposal_id, "parent_id": parents[i] if parents else None, "author_id": authors[i % len(authors)],
             "body_markdown": f"{text} {i}", "body_html": f"<p>{text} {i}</p>", "status": status,
             "by_applicant_team": False, "held_reason": "pre" if status is CommentStatus.PENDING else "",
             "created_at": start + timedelta(seconds=i), "moderation_reason": "", "report_count": 0}
            for i in range(count)]
    with app.app_context():
        ids = list(db.session.scalars(insert(Comment).returning(Comment.id, sort_by_parameter_order=True), rows))
        services.recount(db.session, db.session.get(Proposal, proposal_id))
        db.session.commit()
    return ids


def add_residents(app, count: int) -> list[int]:
    """``count`` verified residents, in one statement (no password: they never sign in here)."""
    now = utcnow()
    rows = [{"email": f"bulk{i}@example.org", "display_name": f"Resident {i}", "password_hash": None,
             "email_verified_at": now, "is_site_admin": False, "timezone": "Asia/Shanghai", "created_at": now}
            for i in range(count)]
    with app.app_context():
        ids = list(db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows))
        db.session.commit()
    return ids


def shown_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="comment[^"]*" id="comment-(\d+)"', thread_html(html))]


def pager(html: str) -> str:
    found = re.search(r'<nav class="actions comment-pager"[^>]*>.*?</nav>', html, re.S)
    return found.group(0) if found else ""


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a class="button" rel="{rel}" href="([^"]+)"', pager(html))
    return found.group(1).replace("&amp;", "&") if found else None


def get(client, url: str, headers=EN) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# Pages -------------------------------------------------------------------------------------------

def test_the_thread_is_paged_by_fifty_top_level_comments_with_their_replies(app, world):
    proposal = world["proposal"]
    tops = add_comments(app, proposal, 2 * PAGE + 7)
    replies = add_comments(app, proposal, 2, parents=[tops[0], tops[PAGE]], text="Reply",
                           start=utcnow() - timedelta(days=1))
    visitor = client_for(app)
    first = page(visitor, proposal)
    assert [i for i in shown_ids(first) if i in tops] == tops[:PAGE], "the oldest fifty, oldest first"
    assert replies[0] in shown_ids(first) and replies[1] not in shown_ids(first), "replies come with their comment"
    assert 'aria-label="Pages of comments"' in pager(first)
    assert link(first, "prev") is None, "the first page has no older comments"
    assert "(%d)" % (2 * PAGE + 9) in first, "the heading still counts the whole thread"

    second = get(visitor, link(first, "next"))
    assert "comments_after=" in link(first, "next")
    assert [i for i in shown_ids(second) if i in tops] == tops[PAGE:2 * PAGE]
    assert replies[1] in shown_ids(second)
    third = get(visitor, link(second, "next"))
    assert shown_ids(third) == tops[2 * PAGE:]
    assert link(third, "next") is None, "the last page has no newer comments"
    back = get(visitor, link(third, "prev"))
    assert "comments_before=" in link(third, "prev")
    assert shown_ids(back) == shown_ids(second), "older comments lead back to the same page"
    assert shown_ids(get(visitor, link(back, "prev"))) == shown_ids(first)
    assert link(get(visitor, link(back, "prev")), "prev") is None


def test_the_pager_is_in_chinese_for_chinese_readers(app, world):
    add_comments(app, world["proposal"], PAGE + 1)
    html = get(client_for(app), f"/proposals/{world['proposal']}", ZH)
    assert 'aria-label="评论分页"' in pager(html)
    assert "较新的评论" in pager(html)
    html = get(client_for(app), link(html, "next"), ZH)
    assert "较早的评论" in pager(html)


def test_a_page_link_stays_valid_while_people_write(app, world):
    proposal = world["proposal"]
    tops = add_comments(app, proposal, 2 * PAGE + 5)
    visitor = client_for(app)
    second_url = link(page(visitor, proposal), "next")
    before = shown_ids(get(visitor, second_url))
    posted_id(post(client_for(app, "resident@example.org"), proposal, "A new remark"))
    assert shown_ids(get(visitor, second_url)) == before == tops[PAGE:2 * PAGE]
    assert shown_ids(page(visitor, proposal)) == tops[:PAGE], "new comments join the end"


def test_a_cursor_that_means_nothing_opens_the_first_page(app, world):
    proposal = world["proposal"]
    tops = add_comments(app, proposal, PAGE + 3)
    visitor = client_for(app)
    junk = ["x", "W10", "!!", "a" * 300, encode_cursor("not a date", 1), encode_cursor(datetime(2026, 1, 1), 1),
            encode_cursor(datetime(2026, 1, 1, tzinfo=UTC), 10**20), encode_cursor(datetime(2026, 1, 1, tzinfo=UTC), -1)]
    for name, empty in (("comments_after", datetime(2999, 1, 1, tzinfo=UTC)),
                        ("comments_before", datetime(1999, 1, 1, tzinfo=UTC))):
        for cursor in junk + [encode_cursor(empty, 1)]:  # ... or that leads to an empty page
            response = visitor.get(f"/proposals/{proposal}", query_string={name: cursor}, headers=EN)
            assert response.status_code == 200
            assert shown_ids(response.get_data(as_text=True)) == tops[:PAGE], (name, cursor)


# Who sees what: a page holds fifty comments that this reader sees ----------------------------------

def test_comments_the_reader_does_not_see_do_not_take_places_on_a_page(app, world):
    proposal = world["proposal"]
    held = add_comments(app, proposal, 30, email="resident@example.org", status=CommentStatus.PENDING)
    visible = add_comments(app, proposal, PAGE - 1, start=utcnow() - timedelta(days=20))
    deleted = add_comments(app, proposal, 3, status=CommentStatus.DELETED, start=utcnow() - timedelta(days=10))
    answer = add_comments(app, proposal, 1, parents=[deleted[0]], text="An answer", start=utcnow() - timedelta(days=9))
    assert comment_count(app, proposal) == (PAGE, PAGE)

    visitor = page(client_for(app), proposal)
    assert shown_ids(visitor) == visible + [deleted[0], answer[0]], "held for others, deleted without a reply: left out"
    assert pager(visitor) == ""

    author = client_for(app, "resident@example.org")  # their held comments are theirs to see
    mine = page(author, proposal)
    assert shown_ids(mine) == held + visible[:PAGE - 30]
    assert "Awaiting moderation" in mine
    rest = get(author, link(mine, "next"))
    assert shown_ids(rest) == visible[PAGE - 30:] + [deleted[0], answer[0]]

    moderator = page(client_for(app, "organizer@example.org"), proposal)
    assert shown_ids(moderator)[:30] == held and link(moderator, "next")


def test_a_link_to_a_comment_the_reader_cannot_see_opens_the_first_page(app, world):
    proposal = world["proposal"]
    tops = add_comments(app, proposal, 2 * PAGE)
    held = add_comments(app, proposal, 1, email="resident@example.org", status=CommentStatus.PENDING,
                        start=utcnow() - timedelta(days=1))
    visitor = get(client_for(app), f"/proposals/{proposal}?comment={held[0]}")
    assert shown_ids(visitor) == tops[:PAGE] and f"comment-{held[0]}" not in visitor
    author = get(client_for(app, "resident@example.org"), f"/proposals/{proposal}?comment={held[0]}")
    assert held[0] in shown_ids(author)
    other = add_comments(app, world["other_proposal"], 1)
    assert shown_ids(get(client_for(app), f"/proposals/{proposal}?comment={other[0]}")) == tops[:PAGE]
    assert shown_ids(get(client_for(app), f"/proposals/{proposal}?comment=99999999999")) == tops[:PAGE]


# Links to one comment ----------------------------------------------------------------------------

def test_a_link_to_a_comment_opens_the_page_that_holds_it(app, world):
    proposal = world["proposal"]
    tops = add_comments(app, proposal, 3 * PAGE)
    reply = add_comments(app, proposal, 1, parents=[tops[PAGE + 10]], text="Reply", start=utcnow() - timedelta(days=1))
    visitor = client_for(app)
    for target, top in ((tops[2 * PAGE + 3], tops[2 * PAGE + 3]), (reply[0], tops[PAGE + 10]),
                        (tops[PAGE - 1], tops[PAGE - 1]), (tops[PAGE], tops[PAGE])):
        html = get(visitor, f"/proposals/{proposal}?comment={target}")
        assert f'id="comment-{target}"' in html
        index = tops.index(top) // PAGE * PAGE
        assert [i for i in shown_ids(html) if i in tops] == tops[index:index + PAGE], "the pages as from the start"


def test_after_posting_replying_and_editing_the_author_lands_on_the_comments_page(app, world):
    proposal = world["proposal"]
    tops = add_comments(app, proposal, 2 * PAGE + 1)
    resident = client_for(app, "resident@example.org")
    response = post(resident, proposal, "The newest remark")
    comment = posted_id(response)
    assert "comments_after=" in response.location, "the new comment is on the last page, not the first"
    assert f'id="comment-{comment}"' in get(resident, response.location)

    response = post(resident, proposal, "Answering an old one", parent=tops[PAGE + 2])
    reply = posted_id(response)
    html = get(resident, response.location)
    assert f'id="comment-{reply}"' in html and f'id="comment-{tops[PAGE + 2]}"' in html

    response = resident.submit(f"/comments/{comment}/edit", {"body": "The newest remark, corrected"}, headers=EN)
    assert response.status_code == 302 and response.location.endswith(f"#comment-{comment}")
    assert "The newest remark, corrected" in get(resident, response.location)

    edit_page = get(resident, f"/comments/{comment}/edit")
    cancel = re.search(r'<a class="button" href="([^"]+)">Cancel</a>', edit_page).group(1).replace("&amp;", "&")
    assert f'id="comment-{comment}"' in get(resident, cancel)

    response = post(resident, proposal, "Hmm", parent=tops[PAGE + 3], body="")  # refused: the form again
    assert response.status_code == 422
    back = re.search(r'<a class="button" href="([^"]+)">Back to the proposal</a>',
                     response.get_data(as_text=True)).group(1).replace("&amp;", "&")
    assert f'id="comment-{tops[PAGE + 3]}"' in get(resident, back)

    response = resident.submit(f"/comments/{comment}/delete", headers=EN)
    assert response.status_code == 302
    assert comment_count(app, proposal) == (2 * PAGE + 2, 2 * PAGE + 2)


def test_moderators_return_to_the_comments_page_and_the_queue_links_to_it(app, world):
    proposal = world["proposal"]
    tops = add_comments(app, proposal, 2 * PAGE)
    held = add_comments(app, proposal, 1, email="resident@example.org", status=CommentStatus.PENDING,
                        start=utcnow() - timedelta(days=1))
    organizer = client_for(app, "organizer@example.org")
    queue = get(organizer, f"/bodies/{world['body']}/moderation")
    found = re.search(rf'href="([^"]*comment={held[0]}[^"]*)"', queue)
    assert found, "the queue links to the comment's page"
    assert f'id="comment-{held[0]}"' in get(organizer, found.group(1).replace("&amp;", "&"))

    response = organizer.submit(f"/comments/{tops[PAGE + 5]}/hide", {"reason": "Advertising"}, headers=EN)
    assert response.status_code == 302 and "comments_after=" in response.location
    assert f'id="comment-{tops[PAGE + 5]}"' in get(organizer, response.location)
    response = organizer.submit(f"/comments/{held[0]}/approve", headers=EN)
    assert response.status_code == 302 and "comments_after=" in response.location
    assert f'id="comment-{held[0]}"' in get(organizer, response.location)
    assert comment_count(app, proposal) == (2 * PAGE, 2 * PAGE)


# The cost of a page ---------------------------------------------------------------------------------

def test_the_page_runs_the_same_statements_however_long_the_thread(app, world):
    short, long = world["proposal"], world["other_proposal"]
    residents = add_residents(app, 600)  # as many authors as a busy thread has
    for proposal, count in ((short, 10), (long, 1000)):
        tops = add_comments(app, proposal, count - count // 5, authors=residents)
        add_comments(app, proposal, count // 10, parents=tops[:count // 10], text="Reply",
                     start=utcnow() - timedelta(days=2))
        add_comments(app, proposal, count // 10, email="resident@example.org", status=CommentStatus.PENDING,
                     start=utcnow() - timedelta(days=1))
    assert comment_count(app, long) == (900, 900)
    for email in (None, "resident@example.org", "organizer@example.org"):
        client = client_for(app, email)
        client.get(f"/proposals/{short}")  # the session's first request settles in
        counts = {proposal: count_statements(app, client, f"/proposals/{proposal}") for proposal in (short, long)}
        assert counts[short] == counts[long], (email, counts)
        second = link(get(client, f"/proposals/{long}"), "next")
        assert count_statements(app, client, second) <= counts[long] + 1, "one more to know of older pages"
        # The page of one comment: the comment, whether the reader sees it, its place, the page's start.
        assert count_statements(app, client, f"/proposals/{long}?comment={tops[-1]}") <= counts[long] + 5


def test_the_rights_decided_once_for_a_page_are_the_access_rules(app, world):
    """The thread asks ``permissions.comment_rights`` once per page; it must
    answer as ``can`` does for every viewer, comment and state of the thread."""
    from itertools import product

    from flask_login import AnonymousUserMixin

    from venture import permissions

    proposal = world["proposal"]
    old = utcnow() - timedelta(hours=1)
    ids = []
    for email, status, start in product(("resident@example.org", "neighbour@example.org"), CommentStatus,
                                        (old, utcnow())):
        ids += add_comments(app, proposal, 1, email=email, status=status, start=start)
    with app.app_context():
        users = [None, AnonymousUserMixin()] + list(db.session.scalars(select(User).order_by(User.id)))
        gone = users[2]
        gone.deleted_at, gone.email = utcnow(), None  # a deleted account may do nothing
        db.session.flush()
        checked = 0
        for locked in (False, True):
            target = db.session.get(Proposal, proposal)
            target.comments_locked = locked
            for user in users:
                rights = permissions.comment_rights(user, target)
                for comment in db.session.scalars(select(Comment).where(Comment.id.in_(ids))):
                    for action, mine in (("comment:edit", rights.edit), ("comment:delete", rights.delete),
                                         ("comment:report", rights.report)):
                        assert mine(comment) == permissions.can(user, action, comment), (action, user, comment.id)
                        checked += mine(comment)
        assert checked, "some rights are granted"
        db.session.rollback()
