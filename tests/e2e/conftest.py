"""Browser tests: Playwright (sync API) driving Debian's Chromium against a
live server, plus axe-core accessibility checks.

Every test here is marked ``e2e`` and, like every database test, runs on
SQLite and on PostgreSQL (through the ``backend`` fixture). Without
/usr/bin/chromium the tests are skipped locally and fail in CI.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.conftest import IN_CI, PASSWORD, clear_database, database_url, test_config
from venture import ROOT, create_app
from venture.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
E2E_DIR = Path(__file__).resolve().parent
BLOCKING_IMPACTS = {"serious", "critical"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


# Translations ----------------------------------------------------------------------

class Catalogue:
    """What the site shows for a message id in one language: the catalogue's
    translation when it has one (not fuzzy, not empty), else the id itself,
    exactly as gettext falls back."""

    def __init__(self, locale: str, catalog: Any = None) -> None:
        self.locale = locale
        self.messages: dict[str, str] = {}
        self.plurals: dict[str, tuple[str, ...]] = {}
        for message in catalog or ():
            if message.id and isinstance(message.id, str) and not message.fuzzy and message.string:
                self.messages[message.id] = str(message.string)
            elif (message.id and isinstance(message.id, tuple) and not message.fuzzy
                  and isinstance(message.string, tuple) and all(message.string)):
                self.plurals[message.id[0]] = tuple(str(s) for s in message.string)

    def has(self, msgid: str) -> bool:
        return msgid in self.messages

    def __call__(self, msgid: str, **values: Any) -> str:
        text = self.messages.get(msgid, msgid)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, num: int, **values: Any) -> str:
        """A plural message as the site shows it for ``num`` (``%(num)d`` is
        filled in). Chinese has one form; English two (1 and the rest)."""
        forms = self.plurals.get(singular) or (singular, plural)
        text = forms[0] if len(forms) == 1 or num == 1 else forms[1]
        return text % {"num": num, **values}


@dataclass
class Translations:
    directory: str
    catalogues: dict[str, Catalogue]

    def __getitem__(self, locale: str) -> Catalogue:
        from babel import Locale

        wanted = Locale.parse(locale)
        for name, catalogue in self.catalogues.items():
            if Locale.parse(name) == wanted:
                return catalogue
        return Catalogue(locale)


@pytest.fixture(scope="session")
def translations(tmp_path_factory: pytest.TempPathFactory) -> Translations:
    """The catalogues read once and compiled fresh from the .po files, so the
    browser sees the current translations whether or not ``make
    translations`` ran, and the tests expect exactly what the server has
    (the .po files may be edited while the tests run)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    target = tmp_path_factory.mktemp("translations")
    catalogues = {}
    for po in sorted((ROOT / "venture" / "translations").glob("*/LC_MESSAGES/messages.po")):
        name = po.parent.parent.name
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=name)
        out = target / name / "LC_MESSAGES"
        out.mkdir(parents=True)
        with (out / "messages.mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        catalogues[name] = Catalogue(name, catalog)
    return Translations(str(target), catalogues)


@pytest.fixture
def locale() -> str:
    """The browser's language; parametrise ``locale`` in a test to change it."""
    return "zh_CN"


@pytest.fixture
def t(locale: str, translations: Translations) -> Catalogue:
    """The text the site shows in the browser's language."""
    return translations[locale]


# The live server -------------------------------------------------------------------

@dataclass
class LiveServer:
    url: str
    app: Flask

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def live_server(request: pytest.FixtureRequest, backend: str, tmp_path: Path,
                translations: Translations) -> Iterator[LiveServer]:
    url = database_url(request, backend)
    app = create_app(test_config(tmp_path, url,
                                 BABEL_TRANSLATION_DIRECTORIES=translations.directory))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=base, app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        clear_database(app)


# The browser -----------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message + "; browser tests must run in CI")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


@dataclass
class Pages:
    """Opens pages in fresh browser contexts (separate cookies: separate people)."""

    browser: Any
    default_locale: str
    contexts: list[Any] = field(default_factory=list)

    def __call__(self, locale: str | None = None, width: int = 1280, height: int = 800) -> Any:
        context = self.browser.new_context(locale=HTML_LANG[locale or self.default_locale],
                                           viewport={"width": width, "height": height})
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        return context.new_page()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def new_page(browser: Any, locale: str) -> Iterator[Pages]:
    pages = Pages(browser, locale)
    yield pages
    pages.close()


@pytest.fixture
def page(new_page: Pages) -> Any:
    """A page in a fresh context whose browser asks for ``locale``."""
    return new_page()


# Checks and helpers ----------------------------------------------------------------

_axe: Any = None


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations on the page as it is now."""
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    results = _axe.run(page)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    if violations:
        lines = [f"axe-core found {len(violations)} serious/critical violation(s) on {page.url}:"]
        for violation in violations:
            lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}"
                         f" ({violation.get('helpUrl', '')})")
            for node in violation.get("nodes", [])[:5]:
                lines.append(f"    {node.get('target')}: {node.get('failureSummary', '').strip()}")
        pytest.fail("\n".join(lines))


def assert_html_lang(page: Any, locale: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[locale])


def newest_mail(app: Flask, recipient: str) -> Any:
    from venture.mail.models import OutboxMail

    with app.app_context():
        mail = db.session.scalars(select(OutboxMail).where(OutboxMail.recipient == recipient)
                                  .order_by(OutboxMail.id.desc()).limit(1)).first()
        assert mail is not None, f"no e-mail to {recipient} in the outbox"
        db.session.expunge(mail)
        return mail


def link_in_mail(mail: Any, base_url: str, path_prefix: str) -> str:
    found = re.search(re.escape(base_url + path_prefix) + r"\S+", mail.body_text)
    assert found, f"no {base_url}{path_prefix}… link in {mail.body_text!r}"
    return found.group(0)


def log_in(page: Any, server: LiveServer, email: str, password: str = PASSWORD,
           next_url: str | None = None) -> None:
    """Log in through the form, whatever language the page is in."""
    page.goto(server("/login") if next_url is None else next_url)
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/login" not in page.url, f"log-in failed for {email}: still on {page.url}"


def make_group(app: Flask, owner_id: int, name: str = "Riverside Elders' Club") -> int:
    """A grassroots group owned by the given user, made directly in the database."""
    from venture.accounts.models import User
    from venture.groups import services
    from venture.groups.models import GroupKind

    with app.app_context():
        owner = db.session.get(User, owner_id)
        group = services.create_group(db.session, owner, services.GroupProfile(
            kind=GroupKind.GRASSROOTS, name=name, contact_name="Li Mei",
            contact_phone="13800138000", contact_email="club@example.org",
            filed_with="Riverside Residents' Committee"))
        db.session.commit()
        return group.id


def scroll_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def make_public_proposal(app: Flask, call_id: int, owner_email: str, group_id: int, title: str,
                         theme: str = "长者关爱", summary: str | None = None, district: str = "天河区") -> int:
    """A submitted proposal, public while its call shows proposals, made
    through the services (as the group's owner would) without the browser."""
    from decimal import Decimal

    from tests.builders import pdf_bytes
    from venture.accounts.models import User
    from venture.calls.models import Call
    from venture.groups.models import Group
    from venture.proposals import services
    from venture.proposals.services import BudgetLine, DraftContent

    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == owner_email))
        call = db.session.get(Call, call_id)
        group = db.session.get(Group, group_id)
        proposal = services.start_proposal(db.session, user, call, group)
        services.save_draft(db.session, user, proposal, DraftContent(
            title=title, summary=summary or f"{title}: {title}", district=district, theme=theme,
            beneficiaries=20, sections={"problem": "空地荒废", "activities": "种菜", "beneficiaries": "老人"},
            budget=[BudgetLine("种子", 300_000, Decimal(1))]), proposal.lock_version)
        services.add_attachment(db.session, user, proposal, "a1", "预算表.pdf", pdf_bytes())
        services.submit(db.session, user, proposal, confirmed_warnings=True)
        db.session.commit()
        return proposal.id
