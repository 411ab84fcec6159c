"""Organizers recuse themselves (回避): an organizer who is a member of an
applicant group, or who declares a tie with it, sees nothing of its
proposal's screening, panel, progress or deliberation, and cannot decide
its screening, move its assignments, change its amount or answer an
objection against it; another organizer of the body acts, and the recusal
is audited. A body with one organizer is told that another is needed."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.builders import make_body, make_call, make_group
from tests.conftest import make_user
from tests.review_builders import add_member, assign, make_expert, make_submitted_proposal
from tests.web.test_panels import as_user, events
from venture.accounts.models import User
from venture.bodies.models import Organizer
from venture.core.collation import name_sort_key
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.proposals.models import Proposal, Screening
from venture.review.models import ConflictSource, OrganizerTie

TIED = "tied@example.org"  # an organizer who is a member of the first group
SECOND = "second@example.org"  # another organizer of the same body
EN = {"Accept-Language": "en"}
NAMES = ["幸福里邻里互助队", "阳光长者服务社", "晨曦社区书屋"]


def _world(app, phase=Phase.CLOSED, second=True, screening=Screening.PENDING):
    for email in (TIED, SECOND, "owner@example.org", "r1@example.org", "r2@example.org"):
        make_user(app, email, name=email.split("@")[0])
    body = make_body(app, TIED)
    if second:
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == SECOND))
            db.session.add(Organizer(body_id=body, user_id=user.id))
            db.session.commit()
    call = make_call(app, body, Phase.CLOSED, title="2026 回避测试")
    groups, proposals = [], []
    for index, name in enumerate(NAMES):
        members = (TIED,) if index == 0 else ()
        group = make_group(app, "owner@example.org", name=name, members=members)
        groups.append(group)
        proposals.append(make_submitted_proposal(app, call, group, title=f"{name}的项目",
                                                 screening=screening)["proposal_id"])
    with app.app_context():
        numbers = [db.session.get(Proposal, p).number for p in proposals]
        db.session.get(Call, call).phase = phase
        db.session.commit()
    return {"body": body, "call": call, "groups": groups, "proposals": proposals, "numbers": numbers}


def _hidden(page, world, index):
    return (world["numbers"][index] not in page and NAMES[index] not in page
            and f"/proposals/{world['proposals'][index]}/" not in page)


def test_screening_leaves_out_the_tied_organizers_proposal_and_another_organizer_decides(app):
    world = _world(app)
    tied = as_user(app, TIED)
    page = tied.get(f"/calls/{world['call']}/screening", headers=EN).get_data(as_text=True)
    assert _hidden(page, world, 0)
    assert world["numbers"][1] in page and NAMES[1] in page
    assert "1 proposal is left out of this page" in page and "only organizer" not in page
    decision = {"decision": "eligible", "reason": "符合全部条件"}
    assert tied.submit(f"/calls/{world['call']}/screening/{world['proposals'][0]}", decision).status_code == 403
    assert tied.submit(f"/calls/{world['call']}/screening/{world['proposals'][1]}", decision).status_code == 302
    second = as_user(app, SECOND)
    page = second.get(f"/calls/{world['call']}/screening", headers=EN).get_data(as_text=True)
    assert world["numbers"][0] in page and "left out of this page" not in page
    assert second.submit(f"/calls/{world['call']}/screening/{world['proposals'][0]}", decision).status_code == 302
    # The manage page and the submitted version are kept from them too.
    page = tied.get(f"/calls/{world['call']}/manage", headers=EN).get_data(as_text=True)
    assert _hidden(page, world, 0) and world["numbers"][2] in page


def test_a_sole_organizer_is_told_another_organizer_is_needed(app):
    world = _world(app, second=False)
    page = as_user(app, TIED).get(f"/calls/{world['call']}/screening", headers=EN).get_data(as_text=True)
    assert "You are the only organizer of" in page and "appoint another organizer" in page


def test_an_organizer_declares_a_tie_and_is_recused_from_that_proposal(app):
    world = _world(app)
    second = as_user(app, SECOND)
    url = f"/calls/{world['call']}/ties"
    page = second.get(url, headers=EN).get_data(as_text=True)
    # Names only, in pinyin order; nothing about proposals.
    positions = [page.index(name) for name in sorted(NAMES, key=name_sort_key)]
    assert positions == sorted(positions)
    for index in range(3):
        assert world["numbers"][index] not in page and f"/proposals/{world['proposals'][index]}" not in page
    assert second.submit(url, {}).status_code == 422  # neither a tick nor "no ties"
    tie = world["groups"][1]
    response = second.submit(url, {f"tie_{tie}": "y", f"reason_{tie}": "我丈夫是这个团队的顾问"})
    assert response.status_code == 302
    with app.app_context():
        [row] = db.session.scalars(select(OrganizerTie)).all()
        assert (row.group_id, row.source, row.reason) == (tie, ConflictSource.DECLARED, "我丈夫是这个团队的顾问")
    [declared] = events(app, "recusal.declared")
    assert declared.data["group"] == tie and "丈夫" not in str(declared.data)
    [summary] = events(app, "recusal.declaration")
    assert summary.data["declared"] == [tie] and summary.data["none_confirmed"] is False
    page = second.get(f"/calls/{world['call']}/screening", headers=EN).get_data(as_text=True)
    assert _hidden(page, world, 1) and world["numbers"][0] in page
    # The organizers' view of the submitted version is closed to them (the proposal is public, so it is
    # no secret that it exists).
    assert second.get(f"/proposals/{world['proposals'][1]}/versions/1").status_code == 403
    # The declaration page shows it recorded, and cannot take it back.
    page = second.get(url, headers=EN).get_data(as_text=True)
    assert "Declared by you" in page
    assert re_tag(page, tie).count(" disabled") == 1
    assert second.submit(url, {"none_confirmed": "y"}).status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(OrganizerTie)).all()) == 1
    # The tied organizer's membership shows there, ticked and fixed.
    page = as_user(app, TIED).get(url, headers=EN).get_data(as_text=True)
    assert " checked" in re_tag(page, world["groups"][0]) and " disabled" in re_tag(page, world["groups"][0])
    assert "You are a member of this group on this site" in page


def re_tag(page, group_id):
    import re

    [tag] = re.findall(rf'<input[^>]*id="tie_{group_id}"[^>]*>', page)
    return tag


def _in_review(app, world):
    """Two accepted members; each proposal reviewed by r1, the first also by r2."""
    body, call = world["body"], world["call"]
    members = [add_member(app, call, make_expert(app, body, email)) for email in ("r1@example.org", "r2@example.org")]
    assignments = [assign(app, proposal, members[0]) for proposal in world["proposals"]]
    assignments.append(assign(app, world["proposals"][0], members[1]))
    return members, assignments


def test_panel_progress_and_deliberation_keep_the_proposal_from_the_tied_organizer(app):
    world = _world(app, phase=Phase.REVIEW, screening=Screening.ELIGIBLE)
    members, assignments = _in_review(app, world)
    tied = as_user(app, TIED)
    for path in ("panel", "progress"):
        page = tied.get(f"/calls/{world['call']}/{path}", headers=EN).get_data(as_text=True)
        assert _hidden(page, world, 0), path
        assert world["numbers"][1] in page, path
        assert "1 proposal is left out of this page" in page, path
    # No move of its assignment, no conflict recorded against its group by them.
    move = {f"move-{assignments[0]}-to_member": str(members[1]), f"move-{assignments[0]}-reason": "负荷"}
    assert tied.submit(f"/calls/{world['call']}/panel/assignments/{assignments[0]}/move", move).status_code == 403
    conflict = {"conflict-member": str(members[0]), "conflict-group": str(world["groups"][0]),
                "conflict-reason": "他是理事"}
    assert tied.submit(f"/calls/{world['call']}/panel/conflicts", conflict).status_code == 422
    # The deliberation ranks every line against the others: another organizer deliberates.
    response = tied.get(f"/calls/{world['call']}/deliberation", headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "another organizer" in page and _hidden(page, world, 0)
    for action in ("component", "adjust", "clear"):
        assert tied.submit(f"/calls/{world['call']}/deliberation/{world['proposals'][1]}/{action}",
                           {"amount": "100", "reason": "x", "value": "80"}).status_code == 403, action
    assert tied.submit(f"/calls/{world['call']}/deliberation/open-notice", {}).status_code == 403
    second = as_user(app, SECOND)
    page = second.get(f"/calls/{world['call']}/deliberation", headers=EN).get_data(as_text=True)
    assert world["numbers"][0] in page
    page = second.get(f"/calls/{world['call']}/panel", headers=EN).get_data(as_text=True)
    assert world["numbers"][0] in page and "left out of this page" not in page


def test_leaving_the_group_does_not_end_the_recusal(app):
    world = _world(app)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == TIED))
        from venture.groups.models import GroupMembership
        membership = db.session.scalar(select(GroupMembership.id).where(
            GroupMembership.group_id == world["groups"][0], GroupMembership.user_id == user.id))
    tied = as_user(app, TIED)
    assert tied.submit(f"/groups/{world['groups'][0]}/members/{membership}/remove").status_code == 302
    tied.get("/about")  # the flash names the group they left
    [derived] = events(app, "recusal.derived")
    assert derived.data == {"call": world["call"], "organizer": derived.data["organizer"],
                            "group": world["groups"][0], "source": "membership", "cause": "group.member_removed"}
    page = tied.get(f"/calls/{world['call']}/screening", headers=EN).get_data(as_text=True)
    assert _hidden(page, world, 0)


def test_an_organizer_joining_a_group_is_recused_at_once(app):
    world = _world(app)
    second = as_user(app, SECOND)
    assert as_user(app, "owner@example.org").submit(f"/groups/{world['groups'][2]}/invite",
                                                    {"email": SECOND}).status_code == 302
    from tests.conftest import link_in, outbox
    link = link_in(outbox(app, SECOND)[-1], "/invitations/")
    assert second.submit(link).status_code == 302
    second.get("/about")  # the flash names the group they joined
    [derived] = events(app, "recusal.derived")
    assert derived.data["group"] == world["groups"][2] and derived.data["cause"] == "invitation.group_member.accepted"
    page = second.get(f"/calls/{world['call']}/screening", headers=EN).get_data(as_text=True)
    assert _hidden(page, world, 2)


@pytest.mark.parametrize("against", ["tied", "other"])
def test_objections_against_the_tied_proposal_are_answered_by_another_organizer(app, against):
    from venture import permissions
    from venture.results.models import Objection, ObjectionStatus

    world = _world(app, phase=Phase.NOTICE, screening=Screening.ELIGIBLE)
    with app.app_context():
        call = db.session.get(Call, world["call"])
        call.notice_ends_at = utcnow() + timedelta(days=3)
        target = world["proposals"][0 if against == "tied" else 1]
        objection = Objection(call_id=call.id, proposal_id=target, text="评分有误" * 10, status=ObjectionStatus.OPEN)
        db.session.add(objection)
        db.session.commit()
        tied = db.session.scalar(select(User).where(User.email == TIED))
        second = db.session.scalar(select(User).where(User.email == SECOND))
        assert permissions.can(tied, "objection:answer", objection) is (against == "other")
        assert permissions.can(second, "objection:answer", objection)
