"""One blind face everywhere: a stranger, logged out, during the review.

A group plants who it is everywhere it can: the proposal's title (in
traditional characters), summary (split by a zero-width space, in
full-width letters), sections (Markdown and HTML splitting a name, former
names, the English name, members by surname and title, the phone spelled
out, the e-mail with (at) and (dot), an ID-card number, a WeChat account,
the credit code spaced out), a budget line, its file names, the files'
text and document properties, and the comments its team posts. After
submitting, it renames itself and a member leaves. Then a client with no
session crawls every public surface – home, calls, listings, the proposal
page, the Atom feed, search (asked for each name, number and address), the
open-data API and the public files – and finds none of it: not as written,
not in traditional characters, not split by invisible characters. From the
public notice on the group is named, and its contact data still is not.
"""
from __future__ import annotations

import io
import re
import unicodedata
from collections import deque
from decimal import Decimal
from urllib.parse import quote, unquote, urljoin, urlsplit
from xml.etree import ElementTree

import pytest
from sqlalchemy import select, update

from tests.builders import make_body, make_call, pdf_bytes
from tests.conftest import Client, login, make_user
from venture.accounts.models import User
from venture.calls.models import Call, Phase
from venture.extensions import db
from venture.groups import creditcode
from venture.groups.models import Group, GroupKind, GroupMembership, MemberRole
from venture.proposals import files, leaks
from venture.proposals.models import Attachment, Proposal, ProposalVersion

OWNER, MEMBER, RESIDENT, ORGANIZER = "ouyang@example.org", "sima@example.org", "resident@example.org", "org@example.org"
GROUP = "晨光长者关爱服务中心"
FORMER, ENGLISH, DESCRIBED = "晨曦互助社", "Morning Light Elderly Care Centre", "朝阳编织队"
RENAMED = "新晨社区服务中心"
OWNER_NAME, MEMBER_NAME = "欧阳晓红", "司马明珠"
PHONE, EMAIL, WECHAT, ID_NUMBER = "13912345678", "chenguang@example.org", "chenguang2026", "44010619900101123X"
CODE = creditcode.complete("52440106MJL765432")

# What must appear nowhere public while review is blind (as written or in any variant).
BLIND_SECRETS = (GROUP, "晨光", FORMER, "晨曦", "朝阳编织", "Morning Light", RENAMED, "新晨", OWNER_NAME, MEMBER_NAME,
                 "欧阳老师", "司马姐", "Ouyang", "Sima Mingzhu", PHONE, EMAIL, "chenguang", OWNER, MEMBER, WECHAT,
                 ID_NUMBER, CODE)
# What must appear nowhere public in any phase.
CONTACT_SECRETS = (OWNER_NAME, "欧阳老师", "Ouyang", PHONE, EMAIL, OWNER, WECHAT, ID_NUMBER)

MAX_PAGES = 250


def _skeleton(text: str) -> str:
    """A text as a reader takes it in: variants folded, invisible characters,
    punctuation, tags and spaces set aside, case ignored."""
    spaced = leaks._spaced(leaks.reading_form(unicodedata.normalize("NFC", text)))
    return spaced.replace(" ", "").lower()


def xlsx_bytes(text: str, creator: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = text
    book.properties.creator = creator
    book.properties.title = text
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def png_with_author(author: str) -> bytes:
    from tests.unit.test_files import png

    return png(author=author)


@pytest.fixture
def world(app):
    for email, name in ((OWNER, OWNER_NAME), (MEMBER, MEMBER_NAME), (RESIDENT, "居民王丽"), (ORGANIZER, "主办方")):
        make_user(app, email, name=name)
    body = make_body(app, ORGANIZER)
    call_id = make_call(app, body, Phase.OPEN, title="2026 幸福社区微民生项目")
    from venture.comments import services as comments
    from venture.groups import services as groups
    from venture.proposals import services as proposals
    from venture.proposals.services import BudgetLine, DraftContent

    with app.test_request_context():
        session = db.session
        owner = session.scalar(select(User).where(User.email == OWNER))
        member = session.scalar(select(User).where(User.email == MEMBER))
        resident = session.scalar(select(User).where(User.email == RESIDENT))
        group = groups.create_group(session, owner, groups.GroupProfile(
            kind=GroupKind.REGISTERED, name=GROUP, contact_name=OWNER_NAME, contact_phone=PHONE, contact_email=EMAIL,
            description=f"本中心原名“{DESCRIBED}”，服务长者十年。", credit_code=CODE,
            registration_type=groups.RegistrationType.SOCIAL_SERVICE, former_names=[FORMER], other_names=[ENGLISH]))
        group.memberships.append(GroupMembership(user=member, role=MemberRole.MEMBER))
        session.flush()
        call = session.get(Call, call_id)
        proposal = proposals.start_proposal(session, owner, call, group)
        spaced_code = " ".join(CODE[i:i + 3] for i in range(0, len(CODE), 3))
        proposals.save_draft(session, owner, proposal, DraftContent(
            title="晨光長者關愛服務中心的长者助餐",
            summary="由晨\u200b光社工与 Ｍｏｒｎｉｎｇ Ｌｉｇｈｔ 团队为独居长者送餐。",
            district="天河区", theme="长者关爱", beneficiaries=40,
            sections={
                "problem": f"我们**晨**光团队由欧阳老师带领、司马姐协助；电话 139 1234 5678，"
                           f"邮箱 chenguang(at)example(dot)org。社区里独居长者吃饭难。",
                "activities": f"原名{DESCRIBED}、曾用名{FORMER}；Ms. Ouyang 负责；晨<b>光</b>的厨房；"
                              f"负责人身份证 {ID_NUMBER}；微信 {WECHAT}。每周送餐五次。",
                "beneficiaries": f"统一社会信用代码 {spaced_code}，Sima Mingzhu 也参与。受益长者 40 人。",
            },
            budget=[BudgetLine(f"晨光活动室租用（联系 {PHONE}）", 300_000, Decimal(1))]), proposal.lock_version)
        budget = proposals.add_attachment(session, owner, proposal, "a1", f"{GROUP}预算表.xlsx",
                                          xlsx_bytes(f"{ENGLISH} 晨光 预算", OWNER_NAME))
        photo = proposals.add_attachment(session, owner, proposal, "other", f"{OWNER_NAME}拍摄.png",
                                         png_with_author("Ouyang Xiaohong"))
        plain = proposals.add_attachment(session, owner, proposal, "other", f"{MEMBER_NAME}的说明.pdf",
                                         pdf_bytes(author=f"{MEMBER_NAME} {GROUP}"))
        for attachment in (budget, photo, plain):
            proposals.set_attachment_public(session, owner, attachment, True)
        version = proposals.submit(session, owner, proposal, confirmed_warnings=True)
        question = comments.post_comment(session, resident, proposal, f"听说这是{FORMER}？周末也送吗？")
        comments.post_comment(session, owner, proposal, f"周末也送。我是{OWNER_NAME}，电话 {PHONE}，找晨光社工就行。",
                              parent=question)
        comments.post_comment(session, member, proposal, "我们团队的司马明珠会负责周末。")
        session.commit()
        ids = {"call": call_id, "group": group.id, "proposal": proposal.id, "number": version.number,
               "budget": budget.id, "photo": photo.id, "plain": plain.id}
    with app.test_request_context():
        session = db.session
        owner = session.scalar(select(User).where(User.email == OWNER))
        group = session.get(Group, ids["group"])
        # After submitting: the group renames itself and a member leaves.
        groups.update_group(session, owner, group, groups.GroupProfile(
            kind=GroupKind.REGISTERED, name=RENAMED, contact_name=OWNER_NAME, contact_phone=PHONE, contact_email=EMAIL,
            description="", credit_code=CODE, registration_type=groups.RegistrationType.SOCIAL_SERVICE,
            former_names=[FORMER], other_names=[ENGLISH]))
        leaving = next(m for m in group.memberships if m.user.email == MEMBER)
        groups.remove_member(session, owner, leaving)
        session.execute(update(Call).where(Call.id == call_id).values(phase=Phase.REVIEW))
        from venture.search import services as search

        search.enqueue(session, "call", call_id)
        session.commit()
        search.process_queue(session)
    return ids


def _texts(response) -> list[str]:
    data = response.get_data()
    kind = files.sniff(data)
    disposition = unquote(response.headers.get("Content-Disposition", ""))
    if kind is None:
        return [data.decode("utf-8", errors="replace"), disposition]
    return [files.extract_text(kind, data), "\n".join(files.extract_metadata(kind, data).values()), disposition]


def _links(text: str, base: str) -> list[str]:
    found = []
    for href in re.findall(r'(?:href|src)="([^"#]+)', text):
        url = urljoin(base, href.replace("&amp;", "&"))
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or parts.path.startswith("/static/") or "logout" in parts.path:
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _search_paths(secrets: tuple[str, ...]) -> list[str]:
    return ([f"/search?q={quote(secret)}" for secret in secrets]
            + [f"/search?q={quote(secret)}&type=proposal" for secret in secrets[:4]])


def _crawl(client: Client, start: list[str], secrets: tuple[str, ...]) -> tuple[set[str], list[str]]:
    problems: list[str] = []
    seen: set[str] = set()
    queue = deque(start)
    wanted = {secret: _skeleton(secret) for secret in secrets}
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code >= 500:
            problems.append(f"{path}: {response.status_code}")
            continue
        if response.status_code in (301, 302, 303) and response.location:
            queue.append(urlsplit(urljoin(path, response.location)).path)
            continue
        if response.status_code != 200:
            continue
        texts = _texts(response)
        query = re.search(r"[?&]q=([^&]*)", path)
        if path.startswith("/search") and query:
            # The page repeats what was typed into the box: that is the visitor's own input.
            typed = unquote(query.group(1))
            texts = [text.replace(typed, "").replace(query.group(1), "") for text in texts]
        readable = [_skeleton(text) for text in texts]
        for secret, folded in wanted.items():
            if any(secret in text for text in texts) or any(folded in text for text in readable):
                problems.append(f"{path} shows {secret!r}")
        if response.mimetype in ("text/html", "application/atom+xml", "application/json"):
            queue.extend(_links(texts[0], path))
            if response.mimetype == "application/json":
                queue.extend(urlsplit(url).path for url in re.findall(r'"(http://localhost/[^"]+)"', texts[0]))
    return seen, problems


def _start(ids) -> list[str]:
    call, proposal = ids["call"], ids["proposal"]
    return ["/", "/calls/", f"/calls/{call}", f"/calls/{call}/proposals", "/showcase",
            f"/showcase?call={call}&sort=supported", f"/proposals/{proposal}", f"/calls/{call}/feed.atom",
            f"/proposals/{proposal}?comment=1", "/api/v1/calls", f"/api/v1/calls/{call}", "/api/v1/openapi.json",
            *(f"/attachments/{ids[name]}" for name in ("budget", "photo", "plain"))]


def test_a_logged_out_crawl_during_review_finds_no_trace_of_the_group(app, world):
    stranger = Client(app, app.response_class, use_cookies=True)
    secrets = (*BLIND_SECRETS, world["number"])  # nor the receipt number the reviewers see
    seen, problems = _crawl(stranger, _start(world) + _search_paths(BLIND_SECRETS), secrets)
    assert problems == []
    assert len(seen) > 30, "the crawl reached too little to mean anything"
    page = stranger.get(f"/proposals/{world['proposal']}").get_data(as_text=True)
    assert "长者助餐" in page and "■■■" in page and "每周送餐五次" in page, "the proposal itself is still there"
    assert "周末也送" in page, "the team's answer is there, without its name and number"
    for secret in BLIND_SECRETS:
        found = stranger.get(f"/search?q={quote(secret)}").get_data(as_text=True)
        assert f'href="/proposals/{world["proposal"]}' not in found, f"a search for {secret!r} finds the proposal"


def test_the_search_index_holds_no_identity_term_while_blind(app, world):
    from venture.search.index import get_index

    with app.app_context(), get_index().searcher() as searcher:
        reader = searcher.reader()
        terms = {term for name in ("title", "body", "group") for term in reader.field_terms(name)}
    assert {"独居", "每周", "餐"} <= terms, "the proposal is indexed"
    for token in ("晨光", "晨曦", "朝阳", "欧阳", "晓红", "司马", "明珠", "新晨", "morning", "ouyang", "sima",
                  "mingzhu", PHONE, "chenguang", WECHAT, ID_NUMBER.lower(), CODE.lower()):
        assert not any(token in term for term in terms), token


def test_public_files_have_neutral_names_and_are_held_back_when_they_name_the_group(app, client, world):
    page = client.get(f"/proposals/{world['proposal']}").get_data(as_text=True)
    assert f"/attachments/{world['budget']}" not in page, "the budget sheet's text names the group"
    assert f"/attachments/{world['photo']}" in page and f"/attachments/{world['plain']}" in page
    assert "附件1.xlsx" in page and "附件2.png" in page and "附件3.pdf" in page
    served = client.get(f"/attachments/{world['photo']}")
    assert served.status_code == 200
    assert unquote(served.headers["Content-Disposition"]).endswith("附件2.png")
    assert "Ouyang" not in served.get_data().decode("latin-1")
    assert client.get(f"/attachments/{world['budget']}").status_code in (302, 404)
    login(client, RESIDENT)
    assert client.get(f"/attachments/{world['budget']}").status_code in (403, 404)
    english = client.get(f"/attachments/{world['plain']}", headers={"Accept-Language": "en"})
    assert english.status_code == 200
    # The resident chose Chinese or English when registering: the name is theirs.
    assert re.search(r"(Attachment 3|附件3)\.pdf$", unquote(english.headers["Content-Disposition"]))


def test_the_group_keeps_its_own_file_names(app, world):
    owner = Client(app, app.response_class, use_cookies=True)
    login(owner, OWNER)
    served = owner.get(f"/attachments/{world['plain']}")
    assert served.status_code == 200 and MEMBER_NAME in unquote(served.headers["Content-Disposition"])


def test_from_the_notice_the_group_is_named_but_its_contact_data_never(app, world):
    from venture.search import services as search

    with app.app_context():
        db.session.execute(update(Call).where(Call.id == world["call"]).values(phase=Phase.NOTICE))
        search.enqueue(db.session, "call", world["call"])
        db.session.commit()
        search.process_queue(db.session)
    stranger = Client(app, app.response_class, use_cookies=True)
    page = stranger.get(f"/proposals/{world['proposal']}").get_data(as_text=True)
    assert RENAMED in page and "晨光" in page, "the group is named now, and so is what it wrote"
    seen, problems = _crawl(stranger, _start(world) + _search_paths(CONTACT_SECRETS), CONTACT_SECRETS)
    assert problems == []
    assert len(seen) > 30


def test_the_public_face_is_the_reviewers_blind_face(app, world):
    """The public page and the reviewer's blind view come from one function,
    with the same identity: they are equal."""
    from venture.proposals import face
    from venture.review import services as reviews
    from venture.showcase import visibility

    with app.test_request_context():
        proposal = db.session.get(Proposal, world["proposal"])

        class Assigned:  # what blind_content reads of an assignment
            pass

        assignment = Assigned()
        assignment.proposal = proposal  # type: ignore[attr-defined]
        public = visibility.face_of(proposal)
        assert public == reviews.blind_content(assignment)  # type: ignore[arg-type]
        face.clear_cache()
        assert visibility.face_of(proposal) == public, "the cached face is the face"
        version = proposal.latest_version
        assert GROUP in version.identity["group_names"] and MEMBER_NAME in version.identity["member_names"]


def test_the_atom_feed_is_well_formed_whatever_the_titles_say(app, world):
    from venture.proposals.services import fingerprint

    hostile = 'Tom & Jerry\'s <entry><title>injected</title></entry> "garden" ]]> \x0b\x1b'
    with app.app_context():
        version = db.session.scalar(select(ProposalVersion).where(ProposalVersion.proposal_id == world["proposal"]))
        content = dict(version.content, title=hostile, summary="Bread & <b>butter</b>")
        version.content, version.fingerprint = content, fingerprint(content)
        db.session.execute(update(Call).where(Call.id == world["call"]).values(title="Calls & <feed>"))
        db.session.commit()
    response = Client(app, app.response_class).get(f"/calls/{world['call']}/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ElementTree.fromstring(response.get_data())
    assert feed.findtext(f"{atom}title") == "Calls & <feed>"
    entries = feed.findall(f"{atom}entry")
    assert len(entries) == 1, "a title cannot add entries"
    assert entries[0].findtext(f"{atom}title") == hostile.replace("\x0b", "").replace("\x1b", "")
    assert entries[0].findtext(f"{atom}summary") == "Bread & <b>butter</b>"
    assert entries[0].find(f"{atom}author") is None, "nobody is named while review is blind"
    assert feed.findtext(f"{atom}author/{atom}name") == "天河区民政局"


def test_the_applicant_sees_the_public_page_before_submitting(app, client, world):
    from venture.proposals.services import BudgetLine, DraftContent

    with app.test_request_context():
        from venture.proposals import services as proposals

        owner = db.session.scalar(select(User).where(User.email == OWNER))
        proposal = db.session.get(Proposal, world["proposal"])
        db.session.execute(update(Call).where(Call.id == world["call"]).values(phase=Phase.OPEN))
        db.session.commit()
        proposals.save_draft(db.session, owner, proposal, DraftContent(
            title=f"{RENAMED}的新方案", summary="由晨光社工实施，电话 13912345678。", district="天河区", theme="长者关爱",
            beneficiaries=40, sections={"problem": "空地", "activities": "种菜", "beneficiaries": "老人"},
            budget=[BudgetLine("种子", 300_000, Decimal(1))]), proposal.lock_version)
        db.session.commit()
    login(client, OWNER)
    page = client.get(f"/proposals/{world['proposal']}/submit").get_data(as_text=True)
    preview = page[page.index('id="preview-title"'):]
    preview = preview[:preview.index("</section>")]
    assert "■■■的新方案" in preview and "由■■■社工实施，电话 ■■■。" in preview
    assert RENAMED not in preview and PHONE not in preview and "晨光" not in preview
    assert "附件1.xlsx" in preview
    assert "公示" in preview and "7" in preview, "says when the group's name becomes public"


def test_a_renamed_group_keeps_its_old_name_and_the_profile_lists_other_names(app, client, world):
    login(client, OWNER)
    with app.app_context():
        group = db.session.get(Group, world["group"])
        assert group.name == RENAMED and GROUP in group.former_names and FORMER in group.former_names
        assert group.other_names == [ENGLISH]
    page = client.get(f"/groups/{world['group']}/edit").get_data(as_text=True)
    assert FORMER in page and GROUP in page
    with app.app_context():
        version = db.session.scalar(select(ProposalVersion).where(ProposalVersion.proposal_id == world["proposal"]))
        assert version.identity["group_names"][0] == GROUP, "the identity at submission is frozen"
        assert DESCRIBED in version.identity["group_names"], "names the description gives are kept too"


def test_attachment_metadata_is_still_stripped_for_the_public(app, client, world):
    served = client.get(f"/attachments/{world['plain']}")
    assert served.status_code == 200
    from pypdf import PdfReader

    assert "/Author" not in (PdfReader(io.BytesIO(served.get_data())).metadata or {})
    with app.app_context():
        assert db.session.get(Attachment, world["plain"]).filename.startswith(MEMBER_NAME)
