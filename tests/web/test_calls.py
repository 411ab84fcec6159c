"""Calls through requests: organizers create, open and manage; the public reads."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.builders import make_body, make_call, set_call_times
from tests.conftest import Client, login, make_user
from venture.audit.models import AuditEvent
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db

EN = {"Accept-Language": "en"}


# One clock reading for the whole run: forms filled a moment apart must carry
# the same times (they are frozen rules once a call opens), even across a minute.
_SHANGHAI_NOW = utcnow() + timedelta(hours=8)


def call_form(**overrides):
    now = _SHANGHAI_NOW  # Asia/Shanghai wall clock
    data = {
        "kind": "social_venture", "title": "2026 天河区社区公益创投", "summary": "资助社区养老和儿童服务",
        "text_markdown": "## 资助方向\n\n<script>alert(1)</script>**长者**", "themes": "长者关爱，儿童成长",
        "districts": "天河区\n越秀区", "allow_registered": "y", "total_budget": "2000000",
        "min_grant": "50000", "max_grant": "300000", "timezone": "Asia/Shanghai",
        "opens_at": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        "sections": "", "required_attachments": "登记证书\n预算表", "reviewers_per_proposal": "5",
        "min_fundable_score": "60", "notice_days": "7",
        "criteria-0-name": "需求分析", "criteria-0-weight": "30", "criteria-0-max_points": "30",
        "criteria-1-name": "服务计划", "criteria-1-weight": "40", "criteria-1-max_points": "40",
        "criteria-2-name": "团队与预算", "criteria-2-weight": "30", "criteria-2-max_points": "30",
    }
    data.update(overrides)
    return data


def _organizer(app):
    make_user(app, "org@example.org")
    body_id = make_body(app, "org@example.org")
    client = Client(app, app.response_class, use_cookies=True)
    login(client, "org@example.org")
    return client, body_id


def _only_call(app) -> Call:
    with app.app_context():
        call = db.session.scalar(select(Call))
        _ = call.criteria, call.body
        db.session.expunge_all()
        return call


def test_organizer_creates_a_draft_call_with_rubric_and_defaults(app):
    client, body_id = _organizer(app)
    response = client.submit(f"/bodies/{body_id}/calls/new", call_form())
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    call = _only_call(app)
    assert call.phase is Phase.DRAFT
    assert [c.name for c in call.criteria] == ["需求分析", "服务计划", "团队与预算"]
    assert call.themes == ["长者关爱", "儿童成长"] and call.districts == ["天河区", "越秀区"]
    assert [s["key"] for s in call.sections][:3] == ["need", "goals", "plan"], "default sections by kind"
    assert [a["title"] for a in call.required_attachments] == ["登记证书", "预算表"]
    assert call.total_budget_fen == 200_000_000
    assert "<script>" not in call.text_html and "<strong>长者</strong>" in call.text_html
    # 8 o'clock wall time in Shanghai is stored as the same instant in UTC.
    opened = _SHANGHAI_NOW - timedelta(hours=8) - timedelta(days=1)
    assert abs((call.opens_at - opened).total_seconds()) < 60
    # A draft is not public.
    assert app.test_client().get(f"/calls/{call.id}").status_code == 404
    assert "2026 天河区社区公益创投" not in app.test_client().get("/calls/").get_data(as_text=True)


def test_a_call_with_bad_rules_keeps_the_input(app):
    client, body_id = _organizer(app)
    response = client.submit(f"/bodies/{body_id}/calls/new",
                             call_form(min_grant="500000", **{"criteria-3-name": "没有权重"}), headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Each criterion needs a name, a weight and maximum points." in page
    assert "2026 天河区社区公益创投" in page and "没有权重" in page


def test_weights_must_sum_to_100_before_opening(app):
    client, body_id = _organizer(app)
    client.submit(f"/bodies/{body_id}/calls/new", call_form(**{"criteria-2-weight": "20"}))
    call = _only_call(app)
    page = client.get(f"/calls/{call.id}/manage", headers=EN).get_data(as_text=True)
    assert "they must add up to 100" in page
    response = client.submit(f"/calls/{call.id}/phase", {"to": "open"})
    assert response.status_code == 302
    assert _only_call(app).phase is Phase.DRAFT

    client.submit(f"/calls/{call.id}/edit", call_form())
    client.submit(f"/calls/{call.id}/phase", {"to": "open"})
    assert _only_call(app).phase is Phase.OPEN
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "call.phase")).one()
        assert event.data["from"] == "draft" and event.data["to"] == "open"
        assert event.actor_id is not None


def test_the_rubric_freezes_once_open_but_the_deadline_can_be_extended(app):
    client, body_id = _organizer(app)
    client.submit(f"/bodies/{body_id}/calls/new", call_form())
    call = _only_call(app)
    client.submit(f"/calls/{call.id}/phase", {"to": "open"})
    refused = client.submit(f"/calls/{call.id}/edit", call_form(**{"criteria-0-weight": "40", "criteria-2-weight": "20"}),
                            headers=EN)
    assert refused.status_code == 422
    assert "cannot change" in refused.get_data(as_text=True)
    assert [c.weight for c in _only_call(app).criteria] == [30, 40, 30]
    assert client.submit(f"/calls/{call.id}/edit", call_form(max_grant="400000")).status_code == 422

    later = (utcnow() + timedelta(hours=8, days=40)).strftime("%Y-%m-%dT%H:%M")
    assert client.submit(f"/calls/{call.id}/edit", call_form(closes_at=later, summary="更正说明")).status_code == 302
    changed = _only_call(app)
    assert changed.summary == "更正说明" and changed.closes_at > utcnow() + timedelta(days=39)
    earlier = (utcnow() + timedelta(hours=8, days=5)).strftime("%Y-%m-%dT%H:%M")
    assert client.submit(f"/calls/{call.id}/edit", call_form(closes_at=earlier)).status_code == 422


def test_only_allowed_transitions(app):
    client, body_id = _organizer(app)
    call_id = make_call(app, body_id, Phase.OPEN)
    # Cannot jump to review while still open, nor close by hand before the time.
    client.submit(f"/calls/{call_id}/phase", {"to": "review"})
    assert _only_call(app).phase is Phase.OPEN
    # Cancelling needs a reason.
    client.submit(f"/calls/{call_id}/phase", {"to": "cancelled", "reason": ""})
    assert _only_call(app).phase is Phase.OPEN
    # After the closing time the clock's move is recorded, then review may start.
    set_call_times(app, call_id, opens_at=utcnow() - timedelta(days=3), closes_at=utcnow() - timedelta(seconds=1))
    client.submit(f"/calls/{call_id}/phase", {"to": "review"})
    assert _only_call(app).phase is Phase.REVIEW
    with app.app_context():
        moves = [(e.data["from"], e.data["to"], e.actor_id is None) for e in
                 db.session.scalars(select(AuditEvent).where(AuditEvent.action == "call.phase").order_by(AuditEvent.seq))]
    assert moves == [("open", "closed", True), ("closed", "review", False)]


def test_close_due_calls_for_the_scheduler(app):
    from venture.calls.services import close_due_calls

    make_user(app, "org@example.org")
    body_id = make_body(app, "org@example.org")
    due = make_call(app, body_id, Phase.OPEN)
    set_call_times(app, due, opens_at=utcnow() - timedelta(days=3), closes_at=utcnow() - timedelta(minutes=1))
    make_call(app, body_id, Phase.OPEN, title="still open")
    with app.app_context():
        assert close_due_calls(db.session) == 1
        db.session.commit()
        assert db.session.get(Call, due).phase is Phase.CLOSED


def test_another_bodys_organizer_cannot_manage(app):
    _client, body_id = _organizer(app)
    call_id = make_call(app, body_id, Phase.DRAFT)
    make_user(app, "other@example.org")
    make_body(app, "other@example.org", name="Other body")
    other = Client(app, app.response_class, use_cookies=True)
    login(other, "other@example.org")
    # A draft call does not exist to them; the body is public.
    for path in [f"/calls/{call_id}/manage", f"/calls/{call_id}/edit"]:
        assert other.get(path).status_code == 404, path
    assert other.get(f"/bodies/{body_id}/calls/new").status_code == 403
    assert other.submit(f"/calls/{call_id}/phase", {"to": "open"}).status_code == 404
    assert other.get(f"/calls/{call_id}").status_code == 404, "a draft stays hidden"


def test_public_call_page_shows_rules_rubric_deadline_and_count(app, client):
    make_user(app, "org@example.org")
    body_id = make_body(app, "org@example.org")
    call_id = make_call(app, body_id, Phase.OPEN)
    page = client.get(f"/calls/{call_id}", headers=EN).get_data(as_text=True)
    assert "<title>2026 幸福社区微民生项目 · Venture</title>" in page
    assert 'name="description" content="小额资助社区自治项目"' in page
    for text in ("2026 幸福社区微民生项目", "需求", "可行性", "40%", "Proposals submitted so far",
                 "days left", "CN¥200,000.00", "<h4>资助范围</h4>"):
        assert text in page, text


def test_call_list_filters(app, client):
    make_user(app, "org@example.org")
    body_id = make_body(app, "org@example.org")
    soon = make_call(app, body_id, Phase.OPEN, title="Closing soon call")
    set_call_times(app, soon, closes_at=utcnow() + timedelta(days=2))
    make_call(app, body_id, Phase.OPEN, title="Later call", themes=["环境"], districts=["海珠区"])
    make_call(app, body_id, Phase.REVIEW, title="Reviewing call")
    make_call(app, body_id, Phase.DRAFT, title="Secret draft")

    def titles(query=""):
        page = client.get("/calls/" + query, headers=EN).get_data(as_text=True)
        return {t for t in ("Closing soon call", "Later call", "Reviewing call", "Secret draft") if t in page}

    assert titles() == {"Closing soon call", "Later call", "Reviewing call"}
    assert titles("?closing_soon=y") == {"Closing soon call"}
    assert titles("?theme=环境") == {"Later call"}
    assert titles("?district=海珠区") == {"Later call"}
    assert titles("?phase=review") == {"Reviewing call"}
    assert titles("?phase=accepting") == {"Closing soon call", "Later call"}
    assert titles("?kind=social_venture") == set()
    assert client.get("/calls/?kind=<script>&phase=zzz&theme=" + "x" * 5000).status_code == 200


def test_a_call_chooses_pre_moderation_and_may_change_it_while_open(app):
    client, body_id = _organizer(app)
    client.submit(f"/bodies/{body_id}/calls/new", call_form(comment_moderation="pre"))
    call = _only_call(app)
    assert call.comment_moderation == "pre"
    client.submit(f"/calls/{call.id}/phase", {"to": "open"})
    assert client.submit(f"/calls/{call.id}/edit", call_form(comment_moderation="post")).status_code == 302
    assert _only_call(app).comment_moderation == "post"


def _queries(app, client, path):
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    seen = []
    listener = lambda *args, **kwargs: seen.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def test_call_list_and_home_query_counts_do_not_grow(app, client):
    make_user(app, "org@example.org")
    first = make_body(app, "org@example.org")
    make_call(app, first, Phase.OPEN)
    few = {path: _queries(app, client, path) for path in ("/calls/", "/")}
    for index in range(8):
        body = make_body(app, name=f"Body {index}")
        make_call(app, body, Phase.OPEN, title=f"Call {index}")
    assert {path: _queries(app, client, path) for path in ("/calls/", "/")} == few
