"""The blind-review promise, tested from the reviewer's side of the screen.

A group whose name, members, contact, credit code and e-mail addresses are
planted everywhere it can put them – the proposal's text, its budget, its
file's document properties, its public comments – goes through screening,
the panel draw, conflicts, assignment and scoring. Then the reviewer's
browser crawls every page and file it can reach from the home page and its
dashboards, and requests every GET route of the application filled with
every id of the scenario; every e-mail sent to the reviewer is read too.
None of it may carry anything that identifies the group.

The one page that names applicant groups on purpose is the conflict
declaration: there the names stand alone, sorted, tied to no proposal, and
nothing else of the group (members, contact, code, e-mail) appears.
"""
from __future__ import annotations

import io
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

from sqlalchemy import select

from tests.builders import make_body, make_call, make_group
from tests.conftest import Client, login, make_user, outbox
from tests.review_builders import make_submitted_proposal
from venture.accounts.models import User
from venture.calls.models import Call, Phase
from venture.extensions import db
from venture.groups import creditcode
from venture.groups.models import Group, GroupKind
from venture.proposals import files
from venture.proposals.models import Proposal
from venture.review.models import Assignment, PanelMember

ORGANIZER = "organizer@example.org"
REVIEWERS = ("reviewer@example.org", "reviewer2@example.org", "reviewer3@example.org")
OWNER, MEMBER = "ouyang@example.org", "sima@example.org"
RESIDENT = "resident@example.org"

GROUP = "晨光长者关爱服务中心"
OWNER_NAME, MEMBER_NAME = "欧阳晓红", "司马明珠"
CONTACT_PHONE, CONTACT_EMAIL = "13912345678", "chenguang@example.org"
CODE = creditcode.complete("52440106MJL123456")
IDENTITY = (GROUP, OWNER_NAME, MEMBER_NAME, CONTACT_PHONE, CONTACT_EMAIL, OWNER, MEMBER, CODE)
NOT_NAME = tuple(s for s in IDENTITY if s != GROUP)

MAX_PAGES = 600


def _scenario(app) -> dict[str, int]:
    """Everything up to the reviewer's submitted review, through the services."""
    make_user(app, ORGANIZER)
    for email in REVIEWERS:
        make_user(app, email, name=f"专家{email[8]}")
    make_user(app, OWNER, name=OWNER_NAME)
    make_user(app, MEMBER, name=MEMBER_NAME)
    make_user(app, RESIDENT, name="居民王丽")
    make_user(app, "other@example.org", name="另一位负责人")
    body = make_body(app, ORGANIZER)
    call_id = make_call(app, body, Phase.OPEN)
    group_id = make_group(app, OWNER, kind=GroupKind.REGISTERED, name=GROUP, members=(MEMBER,))
    other_group = make_group(app, "other@example.org", name="书香儿童小组")
    with app.app_context():
        group = db.session.get(Group, group_id)
        group.contact_name, group.contact_phone, group.contact_email = OWNER_NAME, CONTACT_PHONE, CONTACT_EMAIL
        group.credit_code = CODE
        db.session.commit()
    planted = (f"我们是{GROUP}（统一社会信用代码 {CODE}），负责人{OWNER_NAME}，联系电话 {CONTACT_PHONE}，"
               f"邮箱 {CONTACT_EMAIL}；执行人{MEMBER_NAME}（{MEMBER}）。")
    ours = make_submitted_proposal(app, call_id, group_id, title=f"{GROUP}长者助餐", text=planted,
                                   attachment_author=f"{OWNER_NAME} {GROUP}")
    theirs = make_submitted_proposal(app, call_id, other_group, title="儿童阅读角", text="为社区儿童开设阅读角。")

    from venture.bodies.models import PoolExpert
    from venture.calls import services as calls
    from venture.comments import services as comments
    from venture.panels import conflicts
    from venture.panels import services as panels
    from venture.review import services as reviews
    from venture.screening import services as screening
    from venture.showcase import services as showcase

    with app.test_request_context():
        session = db.session
        organizer = session.scalar(select(User).where(User.email == ORGANIZER))
        owner = session.scalar(select(User).where(User.email == OWNER))
        resident = session.scalar(select(User).where(User.email == RESIDENT))
        proposal = session.get(Proposal, ours["proposal_id"])
        # The team answers a resident in public while the call is open.
        question = comments.post_comment(session, resident, proposal, "请问周末也送餐吗？")
        comments.post_comment(session, owner, proposal, f"周末也送。{OWNER_NAME}，电话 {CONTACT_PHONE}", parent=question)
        showcase.support(session, resident, proposal)
        call = session.get(Call, call_id)
        call.phase = Phase.CLOSED
        call.reviewers_see_opinion = True
        session.flush()
        for expert_email, areas in zip(REVIEWERS, (["finance"], ["social_work"], ["law"]), strict=True):
            user = session.scalar(select(User).where(User.email == expert_email))
            session.add(PoolExpert(body_id=body, user_id=user.id, expertise=areas))
        session.flush()
        for proposal_id in (ours["proposal_id"], theirs["proposal_id"]):
            screening.screen(session, organizer, session.get(Proposal, proposal_id), True, "符合申报条件，材料齐全。")
        panels.prepare_draw(session, organizer, call)
        panels.draw(session, organizer, call, 3, {"finance": 1}, [panels.Witness("陈监督", "监督科", "2718")])
        for member in panels.members_of(session, call):
            panels.respond(session, member.expert.user, member, accept=True)
            conflicts.declare(session, member.expert.user, member, [], True)
        calls.transition(session, organizer, call, Phase.REVIEW)
        panels.assign_call(session, organizer, call)
        session.commit()
    with app.test_request_context():
        reviewer = db.session.scalar(select(User).where(User.email == REVIEWERS[0]))
        assignment = db.session.scalar(
            select(Assignment).join(PanelMember, Assignment.member_id == PanelMember.id)
            .where(Assignment.proposal_id == ours["proposal_id"], PanelMember.expert.has(user_id=reviewer.id)))
        assert assignment is not None
        criteria = assignment.proposal.call.criteria
        reviews.submit(db.session, reviewer, assignment, {str(c.id): "7.5" for c in criteria},
                       {str(c.id): "需求真实，方案清楚可行。" for c in criteria}, "建议补充风险应对。", "",
                       reviews.current_lock(assignment))
        from venture.panels import progress
        organizer = db.session.scalar(select(User).where(User.email == ORGANIZER))
        progress.remind(db.session, organizer, assignment.proposal.call)
        db.session.commit()
        ids = {"call_id": call_id, "body_id": body, "group_id": group_id, "proposal_id": ours["proposal_id"],
               "attachment_id": ours["attachment_id"], "assignment_id": assignment.id,
               "member_id": assignment.member_id, "expert_id": assignment.member.expert_id,
               "version_no": 1, "comment_id": question.id}
    return ids


def _texts(response) -> list[str]:
    """What a response shows: its text, and for files their text and properties."""
    data = response.get_data()
    kind = files.sniff(data)
    if kind is None:
        return [data.decode("utf-8", errors="replace"), response.headers.get("Content-Disposition", "")]
    return [files.extract_text(kind, data), "\n".join(files.extract_metadata(kind, data).values()),
            response.headers.get("Content-Disposition", "")]


def _links(html: str, base: str) -> list[str]:
    found = []
    for href in re.findall(r'(?:href|src)="([^"#]+)', html):
        url = urljoin(base, href.replace("&amp;", "&"))
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or parts.path.startswith("/static/"):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _check(path: str, texts: list[str], problems: list[str]) -> None:
    conflicts_page = re.fullmatch(r"/panels/\d+/conflicts", path.split("?")[0]) is not None
    for secret in NOT_NAME if conflicts_page else IDENTITY:
        if any(secret in text for text in texts):
            problems.append(f"{path} shows {secret!r}")
    if conflicts_page:
        page = texts[0]
        for revealing in (f"{GROUP}长者助餐", "儿童阅读角", "2026-ML-"):
            if revealing in page:
                problems.append(f"{path} ties a group to a proposal ({revealing!r})")


def test_nothing_a_reviewer_can_reach_identifies_the_group(app):
    ids = _scenario(app)
    reviewer = Client(app, app.response_class, use_cookies=True)
    login(reviewer, REVIEWERS[0])

    problems: list[str] = []
    seen: set[str] = set()
    queue = deque(["/", "/review/", "/experts/", "/calls/", "/proposals/", "/feed.atom", "/search?q=长者",
                   # Parts only: a search page repeats its query, which is the reviewer's own input.
                   f"/search?q={GROUP[:2]}", f"/search?q={OWNER_NAME[:2]}", f"/search?q={CONTACT_PHONE[:6]}"])
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static" or "logout" in rule.endpoint:
            continue
        if all(argument in ids for argument in rule.arguments):
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<{argument}>", str(ids[argument]))
            queue.append(path)
    pages = 0
    while queue and pages < MAX_PAGES:
        path = queue.popleft()
        if path in seen or "/logout" in path:
            continue
        seen.add(path)
        response = reviewer.get(path)
        pages += 1
        if response.status_code >= 500:
            problems.append(f"{path}: {response.status_code}")
            continue
        if response.status_code in (301, 302, 303) and response.location:
            queue.append(urlsplit(urljoin(path, response.location)).path)
            continue
        if response.status_code != 200:
            continue
        texts = _texts(response)
        _check(path, texts, problems)
        if response.mimetype == "text/html":
            queue.extend(_links(texts[0], path))

    assert pages > 40, "the crawl reached too little to mean anything"
    assert f"/review/{ids['assignment_id']}" in seen
    assert any(p.startswith(f"/review/{ids['assignment_id']}/files/") for p in seen), "the file was not reached"

    mails = outbox(app, REVIEWERS[0])
    assert len(mails) >= 2, "the panel invitation and the assignment notice at least"
    for mail in mails:
        _check(f"mail {mail.subject}", [mail.subject, mail.body_text], problems)

    assert problems == []


def test_the_blind_view_still_shows_the_proposal_itself(app):
    """Redaction takes out the identity, not the content."""
    ids = _scenario(app)
    reviewer = Client(app, app.response_class, use_cookies=True)
    login(reviewer, REVIEWERS[0])
    page = reviewer.get(f"/review/{ids['assignment_id']}").get_data(as_text=True)
    assert "长者助餐" in page and "■■■" in page
    served = reviewer.get(re.search(r'href="(/review/\d+/files/\d+)"', page).group(1))
    assert served.status_code == 200
    from pypdf import PdfReader

    assert "/Author" not in (PdfReader(io.BytesIO(served.get_data())).metadata or {})
