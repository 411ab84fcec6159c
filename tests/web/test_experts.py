"""The expert pool through requests: inviting experts, joining, the profile
an expert keeps, what organizers see of it, and leaving the pool."""
from __future__ import annotations

from sqlalchemy import select

from tests.builders import make_body, make_call
from tests.conftest import Client, link_in, login, make_user, outbox
from tests.review_builders import add_member, make_expert
from venture.audit.models import AuditEvent
from venture.bodies.models import PoolExpert
from venture.calls.models import Call, Phase
from venture.extensions import db
from venture.groups import creditcode
from venture.invitations.models import Invitation
from venture.review.models import MemberStatus

EN = {"Accept-Language": "en"}
CODE = creditcode.complete("52440106MJL123456")


def _client(app, email):
    client = Client(app, app.response_class, use_cookies=True)
    login(client, email)
    return client


def _organizer(app, email="org@example.org", body_name="天河区民政局"):
    make_user(app, email)
    body_id = make_body(app, email, name=body_name)
    return _client(app, email), body_id


def _expert(app, expert_id) -> PoolExpert:
    with app.app_context():
        expert = db.session.get(PoolExpert, expert_id)
        db.session.expunge_all()
        return expert


def profile_form(**overrides):
    data = {"expertise": ["finance", "social_work"], "available": "yes", "availability_note": "七月不在",
            "affiliations-0-name": "阳光社工服务中心", "affiliations-0-credit_code": CODE,
            "affiliations-0-relation": "past_employer", "affiliations-0-years": "2018–2022",
            "affiliations-0-note": "",
            "affiliations-1-name": "", "affiliations-1-credit_code": "", "affiliations-1-relation": "",
            "affiliations-1-years": "", "affiliations-1-note": ""}
    data.update(overrides)
    return data


# Invitation, registration, the profile ---------------------------------------------------------

def test_an_invited_expert_registers_accepts_and_lands_on_their_profile(app, client):
    organizer, body_id = _organizer(app)
    assert "Expert pool" in organizer.get(f"/bodies/{body_id}/staff", headers=EN).get_data(as_text=True)
    response = organizer.submit(f"/bodies/{body_id}/experts/invite", {"email": "Expert@Example.org"})
    assert response.status_code == 302
    page = organizer.get(f"/bodies/{body_id}/experts", headers=EN).get_data(as_text=True)
    assert "expert@example.org" in page and "Invitations waiting for an answer" in page
    [mail] = outbox(app, "expert@example.org")
    assert "expert pool" in mail.subject.lower() or "专家库" in mail.subject
    link = link_in(mail, "/invitations/")

    # No account yet: the invitation says to register with that address.
    assert "Register" in client.get(link, headers=EN).get_data(as_text=True)
    client.submit("/register", {"display_name": "李专家", "email": "expert@example.org",
                                "password": "correct horse battery", "password_again": "correct horse battery"},
                  headers=EN)  # registering in English keeps the account in English
    verify = link_in(outbox(app, "expert@example.org")[-1], "/verify/")
    assert client.submit(verify).status_code == 302
    login(client, "expert@example.org")
    accepted = client.submit(link)
    assert accepted.status_code == 302 and "/experts/" in accepted.location and accepted.location.endswith("/profile")
    with app.app_context():
        expert = db.session.scalar(select(PoolExpert))
        expert_id = expert.id
        assert expert.body_id == body_id and expert.profile_updated_at is None
    page = client.get(accepted.location, headers=EN).get_data(as_text=True)
    assert "Your expert profile" in page and "Finance and budgeting" in page and "Add another row" in page
    assert client.submit(link).status_code == 404, "the link works once"

    saved = client.submit(f"/experts/{expert_id}/profile", profile_form())
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    expert = _expert(app, expert_id)
    assert expert.expertise == ["social_work", "finance"]
    assert expert.affiliations == [{"name": "阳光社工服务中心", "credit_code": CODE, "relation": "past_employer",
                                    "note": "", "years": "2018–2022"}]
    assert expert.available and expert.availability_note == "七月不在" and expert.profile_updated_at is not None
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "expert.profile_updated"))
        assert event.data == {"body": body_id, "areas": 2, "affiliations": 1, "available": True}
        assert "阳光" not in str(event.data)

    # Their list of pools links to the profile.
    mine = client.get("/experts/", headers=EN).get_data(as_text=True)
    assert f"/experts/{expert_id}/profile" in mine and "天河区民政局" in mine


def test_a_reviewer_may_sit_in_several_pools(app):
    make_user(app, "org@example.org")
    make_user(app, "expert@example.org")
    first = make_body(app, "org@example.org", name="天河区民政局")
    second = make_body(app, "org@example.org", name="越秀区残联")
    one = make_expert(app, first, "expert@example.org")
    two = make_expert(app, second, "expert@example.org")
    page = _client(app, "expert@example.org").get("/experts/").get_data(as_text=True)
    assert "天河区民政局" in page and "越秀区残联" in page
    assert f"/experts/{one}/profile" in page and f"/experts/{two}/profile" in page
    empty = _client(app, "org@example.org").get("/experts/", headers=EN).get_data(as_text=True)
    assert "You are not in any expert pool" in empty


def test_a_bad_credit_code_is_refused_and_the_input_kept(app):
    _organizer_client, body_id = _organizer(app)
    make_user(app, "expert@example.org")
    expert_id = make_expert(app, body_id, "expert@example.org", expertise=("law",))
    client = _client(app, "expert@example.org")
    bad = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")
    response = client.submit(f"/experts/{expert_id}/profile", profile_form(**{
        "affiliations-0-credit_code": bad, "availability_note": "周末可以"}), headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "not a valid unified social credit code" in page
    assert bad in page and "阳光社工服务中心" in page and "周末可以" in page
    assert _expert(app, expert_id).expertise == ["law"], "nothing saved"

    # No area chosen; a row without its tie.
    response = client.submit(f"/experts/{expert_id}/profile", profile_form(
        expertise=[], **{"affiliations-0-relation": ""}), headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose at least one area of expertise." in page and "Choose how you are tied" in page

    # "Add another row" works without JavaScript and saves nothing.
    response = client.submit(f"/experts/{expert_id}/profile", profile_form(add_row="Add another row"), headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="affiliations-2-name"' in page and "阳光社工服务中心" in page
    assert _expert(app, expert_id).affiliations == []

    # A forged area key is refused too.
    response = client.submit(f"/experts/{expert_id}/profile", profile_form(expertise=["astrology"]))
    assert response.status_code == 422


def test_organizers_read_the_profile_and_others_may_not(app):
    organizer, body_id = _organizer(app)
    other, _other_body = _organizer(app, "other@example.org", body_name="Other body")
    make_user(app, "expert@example.org")
    expert_id = make_expert(app, body_id, "expert@example.org", expertise=("finance",), affiliations=[
        {"name": "阳光社工服务中心", "credit_code": CODE, "relation": "board", "note": "理事", "years": ""}])

    page = organizer.get(f"/experts/{expert_id}/profile", headers=EN).get_data(as_text=True)
    assert "阳光社工服务中心" in page and "Board or committee" in page and "Finance and budgeting" in page
    assert "<form method=\"post\" action=\"/experts/" not in page and "Save the profile" not in page
    assert organizer.submit(f"/experts/{expert_id}/profile", profile_form()).status_code == 403
    pool = organizer.get(f"/bodies/{body_id}/experts", headers=EN).get_data(as_text=True)
    assert f"/experts/{expert_id}/profile" in pool and "Finance and budgeting" in pool

    assert other.get(f"/experts/{expert_id}/profile").status_code == 404  # as if it did not exist
    assert other.get(f"/bodies/{body_id}/experts").status_code == 403
    assert other.submit(f"/bodies/{body_id}/experts/invite", {"email": "x@example.org"}).status_code == 403
    make_user(app, "stranger@example.org")
    assert _client(app, "stranger@example.org").get(f"/experts/{expert_id}/profile").status_code == 404


def test_inviting_twice_and_revoking(app):
    organizer, body_id = _organizer(app)
    make_user(app, "expert@example.org")
    make_expert(app, body_id, "expert@example.org")
    refused = organizer.submit(f"/bodies/{body_id}/experts/invite", {"email": "expert@example.org"}, headers=EN)
    assert refused.status_code == 422 and "is already in" in refused.get_data(as_text=True)

    organizer.submit(f"/bodies/{body_id}/experts/invite", {"email": "new@example.org"})
    link = link_in(outbox(app, "new@example.org")[-1], "/invitations/")
    with app.app_context():
        invitation_id = db.session.scalar(select(Invitation.id).where(Invitation.email == "new@example.org"))
    other, _body = _organizer(app, "other@example.org", body_name="Other body")
    assert other.submit(f"/bodies/{body_id}/experts/invitations/{invitation_id}/revoke").status_code == 403
    assert organizer.submit(f"/bodies/{body_id}/experts/invitations/{invitation_id}/revoke").status_code == 302
    assert organizer.get(link).status_code == 404
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"invitation.expert.sent", "invitation.expert.revoked"} <= actions


# Leaving the pool ---------------------------------------------------------------------------------

def test_an_expert_on_a_running_panel_cannot_be_removed(app):
    organizer, body_id = _organizer(app)
    make_user(app, "expert@example.org", name="李专家")
    make_user(app, "free@example.org", name="王专家")
    busy = make_expert(app, body_id, "expert@example.org")
    free = make_expert(app, body_id, "free@example.org")
    call_id = make_call(app, body_id, Phase.CLOSED, title="2026 助老创投")
    add_member(app, call_id, busy, status=MemberStatus.ACCEPTED)

    pool = organizer.get(f"/bodies/{body_id}/experts", headers=EN).get_data(as_text=True)
    assert "2026 助老创投" in pool

    refused = organizer.submit(f"/bodies/{body_id}/experts/{busy}/remove", headers=EN, follow_redirects=True)
    page = refused.get_data(as_text=True)
    assert "sits on the panel of “2026 助老创投”" in page
    assert _expert(app, busy) is not None

    # Finished calls keep their panel's record: still refused, with the reason.
    with app.app_context():
        db.session.get(Call, call_id).phase = Phase.PUBLISHED
        db.session.commit()
    page = organizer.submit(f"/bodies/{body_id}/experts/{busy}/remove", headers=EN,
                            follow_redirects=True).get_data(as_text=True)
    assert "record is kept" in page and _expert(app, busy) is not None

    # Someone else's body cannot; the organizer can remove a free expert.
    other, other_body = _organizer(app, "other@example.org", body_name="Other body")
    assert other.submit(f"/bodies/{body_id}/experts/{free}/remove").status_code == 403
    assert organizer.submit(f"/bodies/{other_body}/experts/{free}/remove").status_code == 403
    assert organizer.submit(f"/bodies/{body_id}/experts/{free}/remove").status_code == 302
    assert _expert(app, free) is None
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "expert.removed"))
        assert event.object_id == free and event.data["body"] == body_id
