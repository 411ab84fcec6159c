"""Conflicts of interest: found from profiles and memberships, declared by
the member on a page that names groups only, added by organizers, and
moving proposals away from a member who turns out to be conflicted."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import outbox
from tests.review_builders import add_member
from tests.web.test_panels import (
    GROUP_NAMES,
    ORGANIZER,
    active_pairs,
    add_experts,
    add_groups,
    as_user,
    assert_no_identity,
    events,
    members,
    panel_world,
    review_panel,
)
from venture.calls.models import Phase
from venture.core.collation import name_sort_key
from venture.extensions import db
from venture.groups.models import Group, GroupKind
from venture.panels.conflicts import names_match, normalise_name
from venture.proposals.models import Proposal
from venture.review.models import Assignment, Conflict, ConflictSource, MemberStatus


def test_names_are_compared_loosely_but_not_too_loosely():
    assert normalise_name(" Ａｂｃ Trust, Ltd. ") == "abctrustltd"
    assert names_match("幸福里邻里互助队", "幸福里 邻里互助队（广州）")
    assert names_match("ABC Trust", "abc-trust")
    assert names_match("广州市阳光长者服务社", "阳光长者服务社")
    assert not names_match("互助队", "幸福里邻里互助队")  # too short to count as contained
    assert not names_match("", "幸福里邻里互助队")
    assert not names_match("晨曦社区书屋", "彩虹亲子乐园")


def _invite_and_accept(app, world, email):
    """The expert is added by hand and accepts, which derives their conflicts."""
    with app.app_context():
        from venture.accounts.models import User
        from venture.bodies.models import PoolExpert
        expert_id = db.session.scalar(select(PoolExpert.id).join(User, User.id == PoolExpert.user_id)
                                      .where(User.email == email))
    organizer = as_user(app, ORGANIZER)
    assert organizer.submit(f"/calls/{world['call']}/panel/add",
                            {"add-expert": str(expert_id), "add-reason": "Knows the field"}).status_code == 302
    member = next(m for m in members(app, world["call"]) if m.expert_id == expert_id)
    assert as_user(app, email).submit(f"/panels/{member.id}", {"answer": "accept"}).status_code == 302
    return member.id


def _conflicts(app, member_id):
    with app.app_context():
        return {c.group_id: c.source
                for c in db.session.scalars(select(Conflict).where(Conflict.member_id == member_id))}


def test_conflicts_are_derived_from_an_affiliation_name_when_the_member_accepts(app):
    world = panel_world(app)
    groups = add_groups(app, world["call"], GROUP_NAMES[:3])
    add_experts(app, world["body"], {"aff@example.org": ("social_work",)},
                affiliations=[{"name": "幸福里 邻里互助队（广州）", "relation": "board"},
                              {"name": "社区", "relation": "tie"}])
    member_id = _invite_and_accept(app, world, "aff@example.org")
    assert _conflicts(app, member_id) == {groups[GROUP_NAMES[0]]["group_id"]: ConflictSource.AFFILIATION}
    [event] = events(app, "conflict.derived")
    assert event.data == {"member": member_id, "group": groups[GROUP_NAMES[0]]["group_id"], "source": "affiliation"}


def test_conflicts_are_derived_from_a_credit_code(app):
    world = panel_world(app)
    groups = add_groups(app, world["call"], ["广州市阳光社会工作服务中心"], kind=GroupKind.REGISTERED)
    group_id = groups["广州市阳光社会工作服务中心"]["group_id"]
    with app.app_context():
        code = db.session.get(Group, group_id).credit_code
    spaced = " ".join([code[:9], code[9:]]).lower()
    add_experts(app, world["body"], {"code@example.org": ("finance",)},
                affiliations=[{"name": "一个改了名字的机构", "credit_code": spaced, "relation": "past_employer"}])
    member_id = _invite_and_accept(app, world, "code@example.org")
    assert _conflicts(app, member_id) == {group_id: ConflictSource.AFFILIATION}


def test_conflicts_are_derived_from_membership_of_the_group(app):
    world = panel_world(app)
    add_experts(app, world["body"], {"insider@example.org": ("law",)})
    from tests.builders import make_group
    from tests.review_builders import make_submitted_proposal

    group_id = make_group(app, "owner@example.org", name="内部人士小组", members=("insider@example.org",))
    make_submitted_proposal(app, world["call"], group_id)
    member_id = _invite_and_accept(app, world, "insider@example.org")
    assert _conflicts(app, member_id) == {group_id: ConflictSource.MEMBERSHIP}
    # Deriving again adds nothing.
    with app.test_request_context():
        from venture.panels import conflicts
        from venture.review.models import PanelMember
        assert conflicts.derive(db.session, db.session.get(PanelMember, member_id)) == []
    assert len(events(app, "conflict.derived")) == 1


def _declaring_world(app):
    world = panel_world(app, Phase.CLOSED)
    names = ["晨曦社区书屋", "Apple Seed Club", "阳光长者服务社", "幸福里邻里互助队"]
    groups = add_groups(app, world["call"], names)
    # A draft and a withdrawn proposal are not applicants.
    from tests.builders import make_group
    with app.app_context():
        draft_group = make_group(app, "owner@example.org", name="只有草稿的小组")
        db.session.add(Proposal(call_id=world["call"], group_id=draft_group, title="草稿"))
        db.session.commit()
    experts = add_experts(app, world["body"], {"decl@example.org": ("social_work",)},
                          affiliations=[{"name": "阳光长者服务社", "relation": "employer"}])
    member_id = add_member(app, world["call"], experts["decl@example.org"], declared=False)
    return world, groups, member_id


def test_the_declaration_page_lists_group_names_sorted_and_nothing_about_proposals(app):
    world, groups, member_id = _declaring_world(app)
    expert = as_user(app, "decl@example.org")
    response = expert.get(f"/panels/{member_id}/conflicts")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    names = sorted(groups, key=name_sort_key)  # pinyin order: 彩虹 cai, 晨曦 chen, 康乐 kang, 绿洲 lü …
    assert names != sorted(groups), "the names would read differently by code point"
    positions = [page.index(name) for name in names]
    assert positions == sorted(positions)
    assert "只有草稿的小组" not in page
    with app.app_context():
        proposals = db.session.scalars(select(Proposal).where(Proposal.call_id == world["call"])).all()
        for proposal in proposals:
            assert f"/proposals/{proposal.id}" not in page
            assert (proposal.number or "no number") not in page
            assert proposal.title not in page
    assert not re.search(r"\d{4}-(ML|SV)-", page)
    # The tie found from the profile is ticked, fixed and explained.
    sunshine = groups["阳光长者服务社"]["group_id"]
    [tag] = re.findall(rf'<input[^>]*id="tie_{sunshine}"[^>]*>', page)
    assert " checked" in tag and " disabled" in tag
    assert "Found from the expert" in page


def test_declaring_ties_or_none(app):
    world, groups, member_id = _declaring_world(app)
    expert = as_user(app, "decl@example.org")
    url = f"/panels/{member_id}/conflicts"
    response = expert.submit(url, {})
    assert response.status_code == 422 and "confirm that you have no ties" in response.get_data(as_text=True)
    assert members(app, world["call"])[0].conflicts_declared_at is None

    club = groups["Apple Seed Club"]["group_id"]
    response = expert.submit(url, {f"tie_{club}": "y", f"reason_{club}": "My sister runs it"})
    assert response.status_code == 302
    found = _conflicts(app, member_id)
    assert found == {club: ConflictSource.DECLARED, groups["阳光长者服务社"]["group_id"]: ConflictSource.AFFILIATION}
    assert members(app, world["call"])[0].conflicts_declared_at is not None
    [declared] = events(app, "conflict.declared")
    assert declared.data["group"] == club and "sister" not in str(declared.data)
    [summary] = events(app, "panel.conflicts_declared")
    assert summary.data["declared"] == [club] and summary.data["none_confirmed"] is False
    with app.app_context():
        assert db.session.scalar(select(Conflict.reason).where(Conflict.group_id == club)) == "My sister runs it"

    page = expert.get(url).get_data(as_text=True)
    assert "/review/" in page and "Declared by the expert" in page

    # Later: one more tie; nothing is taken back.
    dawn = groups["晨曦社区书屋"]["group_id"]
    assert expert.submit(url, {f"tie_{dawn}": "y"}).status_code == 302
    assert set(_conflicts(app, member_id)) == {club, dawn, groups["阳光长者服务社"]["group_id"]}


def test_confirming_no_ties(app):
    world, groups, member_id = _declaring_world(app)
    expert = as_user(app, "decl@example.org")
    response = expert.submit(f"/panels/{member_id}/conflicts", {"none_confirmed": "y"})
    assert response.status_code == 302
    assert members(app, world["call"])[0].conflicts_declared_at is not None
    [summary] = events(app, "panel.conflicts_declared")
    assert summary.data["none_confirmed"] is True
    # The tie found from the profile is kept all the same.
    assert _conflicts(app, member_id) == {groups["阳光长者服务社"]["group_id"]: ConflictSource.AFFILIATION}


def test_declaring_a_tie_with_an_assigned_proposal_moves_it_to_another_member(app):
    world = review_panel(app, k=1, n_members=3, groups=3)
    response = as_user(app, ORGANIZER).submit(f"/calls/{world['call']}/panel/assign", {})
    assert response.status_code == 302
    first = world["eligible"][GROUP_NAMES[0]]
    with app.app_context():
        assignment = db.session.scalar(select(Assignment).where(Assignment.proposal_id == first["proposal_id"]))
        assignment_id, holder = assignment.id, assignment.member_id
    email = next(e for e, i in world["members"].items() if i == holder)
    response = as_user(app, email).submit(f"/panels/{holder}/conflicts", {f"tie_{first['group_id']}": "y"})
    assert response.status_code == 302
    pairs = active_pairs(app, world["call"])
    assert (first["proposal_id"], holder) not in pairs
    [taker] = [m for p, m in pairs if p == first["proposal_id"]]
    assert taker != holder
    with app.app_context():
        ended = db.session.get(Assignment, assignment_id)
        assert ended.ended_at is not None and ended.ended_reason == "conflict"
    [moved] = events(app, "assignment.redistributed")
    assert moved.data["moves"] == [[first["proposal_id"], taker]] and moved.data["cause"] == "conflict"
    # The member can no longer open it.
    assert as_user(app, email).get(f"/review/{assignment_id}").status_code in (403, 404)
    taker_email = next(e for e, i in world["members"].items() if i == taker)
    assert_no_identity(" ".join(m.subject + m.body_text for m in outbox(app, taker_email)), world["eligible"])


def test_an_organizer_adds_a_conflict_with_a_reason(app):
    world = review_panel(app, k=1, n_members=3, groups=2)
    assert as_user(app, ORGANIZER).submit(f"/calls/{world['call']}/panel/assign", {}).status_code == 302
    first = world["eligible"][GROUP_NAMES[0]]
    with app.app_context():
        holder = db.session.scalar(select(Assignment.member_id).where(Assignment.proposal_id == first["proposal_id"]))
    organizer = as_user(app, ORGANIZER)
    url = f"/calls/{world['call']}/panel/conflicts"
    data = {"conflict-member": str(holder), "conflict-group": str(first["group_id"]), "conflict-reason": ""}
    response = organizer.submit(url, data)
    assert response.status_code == 422
    assert _conflicts(app, holder) == {}
    response = organizer.submit(url, {**data, "conflict-reason": "Former director, told us by phone"})
    assert response.status_code == 302
    assert _conflicts(app, holder) == {first["group_id"]: ConflictSource.ORGANIZER}
    [event] = events(app, "conflict.added")
    assert event.data["source"] == "organizer" and "director" not in str(event.data)
    assert (first["proposal_id"], holder) not in active_pairs(app, world["call"])
    assert len([p for p, _m in active_pairs(app, world["call"]) if p == first["proposal_id"]]) == 1
    # Twice is refused; a group that did not apply is refused.
    assert organizer.submit(url, {**data, "conflict-reason": "again"}).status_code == 422
    with app.app_context():
        stranger = Group(kind=GroupKind.GRASSROOTS, name="没申报的小组", filed_with="x", contact_name="c",
                         contact_phone="13900000000", contact_email="s@example.org")
        db.session.add(stranger)
        db.session.commit()
        stranger_id = stranger.id
    response = organizer.submit(url, {**data, "conflict-group": str(stranger_id), "conflict-reason": "x"})
    assert response.status_code == 422


def test_only_accepted_members_declare_and_only_after_closing(app):
    world = panel_world(app)
    experts = add_experts(app, world["body"], {"early@example.org": ("law",)})
    member_id = add_member(app, world["call"], experts["early@example.org"], declared=False)
    expert = as_user(app, "early@example.org")
    assert expert.get(f"/panels/{member_id}/conflicts").status_code == 403  # the call is still open
    page = expert.get(f"/panels/{member_id}").get_data(as_text=True)
    assert "Once the call has closed" in page
    invited = add_member(app, world["call"], add_experts(app, world["body"], {"inv@example.org": ("law",)})[
        "inv@example.org"], status=MemberStatus.INVITED, declared=False)
    assert as_user(app, "inv@example.org").get(f"/panels/{invited}/conflicts").status_code == 403
