"""Funded projects in a real browser, in Chinese and in English, on a 360 px
phone: the group files its mid-term report (activities, people served,
spending per budget line, a receipt whose metadata is removed) and submits
it; the organizer releases the first tranche and records its payment. Every
screen passes axe-core and nothing is wider than the phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.builders import pdf_bytes
from tests.e2e.conftest import Catalogue, LiveServer, Pages, assert_accessible, assert_html_lang, log_in, scroll_width
from tests.project_builders import make_project_world, milestone_of, under_way
from venture.extensions import db
from venture.projects import services
from venture.projects.models import Project, ReportFile, ReportStatus, TrancheStatus

LOCALES = ["zh_CN", "en"]
PHONE = {"width": 360, "height": 740}


def _fits(page) -> None:
    assert scroll_width(page) <= PHONE["width"], f"{page.url} is wider than the phone: {scroll_width(page)} px"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_group_files_its_mid_term_report_on_a_phone(live_server: LiveServer, new_page: Pages, locale: str,
                                                        t: Catalogue, tmp_path) -> None:
    app = live_server.app
    world = make_project_world(app)
    project_id = world.projects[0]
    under_way(app, project_id)
    with app.app_context():
        project = db.session.get(Project, project_id)
        midterm_id = milestone_of(project, "midterm").id
        midterm_title = milestone_of(project, "midterm").title

    owner = new_page(**PHONE)
    log_in(owner, live_server, "owner0@example.org")
    owner.goto(live_server("/my/projects"))
    expect(owner.get_by_role("heading", level=1)).to_have_text(t("My projects"))
    assert_html_lang(owner, locale)
    assert_accessible(owner)
    _fits(owner)
    with owner.expect_navigation():
        owner.get_by_role("link", name="项目0").click()
    assert_accessible(owner)
    _fits(owner)
    with owner.expect_navigation():
        owner.get_by_role("link", name=t("Write the report")).first.click()
    expect(owner.get_by_role("heading", level=1)).to_have_text(midterm_title)
    assert_accessible(owner)
    _fits(owner)

    owner.get_by_label(t("Activities held"), exact=True).fill("三月至五月每周二开展长者午餐 12 次。Weekly lunches since March.")
    owner.get_by_label(t("People served so far"), exact=True).fill("38")
    owner.get_by_label("食材").fill("1800")
    owner.get_by_label("场地").fill("0")
    with owner.expect_navigation():
        owner.get_by_role("button", name=t("Save the draft")).click()
    expect(owner.locator(".flash-success")).to_contain_text(t("The report is saved. Submit it when it is complete."))
    # The receipt for the line with spending: its author is removed before it is kept.
    receipt = tmp_path / "发票.pdf"
    receipt.write_bytes(pdf_bytes(author="会计 张三"))
    owner.get_by_label(t("What the file is")).select_option("receipt")
    owner.get_by_label(t("Budget line (for a receipt)")).select_option(label="食材")
    owner.locator("#file").set_input_files(str(receipt))
    with owner.expect_navigation():
        owner.get_by_role("button", name=t("Attach the file")).click()
    expect(owner.locator("#files")).to_contain_text("发票.pdf")
    assert_accessible(owner)
    _fits(owner)

    expect(owner.get_by_label(t("People served so far"), exact=True)).to_have_value("38")
    with owner.expect_navigation():
        owner.get_by_role("button", name=t("Save and submit to the organizers")).click()
    expect(owner.locator(".flash-success")).to_contain_text(
        t("The report is submitted. The organizers will accept it or ask for changes."))
    expect(owner.locator(f"#milestone-{midterm_id}")).to_contain_text(t("Submitted"))
    assert_accessible(owner)
    _fits(owner)
    with app.app_context():
        from venture.projects.models import Milestone

        milestone = db.session.get(Milestone, midterm_id)
        assert milestone.status is ReportStatus.SUBMITTED
        assert milestone.latest_version.content["public"]["beneficiaries_served"] == 38
        stored = db.session.query(ReportFile).one()
        from venture.proposals import files, storage

        assert "author" not in files.extract_metadata(files.FileKind.PDF, storage.read(stored.stored_name))


@pytest.mark.parametrize("locale", LOCALES)
def test_the_organizer_releases_and_pays_the_first_tranche(live_server: LiveServer, new_page: Pages, locale: str,
                                                           t: Catalogue) -> None:
    app = live_server.app
    world = make_project_world(app)
    project_id = world.projects[0]
    under_way(app, project_id)

    organizer = new_page()
    log_in(organizer, live_server, "organizer@example.org")
    organizer.goto(live_server(f"/calls/{world.call}/projects"))
    expect(organizer.get_by_role("heading", level=1)).to_have_text(
        t("Funded projects of %(call)s", call="2026 项目测试"))
    expect(organizer.locator("main")).to_contain_text(
        t.ngettext("%(num)d tranche to release", "%(num)d tranches to release", 1))
    assert_html_lang(organizer, locale)
    assert_accessible(organizer)
    with organizer.expect_navigation():
        organizer.get_by_role("link", name="项目0").click()
    assert_accessible(organizer)
    with organizer.expect_navigation():
        organizer.get_by_role("button", name=t("Release for payment")).first.click()
    expect(organizer.locator("main")).to_contain_text(t("Released for payment"))
    assert_accessible(organizer)
    organizer.get_by_label(t("Payment reference")).fill("ICBC-2026-0318")
    with organizer.expect_navigation():
        organizer.get_by_role("button", name=t("Record the payment")).click()
    expect(organizer.locator("table").first).to_contain_text("ICBC-2026-0318")
    assert_accessible(organizer)
    with app.app_context():
        tranche = db.session.get(Project, project_id).tranches[0]
        assert tranche.status is TrancheStatus.PAID and tranche.paid_fen == 300_000
        assert tranche.paid_on == services.local_today(tranche.project)

    # The same page on a phone: nothing wider than the screen, still accessible.
    phone = new_page(**PHONE)
    log_in(phone, live_server, "organizer@example.org")
    phone.goto(live_server(f"/projects/{project_id}/overview"))
    assert_accessible(phone)
    _fits(phone)
    phone.goto(live_server(f"/calls/{world.call}/projects"))
    _fits(phone)
    assert_accessible(phone)
