"""Both languages everywhere: choice, switching, memory, formats, completeness."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from tests.conftest import login, make_user
from venture import i18n_tools
from venture.web import format_moment, format_money, match_language


def test_every_user_visible_string_is_translated_in_both_catalogues():
    wanted = i18n_tools.source_messages()
    assert len(wanted) > 100, "extraction found the strings"
    for locale in i18n_tools.LOCALES:
        assert i18n_tools.untranslated(locale, wanted) == [], f"{locale} catalogue is incomplete"


def test_translations_keep_their_placeholders():
    import re

    pattern = re.compile(r"%\(\w+\)[sd]")
    for locale in i18n_tools.LOCALES:
        for message in i18n_tools.load(locale):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = set(pattern.findall(ids[-1]))
            for string in strings:
                assert set(pattern.findall(string)) <= wanted | set(pattern.findall(ids[0])), (locale, message.id)


def test_catalogues_pass_the_checks_that_compiling_them_runs():
    """`pybabel compile` refuses a catalogue its checkers fault (for example a
    placeholder of the plural used in a one-form language); so does this test."""
    for locale in i18n_tools.LOCALES:
        faults = [(message.id, [str(e) for e in errors]) for message, errors in i18n_tools.load(locale).check()]
        assert faults == [], locale


@pytest.mark.parametrize("header,expected", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"), ("zh-TW", "zh_CN"), ("zh-Hans", "zh_CN"),
    ("en-GB,en;q=0.9", "en"), ("fr-FR,en;q=0.5,zh;q=0.4", "en"), ("de", None), ("", None),
])
def test_accept_language_matching(header, expected):
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    assert match_language(parse_accept_header(header, LanguageAccept)) == expected


@pytest.mark.parametrize("header,lang,text", [
    ("en", "en", "Log in"), ("zh-CN", "zh-CN", "登录"), ("de", "zh-CN", "登录"),
])
def test_pages_follow_the_browser_language(client, header, lang, text):
    page = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{text}</h1>" in page


def test_switching_language_is_remembered_and_returns_to_the_page(client):
    assert '<html lang="en">' in client.get("/about", headers={"Accept-Language": "en"}).get_data(as_text=True)
    response = client.submit("/language", {"lang": "zh_CN", "next": "/about"}, headers={"Accept-Language": "en"})
    assert response.status_code == 302 and response.location == "/about"
    page = client.get("/bodies/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in page


def test_switch_refuses_unknown_language_and_foreign_redirects(client):
    assert client.submit("/language", {"lang": "xx"}).status_code == 400
    response = client.submit("/language", {"lang": "en", "next": "https://evil.example/"})
    assert response.location == "/"


def test_a_users_language_follows_them_to_a_new_browser(app, client):
    make_user(app, "u@example.org")
    login(client, "u@example.org")
    client.submit("/language", {"lang": "en"})
    from tests.conftest import Client
    other = Client(app, app.response_class, use_cookies=True)
    login(other, "u@example.org")
    other.delete_cookie("lang")
    assert '<html lang="en">' in other.get("/account", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_language_switch_is_on_every_page(client):
    for path in ["/", "/login", "/register", "/about", "/bodies/", "/no-such-page"]:
        page = client.get(path).get_data(as_text=True)
        assert 'action="/language"' in page, path


def test_dates_and_money_are_formatted_for_the_locale(bare_app):
    moment = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 March in Shanghai
    with force_locale("zh_CN"):
        assert format_moment(moment) == "2026年3月2日 00:30"
        assert format_money(1234567) == "¥12,345.67"
    with force_locale("en"):
        assert format_moment(moment) == "2 Mar 2026, 00:30"
        assert format_money(1234567) in {"CN¥12,345.67"}


def test_registering_in_chinese_remembers_chinese(app, client):
    """The saved language is one of ours ("zh_CN"), so it follows the user."""
    from sqlalchemy import select

    from venture.accounts.models import User
    from venture.extensions import db

    client.submit("/register", {"display_name": "Wang", "email": "w@example.org", "password": "correct horse battery",
                                "password_again": "correct horse battery"}, headers={"Accept-Language": "zh-CN"})
    with app.app_context():
        assert db.session.scalar(select(User.locale).where(User.email == "w@example.org")) == "zh_CN"
