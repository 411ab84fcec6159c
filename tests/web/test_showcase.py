"""The public showcase: what residents see of proposals, and what they never see."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select, update

from tests.builders import make_body, make_call, make_group, pdf_bytes
from tests.conftest import Client, login, make_user
from venture.calls.models import Call, Phase
from venture.extensions import db
from venture.proposals import services
from venture.proposals.models import Attachment, Proposal
from venture.proposals.services import BudgetLine, DraftContent

EN = {"Accept-Language": "en"}
GROUP = "幸福里邻里互助队"


def make_proposal(app, call_id, owner_email, group_id, title="邻里菜园", submit=True, index=0):
    from decimal import Decimal

    from venture.accounts.models import User
    from venture.groups.models import Group

    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == owner_email))
        call = db.session.get(Call, call_id)
        group = db.session.get(Group, group_id)
        proposal = services.start_proposal(db.session, user, call, group)
        services.save_draft(db.session, user, proposal, DraftContent(
            title=title, summary=f"{title}的简介", district="天河区", theme="长者关爱", beneficiaries=10 + index,
            sections={"problem": "空地", "activities": "种菜", "beneficiaries": "老人"},
            budget=[BudgetLine("种子", 300_000 + index, Decimal(1))]), proposal.lock_version)
        services.add_attachment(db.session, user, proposal, "a1", "预算表.pdf", pdf_bytes(author="李慧敏"))
        if submit:
            services.submit(db.session, user, proposal, confirmed_warnings=True)
        db.session.commit()
        return proposal.id


@pytest.fixture
def world(app):
    for email in ("owner@example.org", "member@example.org", "resident@example.org", "org@example.org"):
        make_user(app, email)
    make_user(app, "unverified@example.org", verified=False)
    body = make_body(app, "org@example.org")
    call = make_call(app, body, Phase.OPEN)
    group = make_group(app, "owner@example.org", name=GROUP, members=("member@example.org",))
    proposal = make_proposal(app, call, "owner@example.org", group)
    return {"body": body, "call": call, "group": group, "proposal": proposal}


def set_phase(app, call_id, phase):
    with app.app_context():
        db.session.execute(update(Call).where(Call.id == call_id).values(phase=phase))
        db.session.commit()


def public_surfaces(client, world):
    """Every public place a proposal can appear."""
    pages = [f"/proposals/{world['proposal']}", f"/calls/{world['call']}/proposals", "/showcase",
             f"/calls/{world['call']}/feed.atom", f"/showcase?call={world['call']}&sort=supported"]
    return {path: client.get(path, headers=EN) for path in pages}


def test_a_submitted_proposal_is_public_without_its_group(app, client, world):
    for path, response in public_surfaces(client, world).items():
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "邻里菜园" in page, path
        for secret in (GROUP, "Owner", "owner@example.org", "13900139004", "赵桂英", "team@xingfu.example",
                       "Member"):
            assert secret not in page, (path, secret)


def test_the_group_is_named_from_the_public_notice_on(app, client, world):
    set_phase(app, world["call"], Phase.NOTICE)
    for path, response in public_surfaces(client, world).items():
        assert GROUP in response.get_data(as_text=True), path


def test_the_public_sees_the_submitted_version_not_the_working_copy(app, client, world):
    with app.app_context():
        db.session.execute(update(Proposal).values(title="还没提交的新标题"))
        db.session.commit()
    page = client.get(f"/proposals/{world['proposal']}").get_data(as_text=True)
    assert "邻里菜园" in page and "还没提交的新标题" not in page


@pytest.mark.parametrize("change", ["draft", "withdrawn", "cancelled", "call_draft"])
def test_drafts_withdrawn_and_cancelled_are_never_public(app, client, world, change):
    if change == "draft":
        other_group = make_group(app, "member@example.org", name="Other team")
        hidden = make_proposal(app, world["call"], "member@example.org", other_group, title="草稿标题", submit=False)
        target, title = hidden, "草稿标题"
    else:
        target, title = world["proposal"], "邻里菜园"
        if change == "withdrawn":
            with app.test_request_context():
                from venture.accounts.models import User
                user = db.session.scalar(select(User).where(User.email == "owner@example.org"))
                services.withdraw(db.session, user, db.session.get(Proposal, target))
                db.session.commit()
        else:
            set_phase(app, world["call"], Phase.CANCELLED if change == "cancelled" else Phase.DRAFT)
    assert client.get(f"/proposals/{target}").status_code == 404
    for path in ["/showcase", f"/showcase?call={world['call']}"]:
        assert title not in client.get(path).get_data(as_text=True), path
    feed = client.get(f"/calls/{world['call']}/feed.atom")
    assert feed.status_code in (200, 403, 404) and title not in feed.get_data(as_text=True)


def test_only_files_marked_public_are_shown_and_without_their_metadata(app, client, world):
    from venture.proposals import files

    with app.app_context():
        attachment = db.session.scalar(select(Attachment))
        attachment_id = attachment.id
    page = client.get(f"/proposals/{world['proposal']}").get_data(as_text=True)
    assert f"/attachments/{attachment_id}" not in page
    assert client.get(f"/attachments/{attachment_id}").status_code == 302  # anonymous: log in
    owner = Client(app, app.response_class, use_cookies=True)
    login(owner, "owner@example.org")
    assert owner.submit(f"/proposals/{world['proposal']}/attachments/{attachment_id}/public",
                        {"public": "1"}).status_code == 302
    page = client.get(f"/proposals/{world['proposal']}").get_data(as_text=True)
    assert f"/attachments/{attachment_id}" in page
    assert "预算表.pdf" not in page, "file names stay hidden while review is blind"
    response = client.get(f"/attachments/{attachment_id}")
    assert response.status_code == 200
    assert "李慧敏" not in str(files.extract_metadata(files.FileKind.PDF, response.data))
    # The group itself gets the cleaned file too: nothing is served as it came.
    own = owner.get(f"/attachments/{attachment_id}").data
    assert own.startswith(b"%PDF") and "李慧敏" not in str(files.extract_metadata(files.FileKind.PDF, own))


def test_support_once_withdraw_and_counts(app, world, lock_before):
    resident = Client(app, app.response_class, use_cookies=True)
    login(resident, "resident@example.org")
    url = f"/proposals/{world['proposal']}/support"
    assert resident.submit(url).status_code == 302
    resident.submit(url)  # a second support is refused with a message
    with app.app_context():
        assert db.session.get(Proposal, world["proposal"]).support_count == 1
    page = resident.get(f"/proposals/{world['proposal']}", headers=EN).get_data(as_text=True)
    assert "1 resident supports this proposal." in page and "Withdraw my support" in page
    resident.submit(url, {"withdraw": "1"})
    with app.app_context():
        proposal = db.session.get(Proposal, world["proposal"])
        assert proposal.support_count == 0
        assert proposal.lock_version == lock_before, "support does not disturb the group's editor"


@pytest.fixture
def lock_before(app, world):
    with app.app_context():
        return db.session.get(Proposal, world["proposal"]).lock_version


def test_the_groups_own_members_and_unverified_users_cannot_support(app, world):
    url = f"/proposals/{world['proposal']}/support"
    for email in ("member@example.org", "owner@example.org", "unverified@example.org"):
        client = Client(app, app.response_class, use_cookies=True)
        login(client, email)
        assert client.submit(url).status_code == 403, email
    assert app.test_client().post(url).status_code in (302, 400)
    with app.app_context():
        assert db.session.get(Proposal, world["proposal"]).support_count == 0


def test_listing_sorts_and_keyset_pagination(app, client, world):
    from venture.showcase import services as showcase

    for index in range(1, 25):
        make_user(app, f"o{index}@example.org")
        group = make_group(app, f"o{index}@example.org", name=f"Team {index}")
        make_proposal(app, world["call"], f"o{index}@example.org", group, title=f"Project {index:02d}", index=index)
    with app.app_context():
        db.session.execute(update(Proposal).where(Proposal.title == "Project 07").values(support_count=9))
        db.session.execute(update(Proposal).where(Proposal.title == "Project 03").values(comment_count=5))
        db.session.commit()
        first = showcase.listing(db.session, call_id=world["call"], page_size=10)
        assert len(first.items) == 10 and first.next_cursor
        seen = [v.content["title"] for _, v in first.items]
        cursor = first.next_cursor
        while cursor:
            page = showcase.listing(db.session, call_id=world["call"], page_size=10, cursor=cursor)
            seen += [v.content["title"] for _, v in page.items]
            cursor = page.next_cursor
        assert len(seen) == 25 and len(set(seen)) == 25, "every proposal exactly once"
        assert showcase.listing(db.session, sort="supported").items[0][1].content["title"] == "Project 07"
        assert showcase.listing(db.session, sort="discussed").items[0][1].content["title"] == "Project 03"
    page = client.get(f"/calls/{world['call']}/proposals?after=garbage&sort=nonsense&theme=" + "x" * 500)
    assert page.status_code == 200


def _count_queries(app, client, path):
    engine = db.engine
    count = 0

    def before(*_args, **_kwargs):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return count


def test_listing_query_count_does_not_grow_with_the_page(app, client, world):
    few = _count_queries(app, client, f"/calls/{world['call']}/proposals")
    for index in range(1, 15):
        make_user(app, f"q{index}@example.org")
        group = make_group(app, f"q{index}@example.org", name=f"Q {index}")
        make_proposal(app, world["call"], f"q{index}@example.org", group, title=f"Q{index}", index=index)
    many = _count_queries(app, client, f"/calls/{world['call']}/proposals")
    assert many == few


def test_feed_is_atom_and_pages_have_sharing_metadata(app, client, world):
    feed = client.get(f"/calls/{world['call']}/feed.atom")
    assert feed.mimetype == "application/atom+xml"
    import xml.etree.ElementTree as ET
    root = ET.fromstring(feed.data)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 1
    page = client.get(f"/proposals/{world['proposal']}").get_data(as_text=True)
    assert "<title>邻里菜园 ·" in page and 'name="description" content="邻里菜园的简介"' in page
    assert 'property="og:title" content="邻里菜园"' in page
