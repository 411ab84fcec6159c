"""Organizing bodies: the admin creates them and appoints organizers."""
from __future__ import annotations

from sqlalchemy import select

from tests.conftest import Client, link_in, login, make_user, outbox
from venture.bodies.models import Organizer, OrganizingBody
from venture.extensions import db

BODY = {"name": "越秀区民政局", "kind": "civil_affairs", "region": "广州市越秀区",
        "contact_email": "mzj@example.gov.cn", "description": "公益创投主办单位"}


def _admin(app):
    make_user(app, "admin@example.org", admin=True)
    client = Client(app, app.response_class, use_cookies=True)
    login(client, "admin@example.org")
    return client


def _body(app, name="越秀区民政局"):
    with app.app_context():
        body = db.session.scalar(select(OrganizingBody).where(OrganizingBody.name == name))
        db.session.expunge_all()
        return body


def test_admin_creates_a_body_and_appoints_an_organizer(app):
    admin = _admin(app)
    response = admin.submit("/bodies/new", BODY)
    assert response.status_code == 302
    body = _body(app)
    assert body.region == "广州市越秀区"
    assert "越秀区民政局" in admin.get("/bodies/").get_data(as_text=True)

    assert admin.submit(f"/bodies/{body.id}/organizers/invite", {"email": "staff@example.org"}).status_code == 302
    link = link_in(outbox(app, "staff@example.org")[-1], "/invitations/")
    make_user(app, "staff@example.org")
    staff = Client(app, app.response_class, use_cookies=True)
    login(staff, "staff@example.org")
    assert staff.submit(link).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Organizer).where(Organizer.body_id == body.id)) is not None

    # The organizer edits the body but cannot appoint others.
    edited = dict(BODY, description="更新后的介绍")
    assert staff.submit(f"/bodies/{body.id}/edit", edited).status_code == 302
    assert _body(app).description == "更新后的介绍"
    assert staff.submit(f"/bodies/{body.id}/organizers/invite", {"email": "x@example.org"}).status_code == 403


def test_body_names_are_unique_and_input_is_kept(app):
    admin = _admin(app)
    admin.submit("/bodies/new", BODY)
    response = admin.submit("/bodies/new", dict(BODY, region="另一个区"), headers={"Accept-Language": "en"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "already exists" in page and "另一个区" in page


def test_admin_removes_an_organizer(app):
    admin = _admin(app)
    admin.submit("/bodies/new", BODY)
    body = _body(app)
    staff_id = make_user(app, "staff@example.org")
    with app.app_context():
        db.session.add(Organizer(body_id=body.id, user_id=staff_id))
        db.session.commit()
        organizer_id = db.session.scalar(select(Organizer.id))
    assert admin.submit(f"/bodies/{body.id}/organizers/{organizer_id}/remove").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Organizer.id)) is None


def test_body_pages_are_public(app, client):
    admin = _admin(app)
    admin.submit("/bodies/new", BODY)
    body = _body(app)
    page = client.get(f"/bodies/{body.id}").get_data(as_text=True)
    assert "越秀区民政局" in page and "公益创投主办单位" in page
