"""Input written to break things: line breaks in names that end up in mail
headers, a mail queue one bad message could block, dates at the ends of the
calendar, a forged Host header."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.builders import make_group
from tests.conftest import login, make_user, outbox
from tests.web.test_calls import _only_call, _organizer, call_form
from tests.web.test_groups import grassroots
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.groups.models import Group
from venture.mail import services as mail
from venture.mail.models import OutboxMail

EN = {"Accept-Language": "en"}
SEPARATORS = ["\u2028", "\u2029", "\x85", "\r", "\r\n", "\x0b", "\x1e"]


def _eml_files(app) -> list[Path]:
    return sorted(Path(app.config["MAIL_OUTBOX_FOLDER"]).glob("*.eml"))


# Line breaks in names ---------------------------------------------------------------

@pytest.mark.parametrize("brk", SEPARATORS, ids=[hex(ord(s[0])) for s in SEPARATORS])
def test_a_line_break_in_a_group_name_is_cleaned_and_the_invitation_is_sent(app, client, brk):
    make_user(app, "owner@example.org")
    login(client, "owner@example.org")
    created = client.submit("/groups/new", grassroots(name=f"幸福里{brk}互助队", contact_name=f"赵{brk}桂英"))
    assert created.status_code == 302
    with app.app_context():
        group = db.session.scalar(select(Group))
        assert (group.name, group.contact_name) == ("幸福里 互助队", "赵 桂英")
        group_id = group.id
    response = client.submit(f"/groups/{group_id}/invite", {"email": "friend@example.org"})
    assert response.status_code == 302
    [sent] = outbox(app, "friend@example.org")
    assert sent.sent_at is not None and sent.failed_at is None
    assert "幸福里 互助队" in sent.subject and sent.subject.splitlines() == [sent.subject]


@pytest.mark.parametrize("brk", SEPARATORS, ids=[hex(ord(s[0])) for s in SEPARATORS])
def test_a_line_break_in_a_call_title_is_cleaned(app, brk):
    client, body_id = _organizer(app)
    response = client.submit(f"/bodies/{body_id}/calls/new",
                             call_form(title=f"2026 公益创投{brk}第二期", **{"criteria-0-name": f"需求{brk}分析"}))
    assert response.status_code == 302
    call = _only_call(app)
    assert call.title == "2026 公益创投 第二期"
    assert call.criteria[0].name == "需求 分析"


def test_a_name_stored_before_cleaning_still_gives_a_sendable_mail(app, client):
    """Rows written before input was cleaned keep their breaks: the subject is cleaned again."""
    make_user(app, "owner@example.org")
    group_id = make_group(app, "owner@example.org", name="老名字\u2028Bcc: victim@example.org")
    login(client, "owner@example.org")
    assert client.submit(f"/groups/{group_id}/invite", {"email": "friend@example.org"}).status_code == 302
    [sent] = outbox(app, "friend@example.org")
    assert sent.sent_at is not None
    [eml] = _eml_files(app)
    headers = eml.read_bytes().split(b"\n\n", 1)[0].decode()
    assert "\nBcc:" not in headers and "victim@example.org" in headers  # inside the subject, not a header


# The outbox ------------------------------------------------------------------------

def _queue(app, *recipients: str) -> list[int]:
    with app.test_request_context("/"):
        rows = [mail.queue(db.session, recipient, "two_factor_enabled", "en",
                           user=type("U", (), {"display_name": "Wang"})()) for recipient in recipients]
        db.session.commit()
        return [row.id for row in rows]


def _deliver(app) -> tuple[int, int]:
    with app.app_context():
        return mail.deliver_pending(db.session)


def _mail(app, ident: int) -> OutboxMail:
    with app.app_context():
        row = db.session.get(OutboxMail, ident)
        db.session.expunge_all()
        return row


def test_a_message_that_cannot_be_built_is_marked_failed_and_never_blocks_the_others(app):
    bad, good = _queue(app, "nobody@example.org\u2028Bcc: victim@example.org", "good@example.org")
    assert _deliver(app) == (1, 1)
    failed = _mail(app, bad)
    assert failed.sent_at is None and failed.failed_at is not None
    assert failed.last_error and failed.attempts == 1
    assert _mail(app, good).sent_at is not None
    # The next run neither tries the failed one again nor sends the good one twice.
    later, = _queue(app, "later@example.org")
    assert _deliver(app) == (1, 0)
    assert _mail(app, later).sent_at is not None and _mail(app, bad).attempts == 1
    assert len(_eml_files(app)) == 2


def test_a_failing_send_is_retried_with_back_off_a_limited_number_of_times(app, monkeypatch):
    flaky, fine = _queue(app, "flaky@example.org", "fine@example.org")
    real_send = mail._send

    def send(message, row):
        if row.recipient == "flaky@example.org":
            raise ConnectionRefusedError("smtp down")
        real_send(message, row)

    monkeypatch.setattr(mail, "_send", send)
    assert _deliver(app) == (1, 1)
    row = _mail(app, flaky)
    assert row.attempts == 1 and row.failed_at is None and "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(minutes=1), "not tried again at once"
    assert _deliver(app) == (0, 0), "waits for its back-off"
    for attempt in range(2, mail.MAX_ATTEMPTS + 1):
        with app.app_context():
            db.session.get(OutboxMail, flaky).next_attempt_at = utcnow() - timedelta(seconds=1)
            db.session.commit()
        assert _deliver(app) == (0, 1)
        row = _mail(app, flaky)
        assert row.attempts == attempt
        assert (row.failed_at is not None) == (attempt == mail.MAX_ATTEMPTS)
    with app.app_context():
        db.session.get(OutboxMail, flaky).next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert _deliver(app) == (0, 0), "given up after MAX_ATTEMPTS"
    assert _mail(app, fine).sent_at is not None


# Dates at the ends of the calendar ----------------------------------------------------------

EDGE_DATES = ["0001-01-01T00:00", "0001-01-01T07:59", "9999-12-31T23:59", "1899-12-31T12:00", "2101-01-01T00:00"]


@pytest.mark.parametrize("when", EDGE_DATES)
@pytest.mark.parametrize("field", ["opens_at", "closes_at"])
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
def test_a_call_date_at_the_ends_of_the_calendar_is_refused_with_a_message(app, when, field, zone):
    client, body_id = _organizer(app)
    form = call_form(timezone=zone, **{field: when})
    response = client.submit(f"/bodies/{body_id}/calls/new", form, headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter a date between the years 2000 and 2100." in page
    assert f'value="{form["title"]}"' in page and when in page, "what was typed is kept"


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_review_deadline_at_the_ends_of_the_calendar_is_refused(app, when):
    from tests.web.test_panels import ORGANIZER, as_user, panel_world

    world = panel_world(app)
    response = as_user(app, ORGANIZER).submit(f"/calls/{world['call']}/panel/due", {"due_at": when}, headers=EN)
    assert response.status_code == 422
    assert "Enter a date between the years 2000 and 2100." in response.get_data(as_text=True)


# A forged Host header -------------------------------------------------------------------------

FORGED = "http://forged-host.test"


@pytest.mark.parametrize("app_config", [{"BASE_URL": "https://venture.example.org"}])
def test_a_forged_host_header_never_reaches_an_absolute_link(app, client):
    import json
    import re

    from tests.public_results_builders import make_results_world
    from venture.calls.models import Phase

    ids = make_results_world(app, Phase.NOTICE)
    seen: list[str] = []
    for path in ("/api/v1/calls", f"/api/v1/calls/{ids['call_id']}", f"/api/v1/calls/{ids['call_id']}/results",
                 f"/api/v1/calls/{ids['call_id']}/objections", "/api/v1/openapi.json",
                 f"/calls/{ids['call_id']}/results"):
        for headers in ({}, {"X-Forwarded-Host": "forged-host.test", "Forwarded": "host=forged-host.test"}):
            response = client.get(path, base_url=FORGED, headers=headers)
            assert response.status_code == 200, path
            body = response.get_data(as_text=True)
            assert "forged-host.test" not in body, path
            seen += re.findall(r"https?://[^\s\"'<]+", body if path.startswith("/api") else "")
    ours = [url for url in seen if "venture.example.org" in url]
    assert ours and all(url.startswith("https://venture.example.org") for url in ours)
    document = client.get("/api/v1/openapi.json", base_url=FORGED).get_json()
    assert document["servers"] == [{"url": "https://venture.example.org"}]
    listed = client.get("/api/v1/calls", base_url=FORGED).get_json()["calls"]
    assert all(call["links"]["self"].startswith("https://venture.example.org/api/v1/calls/") for call in listed)
    assert json.dumps(listed).count("https://venture.example.org/") >= 2


@pytest.mark.parametrize("app_config", [{"BASE_URL": "https://venture.example.org"}])
def test_mail_links_use_the_configured_address_whatever_the_host_header(app, client):
    make_user(app, "u@example.org")
    import re

    page = client.get("/password/forgot", base_url=FORGED).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    sent = client.post("/password/forgot", data={"email": "u@example.org", "csrf_token": token}, base_url=FORGED)
    assert sent.status_code == 200
    [sent] = outbox(app, "u@example.org")
    assert "forged-host.test" not in sent.body_text
    assert "https://venture.example.org/password/reset/" in sent.body_text


@pytest.mark.parametrize("given", ["abc\x85def", "a\x7fb", "<script>alert(1)</script>", "a" * 65,
                                   "x\u2028y".encode().decode("latin-1")])
def test_a_hostile_request_id_is_not_echoed(client, given):
    response = client.get("/about", headers={"X-Request-Id": given})
    assert response.status_code == 200
    echoed = response.headers["X-Request-Id"]
    assert echoed != given and re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_a_proxys_request_id_is_kept(client):
    assert client.get("/about", headers={"X-Request-Id": "lb-7f3a.42:1"}).headers["X-Request-Id"] == "lb-7f3a.42:1"
