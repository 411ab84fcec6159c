"""Search through the index and the page: Chinese words and phrases,
English stems, what the public may see (also when the index lags), blind
review, rebuild, hostile queries and a writer that finds the index locked.

Under TESTING ``after_commit`` drains the queue in the request itself
(SEARCH_SYNC), so a response means the index is up to date; objects made
directly through services here are drained with ``search.drain(app)``.
"""
from __future__ import annotations

import itertools
import re
import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.builders import make_body, make_call, make_group, pdf_bytes
from tests.conftest import Client, login, make_user
from venture.accounts.models import User
from venture.calls import services as calls
from venture.calls.models import Call, Phase
from venture.comments.models import Comment, CommentStatus
from venture.extensions import db
from venture.groups.models import Group
from venture.proposals import services as proposals
from venture.proposals.models import Proposal, ProposalStatus
from venture.proposals.services import BudgetLine, DraftContent
from venture.search import pg
from venture.search import services as search
from venture.search.index import get_index
from venture.search.models import SearchDocument, SearchQueue

_numbers = itertools.count(1)


# Builders ---------------------------------------------------------------------------

def _organizer_call(app, phase=Phase.OPEN, **overrides):
    number = next(_numbers)
    email = f"org{number}@example.org"
    make_user(app, email)
    body = make_body(app, email, name=f"第{number}街道办事处")
    return make_call(app, body, phase, **overrides)


def _proposal(app, call_id, *, title="邻里菜园", summary="把空地变成菜园", problem="楼下空地荒废",
              activities="每周六一起种菜", group="幸福里邻里互助队", submit=True, theme="长者关爱",
              district="天河区", owner=None) -> int:
    owner = owner or f"owner{next(_numbers)}@example.org"
    make_user(app, owner)
    group_id = make_group(app, owner, name=group)
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == owner))
        proposal = proposals.start_proposal(db.session, user, db.session.get(Call, call_id),
                                            db.session.get(Group, group_id))
        proposals.save_draft(db.session, user, proposal, DraftContent(
            title=title, summary=summary, district=district, theme=theme, beneficiaries=40,
            sections={"problem": problem, "activities": activities, "beneficiaries": "独居老人"},
            budget=[BudgetLine("种子和工具", 300_000, Decimal(1))]), proposal.lock_version)
        proposals.add_attachment(db.session, user, proposal, "a1", "budget.pdf", pdf_bytes())
        if submit:
            proposals.submit(db.session, user, proposal, confirmed_warnings=True)
        db.session.commit()
        return proposal.id


def _comment(app, proposal_id, text, status=CommentStatus.VISIBLE, by_team=False) -> int:
    email = f"resident{next(_numbers)}@example.org"
    make_user(app, email, name="居民王阿姨")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        comment = Comment(proposal_id=proposal_id, author_id=user.id, body_markdown=text,
                          body_html=f"<p>{text}</p>", status=status, by_applicant_team=by_team)
        db.session.add(comment)
        db.session.flush()
        search.enqueue(db.session, "comment", comment.id)
        db.session.commit()
        return comment.id


def _move(app, call_id, *phases):
    """Move a call through phases the way organizers do (the service enqueues)."""
    with app.test_request_context():
        call = db.session.get(Call, call_id)
        for phase in phases:
            later = call.closes_at + timedelta(minutes=1)
            if phase is Phase.REVIEW:  # only screened proposals go to review
                from venture.screening import services as screening

                for proposal in screening.unscreened(db.session, call):
                    screening.screen(db.session, None, proposal, True, "符合申报条件", now=later)
            calls.transition(db.session, None, call, phase, now=later, reason="测试取消",
                             from_results=phase in (Phase.NOTICE, Phase.PUBLISHED))
        db.session.commit()


def _drain(app):
    result = search.drain(app)
    assert not result.locked
    with app.app_context():
        assert db.session.scalar(select(func.count(SearchQueue.id))) == 0
    return result


def find(app, text, **filters):
    """(kind, id) of every result, in order, across pages."""
    found = []
    with app.test_request_context():
        page = 1
        while True:
            results = search.search(text, filters, page)
            found += [(hit.kind, hit.object_id) for hit in results.hits]
            if not results.has_next:
                return found
            page += 1


def _results(app, text, **filters):
    with app.test_request_context():
        return search.search(text, filters, 1)


@pytest.fixture(params=["whoosh", "postgresql"])
def search_backend(request, backend):
    """Every test here runs on both search backends (PostgreSQL's only on
    PostgreSQL)."""
    if request.param == "postgresql" and backend != "postgresql":
        pytest.skip("the PostgreSQL search backend needs the database on PostgreSQL")
    return request.param


@pytest.fixture
def app_config(search_backend):
    return {"SEARCH_BACKEND": search_backend}


def _on_pg(app):
    return pg.configured(app.config)


def _stored(app):
    """Every stored field of every document in the index (on PostgreSQL,
    every column of every row, its words too)."""
    with app.app_context():
        if _on_pg(app):
            rows = db.session.execute(select(SearchDocument)).scalars()
            return [{"doc_key": r.doc_key, "kind": r.kind, "object_id": r.object_id, "call_id": r.call_id,
                     "theme": r.theme, "district": r.district, "words": r.words} for r in rows]
        with get_index().searcher() as searcher:
            return list(searcher.all_stored_fields())


def _put_in_index(app, **doc):
    """Write a document straight into the index (a lagging or stale index)."""
    doc.setdefault("title", "")
    doc.setdefault("body", "")
    with app.app_context():
        if _on_pg(app):
            pg.write(db.session, [doc])
            db.session.commit()
            return
        writer = get_index().writer(timeout=2)
        writer.update_document(**doc)
        writer.commit()


@contextmanager
def _writer_held(app):
    """Another worker holds the index's writer (on PostgreSQL, its advisory
    lock, from another connection) while the block runs."""
    with app.app_context():
        if _on_pg(app):
            with db.engine.connect() as connection:
                transaction = connection.begin()
                connection.execute(select(func.pg_advisory_xact_lock(pg.WRITE_LOCK_KEY)))
                try:
                    yield
                finally:
                    transaction.rollback()
            return
        held = get_index().writer(timeout=0)
    try:
        yield
    finally:
        held.cancel()


# Chinese, phrases, stems --------------------------------------------------------------

def test_a_word_finds_the_longer_words_that_contain_it(app):
    call = _organizer_call(app)
    target = _proposal(app, call, title="长者食堂", problem="社区养老服务不足，独居老人吃饭难")
    _proposal(app, call, title="儿童阅读角", problem="孩子放学后没有地方读书", group="阳光读书会")
    _drain(app)
    assert find(app, "养老") == [("proposal", target)]
    hit = _results(app, "养老").hits[0]
    assert "<mark>养老</mark>" in hit.snippet
    assert hit.url == f"/proposals/{target}"


def test_a_quoted_phrase_needs_the_words_side_by_side(app):
    call = _organizer_call(app)
    together = _proposal(app, call, title="互助计划", problem="开展社区养老服务，让老人就近得到照顾")
    apart = _proposal(app, call, title="楼道计划", problem="我们的社区很大，许多老人需要养老", group="楼道自治队")
    _drain(app)
    assert find(app, '"社区养老"') == [("proposal", together)]
    assert set(find(app, "社区养老")) == {("proposal", together), ("proposal", apart)}
    assert find(app, '"养老社区"') == []


def test_english_words_are_stemmed(app):
    call = _organizer_call(app)
    target = _proposal(app, call, title="Community garden", problem="An empty lot behind building 3",
                       activities="Planting vegetables with older neighbours", group="Green Thumbs")
    _drain(app)
    for text in ("gardens", "garden", "GARDENING", "planted vegetable", '"community gardens"'):
        assert find(app, text) == [("proposal", target)], text
    assert "<mark>garden</mark>" in _results(app, "gardens").hits[0].title


def test_calls_and_visible_comments_are_searchable_and_link_to_their_pages(app):
    call = _organizer_call(app, text_markdown="## 资助范围\n\n支持**长者助餐**项目")
    with app.app_context():
        search.enqueue(db.session, "call", call)
        db.session.commit()
    proposal = _proposal(app, call)
    comment = _comment(app, proposal, "我愿意每周来帮忙浇水")
    _drain(app)
    assert find(app, "长者助餐") == [("call", call)]
    assert find(app, "浇水") == [("comment", comment)]
    hit = _results(app, "浇水").hits[0]
    assert hit.url == f"/proposals/{proposal}?comment={comment}#comment-{comment}", "the page that holds it"
    assert "邻里菜园" in hit.title
    assert _results(app, "长者助餐").hits[0].url == f"/calls/{call}"


# What the public may see ----------------------------------------------------------------

def test_drafts_withdrawn_cancelled_and_hidden_are_never_found(app):
    open_call = _organizer_call(app)
    cancelled_call = _organizer_call(app)
    draft_call = _organizer_call(app, Phase.DRAFT, title="草稿征集项目")
    public = _proposal(app, open_call, title="公开项目", problem="萤火虫观察")
    draft = _proposal(app, open_call, title="草稿项目", problem="萤火虫草稿", submit=False, group="草稿队")
    withdrawn = _proposal(app, open_call, title="撤回项目", problem="萤火虫撤回", group="撤回队")
    in_cancelled = _proposal(app, cancelled_call, title="取消项目", problem="萤火虫取消", group="取消队")
    hidden = _comment(app, public, "萤火虫隐藏评论", status=CommentStatus.HIDDEN)
    pending = _comment(app, public, "萤火虫待审评论", status=CommentStatus.PENDING)
    shown = _comment(app, public, "萤火虫公开评论")
    with app.test_request_context():
        user = db.session.get(Proposal, withdrawn).group.memberships[0].user
        proposals.withdraw(db.session, user, db.session.get(Proposal, withdrawn))
        db.session.commit()
    _move(app, cancelled_call, Phase.CANCELLED)
    _drain(app)
    assert set(find(app, "萤火虫")) == {("proposal", public), ("comment", shown)}
    assert find(app, "草稿征集项目") == []

    # Even when the index still holds them (a lagging or stale index), the
    # database decides: nothing hidden, withdrawn or draft is ever shown.
    stale = [("proposal", draft, open_call), ("proposal", withdrawn, open_call),
             ("proposal", in_cancelled, cancelled_call), ("comment", hidden, open_call),
             ("comment", pending, open_call), ("call", draft_call, draft_call)]
    for kind, object_id, call_id in stale:
        _put_in_index(app, doc_key=f"{kind}:{object_id}", kind=kind, object_id=object_id, call_id=str(call_id),
                      call_kind="micro_livelihood", theme="长者关爱", district="天河区",
                      title="萤火虫陈旧标题", body="萤火虫陈旧正文")
    assert set(find(app, "萤火虫")) == {("proposal", public), ("comment", shown)}
    results = _results(app, "萤火虫")
    assert results.total == 2
    assert sum(f.count for f in results.facets["type"]) == 2
    assert "陈旧" not in str([(h.title, h.snippet) for h in results.hits])


def test_a_comment_hidden_after_indexing_disappears_even_before_the_queue_is_drained(app):
    call = _organizer_call(app)
    proposal = _proposal(app, call)
    comment = _comment(app, proposal, "这个项目的预算太高了")
    _drain(app)
    assert find(app, "预算太高") == [("comment", comment)]
    with app.app_context():
        db.session.get(Comment, comment).status = CommentStatus.HIDDEN  # no enqueue: the index lags
        db.session.commit()
    assert find(app, "预算太高") == []
    with app.app_context():
        search.enqueue(db.session, "comment", comment)
        db.session.commit()
    _drain(app)
    assert not [d for d in _stored(app) if d["doc_key"] == f"comment:{comment}"]


def test_only_the_latest_submitted_version_is_public(app):
    call = _organizer_call(app)
    proposal = _proposal(app, call, title="第一版标题", problem="第一版内容")
    with app.test_request_context():
        proposal_row = db.session.get(Proposal, proposal)
        user = proposal_row.group.memberships[0].user
        proposals.save_draft(db.session, user, proposal_row, DraftContent(
            title="工作稿标题", summary="工作稿摘要", district="天河区", theme="长者关爱", beneficiaries=40,
            sections={"problem": "工作稿内容", "activities": "a", "beneficiaries": "b"},
            budget=[BudgetLine("种子和工具", 300_000, Decimal(1))]), proposal_row.lock_version)
        db.session.commit()
    _drain(app)
    assert find(app, "第一版") == [("proposal", proposal)]
    assert find(app, "工作稿") == []  # the working copy is never public


# Blind review ---------------------------------------------------------------------------

def test_the_group_is_not_searchable_while_blind_and_is_from_the_notice(app):
    call = _organizer_call(app)
    proposal = _proposal(app, call, title="夜间照明", problem="小巷太黑", group="星光守望互助队")
    team_comment = _comment(app, proposal, "谢谢大家的关注", by_team=True)
    _move(app, call, Phase.CLOSED, Phase.REVIEW)
    _drain(app)
    assert find(app, "星光守望互助队") == []
    assert find(app, "星光守望") == []
    stored = _stored(app)
    assert stored, "the index holds the proposal"
    for document in stored:
        for value in document.values():
            assert "星光" not in str(value) and "赵桂英" not in str(value) and "王阿姨" not in str(value)
    if not _on_pg(app):
        with app.app_context(), get_index().searcher() as searcher:
            assert list(searcher.reader().lexicon("group")) == []
    assert find(app, "谢谢大家") == [("comment", team_comment)]

    _move(app, call, Phase.NOTICE)
    _drain(app)
    assert find(app, "星光守望互助队") == [("proposal", proposal)]
    assert find(app, '"星光守望"') == [("proposal", proposal)]
    assert _results(app, "星光守望互助队").hits[0].group == "星光守望互助队"


def test_the_results_page_names_no_group_while_blind(app, client):
    call = _organizer_call(app)
    _proposal(app, call, title="夜间照明", problem="小巷太黑", group="星光守望互助队")
    _drain(app)
    page = client.get("/search?q=照明").get_data(as_text=True)
    assert "夜间<mark>照明</mark>" in page and "星光守望互助队" not in page


# Rebuild ----------------------------------------------------------------------------

QUERIES = ["养老", '"社区养老"', "菜园", "garden", "萤火虫 OR 菜园", "菜园 NOT 萤火虫", "星光守望", "天河区", "浇水"]


def test_rebuild_gives_the_same_results_as_incremental_updates(app):
    call = _organizer_call(app)
    other = _organizer_call(app, title="2026 社区养老公益创投")
    with app.app_context():
        search.enqueue(db.session, "call", call)
        search.enqueue(db.session, "call", other)
        db.session.commit()
    first = _proposal(app, call, problem="开展社区养老服务，种一片菜园")
    _proposal(app, call, title="Garden club", problem="萤火虫和菜园", group="星光守望互助队")
    _proposal(app, other, title="草稿", submit=False, group="草稿队")
    _comment(app, first, "我来帮忙浇水")
    _comment(app, first, "浇水隐藏", status=CommentStatus.HIDDEN)
    _move(app, call, Phase.CLOSED, Phase.REVIEW, Phase.NOTICE)
    _drain(app)
    incremental = {text: find(app, text) for text in QUERIES}
    assert any(incremental.values())
    documents = sorted(d["doc_key"] for d in _stored(app))

    with app.app_context():  # left-overs a rebuild must drop, and a row it must clear
        search.enqueue(db.session, "proposal", first)
        db.session.commit()
    _put_in_index(app, doc_key="proposal:999999", kind="proposal", object_id=999999, call_id=str(call),
                  title="菜园幽灵")
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert f"indexed {len(documents)} public documents" in result.output
    assert sorted(d["doc_key"] for d in _stored(app)) == documents
    assert {text: find(app, text) for text in QUERIES} == incremental
    with app.app_context():
        assert db.session.scalar(select(func.count(SearchQueue.id))) == 0

    sync = app.test_cli_runner().invoke(args=["search", "sync"])
    assert sync.exit_code == 0 and "processed 0 queued changes" in sync.output


# Hostile queries ----------------------------------------------------------------------

NASTY = ['"社区养老', "社区养老\"", "owner:x", "*:*", "kind:proposal", "AND", "NOT", "OR OR", "NOT NOT 菜园",
         "菜园" * 2500, "a" * 5000, "菜\x00园\x07\x1b[2J", "title:(", "(((", ")))", "[a TO z]", "菜园^10",
         "菜园~2", "\\", "'", "<script>alert(1)</script>", "%00", "𠀀𠀁", "\u202e菜园", "菜园 AND", "AND 菜园",
         "group:星光", "doc_key:proposal:1", "created:[2000 TO 3000]", "*", "?", "菜*", "", "   "]


@pytest.mark.parametrize("text", NASTY)
def test_hostile_queries_answer_with_results_or_a_message(app, client, text):
    call = _organizer_call(app)
    _proposal(app, call)
    _drain(app)
    response = client.get("/search", query_string={"q": text, "page": "x", "call": "abc", "theme": "<b>"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'role="status"' in page and "<script>alert" not in page


def test_field_syntax_is_read_as_plain_words(app):
    call = _organizer_call(app)
    target = _proposal(app, call, title="kind proposal owner", problem="没有")
    _drain(app)
    assert find(app, "kind:proposal") == [("proposal", target)]
    assert find(app, "owner:x") == []  # "x" is one character of Latin: not in this text
    assert find(app, "group:幸福里") == []  # not the group field: while blind it is empty anyway


def test_long_queries_are_cut_and_the_visitor_is_told(app, client):
    call = _organizer_call(app)
    _proposal(app, call)
    _drain(app)
    page = client.get("/search", query_string={"q": "菜园 " + "x" * 5000},
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Only the first 200 characters" in page


# Filters, facets, pages ------------------------------------------------------------------

def test_filters_facets_and_pages(app, client):
    call = _organizer_call(app)
    with app.app_context():
        search.enqueue(db.session, "call", call)
        db.session.commit()
    made = [_proposal(app, call, title=f"菜园 {n}", problem="菜园", group=f"队{n}",
                      district="天河区" if n % 2 else "越秀区") for n in range(12)]
    comment = _comment(app, made[0], "菜园很好")
    _drain(app)
    assert len(find(app, "菜园")) == 13
    assert len(find(app, "菜园", type="proposal")) == 12
    assert find(app, "菜园", type="comment") == [("comment", comment)]
    assert len(find(app, "菜园", district="天河区", type="proposal")) == 6
    # Filters without words list the newest: the call, six proposals, the comment on the first.
    assert len(find(app, "", district="越秀区")) == 8
    results = _results(app, "菜园", type="proposal")
    assert {f.value: f.count for f in results.facets["type"]} == {"proposal": 12, "comment": 1}
    assert {f.value: f.count for f in results.facets["district"]} == {"天河区": 6, "越秀区": 6}
    assert results.total == 12 and results.pages == 2 and len(results.hits) == 10

    en = {"Accept-Language": "en"}
    page = client.get("/search?q=菜园&type=proposal", headers=en).get_data(as_text=True)
    assert re.search(r'<form[^>]*role="search"', page)
    assert re.search(r'<p class="result-count">\s*12 results', page)
    assert page.count('<h3 class="card-title">') == 10
    assert "<mark>菜园</mark>" in page
    assert 'rel="next"' in page
    second = client.get("/search?q=菜园&type=proposal&page=2", headers=en).get_data(as_text=True)
    assert second.count('<h3 class="card-title">') == 2 and 'rel="prev"' in second
    assert client.get("/search?q=菜园&page=99").status_code == 200
    unknown = client.get("/search?q=菜园&district=火星区", headers=en).get_data(as_text=True)
    assert "This choice is not available" in unknown and "13 results" in unknown


def test_the_header_has_a_search_box_on_every_page(client):
    page = client.get("/about", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r'<form class="site-search" role="search"[^>]*action="/search"', page)
    assert '<label for="site-search-q" class="visually-hidden">' in page
    empty = client.get("/search").get_data(as_text=True)
    assert empty.count('role="search"') == 1  # the page's own form replaces the header's


# Through requests: after_commit -------------------------------------------------------------

def test_a_withdrawal_through_the_site_leaves_the_index_at_once(app):
    call = _organizer_call(app)
    proposal = _proposal(app, call, owner="owner@example.org", problem="萤火虫")
    _drain(app)
    assert find(app, "萤火虫") == [("proposal", proposal)]
    owner = Client(app, app.response_class, use_cookies=True)
    login(owner, "owner@example.org")
    assert owner.submit(f"/proposals/{proposal}/withdraw").status_code == 302
    assert find(app, "萤火虫") == []
    assert not [d for d in _stored(app) if d["doc_key"] == f"proposal:{proposal}"]
    with app.app_context():
        assert db.session.get(Proposal, proposal).status is ProposalStatus.WITHDRAWN
        assert db.session.scalar(select(func.count(SearchQueue.id))) == 0


# Two writers -------------------------------------------------------------------------------

def test_a_drain_that_finds_the_writer_locked_leaves_the_rows_for_later(app):
    call = _organizer_call(app)
    proposal = _proposal(app, call, problem="萤火虫")
    with _writer_held(app):  # another worker is writing
        started = time.monotonic()
        search.after_commit(app)  # never raises, never waits long
        assert search.process_queue(app, timeout=0.1).locked
        assert time.monotonic() - started < 5
        with app.app_context():
            assert db.session.scalar(select(func.count(SearchQueue.id))) == 1
        assert find(app, "萤火虫") == []
    drained = _drain(app)
    assert drained.rows == 1 and drained.indexed == 1
    assert find(app, "萤火虫") == [("proposal", proposal)]


def test_a_locked_writer_does_not_fail_the_request(app):
    call = _organizer_call(app)
    proposal = _proposal(app, call, owner="owner@example.org", problem="萤火虫")
    _drain(app)
    owner = Client(app, app.response_class, use_cookies=True)
    login(owner, "owner@example.org")
    with _writer_held(app):
        assert owner.submit(f"/proposals/{proposal}/withdraw").status_code == 302
        with app.app_context():
            assert db.session.scalar(select(func.count(SearchQueue.id))) == 1
        assert find(app, "萤火虫") == []  # the index lags; the database check hides it anyway
    _drain(app)
    assert not [d for d in _stored(app) if d["doc_key"] == f"proposal:{proposal}"]


@pytest.fixture
def background(app):
    app.config["SEARCH_SYNC"] = False
    return app


def test_in_production_the_queue_drains_in_a_background_thread(background):
    app = background
    call = _organizer_call(app)
    proposal = _proposal(app, call, problem="萤火虫")
    search.after_commit(app)
    search.after_commit(app)  # a second wake-up while it runs makes it go round again
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with app.app_context():
            if db.session.scalar(select(func.count(SearchQueue.id))) == 0:
                break
        time.sleep(0.05)
    drainer = app.extensions["venture.search.drainer"]
    while drainer.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert find(app, "萤火虫") == [("proposal", proposal)]


def test_an_unusable_index_never_fails_a_change_and_the_search_page_says_so(app, tmp_path):
    if _on_pg(app):
        pytest.skip("a folder for the Whoosh index only")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app.config["SEARCH_INDEX_FOLDER"] = str(blocker / "index")
    call = _organizer_call(app)
    proposal = _proposal(app, call, owner="owner@example.org")
    owner = Client(app, app.response_class, use_cookies=True)
    login(owner, "owner@example.org")
    assert owner.submit(f"/proposals/{proposal}/withdraw").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(SearchQueue.id))) == 2  # kept for later
    response = owner.get("/search?q=菜园", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert "Search is not available at the moment" in response.get_data(as_text=True)


def test_filters_left_out_are_not_errors(app, client):
    page = client.get("/search?q=菜园", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "This choice is not available" not in page and 'aria-invalid' not in page
