"""The reviewer's journey in a real browser, in Chinese and in English: the
panel invitation accepted from the dashboard, the conflict declaration (a tie
to one group), then the blind proposal scored with half points, first with a
missing reason (the error keeps what was typed), then submitted, using the
keyboard alone on a 360-pixel phone screen. Every screen passes axe-core and
none names the applicant group."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.builders import make_body, make_call, make_group
from tests.conftest import make_user
from tests.e2e.conftest import Catalogue, LiveServer, Pages, assert_accessible, assert_html_lang, log_in, scroll_width
from tests.review_builders import make_expert, make_submitted_proposal
from venture.accounts.models import User
from venture.calls.models import Call, Phase
from venture.core.collation import name_sort_key
from venture.extensions import db
from venture.proposals.models import Screening
from venture.review.models import Assignment, MemberStatus, PanelMember

LOCALES = ["zh_CN", "en"]
ORGANIZER = "organizer@example.org"
REVIEWER = "reviewer@example.org"
COLLEAGUES = ("colleague1@example.org", "colleague2@example.org")
OURS, TIED = "晨光长者关爱服务中心", "书香儿童小组"


def _closed_call_with_panel(app) -> dict[str, int]:
    make_user(app, ORGANIZER)
    make_user(app, REVIEWER, name="王建国")
    for email in COLLEAGUES:
        make_user(app, email)
    make_user(app, "owner@example.org", name="欧阳晓红")
    make_user(app, "other@example.org", name="李老师")
    body = make_body(app, ORGANIZER)
    call = make_call(app, body, Phase.OPEN, reviewers_per_proposal=2)
    ours = make_group(app, "owner@example.org", name=OURS)
    tied = make_group(app, "other@example.org", name=TIED)
    scored = make_submitted_proposal(app, call, ours, title="长者助餐点", text=f"{OURS}为独居长者送餐。",
                                     screening=Screening.ELIGIBLE)
    make_submitted_proposal(app, call, tied, title="儿童阅读角", text="为社区儿童开设阅读角。",
                            screening=Screening.ELIGIBLE)
    make_expert(app, body, REVIEWER, expertise=("finance",))
    for email in COLLEAGUES:
        make_expert(app, body, email, expertise=("social_work",))
    from venture.panels import services as panels

    with app.test_request_context():
        session = db.session
        call_row = session.get(Call, call)
        call_row.phase = Phase.CLOSED
        organizer = session.scalar(select(User).where(User.email == ORGANIZER))
        panels.prepare_draw(session, organizer, call_row)
        panels.draw(session, organizer, call_row, 3, {"finance": 1}, [panels.Witness("陈监督", "监督科", "2718")])
        session.commit()
        member = session.scalar(select(PanelMember).where(PanelMember.expert.has(user_id=session.scalar(
            select(User.id).where(User.email == REVIEWER)))))
        return {"call": call, "member": member.id, "proposal": scored["proposal_id"], "tied": tied}


def _others_accept_and_review_starts(app, call_id: int) -> None:
    from venture.calls import services as calls
    from venture.panels import conflicts
    from venture.panels import services as panels

    with app.test_request_context():
        session = db.session
        call = session.get(Call, call_id)
        for member in panels.members_of(session, call):
            if member.expert.user.email in COLLEAGUES:
                panels.respond(session, member.expert.user, member, accept=True)
                conflicts.declare(session, member.expert.user, member, [], True)
        organizer = session.scalar(select(User).where(User.email == ORGANIZER))
        calls.transition(session, organizer, call, Phase.REVIEW)
        panels.assign_call(session, organizer, call)
        session.commit()


@pytest.mark.parametrize("locale", LOCALES)
def test_reviewer_declares_a_conflict_and_scores_blind(live_server: LiveServer, new_page: Pages, locale: str,
                                                       t: Catalogue) -> None:
    app = live_server.app
    world = _closed_call_with_panel(app)
    page = new_page()
    log_in(page, live_server, REVIEWER)

    # The dashboard leads to the invitation; accepting it.
    page.goto(live_server("/review/"))
    assert_html_lang(page, locale)
    assert_accessible(page)
    page.goto(live_server(f"/panels/{world['member']}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        t("Review panel for %(call)s", call="2026 幸福社区微民生项目"))
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name=t("Accept")).click()

    # The conflict declaration: names only, in pinyin order (晨 chen before 书 shu), not linked.
    page.goto(live_server(f"/panels/{world['member']}/conflicts"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Conflicts of interest"))
    legend = page.locator("fieldset legend")
    expect(legend).to_contain_text(t("Groups that applied (%(num)d), sorted by name", num=2))
    names = page.locator("fieldset li label").all_inner_texts()
    assert [n for n in names if n in (OURS, TIED)] == sorted([OURS, TIED], key=name_sort_key)
    assert "长者助餐点" not in page.content() and "儿童阅读角" not in page.content()
    assert_accessible(page)
    page.locator(f"#tie_{world['tied']}").check()
    page.locator(f"#reason_{world['tied']}").fill("曾担任该组织的志愿顾问")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Send my declaration")).click()
    expect(page.locator(f"#tie_{world['tied']}")).to_be_disabled()
    with app.app_context():
        member = db.session.get(PanelMember, world["member"])
        assert member.status is MemberStatus.ACCEPTED and member.conflicts_declared_at is not None

    _others_accept_and_review_starts(app, world["call"])
    with app.app_context():
        assignment = db.session.scalar(select(Assignment).where(Assignment.member_id == world["member"]))
        assert assignment is not None and assignment.proposal_id == world["proposal"], "never the tied group"
        criteria = [c.id for c in assignment.proposal.call.criteria]

    # On a phone, with the keyboard alone.
    phone = new_page(width=360, height=740)
    log_in(phone, live_server, REVIEWER)
    phone.goto(live_server("/review/"))
    with phone.expect_navigation():
        phone.locator(f"a[href='/review/{assignment.id}']").first.click()
    assert OURS not in phone.content() and "欧阳晓红" not in phone.content()
    assert scroll_width(phone) <= 360
    assert_accessible(phone)

    phone.locator(f"#score_{criteria[0]}").focus()
    phone.keyboard.type("7.5")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.id") == f"reason_{criteria[0]}"
    phone.keyboard.type("需求真实，有走访数据支撑。")
    phone.locator(f"#score_{criteria[1]}").focus()
    phone.keyboard.type("8")
    # The second reason is missing: the page says so and keeps what was typed.
    phone.get_by_role("button", name=t("Submit review")).focus()
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    expect(phone.locator("#error-summary")).to_be_visible()
    expect(phone.locator(f"#score_{criteria[0]}")).to_have_value("7.5")
    expect(phone.locator(f"#reason_{criteria[0]}")).to_have_value("需求真实，有走访数据支撑。")
    assert_accessible(phone)

    phone.locator(f"#reason_{criteria[1]}").focus()
    phone.keyboard.type("方案具体，分工清楚，可以执行。")
    phone.get_by_role("button", name=t("Submit review")).focus()
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    # 40 × 7.5/10 + 60 × 8/10 = 78
    expect(phone.locator("main")).to_contain_text(
        t("Your review is submitted as version %(n)d, with a total of %(total)s out of 100. You can revise "
          "it until the review phase ends.", n=1, total="78.00")[:20])
    assert scroll_width(phone) <= 360
    assert_accessible(phone)
    with app.app_context():
        from venture.review.models import Review, ReviewStatus

        review = db.session.scalar(select(Review).where(Review.assignment_id == assignment.id))
        assert review.status is ReviewStatus.SUBMITTED and review.versions[-1].total == 78
