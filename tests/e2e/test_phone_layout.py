"""The main journeys on a 360-pixel-wide phone, for every kind of user and in
both languages: no page is wider than the screen (a wide table may scroll
inside its frame, which shows a shadow at the edge that has more), the
signed-in links fold under one button, and axe finds nothing serious."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import LiveServer, Pages, assert_accessible, log_in, scroll_width
from venture import demo
from venture.extensions import db

PHONE_WIDTH = 360
LOCALES = ["zh_CN", "en"]
ROLES = {"resident": None, "group owner": f"applicant@{demo.DOMAIN}", "organizer": f"organizer@{demo.DOMAIN}",
         "reviewer": f"reviewer@{demo.DOMAIN}", "admin": f"admin@{demo.DOMAIN}"}
PUBLIC = ["/", "/calls/", "/showcase", "/bodies/", "/search?q=养老"]
MINE = {"group owner": ["/my/proposals", "/groups/", "/account"],
        "organizer": ["/account"], "reviewer": ["/review/"], "admin": ["/admin/"]}

# Every element whose right edge is beyond the screen, except those inside a
# frame that scrolls on purpose and shows it (.table-wrap with its edge
# shadows) and hidden ones.
# The budget editor and the ranking do not scroll at all: they become cards.
CARDS_SCROLL = """() => Array.from(document.querySelectorAll('.table-wrap'))
    .filter(f => f.querySelector('.budget-table, .stack-table') && f.scrollWidth > f.clientWidth + 1)
    .map(f => f.querySelector('table').className + ' ' + f.scrollWidth + '>' + f.clientWidth)"""
TOO_WIDE = """(limit) => Array.from(document.querySelectorAll('body *')).filter(e => {
    const box = e.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= limit + 0.5) { return false; }
    if (e.closest('.visually-hidden')) { return false; }
    const frame = e.closest('.table-wrap');
    return !(frame && frame !== e && frame.getBoundingClientRect().right <= limit + 0.5
             && getComputedStyle(frame).overflowX === 'auto'
             && getComputedStyle(frame).backgroundImage.includes('gradient'));
  }).slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
      + ' right=' + Math.round(e.getBoundingClientRect().right))"""


def load_demo(server: LiveServer) -> None:
    result = server.app.test_cli_runner().invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output


def links(page: Any, pattern: str, limit: int = 2) -> list[str]:
    hrefs = page.eval_on_selector_all("main a[href]", "as => as.map(a => a.getAttribute('href'))")
    found = []
    for href in hrefs:
        path = href.split("#")[0]
        if re.fullmatch(pattern, path) and path not in found:
            found.append(path)
    return found[:limit]


def journey(server: LiveServer, page: Any, role: str) -> list[str]:
    """The pages this user goes through, found as they would find them."""
    from venture.calls.models import Call

    with server.app.app_context():
        call_ids = db.session.scalars(select(Call.id).order_by(Call.id)).all()
    paths = list(PUBLIC)
    page.goto(server("/showcase"))
    paths += links(page, r"/proposals/\d+", 1)
    for call_id in call_ids:
        paths.append(f"/calls/{call_id}")
        if page.request.get(server(f"/calls/{call_id}/results")).status == 200:
            paths.append(f"/calls/{call_id}/results")
    paths += MINE.get(role, [])
    if role == "group owner":
        page.goto(server("/my/proposals"))
        paths += links(page, r"/proposals/\d+/edit")
    if role == "reviewer":
        page.goto(server("/review/"))
        paths += links(page, r"/review/\d+")
    if role == "organizer":
        for call_id in call_ids:
            for tail in ("manage", "screening"):
                if page.request.get(server(f"/calls/{call_id}/{tail}")).status == 200:
                    paths.append(f"/calls/{call_id}/{tail}")
    return list(dict.fromkeys(paths))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("role", list(ROLES))
def test_no_page_of_the_journey_is_wider_than_a_phone(live_server: LiveServer, new_page: Pages, role: str,
                                                      locale: str, t: Any) -> None:
    load_demo(live_server)
    page = new_page(width=PHONE_WIDTH, height=740)
    email = ROLES[role]
    if email:
        log_in(page, live_server, email, demo.PASSWORD)
    too_wide = {}
    paths = journey(live_server, page, role)
    assert any(path.endswith("/results") for path in paths), paths
    if role == "group owner":
        assert any(path.endswith("/edit") for path in paths), paths
    for path in paths:
        response = page.goto(live_server(path))
        assert response is not None and response.status == 200, path
        wide = page.evaluate(TOO_WIDE, PHONE_WIDTH) + page.evaluate(CARDS_SCROLL)
        if scroll_width(page) > PHONE_WIDTH or wide:
            too_wide[path] = (scroll_width(page), wide)
        assert_accessible(page)
    assert not too_wide, f"wider than {PHONE_WIDTH}px: {too_wide}"
    if email:
        # The signed-in links fold under one button that opens without script.
        page.goto(live_server("/"))
        menu = page.locator(".main-nav summary")
        expect(menu).to_have_text(t("My menu"))
        logout = page.locator(".main-nav").get_by_role("button", name=t("Log out"))
        expect(logout).to_be_hidden()
        menu.click()
        expect(logout).to_be_visible()
        assert_accessible(page)


@pytest.mark.parametrize("locale", LOCALES)
def test_on_a_wide_screen_the_signed_in_links_stay_in_the_bar(live_server: LiveServer, page: Any,
                                                              locale: str, t: Any) -> None:
    load_demo(live_server)
    log_in(page, live_server, ROLES["group owner"], demo.PASSWORD)
    expect(page.locator(".main-nav summary")).to_be_hidden()
    expect(page.locator(".main-nav").get_by_role("link", name=t("My proposals"))).to_be_visible()
