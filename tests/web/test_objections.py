"""Objections (异议) during the public notice: who may lodge them, when,
with what; the organizers' answers; and the public listing that never
names the objector."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.builders import pdf_bytes, png_bytes
from tests.conftest import Client, login
from tests.public_results_builders import add_objection, make_results_world, set_phase
from venture.audit.models import AuditEvent
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.results.models import Objection, ObjectionStatus

TEXT = "第二名的预算评分与评审意见不一致，请复核。"


@pytest.fixture
def app_config():
    return {"OBJECTION_LIMIT_PER_USER": 3}


def client_for(app, email=None):
    client = Client(app, app.response_class, use_cookies=True)
    client.set_cookie("lang", "en")
    if email:
        login(client, email)
        with app.app_context():
            from venture.accounts.models import User
            db.session.scalar(select(User).where(User.email == email)).locale = "en"
            db.session.commit()
    return client


def objections(app):
    with app.app_context():
        rows = db.session.scalars(select(Objection).order_by(Objection.id)).all()
        db.session.expunge_all()
        return rows


def events(app, action):
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        db.session.expunge_all()
        return rows


# Lodging ------------------------------------------------------------------------------------------------

def test_a_verified_user_lodges_an_objection_that_is_public_but_unnamed(app):
    ids = make_results_world(app, Phase.NOTICE)
    resident = client_for(app, "resident@example.org")
    url = f"/calls/{ids['call_id']}/objections"
    response = resident.submit(url, {"text": TEXT, "line": ids["number_b"]})
    assert response.status_code == 302 and response.location.endswith("#objection-1")
    [objection] = objections(app)
    assert objection.proposal_id == ids["proposal_b"] and objection.status is ObjectionStatus.OPEN
    assert objection.author_id is not None and objection.text == TEXT
    [event] = events(app, "objection.lodged")
    assert event.object_id == objection.id and event.data["call"] == ids["call_id"]
    stored = repr(event.data)
    assert TEXT not in stored and "Resident" not in stored and "resident@" not in stored
    for page_url in (url, f"/calls/{ids['call_id']}/results"):
        for viewer in (client_for(app), client_for(app, "organizer@example.org"), resident):
            page = viewer.get(page_url).get_data(as_text=True)
            assert "Objection 1" in page and TEXT in page and ids["number_b"] in page
            assert "Objecting Resident" not in page and "resident@example.org" not in page


def test_an_objection_to_the_whole_result(app):
    ids = make_results_world(app, Phase.NOTICE)
    response = client_for(app, "owner@example.org").submit(f"/calls/{ids['call_id']}/objections",
                                                          {"text": TEXT, "line": ""})
    assert response.status_code == 302
    assert objections(app)[0].proposal_id is None
    page = client_for(app).get(f"/calls/{ids['call_id']}/objections").get_data(as_text=True)
    assert "Against the result as a whole" in page


def test_refusals_keep_what_was_typed(app):
    ids = make_results_world(app, Phase.NOTICE)
    client = client_for(app, "resident@example.org")
    url = f"/calls/{ids['call_id']}/objections"
    short = client.submit(url, {"text": "太短了"})
    assert short.status_code == 422 and "太短了" in short.get_data(as_text=True)
    unknown = client.submit(url, {"text": TEXT, "line": "2026-XX-9999"})
    assert unknown.status_code == 422 and TEXT in unknown.get_data(as_text=True)
    assert "Choose a line of the result" in unknown.get_data(as_text=True)
    too_long = client.submit(url, {"text": "长" * 5001})
    assert too_long.status_code == 422
    assert objections(app) == []


def test_only_verified_users_lodge(app):
    ids = make_results_world(app, Phase.NOTICE)
    url = f"/calls/{ids['call_id']}/objections"
    anonymous = client_for(app)
    response = anonymous.post(url, data={"csrf_token": anonymous.csrf_token(), "text": TEXT})
    assert response.status_code == 302 and "/login" in response.location
    assert client_for(app, "unverified@example.org").submit(url, {"text": TEXT}).status_code == 403
    page = anonymous.get(url).get_data(as_text=True)
    assert 'id="lodge"' not in page and "Log in to lodge an objection" in page
    assert objections(app) == []


def test_no_objection_after_the_notice_ends_or_before_it_opens(app):
    ids = make_results_world(app, Phase.NOTICE)
    url = f"/calls/{ids['call_id']}/objections"
    client = client_for(app, "resident@example.org")
    with app.app_context():
        db.session.get(Call, ids["call_id"]).notice_ends_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.submit(url, {"text": TEXT}).status_code == 403
    assert 'id="lodge"' not in client.get(url).get_data(as_text=True)
    set_phase(app, ids["call_id"], Phase.PUBLISHED)
    assert client.submit(url, {"text": TEXT}).status_code == 403
    set_phase(app, ids["call_id"], Phase.REVIEW)
    assert client.submit(url, {"text": TEXT}).status_code == 404
    assert client.get(url).status_code == 404
    assert objections(app) == []


def test_the_service_checks_the_clock_itself(app):
    from venture.core.errors import DomainError
    from venture.results import objections as service

    ids = make_results_world(app, Phase.NOTICE)
    with app.test_request_context():
        from venture.accounts.models import User
        user = db.session.scalar(select(User).where(User.email == "resident@example.org"))
        call = db.session.get(Call, ids["call_id"])
        with pytest.raises(DomainError):
            service.lodge(db.session, user, call, TEXT, now=call.notice_ends_at + timedelta(seconds=1))
        assert service.lodge(db.session, user, call, TEXT, now=call.notice_ends_at - timedelta(seconds=1)).id


def test_an_attachment_is_public_without_its_author(app):
    ids = make_results_world(app, Phase.NOTICE)
    url = f"/calls/{ids['call_id']}/objections"
    client = client_for(app, "resident@example.org")
    response = client.submit(url, {"text": TEXT, "attachment": (io.BytesIO(pdf_bytes(author="张小明")), "张小明的证据.pdf")},
                             content_type="multipart/form-data")
    assert response.status_code == 302
    [objection] = objections(app)
    assert objection.attachment_kind == "pdf" and objection.attachment_stored
    [event] = events(app, "objection.lodged")
    assert len(event.data["attachment_sha256"]) == 64
    page = client_for(app).get(url).get_data(as_text=True)
    assert "张小明" not in page and "Supporting document (PDF)" in page
    download = client_for(app).get(f"/calls/{ids['call_id']}/objections/{objection.id}/file")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert "张小明".encode() not in download.get_data() and b"/Author" not in download.get_data()
    disposition = download.headers["Content-Disposition"]
    assert "objection-" in disposition and "%E5%BC%A0" not in disposition  # not the objector's own file name
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    image = client.submit(url, {"text": TEXT, "attachment": (io.BytesIO(png_bytes()), "photo.png")},
                          content_type="multipart/form-data")
    assert image.status_code == 302


def test_only_pdf_and_images_are_accepted(app):
    ids = make_results_world(app, Phase.NOTICE)
    client = client_for(app, "resident@example.org")
    url = f"/calls/{ids['call_id']}/objections"
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    for data, name in ((buffer.getvalue(), "letter.docx"), (b"not a pdf at all", "fake.pdf")):
        response = client.submit(url, {"text": TEXT, "attachment": (io.BytesIO(data), name)},
                                 content_type="multipart/form-data")
        assert response.status_code == 422, name
        assert TEXT in response.get_data(as_text=True)
    assert objections(app) == []


def test_lodging_is_rate_limited(app):
    ids = make_results_world(app, Phase.NOTICE)
    client = client_for(app, "resident@example.org")
    url = f"/calls/{ids['call_id']}/objections"
    for _ in range(3):
        assert client.submit(url, {"text": TEXT}).status_code == 302
    refused = client.submit(url, {"text": TEXT + " again"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert TEXT + " again" in refused.get_data(as_text=True)
    assert len(objections(app)) == 3


# Answering -------------------------------------------------------------------------------------------------

def _answer(client, ids, objection_id, upheld="no", text="评分依据见评审意见，维持原结果。"):
    prefix = f"answer-{objection_id}-"
    return client.post(f"/calls/{ids['call_id']}/objections/{objection_id}/answer",
                       data={prefix + "csrf_token": client.csrf_token(), prefix + "upheld": upheld,
                             prefix + "answer": text})


def test_organizers_answer_in_public_and_may_revise_until_finalising(app):
    ids = make_results_world(app, Phase.NOTICE)
    objection = add_objection(app, ids, proposal=ids["proposal_b"])
    organizer = client_for(app, "organizer@example.org")
    page = organizer.get(f"/calls/{ids['call_id']}/objections").get_data(as_text=True)
    assert f'action="/calls/{ids["call_id"]}/objections/{objection}/answer"' in page
    response = _answer(organizer, ids, objection)
    assert response.status_code == 302 and response.location.endswith("#objection-1")
    [row] = objections(app)
    assert row.status is ObjectionStatus.REJECTED and row.answer.startswith("评分依据") and row.answered_at
    public_page = client_for(app).get(f"/calls/{ids['call_id']}/results").get_data(as_text=True)
    assert "评分依据见评审意见，维持原结果。" in public_page and "Not upheld" in public_page
    assert _answer(organizer, ids, objection, "yes", "复核后确认计分错误，予以更正。").status_code == 302
    assert objections(app)[0].status is ObjectionStatus.UPHELD
    answered = events(app, "objection.answered")
    assert [e.data["revised"] for e in answered] == [False, True]
    assert "复核" not in repr(answered[1].data)
    set_phase(app, ids["call_id"], Phase.PUBLISHED)
    assert _answer(organizer, ids, objection).status_code == 403
    assert 'answer-form' not in organizer.get(f"/calls/{ids['call_id']}/objections").get_data(as_text=True)


def test_an_answer_needs_text_and_a_decision(app):
    ids = make_results_world(app, Phase.NOTICE)
    objection = add_objection(app, ids)
    organizer = client_for(app, "organizer@example.org")
    assert _answer(organizer, ids, objection, text="").status_code == 422
    assert _answer(organizer, ids, objection, upheld="").status_code == 422
    assert objections(app)[0].status is ObjectionStatus.OPEN


def test_only_the_calls_organizers_answer(app):
    ids = make_results_world(app, Phase.NOTICE)
    objection = add_objection(app, ids)
    for email in ("other_organizer@example.org", "resident@example.org", "owner@example.org",
                  "reviewer1@example.org"):
        client = client_for(app, email)
        assert _answer(client, ids, objection).status_code == 403, email
        assert "answer-form" not in client.get(f"/calls/{ids['call_id']}/objections").get_data(as_text=True)
    anonymous = client_for(app)
    assert anonymous.post(f"/calls/{ids['call_id']}/objections/{objection}/answer",
                          data={"csrf_token": anonymous.csrf_token()}).status_code == 302
    assert objections(app)[0].status is ObjectionStatus.OPEN
    # An objection of another call is not reachable through this one.
    assert _answer(client_for(app, "organizer@example.org"), {"call_id": ids["call_id"]}, 999_999).status_code == 404


def test_numbers_follow_the_order_of_lodging(app):
    ids = make_results_world(app, Phase.NOTICE)
    first = add_objection(app, ids, text="第一条异议：" + "内容" * 10)
    add_objection(app, ids, email="owner@example.org", text="第二条异议：" + "内容" * 10)
    page = client_for(app).get(f"/calls/{ids['call_id']}/objections").get_data(as_text=True)
    assert page.index("Objection 1") < page.index("第一条异议") < page.index("Objection 2") < page.index("第二条异议")
    assert not re.search(r"Owner|owner@example", page)
    assert first
