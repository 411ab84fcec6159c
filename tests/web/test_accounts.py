"""Accounts through real requests: register, verify, log in and out,
remember me, reset and change password, change e-mail, delete."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.conftest import PASSWORD, link_in, login, make_user, outbox
from venture.accounts.models import AccountToken, LoginSession, User
from venture.core.timeutil import utcnow
from venture.extensions import db

NEW_PASSWORD = "purple elephant dances"


def _register(client, email="new@example.org", name="Xiao Ming", password=PASSWORD):
    return client.submit("/register", {"display_name": name, "email": email,
                                       "password": password, "password_again": password})


def _user(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge_all()
        return user


def test_register_verify_and_log_in(app, client):
    response = _register(client)
    assert response.status_code == 302 and response.location.endswith("/register/check-inbox")
    user = _user(app, "new@example.org")
    assert user is not None and not user.is_verified
    assert user.password_hash.startswith("$argon2id$")

    [mail] = outbox(app, "new@example.org")
    link = link_in(mail, "/verify/")
    assert client.get(link).status_code == 200
    assert client.submit(link).status_code == 302
    assert _user(app, "new@example.org").is_verified

    # The link is single-use.
    assert client.get(link).status_code == 404
    assert client.submit(link).status_code == 400
    login(client, "new@example.org")
    assert "Xiao Ming" in client.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_register_keeps_input_and_explains_each_problem(client):
    response = client.submit("/register", {"display_name": "Wang", "email": "not-an-address",
                                           "password": "short", "password_again": "shorter"},
                             headers={"Accept-Language": "en"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Wang"' in page and 'value="not-an-address"' in page
    assert "Enter an e-mail address like" in page
    assert "The two passwords differ." in page
    assert 'aria-invalid="true"' in page


def test_registering_a_taken_address_reveals_nothing(app, client):
    make_user(app, "taken@example.org")
    first = _register(client, email="taken@example.org")
    second = _register(client, email="free@example.org")
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    # The owner of the taken address is told; no second account exists.
    [note] = outbox(app, "taken@example.org")
    assert "/password/forgot" in note.body_text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)
                                 .where(User.email == "taken@example.org")) == 1


def test_weak_password_refused_on_register(client):
    response = _register(client, password="12345678910")
    assert response.status_code == 422


def test_password_never_logged(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    _register(client, password="secret unique phrase 42")
    client.submit("/login", {"email": "new@example.org", "password": "secret unique phrase 43"})
    assert "secret unique phrase" not in caplog.text


def test_wrong_password_and_unknown_address_get_the_same_answer(app, client):
    make_user(app, "known@example.org")
    known = client.submit("/login", {"email": "known@example.org", "password": "wrong password!"},
                          headers={"Accept-Language": "en"})
    unknown = client.submit("/login", {"email": "nobody@example.org", "password": "wrong password!"},
                            headers={"Accept-Language": "en"})
    assert known.status_code == unknown.status_code == 422
    message = "The e-mail address or password is not right."
    assert message in known.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert 'value="wrong password!"' not in known.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"LOGIN_LIMIT_PER_ACCOUNT": 3, "LOGIN_LIMIT_PER_ADDRESS": 50}])
def test_login_is_limited_per_account(app, client):
    make_user(app, "target@example.org")
    for _ in range(3):
        assert client.submit("/login", {"email": "target@example.org", "password": "guess guess"}).status_code == 422
    blocked = client.submit("/login", {"email": "target@example.org", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    # Another account from the same address is not blocked by this one's limit.
    make_user(app, "other@example.org")
    login(client, "other@example.org")


@pytest.mark.parametrize("app_config", [{"LOGIN_LIMIT_PER_ACCOUNT": 50, "LOGIN_LIMIT_PER_ADDRESS": 4}])
def test_login_is_limited_per_address(app, client):
    for index in range(4):
        client.submit("/login", {"email": f"spray{index}@example.org", "password": "guess guess"})
    assert client.submit("/login", {"email": "spray9@example.org", "password": "x"}).status_code == 429
    # Unknown and known accounts are limited the same way.
    other = app.test_client()
    assert other.post("/login", data={}, environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code in (400, 422)


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "\\\\evil.example"])
def test_redirect_after_login_only_to_local_paths(app, client, target):
    make_user(app, "u@example.org")
    response = client.submit("/login", {"email": "u@example.org", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.location == "/"


def test_redirect_after_login_to_a_local_path(app, client):
    make_user(app, "u@example.org")
    response = client.submit("/login", {"email": "u@example.org", "password": PASSWORD,
                                        "next": "/groups/"})
    assert response.location == "/groups/"


def test_logout_ends_the_session_on_the_server(app, client):
    make_user(app, "u@example.org")
    login(client, "u@example.org")
    stolen = client.get_cookie("session").value
    assert client.get("/account").status_code == 200
    client.submit("/logout")
    assert client.get("/account").status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/account").status_code == 302, "a replayed session cookie is refused"


def test_remember_me_cookie_is_refused_after_logout(app, client):
    make_user(app, "u@example.org")
    login(client, "u@example.org", remember=True)
    remember = client.get_cookie("remember_token")
    assert remember is not None and remember.http_only
    token = remember.value

    fresh = app.test_client()
    fresh.set_cookie("remember_token", token)
    assert fresh.get("/account").status_code == 200, "remember-me logs a new browser in"

    client.submit("/logout")
    replay = app.test_client()
    replay.set_cookie("remember_token", token)
    assert replay.get("/account").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client):
    make_user(app, "u@example.org")
    login(client, "u@example.org")
    other = app.test_client_class and app.test_client()
    from tests.conftest import Client
    other = Client(app, app.response_class, use_cookies=True)
    login(other, "u@example.org", remember=True)
    other_remember = other.get_cookie("remember_token").value

    response = client.submit("/account/password", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                    "password_again": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert other.get("/account").status_code == 302
    replay = app.test_client()
    replay.set_cookie("remember_token", other_remember)
    assert replay.get("/account").status_code == 302
    login(app.test_client_class(app, app.response_class, use_cookies=True), "u@example.org", NEW_PASSWORD)


def test_password_change_needs_the_current_password(app, client):
    make_user(app, "u@example.org")
    login(client, "u@example.org")
    response = client.submit("/account/password", {"current_password": "not it at all",
                                                    "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
                             headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert "Your current password is not right." in response.get_data(as_text=True)


def test_password_reset_is_single_use_and_expires(app, client):
    make_user(app, "u@example.org")
    login(client, "u@example.org")
    anonymous = app.test_client_class(app, app.response_class, use_cookies=True)
    assert anonymous.submit("/password/forgot", {"email": "u@example.org"}).status_code == 200
    assert anonymous.submit("/password/forgot", {"email": "nobody@example.org"}).status_code == 200
    [note] = outbox(app, "nobody@example.org")  # told there is no account, with no link to use
    assert "/password/reset/" not in note.body_text and "/register" in note.body_text
    [mail] = outbox(app, "u@example.org")
    link = link_in(mail, "/password/reset/")

    assert anonymous.get(link).status_code == 200
    response = anonymous.submit(link, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 302
    assert anonymous.submit(link, {"password": "another new phrase", "password_again": "another new phrase"}).status_code == 404
    # The reset ends every session.
    assert client.get("/account").status_code == 302
    login(anonymous, "u@example.org", NEW_PASSWORD)

    # An expired link does not work.
    anonymous.submit("/password/forgot", {"email": "u@example.org"})
    link = link_in(outbox(app, "u@example.org")[-1], "/password/reset/")
    with app.app_context():
        db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert anonymous.get(link).status_code == 404


def test_a_new_reset_link_replaces_the_old(app, client):
    make_user(app, "u@example.org")
    client.submit("/password/forgot", {"email": "u@example.org"})
    client.submit("/password/forgot", {"email": "u@example.org"})
    first, second = (link_in(m, "/password/reset/") for m in outbox(app, "u@example.org"))
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_change_email_needs_confirmation_from_the_new_address(app, client):
    make_user(app, "old@example.org")
    login(client, "old@example.org")
    response = client.submit("/account/email", {"new_email": "New@Example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert _user(app, "old@example.org") is not None, "nothing changes before confirmation"
    link = link_in(outbox(app, "new@example.org")[-1], "/account/email/confirm/")
    assert client.submit(link).status_code == 302
    assert _user(app, "new@example.org") is not None
    assert _user(app, "old@example.org") is None
    assert outbox(app, "old@example.org"), "the old address is told"


def test_change_email_to_a_taken_address_fails_at_confirmation(app, client):
    make_user(app, "a@example.org")
    make_user(app, "b@example.org")
    login(client, "a@example.org")
    client.submit("/account/email", {"new_email": "b@example.org", "password": PASSWORD})
    link = link_in(outbox(app, "b@example.org")[-1], "/account/email/confirm/")
    assert client.submit(link).status_code == 409
    assert _user(app, "a@example.org") is not None


def test_delete_account_scrubs_personal_data_and_ends_sessions(app, client):
    user_id = make_user(app, "gone@example.org", name="Gone Person")
    login(client, "gone@example.org", remember=True)
    remember = client.get_cookie("remember_token").value
    response = client.submit("/account/delete", {"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.email is None and user.password_hash is None and user.display_name == ""
        assert user.is_deleted and user.public_name == "已注销用户", "default language: Chinese"
        assert all(s.revoked_at is not None for s in
                   db.session.scalars(select(LoginSession).where(LoginSession.user_id == user_id)))
    replay = app.test_client()
    replay.set_cookie("remember_token", remember)
    assert replay.get("/account").status_code == 302
    # The address is free again.
    assert client.submit("/login", {"email": "gone@example.org", "password": PASSWORD}).status_code == 422


def test_delete_account_needs_password_and_confirmation(app, client):
    make_user(app, "u@example.org")
    login(client, "u@example.org")
    assert client.submit("/account/delete", {"password": PASSWORD}).status_code == 422
    assert client.submit("/account/delete", {"password": "wrong wrong", "confirm": "y"}).status_code == 422
    assert _user(app, "u@example.org") is not None


def test_unverified_user_can_log_in_and_ask_for_a_new_link(app, client):
    make_user(app, "u@example.org", verified=False)
    login(client, "u@example.org")
    response = client.submit("/verify/resend")
    assert response.status_code == 302
    link = link_in(outbox(app, "u@example.org")[-1], "/verify/")
    client.submit(link)
    assert _user(app, "u@example.org").is_verified


def test_profile_settings_change_language_and_time_zone(app, client):
    make_user(app, "u@example.org")
    login(client, "u@example.org")
    response = client.submit("/account", {"display_name": "New Name", "locale": "en",
                                          "timezone": "Europe/London"})
    assert response.status_code == 302
    user = _user(app, "u@example.org")
    assert (user.display_name, user.locale, user.timezone) == ("New Name", "en", "Europe/London")
    bad = client.submit("/account", {"display_name": "", "locale": "xx", "timezone": "Mars/Base"})
    assert bad.status_code == 422


def test_session_and_remember_cookies_are_http_only_and_lax(app, client):
    make_user(app, "u@example.org")
    login(client, "u@example.org", remember=True)
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        assert cookie.http_only, name
        assert (cookie.same_site or "").lower() == "lax", name
