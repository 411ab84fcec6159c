"""Accessibility in a real browser: axe-core finds no serious or critical
violation, nothing scrolls sideways on a 360-pixel-wide phone, and the
skip link works from the keyboard; in Chinese and in English."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import make_user
from tests.e2e.conftest import HTML_LANG, LiveServer, Pages, assert_accessible, log_in, make_group, scroll_width

OWNER = "owner@example.org"
PHONE_WIDTH = 360
PAGES = ["home", "login", "register", "register-with-errors", "group-create", "group",
         "not-found", "search"]
LOCALES = ["zh_CN", "en"]


def open_page(name: str, server: LiveServer, page: Any) -> None:
    """Bring the page to the named screen, logging in as a group owner when
    the screen needs one."""
    if name in ("group-create", "group"):
        owner = make_user(server.app, OWNER, name="Li Mei")
        group_id = make_group(server.app, owner)
        make_user(server.app, "member@example.org", name="Zhang Wei")
        log_in(page, server, OWNER)
        if name == "group-create":
            page.goto(server("/groups/new"))
        else:
            page.goto(server(f"/groups/{group_id}"))
            page.locator("#email").fill("new-member@example.org")
            with page.expect_navigation():
                page.locator("form[action$='/invite'] button[type=submit]").click()
            expect(page.locator("ul.plain li")).to_have_count(1)
    elif name == "search":
        from tests.builders import make_body, make_call

        make_user(server.app, "org@example.org")
        make_call(server.app, make_body(server.app, "org@example.org"))
        assert server.app.test_cli_runner().invoke(args=["search", "rebuild"]).exit_code == 0
        page.goto(server("/search?q=社区&district=天河区"))
        expect(page.locator("ol.search-results mark").first).to_be_visible()
    elif name == "not-found":
        response = page.goto(server("/no-such-page"))
        assert response is not None and response.status == 404
    else:
        path = {"home": "/", "login": "/login", "register": "/register",
                "register-with-errors": "/register"}[name]
        page.goto(server(path))
        if name == "register-with-errors":
            page.locator("#email").fill("not-an-address")
            with page.expect_navigation():
                page.locator("main form button[type=submit]").click()
            expect(page.locator("#error-summary")).to_be_visible()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", PAGES)
def test_no_serious_axe_violations(live_server: LiveServer, page: Any, name: str,
                                   locale: str) -> None:
    open_page(name, live_server, page)
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[locale])
    assert_accessible(page)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", PAGES)
def test_no_horizontal_scroll_on_a_phone(live_server: LiveServer, new_page: Pages, name: str,
                                         locale: str) -> None:
    page = new_page(width=PHONE_WIDTH, height=740)
    open_page(name, live_server, page)
    width = scroll_width(page)
    if width > PHONE_WIDTH:
        wide = page.evaluate(
            """(limit) => Array.from(document.querySelectorAll('body *'))
                 .filter(e => e.getBoundingClientRect().right > limit)
                 .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                   + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().replace(/\\s+/g, '.') : '')
                   + ' right=' + Math.round(e.getBoundingClientRect().right))""",
            PHONE_WIDTH)
        pytest.fail(f"{name}: the page is {width}px wide at {PHONE_WIDTH}px; too wide: {wide}")


@pytest.mark.parametrize("locale", LOCALES)
def test_tab_reaches_the_skip_link_and_it_moves_focus_to_main(live_server: LiveServer,
                                                              page: Any, locale: str) -> None:
    page.goto(live_server("/"))
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_attribute("href", "#main")
    expect(skip).to_be_in_viewport()  # it shows itself when focused
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside the main content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
