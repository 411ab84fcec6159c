"""The foundation journey in a real browser, in Chinese and in English:
register, confirm the address from the e-mail, log in, switch language,
create a registered organisation, invite a member, log out; then the
invited person logs in, opens the invitation and joins."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import (
    HTML_LANG,
    Catalogue,
    LiveServer,
    Pages,
    Translations,
    assert_html_lang,
    link_in_mail,
    newest_mail,
)
from venture.groups import creditcode

LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}
OTHER = {"zh_CN": "en", "en": "zh_CN"}
PEOPLE = {
    "zh_CN": {"owner": "陈晓华", "group": "阳光社区服务中心", "invitee": "王芳"},
    "en": {"owner": "Chen Xiaohua", "group": "Sunshine Community Service Centre",
           "invitee": "Wang Fang"},
}


def h1(page: Any) -> Any:
    return page.locator("main h1")


def flash(page: Any) -> Any:
    return page.locator(".flashes")


def switch_language(page: Any, to: str) -> None:
    button = page.locator(".lang-switch button")
    expect(button).to_have_count(1)
    expect(button).to_contain_text(LANGUAGE_NAMES[to])
    expect(button).to_have_attribute("lang", HTML_LANG[to])
    with page.expect_navigation():
        button.click()
    assert_html_lang(page, to)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_register_create_group_invite_and_join(live_server: LiveServer, new_page: Pages,
                                               locale: str, t: Catalogue,
                                               translations: Translations) -> None:
    server = live_server
    other = OTHER[locale]
    t_other = translations[other]
    names = PEOPLE[locale]
    owner_email = f"owner-{locale.lower()}@example.org"
    invitee_email = f"member-{locale.lower()}@example.org"

    # Register through the form.
    page = new_page()
    page.goto(server("/"))
    assert_html_lang(page, locale)
    page.locator(".main-nav").get_by_role("link", name=t("Register"), exact=True).click()
    expect(h1(page)).to_have_text(t("Create an account"))
    page.get_by_label(t("Your name"), exact=True).fill(names["owner"])
    page.get_by_label(t("E-mail address"), exact=True).fill(owner_email)
    page.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    page.get_by_label(t("Password again"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t("Create account")).click()
    expect(page).to_have_url(server("/register/check-inbox"))
    expect(h1(page)).to_have_text(t("Check your inbox"))
    assert_html_lang(page, locale)

    # The confirmation e-mail, written in the language the person registered in.
    mail = newest_mail(server.app, owner_email)
    assert mail.subject == t("Confirm your e-mail address")
    assert t("Hello %(name)s,", name=names["owner"]) in mail.body_text
    page.goto(link_in_mail(mail, server.url, "/verify/"))
    expect(h1(page)).to_have_text(t("Confirm your e-mail address"))
    page.get_by_role("button", name=t("Confirm my e-mail address")).click()
    expect(page).to_have_url(server("/login"))
    expect(flash(page)).to_contain_text(t("Your e-mail address is confirmed. Welcome!"))

    # Log in.
    page.get_by_label(t("E-mail address"), exact=True).fill(owner_email)
    page.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    page.locator("main").get_by_role("button", name=t("Log in")).click()
    expect(page).to_have_url(server("/"))
    nav = page.locator(".main-nav")
    expect(nav.get_by_role("link", name=t("My groups"))).to_be_visible()
    expect(nav.get_by_role("button", name=t("Log out"))).to_be_visible()
    expect(page.locator("#mine-title")).to_have_text(t("Your groups"))

    # Switch language with the header button; the choice is remembered.
    switch_language(page, other)
    expect(page).to_have_url(server("/"))
    expect(page.locator("#mine-title")).to_have_text(t_other("Your groups"))
    expect(nav.get_by_role("link", name=t_other("My groups"))).to_be_visible()
    expect(page.locator(".lang-switch button")).to_contain_text(LANGUAGE_NAMES[locale])
    if translations["zh_CN"].has("Your groups"):  # the text itself changed language
        assert t("Your groups") != t_other("Your groups")
    nav.get_by_role("link", name=t_other("My groups")).click()
    expect(page).to_have_url(server("/groups/"))
    assert_html_lang(page, other)
    expect(nav.get_by_role("link", name=t_other("My groups"))).to_have_attribute("aria-current", "page")
    switch_language(page, locale)
    expect(page).to_have_url(server("/groups/"))

    # Create a registered organisation with a valid unified social credit code.
    code = creditcode.complete("52440106MJL00001" + "7")
    page.goto(server("/groups/new"))
    expect(h1(page)).to_have_text(t("Create a group"))
    page.get_by_label(t("Registered organisation"), exact=True).check()
    page.get_by_label(t("Name of the group"), exact=True).fill(names["group"])
    page.get_by_label(t("Unified social credit code"), exact=True).fill(code)
    page.get_by_label(t("Registration type"), exact=True).select_option("social_service")
    page.get_by_label(t("Year founded"), exact=True).fill("2015")
    page.get_by_label(t("Contact person"), exact=True).fill(names["owner"])
    page.get_by_label(t("Contact phone"), exact=True).fill("020-12345678")
    page.get_by_label(t("Contact e-mail"), exact=True).fill(owner_email)
    page.get_by_role("button", name=t("Create the group")).click()
    expect(page).to_have_url(re.compile(re.escape(server.url) + r"/groups/\d+$"))
    expect(h1(page)).to_have_text(names["group"])
    expect(flash(page)).to_contain_text(t("The group %(name)s is created.", name=names["group"]))
    expect(page.locator(".facts code")).to_have_text(code)
    expect(page.locator(".facts")).to_contain_text(t("Social service organisation"))
    expect(page.locator("main .tag").first).to_have_text(t("Registered organisation"))
    group_url = page.url
    members = page.locator("section[aria-labelledby=members-title] tbody tr")
    expect(members).to_have_count(1)
    expect(members.first).to_contain_text(names["owner"])
    expect(members.first).to_contain_text(t("Owner"))

    # Invite a member by e-mail; the invitation is listed as waiting.
    expect(page.locator("#invite-title")).to_have_text(t("Invite a member"))
    page.get_by_label(t("E-mail address to invite"), exact=True).fill(invitee_email)
    page.get_by_role("button", name=t("Send the invitation")).click()
    expect(page).to_have_url(group_url)
    expect(flash(page)).to_contain_text(t("An invitation was sent to %(email)s.", email=invitee_email))
    expect(page.get_by_role("heading", name=t("Invitations waiting for an answer"))).to_be_visible()
    expect(page.locator("ul.plain li")).to_contain_text(invitee_email)

    # Log out.
    page.locator(".main-nav").get_by_role("button", name=t("Log out")).click()
    expect(page).to_have_url(server("/"))
    expect(flash(page)).to_contain_text(t("You have logged out."))
    expect(page.locator(".main-nav").get_by_role("link", name=t("Log in"))).to_be_visible()

    # The invited person opens the e-mail, logs in and accepts.
    make_user(server.app, invitee_email, name=names["invitee"])
    mail = newest_mail(server.app, invitee_email)
    assert mail.subject == t("Invitation to join %(name)s", name=names["group"])
    invitation_url = link_in_mail(mail, server.url, "/invitations/")

    guest = new_page()
    guest.goto(invitation_url)
    assert_html_lang(guest, locale)
    expect(h1(guest)).to_have_text(t("Invitation"))
    expect(guest.locator("main .lead")).to_have_text(
        t("You are invited to join the group %(name)s.", name=names["group"]))
    guest.locator("main").get_by_role("link", name=t("Log in")).click()
    expect(h1(guest)).to_have_text(t("Log in"))
    guest.get_by_label(t("E-mail address"), exact=True).fill(invitee_email)
    guest.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    guest.locator("main").get_by_role("button", name=t("Log in")).click()
    expect(guest).to_have_url(invitation_url)
    guest.get_by_role("button", name=t("Accept the invitation")).click()
    expect(guest).to_have_url(group_url)
    expect(flash(guest)).to_contain_text(t("You have joined %(name)s.", name=names["group"]))
    members = guest.locator("section[aria-labelledby=members-title] tbody tr")
    expect(members).to_have_count(2)
    me = members.filter(has_text=names["invitee"])
    expect(me).to_contain_text(f"({t('you')})")
    expect(me).to_contain_text(t("Member"))
    # An ordinary member sees no invitation form.
    expect(guest.locator("#invite-title")).to_have_count(0)
