"""The bare reference for the benchmark: the same rows from the same
database, one SQLAlchemy query per kind of row, no sign-in, no layout, no
translations, a bare Jinja template. What Venture's pages cost beyond this
is the price of the framework around them.

Serve it like the application, with the same gunicorn settings::

    DATABASE_URL=... BIND=127.0.0.1:8101 .venv/bin/gunicorn --config gunicorn.conf.py \
        --chdir bench bare_app:app

Search opens the application's index (SEARCH_INDEX_FOLDER) once per process
with Whoosh's own searcher, parses the words with the application's parser,
asks for the 10 best hits and reads their titles in one query: no facets,
no visibility check, no highlights, no filters.

The reviewer dashboard has no sign-in here: it shows the assignments of the
user whose id is in BENCH_REVIEWER_USER (the runner sets it to the reviewer
it signs in as on the application).
"""
from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, abort, request
from sqlalchemy import and_, or_, select

from venture.accounts.models import User
from venture.bodies.models import PoolExpert
from venture.calls.models import Call, Phase
from venture.comments.models import Comment, CommentStatus
from venture.extensions import make_engine
from venture.proposals.models import Proposal, ProposalStatus, ProposalVersion
from venture.results.models import ResultRecord
from venture.review.models import Assignment, PanelMember, Review
from venture.showcase.services import decode_cursor
from venture.showcase.visibility import SHOWCASE_PHASES

PAGE_SIZE = 20
COMMENTS = 50

app = Flask(__name__)
engine = make_engine(os.environ.get("DATABASE_URL", "sqlite:///instance/venture.sqlite3"))

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{{ title }}</title></head><body>
{% block body %}{% endblock %}</body></html>"""

HOME = app.jinja_env.from_string(_PAGE.replace("{% block body %}{% endblock %}", """
<h1>Open calls</h1><ul>{% for c in calls %}<li><a href="/calls/{{ c.id }}">{{ c.title }}</a>
<p>{{ c.summary }}</p><p>{{ c.kind }} · closes {{ c.closes_at.isoformat() }}</p></li>{% endfor %}</ul>"""))

CALLS = app.jinja_env.from_string(_PAGE.replace("{% block body %}{% endblock %}", """
<h1>Calls</h1><ul>{% for c in calls %}<li><a href="/calls/{{ c.id }}">{{ c.title }}</a> {{ c.phase }} {{ c.kind }}
<p>{{ c.summary }}</p><p>{{ c.themes|join(", ") }} · {{ c.districts|join(", ") }}</p>
<p>{{ c.opens_at.isoformat() }} – {{ c.closes_at.isoformat() }}</p></li>{% endfor %}</ul>"""))

LISTING = app.jinja_env.from_string(_PAGE.replace("{% block body %}{% endblock %}", """
<h1>Proposals</h1><ol>{% for p in rows %}<li><a href="/proposals/{{ p.id }}">{{ p.content.title }}</a>
<p>{{ p.content.summary }}</p><p>{{ p.number }} · {{ p.content.district }} · {{ p.content.theme }} ·
{{ "%.2f"|format(p.requested_fen / 100) }} · {{ p.comment_count }} · {{ p.support_count }} ·
{{ p.submitted_at.isoformat() }}</p></li>{% endfor %}</ol>
{% if next %}<a href="?after={{ next }}">next</a>{% endif %}"""))

PROPOSAL = app.jinja_env.from_string(_PAGE.replace("{% block body %}{% endblock %}", """
<p><a href="/calls/{{ p.call_id }}">{{ p.call_title }}</a></p>
<h1>{{ p.content.title }}</h1><p>{{ p.number }}</p><p>{{ p.content.summary }}</p>
<dl><dt>District</dt><dd>{{ p.content.district }}</dd><dt>Theme</dt><dd>{{ p.content.theme }}</dd>
<dt>Beneficiaries</dt><dd>{{ p.content.beneficiaries }}</dd><dt>Requested</dt>
<dd>{{ "%.2f"|format(p.content.requested_fen / 100) }}</dd><dt>Submitted</dt><dd>{{ p.submitted_at.isoformat() }}</dd></dl>
{% for s in p.content.sections %}<h2>{{ s.title }}</h2><div>{{ s.text }}</div>{% endfor %}
<table>{% for line in p.content.budget %}<tr><td>{{ line.item }}</td><td>{{ line.unit_cost_fen }}</td>
<td>{{ line.quantity }}</td><td>{{ line.subtotal_fen }}</td></tr>{% endfor %}</table>
<p>{{ p.support_count }} supports</p><h2>Comments ({{ p.comment_count }})</h2>
<ol>{% for c in comments %}<li id="c{{ c.id }}"><p>{{ c.display_name }} · {{ c.created_at.isoformat() }}</p>
{{ c.body_html|safe }}</li>{% endfor %}</ol>"""))


REVIEWER = app.jinja_env.from_string(_PAGE.replace("{% block body %}{% endblock %}", """
<h1>My reviews</h1>{% for r in rows %}{% if loop.changed(r.member_id) %}{% if not loop.first %}</table>{% endif %}
<h2>{{ r.call_title }}</h2><p>{{ r.phase }} · {{ r.review_due_at.isoformat() if r.review_due_at else "" }} ·
{{ r.status }} · {{ r.conflicts_declared_at.isoformat() if r.conflicts_declared_at else "" }}</p>
<table>{% endif %}{% if r.assignment_id %}<tr><td>{{ r.number }}</td>
<td><a href="/review/{{ r.assignment_id }}">{{ r.title }}</a></td>
<td>{{ r.review_status or "" }} {{ r.version_count or "" }}</td></tr>{% endif %}
{% if loop.last %}</table>{% endif %}{% endfor %}"""))

RESULTS = app.jinja_env.from_string(_PAGE.replace("{% block body %}{% endblock %}", """
<h1>{{ call_title }}</h1><p>{{ c.stage }} · {{ c.computed_at }} · {{ c.method.name }}</p>
<p>{{ c.totals.funded }} · {{ "%.2f"|format(c.totals.amount_fen / 100) }} ·
{{ "%.2f"|format(c.totals.budget_fen / 100) }}</p>
<table><tr>{% for k in c.criteria %}<th>{{ k.name }} ({{ k.weight }})</th>{% endfor %}</tr></table>
<table>{% for line in c.lines %}<tr><td>{{ line.rank }}</td><td>{{ line.number }}</td>
<td><a href="/proposals/{{ line.proposal }}">{{ line.title }}</a></td><td>{{ line.group }}</td>
<td>{{ line.theme }}</td><td>{{ line.district }}</td><td>{{ line.final or line.score or "" }}</td>
<td>{{ line.reviews }}</td><td>{{ line.criteria_means.values()|join(" ") }}</td>
<td>{{ "%.2f"|format(line.request_fen / 100) }}</td><td>{{ "%.2f"|format(line.amount_fen / 100) }}</td>
<td>{{ line.outcome }} {{ line.notes|join(" ") }}</td></tr>{% endfor %}</table>"""))


SEARCH = app.jinja_env.from_string(_PAGE.replace("{% block body %}{% endblock %}", """
<h1>Search</h1><form><input name="q" value="{{ q }}"></form><p>{{ total }}</p>
<ol>{% for kind, object_id, title in hits %}<li>{{ kind }} <a href="/{{ kind }}s/{{ object_id }}">{{ title }}</a></li>
{% endfor %}</ol>"""))

_searcher: Any = None


def _search_hits(q: str) -> tuple[int, list[tuple[str, int]]]:
    global _searcher
    from whoosh import index as whoosh_index
    from whoosh.filedb.filestore import FileStorage

    from venture.search.index import INDEX_NAME, SCHEMA, parse

    if _searcher is None:
        folder = os.environ["SEARCH_INDEX_FOLDER"]
        storage = FileStorage(folder, supports_mmap=False)
        _searcher = whoosh_index.FileIndex(storage, schema=SCHEMA, indexname=INDEX_NAME).searcher()
    query = parse(q)
    if query is None:
        return 0, []
    found = _searcher.search(query, limit=10)
    hits = []
    for hit in found:
        kind, _, object_id = hit["doc_key"].partition(":")
        hits.append((kind, int(object_id)))
    return len(found), hits


def _public() -> Any:
    latest = and_(ProposalVersion.proposal_id == Proposal.id, ProposalVersion.version_no == Proposal.version_count)
    return (select(Proposal.id, Proposal.call_id, Proposal.number, Proposal.submitted_at, Proposal.requested_fen,
                   Proposal.comment_count, Proposal.support_count, ProposalVersion.content)
            .join(ProposalVersion, latest).join(Call, Call.id == Proposal.call_id)
            .where(Proposal.status == ProposalStatus.SUBMITTED, Proposal.version_count > 0,
                   Call.phase.in_(SHOWCASE_PHASES)))


@app.route("/")
def home() -> Any:
    with engine.connect() as connection:
        calls = connection.execute(
            select(Call.id, Call.title, Call.summary, Call.kind, Call.closes_at)
            .where(Call.phase == Phase.OPEN, Call.closes_at > datetime.now(UTC))
            .order_by(Call.closes_at).limit(6)).all()
    return HOME.render(title="Venture", calls=calls)


@app.route("/calls/")
def calls() -> Any:
    with engine.connect() as connection:
        rows = connection.execute(
            select(Call.id, Call.title, Call.summary, Call.kind, Call.phase, Call.themes, Call.districts,
                   Call.opens_at, Call.closes_at)
            .where(Call.phase != Phase.DRAFT).order_by(Call.closes_at.desc())).all()
    return CALLS.render(title="Calls", calls=rows)


@app.route("/calls/<int:call_id>/proposals")
def listing(call_id: int) -> Any:
    query = _public().where(Proposal.call_id == call_id)
    after = decode_cursor(request.args.get("after"), "newest")
    if after is not None:
        value, ident = after
        query = query.where(or_(Proposal.submitted_at < value,
                                and_(Proposal.submitted_at == value, Proposal.id < ident)))
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(Proposal.submitted_at.desc(), Proposal.id.desc())
                                  .limit(PAGE_SIZE)).all()
    return LISTING.render(title="Proposals", rows=rows, next=None)


@app.route("/proposals/<int:proposal_id>")
def proposal(proposal_id: int) -> Any:
    with engine.connect() as connection:
        row = connection.execute(_public().add_columns(Call.title.label("call_title"))
                                 .where(Proposal.id == proposal_id)).first()
        if row is None:
            abort(404)
        comments = connection.execute(
            select(Comment.id, Comment.body_html, Comment.created_at, Comment.parent_id, User.display_name)
            .join(User, User.id == Comment.author_id)
            .where(Comment.proposal_id == proposal_id, Comment.status == CommentStatus.VISIBLE)
            .order_by(Comment.id).limit(COMMENTS)).all()
    return PROPOSAL.render(title=row.content["title"], p=row, comments=comments)


@app.route("/search")
def search() -> Any:
    """The ten best hits of the words in ``q``, titled from the database."""
    q = request.args.get("q", "")
    total, hits = _search_hits(q)
    titles: dict[tuple[str, int], str] = {}
    with engine.connect() as connection:
        proposals = [object_id for kind, object_id in hits if kind == "proposal"]
        if proposals:
            latest = and_(ProposalVersion.proposal_id == Proposal.id,
                          ProposalVersion.version_no == Proposal.version_count)
            for object_id, title in connection.execute(
                    select(Proposal.id, ProposalVersion.content["title"].as_string()).join(ProposalVersion, latest)
                    .where(Proposal.id.in_(proposals))):
                titles["proposal", object_id] = title
        calls = [object_id for kind, object_id in hits if kind == "call"]
        if calls:
            for object_id, title in connection.execute(select(Call.id, Call.title).where(Call.id.in_(calls))):
                titles["call", object_id] = title
        comments = [object_id for kind, object_id in hits if kind == "comment"]
        if comments:
            for object_id, body in connection.execute(select(Comment.id, Comment.body_markdown).where(Comment.id.in_(comments))):
                titles["comment", object_id] = body[:80]
    return SEARCH.render(title="Search", q=q, total=total,
                         hits=[(kind, object_id, titles.get((kind, object_id), "")) for kind, object_id in hits])


@app.route("/review/")
def reviewer() -> Any:
    """A reviewer's panels with their live assignments: blind titles from the latest version."""
    user_id = int(os.environ.get("BENCH_REVIEWER_USER") or 0)
    latest = and_(ProposalVersion.proposal_id == Proposal.id, ProposalVersion.version_no == Proposal.version_count)
    live = and_(Assignment.member_id == PanelMember.id, Assignment.ended_at.is_(None))
    with engine.connect() as connection:
        rows = connection.execute(
            select(PanelMember.id.label("member_id"), PanelMember.status, PanelMember.conflicts_declared_at,
                   Call.title.label("call_title"), Call.phase, Call.review_due_at,
                   Assignment.id.label("assignment_id"), Proposal.number,
                   ProposalVersion.content["title"].as_string().label("title"),
                   Review.status.label("review_status"), Review.version_count)
            .join(PoolExpert, PoolExpert.id == PanelMember.expert_id).join(Call, Call.id == PanelMember.call_id)
            .outerjoin(Assignment, live).outerjoin(Proposal, Proposal.id == Assignment.proposal_id)
            .outerjoin(ProposalVersion, latest).outerjoin(Review, Review.assignment_id == Assignment.id)
            .where(PoolExpert.user_id == user_id)
            .order_by(PanelMember.id.desc(), Assignment.id)).all()
    if not rows:
        abort(404)
    return REVIEWER.render(title="My reviews", rows=rows)


@app.route("/calls/<int:call_id>/results")
def results(call_id: int) -> Any:
    """The latest frozen result of a call in notice or published."""
    with engine.connect() as connection:
        row = connection.execute(
            select(Call.title, ResultRecord.content).join(Call, Call.id == ResultRecord.call_id)
            .where(ResultRecord.call_id == call_id, Call.phase.in_([Phase.NOTICE, Phase.PUBLISHED]))
            .order_by(ResultRecord.id.desc()).limit(1)).first()
    if row is None:
        abort(404)
    return RESULTS.render(title=row.title, call_title=row.title, c=row.content)
