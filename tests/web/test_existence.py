"""No existence oracles: where an object's existence is itself private
(drafts and their files, draft calls, assignments, panel places, expert
profiles, groups and their edit pages), a forbidden object and a missing
one get the same answer, logged in or out; and a conflict declaration moves
assignments only once it is sent whole, all at once, saying nothing of
which proposal moved."""
from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

import pytest
from sqlalchemy import select

from tests.builders import make_body, make_call, make_group, pdf_bytes
from tests.conftest import Client, login, make_user
from tests.review_builders import make_review_world
from tests.web.test_panels import GROUP_NAMES, ORGANIZER, active_pairs, as_user, events, review_panel
from venture.calls.models import Phase
from venture.extensions import db
from venture.proposals import storage
from venture.proposals.models import Attachment, Proposal
from venture.review.models import Assignment, Conflict

MISSING = "2147483000"


@pytest.fixture
def world(app):
    for email in ("owner@example.org", "resident@example.org", "organizer@example.org", "reviewer@example.org",
                  "other_organizer@example.org"):
        make_user(app, email)
    body = make_body(app, "organizer@example.org")
    make_body(app, "other_organizer@example.org", name="Other body")
    draft_call = make_call(app, body, Phase.DRAFT, title="还没公开的征集")
    call = make_call(app, body, Phase.OPEN)
    group = make_group(app, "owner@example.org")
    other_group = make_group(app, "owner@example.org", name="Other team")
    review = make_review_world(app, body, other_group, "reviewer@example.org")
    with app.app_context():
        proposal = Proposal(call_id=call, group_id=group, title="草稿")
        db.session.add(proposal)
        db.session.flush()
        data = pdf_bytes()
        attachment = Attachment(proposal_id=proposal.id, slot="a1", filename="预算表.pdf",
                                stored_name=storage.store(data), kind="pdf", size=len(data),
                                sha256=hashlib.sha256(data).hexdigest())
        db.session.add(attachment)
        db.session.commit()
        ids = {"draft_call": draft_call, "proposal": proposal.id, "attachment": attachment.id, "group": group}
    return {**ids, "expert": review["expert_id"], "member": review["member_id"],
            "assignment": review["assignment_id"]}


# (method, path, the key of the private object in it)
PRIVATE = [
    ("GET", "/calls/{draft_call}", "draft_call"),
    ("GET", "/calls/{draft_call}/manage", "draft_call"),
    ("GET", "/calls/{draft_call}/panel", "draft_call"),
    ("GET", "/calls/{draft_call}/screening", "draft_call"),
    ("GET", "/calls/{draft_call}/ties", "draft_call"),
    ("POST", "/calls/{draft_call}/phase", "draft_call"),
    ("GET", "/proposals/{proposal}/edit", "proposal"),
    ("POST", "/proposals/{proposal}/edit", "proposal"),
    ("GET", "/proposals/{proposal}/submit", "proposal"),
    ("POST", "/proposals/{proposal}/autosave", "proposal"),
    ("GET", "/proposals/{proposal}/versions/1", "proposal"),
    ("GET", "/proposals/{proposal}/feedback", "proposal"),
    ("GET", "/attachments/{attachment}", "attachment"),
    ("GET", "/groups/{group}", "group"),
    ("GET", "/groups/{group}/edit", "group"),
    ("POST", "/groups/{group}/invite", "group"),
    ("GET", "/experts/{expert}/profile", "expert"),
    ("POST", "/experts/{expert}/profile", "expert"),
    ("GET", "/review/{assignment}", "assignment"),
    ("POST", "/review/{assignment}", "assignment"),
    ("GET", "/review/{assignment}/files/1", "assignment"),
    ("GET", "/panels/{member}", "member"),
    ("POST", "/panels/{member}", "member"),
    ("GET", "/panels/{member}/conflicts", "member"),
    ("POST", "/panels/{member}/withdraw", "member"),
]


def _answer(client, method, path, token):
    """Status, page and redirect, with the address itself (echoed in a log-in link's "next" and in the
    language form), nonces, tokens and form values taken out."""
    response = client.get(path) if method == "GET" else client.post(path, data={"csrf_token": token,
                                                                               "title": "x", "email": "x@y.org"})
    parts = []
    for text in (response.get_data(as_text=True), response.headers.get("Location", "")):
        text = text.replace(quote(path, safe=""), "PATH").replace(path, "PATH")
        text = re.sub(r'(nonce|value)="[^"]*"', r'\1=""', text)
        text = re.sub(r"stash(=|%3D)[A-Za-z0-9_-]+", "stash=TOKEN", text)
        parts.append(text)
    return response.status_code, parts[0], parts[1]


@pytest.mark.parametrize("role", ["anonymous", "resident", "other_organizer"])
def test_a_private_object_and_a_missing_one_get_the_same_answer(app, world, role):
    client = Client(app, app.response_class, use_cookies=True)
    if role != "anonymous":
        login(client, f"{role}@example.org")
    token = client.csrf_token()
    different = []
    for method, template, key in PRIVATE:
        real = template.format(**world)
        missing = template.format(**{**world, key: MISSING})
        got, expected = _answer(client, method, real, token), _answer(client, method, missing, token)
        if got != expected:
            detail = next((i for i, (a, b) in enumerate(zip(got[1], expected[1], strict=False)) if a != b), 0)
            different.append(f"{role} {method} {real}: {got[0]} {got[2]!r} vs {expected[0]} {expected[2]!r} "
                             f"{got[1][detail - 80:detail + 80]!r}")
        elif role != "anonymous":
            assert got[0] in (404, 401), (role, method, real, got[0])
    assert different == []


def test_the_owners_and_organizers_still_reach_them(app, world):
    """The same addresses work for those they belong to: the hiding is only a refusal's face."""
    owner = as_user(app, "owner@example.org")
    assert owner.get(f"/proposals/{world['proposal']}/edit").status_code == 200
    assert owner.get(f"/attachments/{world['attachment']}").status_code == 200
    assert owner.get(f"/groups/{world['group']}/edit").status_code == 200
    organizer = as_user(app, "organizer@example.org")
    assert organizer.get(f"/calls/{world['draft_call']}/manage").status_code == 200
    assert organizer.get(f"/experts/{world['expert']}/profile").status_code == 200
    reviewer = as_user(app, "reviewer@example.org")
    assert reviewer.get(f"/review/{world['assignment']}").status_code == 200
    assert reviewer.get(f"/panels/{world['member']}").status_code == 200


def test_those_who_know_it_exists_are_told_they_may_not(app, world):
    """A group's plain member sees the group, so its edit page says 403, not 404; an organizer reads
    an expert's profile, so saving it says 403."""
    make_user(app, "member@example.org")
    with app.app_context():
        from venture.accounts.models import User
        from venture.groups.models import GroupMembership, MemberRole
        user = db.session.scalar(select(User).where(User.email == "member@example.org"))
        db.session.add(GroupMembership(group_id=world["group"], user_id=user.id, role=MemberRole.MEMBER))
        db.session.commit()
    assert as_user(app, "member@example.org").get(f"/groups/{world['group']}/edit").status_code == 403
    assert as_user(app, "organizer@example.org").submit(f"/experts/{world['expert']}/profile",
                                                        {}).status_code == 403


# The declaration: applied whole, all at once, naming no proposal ------------------------------------------

def _two_each(app):
    """Two members, four proposals, one reviewer each: each member holds two."""
    world = review_panel(app, k=1, n_members=2, groups=4)
    assert as_user(app, ORGANIZER).submit(f"/calls/{world['call']}/panel/assign", {}).status_code == 302
    email = "m0@example.org"
    member = world["members"][email]
    with app.app_context():
        held = [p for p, m in active_pairs(app, world["call"]) if m == member]
        numbers = {p: db.session.get(Proposal, p).number for p, _m in active_pairs(app, world["call"])}
    by_proposal = {ids["proposal_id"]: ids["group_id"] for ids in world["eligible"].values()}
    return world, email, member, held, by_proposal, numbers


def test_a_declaration_moves_everything_it_touches_in_one_step_and_names_nothing(app):
    world, email, member, held, by_proposal, numbers = _two_each(app)
    assert len(held) == 2
    not_held = next(g for p, g in by_proposal.items() if p not in held)
    # A tie the profile shows (set behind the services' back, so only the declaration stores it) ...
    with app.app_context():
        from venture.bodies.models import PoolExpert
        expert = db.session.get(PoolExpert, world["experts"][email])
        found_group = next(name for name, ids in world["eligible"].items() if ids["proposal_id"] == held[1])
        expert.affiliations = [{"name": found_group, "relation": "board"}]
        db.session.commit()
    expert_client = as_user(app, email)
    url = f"/panels/{member}/conflicts"
    # ... and a declaration that is not whole (a tick and "no ties" both) changes nothing.
    response = expert_client.submit(url, {f"tie_{by_proposal[held[0]]}": "y", "none_confirmed": "y"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(Conflict).where(Conflict.member_id == member)).all() == []
    assert sorted(p for p, m in active_pairs(app, world["call"]) if m == member) == sorted(held)
    # The whole declaration: one held group ticked, one not held; the profile's tie comes with it.
    response = expert_client.submit(url, {f"tie_{by_proposal[held[0]]}": "y", f"tie_{not_held}": "y"},
                                    follow_redirects=True)
    assert response.status_code == 200
    [moved] = events(app, "assignment.redistributed")
    assert sorted(p for p, _m in moved.data["moves"]) == sorted(held)
    assert [p for p, m in active_pairs(app, world["call"]) if m == member] == []
    page = response.get_data(as_text=True)
    for number in numbers.values():
        assert number not in page
    assert "/review/" in page  # the link to their reviews, and nothing about what left them
    assert not re.search(r"\d+ assignments? (was|were) given", page)


def test_the_declaration_page_lists_no_assignment(app):
    world, email, member, held, by_proposal, numbers = _two_each(app)
    page = as_user(app, email).get(f"/panels/{member}/conflicts").get_data(as_text=True)
    for proposal_id, number in numbers.items():
        assert number not in page and f"/review/{proposal_id}\"" not in page
    with app.app_context():
        for assignment_id in db.session.scalars(select(Assignment.id).where(Assignment.member_id == member)):
            assert f"/review/{assignment_id}\"" not in page
    assert GROUP_NAMES[0] in page  # the group names are listed, tied to nothing
