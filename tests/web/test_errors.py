"""Bad input and errors: clear pages in both languages, never a traceback."""
from __future__ import annotations

import pytest

from tests.conftest import login, make_user

TRACEBACK_MARKERS = ("Traceback", "File \"", "werkzeug.exceptions", "sqlalchemy.exc")


def _boom():
    raise RuntimeError("secret internals: password=hunter2")


@pytest.fixture
def app_with_errors(app):
    app.add_url_rule("/_boom", "boom", _boom)
    return app


@pytest.mark.parametrize("lang,title_404,title_500", [
    ("en", "Page not found", "Something went wrong"), ("zh-CN", "页面不存在", None)])
def test_error_pages_in_both_languages(app_with_errors, lang, title_404, title_500):
    client = app_with_errors.test_client()
    headers = {"Accept-Language": lang}
    response = client.get("/does-not-exist", headers=headers)
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert f'<html lang="{lang}">' in page
    if title_404 and lang == "en":
        assert title_404 in page
    response = client.get("/_boom", headers=headers)
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "hunter2" not in page and not any(marker in page for marker in TRACEBACK_MARKERS)
    assert 'class="skip-link"' in page, "the error page uses the site layout"
    if title_500:
        assert title_500 in page


def test_chinese_error_pages_are_translated(app):
    from venture import i18n_tools
    from venture.web import ERROR_TEXT

    catalogue = i18n_tools.load("zh_Hans_CN")
    for title, message in ERROR_TEXT.values():
        for text in (title, message):
            entry = catalogue.get(text._args[0])
            assert entry is not None and entry.string, text._args[0]


def test_405_and_unknown_ids(app, client):
    make_user(app, "u@example.org")
    login(client, "u@example.org")
    assert client.get("/logout").status_code == 405
    assert client.get("/groups/999999").status_code == 404
    assert client.get("/groups/not-a-number").status_code == 404
    assert client.get("/groups/99999999999999999999999999").status_code == 404
    assert client.get("/bodies/-1").status_code == 404
    assert client.get("/invitations/forged-token").status_code == 404
    assert client.get("/verify/forged-token").status_code == 404
    assert client.get("/password/reset/forged").status_code == 404


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 1024}])
def test_413_for_a_too_large_request(client):
    response = client.post("/login", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert "larger than this site accepts" in response.get_data(as_text=True) or \
        response.status_code == 413


def test_missing_csrf_token_is_refused_with_a_clear_message(app, client):
    response = client.post("/login", data={"email": "a@example.org", "password": "whatever it is"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    make_user(app, "u@example.org")
    login(client, "u@example.org")
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200, "still logged in: the forged logout did nothing"


def test_over_long_and_wrong_type_input_gets_4xx(app, client):
    response = client.submit("/register", {"display_name": "名" * 5000, "email": "a" * 300 + "@x.org",
                                           "password": "p" * 5000, "password_again": "p"},
                             headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert "At most 80 characters." in response.get_data(as_text=True)
    response = client.submit("/login", {"email": ["a@example.org", "b@example.org"], "remember": "maybe",
                                        "password": "\x00\x01"})
    assert response.status_code in (400, 422)


def test_429_page(app, client):
    app.config.update(LOGIN_LIMIT_PER_ACCOUNT=1)
    client.submit("/login", {"email": "a@example.org", "password": "one try only"})
    response = client.submit("/login", {"email": "a@example.org", "password": "second try"},
                             headers={"Accept-Language": "en"})
    assert response.status_code == 429
    assert "Too many attempts. Try again in" in response.get_data(as_text=True)


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert response.headers["Permissions-Policy"]
    assert response.headers["X-Request-Id"]


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "ok"
