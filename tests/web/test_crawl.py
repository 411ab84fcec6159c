"""Crawl the demo site as each of its roles: every link reachable from the
home page and the dashboards (bounded) answers without a server error and
without a broken internal link, and the demo reviewer, who sits on a panel
under review, never meets the identity of a group whose proposal that panel
judges."""
from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import Client
from venture import demo
from venture.bodies.models import PoolExpert
from venture.calls.models import Phase
from venture.extensions import db
from venture.groups.models import Group
from venture.proposals.models import Proposal, ProposalStatus
from venture.review.models import MemberStatus, PanelMember

START = ["/", "/calls/", "/proposals/", "/review/", "/experts/", "/groups/", "/account", "/admin/",
         "/bodies/"]
MAX_PAGES = 350


@pytest.fixture
def app_config():
    return {"LOGIN_LIMIT_PER_ADDRESS": 10_000, "FORM_LIMIT_PER_ADDRESS": 10_000}


@pytest.fixture
def demo_site(app):
    with app.test_request_context():
        assert demo.load(db.session)
        db.session.commit()
    return app


def _links(html: str, here: str) -> list[str]:
    found = []
    for href in re.findall(r'href="([^"#]*)', html):
        if not href or href.startswith(("mailto:", "tel:")):
            continue
        url = urlsplit(urljoin(here, href.replace("&amp;", "&")))
        if url.netloc not in ("", "localhost") or url.path.startswith("/static/"):
            continue
        found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def _crawl(client: Client, problems: list[str], secrets: tuple[str, ...] = ()) -> int:
    seen: set[str] = set()
    queue = deque((path, None) for path in START)
    pages = 0
    while queue and pages < MAX_PAGES:
        path, linked_from = queue.popleft()
        if path in seen or "logout" in path:
            continue
        seen.add(path)
        response = client.get(path)
        pages += 1
        code = response.status_code
        if code >= 500:
            problems.append(f"{path}: {code}")
        elif code == 404 and linked_from is not None:
            problems.append(f"broken link {path} on {linked_from}")
        if code in (301, 302, 303) and response.location:
            queue.append((urlsplit(urljoin(path, response.location)).path, linked_from))
        if code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        conflicts_page = re.fullmatch(r"/panels/\d+/conflicts", path) is not None
        for secret in secrets:
            if secret in html and not (conflicts_page and secret.startswith("group:")):
                problems.append(f"{path} shows {secret}")
            if secret.startswith("group:") and secret[6:] in html and not conflicts_page:
                problems.append(f"{path} names the group {secret[6:]}")
        queue.extend((link, path) for link in _links(html, path))
    return pages


def _reviewer_secrets(app) -> tuple[str, ...]:
    """Who wrote the proposals judged by the demo reviewer's panels under review."""
    with app.app_context():
        email = f"reviewer@{demo.DOMAIN}"
        calls = db.session.scalars(
            select(PanelMember.call_id).join(PoolExpert, PanelMember.expert_id == PoolExpert.id)
            .where(PoolExpert.user.has(email=email), PanelMember.status == MemberStatus.ACCEPTED)).all()
        groups = db.session.scalars(
            select(Group).join(Proposal, Proposal.group_id == Group.id)
            .where(Proposal.call_id.in_(calls), Proposal.status == ProposalStatus.SUBMITTED,
                   Proposal.call.has(phase=Phase.REVIEW))).unique().all()
        secrets: list[str] = []
        for group in groups:
            secrets.append(f"group:{group.name}")
            secrets += [group.contact_phone, group.contact_email]
            secrets += [group.credit_code] if group.credit_code else []
            for membership in group.memberships:
                secrets += [membership.user.email or "", membership.user.display_name]
        assert len(groups) >= 10, "the demo reviewer's panel judges the demo's proposals"
        return tuple(s for s in secrets if s and not s.startswith("group:")) + tuple(
            s for s in secrets if s.startswith("group:"))


@pytest.mark.slow
@pytest.mark.parametrize("role", [None, *[email for _role, email, _name in demo.LOGINS]])
def test_crawl_the_demo_as_each_role(demo_site, role):
    client = Client(demo_site, demo_site.response_class, use_cookies=True)
    if role is not None:
        response = client.submit("/login", {"email": role, "password": demo.PASSWORD})
        assert response.status_code == 302
    secrets = _reviewer_secrets(demo_site) if role and role.startswith("reviewer@") else ()
    problems: list[str] = []
    pages = _crawl(client, problems, secrets)
    assert pages > 30
    assert problems == []
