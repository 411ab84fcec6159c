"""Conflicts follow the facts: whenever an input of a conflict of interest
changes - someone joins or leaves a group, an expert edits their
affiliations, a group changes its name or credit code, a group submits -
the conflict is derived again at once; an assignment that became conflicted
closes (the reviewer loses access, the proposal goes to another member, a
review already given stops counting), and all of it is audited. The access
rule itself decides from the facts as they are now."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from tests.builders import make_body, make_call, make_group, pdf_bytes
from tests.conftest import link_in, make_user, outbox
from tests.results_builders import make_results_world, submit_review
from tests.review_builders import add_member, make_expert
from tests.web.test_experts import profile_form
from tests.web.test_groups import grassroots, registered
from tests.web.test_panels import (
    GROUP_NAMES,
    ORGANIZER,
    active_pairs,
    add_groups,
    as_user,
    events,
    review_panel,
)
from venture.bodies.models import PoolExpert
from venture.calls.models import Call, Phase
from venture.extensions import db
from venture.groups import creditcode
from venture.groups.models import GroupKind, GroupMembership, MemberRole
from venture.review.models import Assignment, Conflict, ConflictSource, OrganizerTie


def _assigned_world(app, registered_group: bool = False):
    """A call under review, one reviewer per proposal, three members; returns the world and the first
    proposal's ids with its holder (email, member id, assignment id)."""
    world = review_panel(app, k=1, n_members=3, groups=2 if registered_group else 3)
    if registered_group:
        world["eligible"].update(add_groups(app, world["call"], ["广州市阳光社会工作服务中心"],
                                            kind=GroupKind.REGISTERED))
    assert as_user(app, ORGANIZER).submit(f"/calls/{world['call']}/panel/assign", {}).status_code == 302
    name = "广州市阳光社会工作服务中心" if registered_group else GROUP_NAMES[0]
    first = world["eligible"][name]
    with app.app_context():
        assignment = db.session.scalar(select(Assignment).where(Assignment.proposal_id == first["proposal_id"],
                                                                Assignment.ended_at.is_(None)))
        holder, assignment_id = assignment.member_id, assignment.id
    email = next(e for e, i in world["members"].items() if i == holder)
    return world, first, {"email": email, "member": holder, "assignment": assignment_id}


def _conflict(app, member_id, group_id):
    with app.app_context():
        return db.session.scalar(select(Conflict).where(Conflict.member_id == member_id,
                                                        Conflict.group_id == group_id))


def _assert_closed_and_moved(app, world, first, holder, cause):
    """The holder's assignment ended for the conflict, the proposal went to another member, the holder
    cannot open it nor find it on their dashboard, and the audit log says why."""
    conflict = _conflict(app, holder["member"], first["group_id"])
    assert conflict is not None
    derived = [e for e in events(app, "conflict.derived") if e.data["group"] == first["group_id"]
               and e.data["member"] == holder["member"]]
    assert [e.data.get("cause") for e in derived] == [cause]
    with app.app_context():
        ended = db.session.get(Assignment, holder["assignment"])
        assert ended.ended_at is not None and ended.ended_reason == "conflict"
    takers = [m for p, m in active_pairs(app, world["call"]) if p == first["proposal_id"]]
    assert len(takers) == 1 and takers[0] != holder["member"]
    [moved] = [e for e in events(app, "assignment.redistributed") if e.data["leaving"] == holder["member"]]
    assert moved.data["cause"] == "conflict" and moved.data["ended"] == [holder["assignment"]]
    reviewer = as_user(app, holder["email"])
    assert reviewer.get(f"/review/{holder['assignment']}").status_code == 404
    assert f"/review/{holder['assignment']}\"" not in reviewer.get("/review/").get_data(as_text=True)


def _join(app, group_id, email, owner="owner@example.org"):
    assert as_user(app, owner).submit(f"/groups/{group_id}/invite", {"email": email}).status_code == 302
    link = link_in(outbox(app, email)[-1], "/invitations/")
    assert as_user(app, email).submit(link).status_code == 302


def test_joining_the_group_closes_the_assignment_at_once(app):
    world, first, holder = _assigned_world(app)
    _join(app, first["group_id"], holder["email"])
    assert _conflict(app, holder["member"], first["group_id"]).source is ConflictSource.MEMBERSHIP
    _assert_closed_and_moved(app, world, first, holder, "invitation.group_member.accepted")


def test_leaving_the_group_does_not_lift_the_conflict(app):
    world, first, holder = _assigned_world(app)
    _join(app, first["group_id"], holder["email"])
    with app.app_context():
        membership = db.session.scalar(select(GroupMembership.id).join(GroupMembership.user)
                                       .where(GroupMembership.group_id == first["group_id"],
                                              GroupMembership.user.has(email=holder["email"])))
    reviewer = as_user(app, holder["email"])
    assert reviewer.submit(f"/groups/{first['group_id']}/members/{membership}/remove").status_code == 302
    assert _conflict(app, holder["member"], first["group_id"]) is not None
    assert reviewer.get(f"/review/{holder['assignment']}").status_code == 404
    _assert_closed_and_moved(app, world, first, holder, "invitation.group_member.accepted")


def test_a_membership_found_only_on_the_way_out_is_recorded_before_it_goes(app):
    """A membership the hooks never saw (made before this rule, or behind the application's back) is
    recorded as a conflict when the member leaves, so leaving cannot reopen the proposal."""
    world, first, holder = _assigned_world(app)
    with app.app_context():
        from venture.accounts.models import User
        user = db.session.scalar(select(User).where(User.email == holder["email"]))
        membership = GroupMembership(group_id=first["group_id"], user_id=user.id, role=MemberRole.MEMBER)
        db.session.add(membership)
        db.session.commit()
        membership_id = membership.id
    reviewer = as_user(app, holder["email"])
    assert reviewer.submit(f"/groups/{first['group_id']}/members/{membership_id}/remove").status_code == 302
    _assert_closed_and_moved(app, world, first, holder, "group.member_removed")


def test_an_expert_adding_an_affiliation_closes_the_assignment(app):
    world, first, holder = _assigned_world(app)
    expert_id = world["experts"][holder["email"]]
    response = as_user(app, holder["email"]).submit(
        f"/experts/{expert_id}/profile",
        profile_form(**{"affiliations-0-name": GROUP_NAMES[0], "affiliations-0-credit_code": "",
                        "affiliations-0-relation": "board"}))
    assert response.status_code == 302
    assert _conflict(app, holder["member"], first["group_id"]).source is ConflictSource.AFFILIATION
    _assert_closed_and_moved(app, world, first, holder, "expert.profile_updated")
    # The profile page says nothing about which proposal moved.
    page = as_user(app, holder["email"]).get(f"/experts/{expert_id}/profile").get_data(as_text=True)
    with app.app_context():
        number = db.session.get(Assignment, holder["assignment"]).proposal.number
    assert number not in page


NEW_CODE = creditcode.complete("52440106MJL999990")


@pytest.mark.parametrize("change", ["name", "credit_code"])
def test_a_group_changing_its_name_or_credit_code_closes_the_assignment(app, change):
    world, first, holder = _assigned_world(app, registered_group=True)
    affiliation = ({"name": "广州市新阳光社会工作服务中心", "relation": "employer"} if change == "name"
                   else {"name": "一个不相干的名字", "credit_code": NEW_CODE, "relation": "employer"})
    with app.app_context():
        expert = db.session.get(PoolExpert, world["experts"][holder["email"]])
        expert.affiliations = [affiliation]
        db.session.commit()
    # Nothing ties them yet: the assignment is open.
    assert as_user(app, holder["email"]).get(f"/review/{holder['assignment']}").status_code == 200
    with app.app_context():
        from venture.groups.models import Group
        code = db.session.get(Group, first["group_id"]).credit_code
    new = (registered(name="广州市新阳光社会工作服务中心", credit_code=code) if change == "name"
           else registered(name="广州市阳光社会工作服务中心", credit_code=NEW_CODE))
    assert as_user(app, "owner@example.org").submit(f"/groups/{first['group_id']}/edit", new).status_code == 302
    assert _conflict(app, holder["member"], first["group_id"]).source is ConflictSource.AFFILIATION
    _assert_closed_and_moved(app, world, first, holder, "group.updated")


def test_editing_a_group_without_touching_name_or_code_derives_nothing(app):
    world, first, holder = _assigned_world(app)
    before = len(events(app, "conflict.derived"))
    response = as_user(app, "owner@example.org").submit(
        f"/groups/{first['group_id']}/edit", grassroots(name=GROUP_NAMES[0], description="新的介绍"))
    assert response.status_code == 302
    assert len(events(app, "conflict.derived")) == before
    assert as_user(app, holder["email"]).get(f"/review/{holder['assignment']}").status_code == 200


def test_the_access_rule_decides_from_the_facts_as_they_are_now(app):
    """Facts changed behind the services' back (no conflict stored): the rule and the dashboard still
    close the assignment - membership now, or an affiliation matching the group's current name."""
    world, first, holder = _assigned_world(app)
    reviewer = as_user(app, holder["email"])
    url = f"/review/{holder['assignment']}"
    assert reviewer.get(url).status_code == 200
    with app.app_context():
        expert = db.session.get(PoolExpert, world["experts"][holder["email"]])
        expert.affiliations = [{"name": f"{GROUP_NAMES[0]}（广州）", "relation": "tie"}]
        db.session.commit()
    assert reviewer.get(url).status_code == 404
    assert reviewer.submit(url, {}).status_code == 404
    assert f'href="{url}"' not in reviewer.get("/review/").get_data(as_text=True)
    with app.app_context():
        expert = db.session.get(PoolExpert, world["experts"][holder["email"]])
        expert.affiliations = []
        from venture.accounts.models import User
        user = db.session.scalar(select(User).where(User.email == holder["email"]))
        db.session.add(GroupMembership(group_id=first["group_id"], user_id=user.id, role=MemberRole.MEMBER))
        db.session.commit()
    assert reviewer.get(url).status_code == 404
    assert f'href="{url}"' not in reviewer.get("/review/").get_data(as_text=True)
    assert _conflict(app, holder["member"], first["group_id"]) is None  # nothing was stored: the rule decided


def test_a_review_already_given_stops_counting(app):
    """Every reviewer holds every proposal here, so nobody can take it over: the assignment still ends,
    the review is set aside (audited, shown to the organizers with its reason) and the organizers are told."""
    world = make_results_world(app, proposals=2, reviewers=3)
    submit_review(app, world.assignments[(0, 0)], 8, 9)
    with app.app_context():
        from venture.calls.models import Call as CallModel
        from venture.results import services as results
        call = db.session.get(CallModel, world.call)
        assert (world.members[0], world.proposals[0]) in results.compute(db.session, call).counted
    _join(app, world.groups[0], "r0@example.org", owner="owner0@example.org")
    with app.app_context():
        call = db.session.get(Call, world.call)
        from venture.results import services as results
        assert (world.members[0], world.proposals[0]) not in results.compute(db.session, call).counted
        assert results.set_aside_reviews(db.session, call) == {world.proposals[0]: [(world.members[0], "conflict")]}
        ended = db.session.get(Assignment, world.assignments[(0, 0)])
        assert ended.ended_reason == "conflict"
    [set_aside] = events(app, "review.set_aside")
    assert set_aside.data == {"assignment": world.assignments[(0, 0)], "proposal": world.proposals[0],
                              "member": world.members[0], "reason": "conflict"}
    [moved] = events(app, "assignment.redistributed")
    assert moved.data["unserved"] == [world.proposals[0]]
    with app.app_context():
        number = db.session.get(Assignment, world.assignments[(0, 0)]).proposal.number
    assert any(number in mail.body_text for mail in outbox(app, "organizer@example.org"))
    page = as_user(app, "organizer@example.org").get(f"/calls/{world.call}/deliberation",
                                                     headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Reviews set aside" in page and "not counted: a conflict of interest with the applicant group" in page


def test_during_the_notice_a_conflict_ends_the_assignment_without_moving_it(app):
    world = make_results_world(app, proposals=2, reviewers=2)
    submit_review(app, world.assignments[(0, 0)], 8, 9)
    with app.app_context():
        db.session.get(Call, world.call).phase = Phase.NOTICE
        db.session.commit()
    _join(app, world.groups[0], "r0@example.org", owner="owner0@example.org")
    with app.app_context():
        from venture.results import services as results
        call = db.session.get(Call, world.call)
        assert (world.members[0], world.proposals[0]) not in results.compute(db.session, call).counted
        assert db.session.get(Assignment, world.assignments[(0, 0)]).ended_reason == "conflict"
    [ended] = events(app, "assignment.ended")
    assert ended.data == {"member": world.members[0], "cause": "conflict", "ended": [world.assignments[(0, 0)]]}
    assert events(app, "assignment.redistributed") == []


def test_a_published_result_is_left_as_it_is(app):
    world = make_results_world(app, proposals=1, reviewers=2)
    with app.app_context():
        db.session.get(Call, world.call).phase = Phase.PUBLISHED
        db.session.commit()
    _join(app, world.groups[0], "r0@example.org", owner="owner0@example.org")
    assert _conflict(app, world.members[0], world.groups[0]) is None
    with app.app_context():
        assert db.session.get(Assignment, world.assignments[(0, 0)]).ended_at is None


def _submit_new_proposal(app, call_id, group_id, owner_email):
    """The owner applies, fills in and submits a proposal through the pages."""
    owner = as_user(app, owner_email)
    proposal = int(owner.submit(f"/calls/{call_id}/apply", {"group": group_id}).location.split("/")[2])
    page = owner.get(f"/proposals/{proposal}/edit").get_data(as_text=True)
    lock = re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(1)
    assert owner.submit(f"/proposals/{proposal}/edit", {
        "lock_version": lock, "title": "楼道微更新", "summary": "s", "district": "天河区", "theme": "长者关爱",
        "beneficiaries": "3", "section_problem": "p", "section_activities": "a", "section_beneficiaries": "b",
        "budget-0-item": "x", "budget-0-unit_cost": "3000", "budget-0-quantity": "1",
        "file_a1": (io.BytesIO(pdf_bytes()), "b.pdf")}, content_type="multipart/form-data").status_code == 302
    assert owner.submit(f"/proposals/{proposal}/submit", {"confirm_warnings": "y"}).status_code == 302
    return proposal


def test_a_group_submitting_is_an_input_too(app):
    """A member who accepted while the call was open is tied to a group that submits later; an
    organizer who is one of its members is recused from its proposal the moment it is submitted."""
    for email in (ORGANIZER, "owner@example.org", "insider@example.org"):
        make_user(app, email)
    body = make_body(app, ORGANIZER)
    call = make_call(app, body, Phase.OPEN)
    member = add_member(app, call, make_expert(app, body, "insider@example.org"))
    group = make_group(app, "owner@example.org", name="楼道自治小组", members=("insider@example.org", ORGANIZER))
    assert _conflict(app, member, group) is None
    _submit_new_proposal(app, call, group, "owner@example.org")
    assert _conflict(app, member, group).source is ConflictSource.MEMBERSHIP
    [derived] = events(app, "conflict.derived")
    assert derived.data["cause"] == "proposal.submitted"
    with app.app_context():
        [tie] = db.session.scalars(select(OrganizerTie)).all()
        assert (tie.call_id, tie.group_id, tie.source) == (call, group, ConflictSource.MEMBERSHIP)
    [recorded] = events(app, "recusal.derived")
    assert recorded.data["cause"] == "proposal.submitted" and recorded.data["group"] == group
