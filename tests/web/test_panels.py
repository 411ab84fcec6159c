"""The review panel: the reproducible draw, answers and replacements, manual
additions, assigning proposals, moving them and members stepping down."""
from __future__ import annotations

import hashlib
from collections import Counter
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from tests.builders import make_body, make_call, make_group
from tests.conftest import Client, login, make_user, outbox
from tests.review_builders import add_member, make_expert, make_submitted_proposal
from venture.audit.models import AuditEvent
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.proposals.models import Screening
from venture.review import draw as drawing
from venture.review.models import Assignment, Conflict, ConflictSource, MemberStatus, PanelDraw, PanelMember, Review, \
    ReviewStatus

GROUP_NAMES = ["幸福里邻里互助队", "阳光长者服务社", "绿洲青少年发展中心", "康乐残障支持小组", "晨曦社区书屋", "彩虹亲子乐园"]
ORGANIZER = "organizer@example.org"


# Builders shared with test_conflicts -----------------------------------------------------------------

def make_english_user(app: Flask, email: str, **kwargs: Any) -> int:
    """A user who reads the site and their e-mail in English, so the tests read the same after translation."""
    from venture.accounts.models import User

    user_id = make_user(app, email, **kwargs)
    with app.app_context():
        db.session.get(User, user_id).locale = "en"
        db.session.commit()
    return user_id


def as_user(app: Flask, email: str) -> Client:
    client = Client(app, app.response_class, use_cookies=True)
    login(client, email)
    return client


def panel_world(app: Flask, phase: Phase = Phase.OPEN, k: int = 2) -> dict[str, Any]:
    """An organizer's body with a call in ``phase``, another body's organizer and a group owner."""
    for email in (ORGANIZER, "other_organizer@example.org", "owner@example.org", "resident@example.org"):
        make_english_user(app, email)
    body = make_body(app, ORGANIZER)
    make_body(app, "other_organizer@example.org", name="Other body")
    call = make_call(app, body, phase, reviewers_per_proposal=k)
    return {"body": body, "call": call}


def add_experts(app: Flask, body: int, specs: dict[str, tuple[str, ...]], **profile: Any) -> dict[str, int]:
    """Users and pool experts: email -> expert id."""
    made = {}
    for email, areas in specs.items():
        make_english_user(app, email, name=email.split("@")[0])
        made[email] = make_expert(app, body, email, expertise=areas, **profile)
    return made


def add_groups(app: Flask, call: int, names: list[str], screening: Screening = Screening.ELIGIBLE,
               **group: Any) -> dict[str, dict[str, int]]:
    """A group per name with a submitted proposal in the call: name -> ids."""
    made = {}
    for name in names:
        group_id = make_group(app, "owner@example.org", name=name, **group)
        ids = make_submitted_proposal(app, call, group_id, title=f"{name}的项目", screening=screening)
        made[name] = {"group_id": group_id, **ids}
    return made


def set_phase(app: Flask, call: int, phase: Phase) -> None:
    with app.app_context():
        db.session.get(Call, call).phase = phase
        db.session.commit()


def events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        found = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.seq)).all()
        db.session.expunge_all()
        return list(found)


def members(app: Flask, call: int) -> list[PanelMember]:
    with app.app_context():
        found = db.session.scalars(select(PanelMember).where(PanelMember.call_id == call)
                                   .order_by(PanelMember.id)).all()
        db.session.expunge_all()
        return list(found)


def active_pairs(app: Flask, call: int) -> list[tuple[int, int]]:
    from venture.proposals.models import Proposal

    with app.app_context():
        return [(a.proposal_id, a.member_id) for a in db.session.scalars(
            select(Assignment).join(Proposal, Proposal.id == Assignment.proposal_id)
            .where(Proposal.call_id == call, Assignment.ended_at.is_(None)).order_by(Assignment.id))]


def add_conflict(app: Flask, member_id: int, group_id: int, source: ConflictSource = ConflictSource.DECLARED) -> None:
    with app.app_context():
        db.session.add(Conflict(member_id=member_id, group_id=group_id, source=source))
        db.session.commit()


def assert_no_identity(text: str, groups: dict[str, dict[str, int]]) -> None:
    for name in groups:
        assert name not in text
    assert "team@xingfu.example" not in text  # the groups' contact address
    assert "赵桂英" not in text  # their contact person


# The draw ---------------------------------------------------------------------------------------------

WITNESS = {"witness_0_name": "陈监督", "witness_0_role": "区民政局监督科", "witness_0_value": "2718"}


def prepare(app: Flask, call: int, client: Client | None = None) -> Any:
    """The organizer prepares the next draw: its commitment is published."""
    return (client or as_user(app, ORGANIZER)).submit(f"/calls/{call}/panel/prepare", {})


def _draw(app: Flask, call: int, size: int, **minimums: int) -> Any:
    organizer = as_user(app, ORGANIZER)
    prepare(app, call, organizer)
    data = {"size": str(size), **{f"min_{area}": str(n) for area, n in minimums.items()}, **WITNESS}
    return organizer.submit(f"/calls/{call}/panel/draw", data)


def test_the_draw_is_recorded_and_can_be_rerun_from_the_audit_log(app):
    world = panel_world(app)
    experts = add_experts(app, world["body"], {
        "fin1@example.org": ("finance",), "fin2@example.org": ("finance", "law"), "fin3@example.org": ("finance",),
        "law1@example.org": ("law",), "sw1@example.org": ("social_work",), "sw2@example.org": ("social_work",),
        "sw3@example.org": ("social_work",), "sw4@example.org": ("social_work", "elderly_care"),
    })
    make_english_user(app, "away@example.org")
    away = make_expert(app, world["body"], "away@example.org", expertise=("finance",), available=False)
    groups = add_groups(app, world["call"], GROUP_NAMES[:2])  # open calls already have applicants

    page = as_user(app, ORGANIZER).get(f"/calls/{world['call']}/panel").get_data(as_text=True)
    assert "8 experts in the pool are available" in page

    response = _draw(app, world["call"], 4, finance=2, law=2)
    assert response.status_code == 302

    [event] = events(app, "panel.drawn")
    data = event.data
    assert len(data["seed"]) == 64 and data["size"] == 4 and data["minimums"] == {"finance": 2, "law": 2}
    assert {entry["expert"] for entry in data["pool"]} == set(experts.values())  # not the unavailable one
    assert away not in {entry["expert"] for entry in data["pool"]}
    assert {"expert": experts["sw4@example.org"], "areas": ["elderly_care", "social_work"]} in data["pool"]
    # Anyone with the audit record gets the same panel.
    rerun = drawing.draw_panel(data["seed"], drawing.candidates_from_snapshot(data["pool"]), data["size"],
                               data["minimums"])
    assert list(rerun.chosen) == data["chosen"]
    assert rerun.shortfalls == data["shortfalls"] == {}

    with app.app_context():
        record = db.session.get(PanelDraw, event.object_id)
        assert record.seed == data["seed"] and record.chosen == data["chosen"]
        assert record.pool_snapshot == data["pool"] and record.created_by_id is not None
    panel = members(app, world["call"])
    assert sorted(m.expert_id for m in panel) == sorted(data["chosen"])
    assert all(m.status is MemberStatus.INVITED and not m.manual and m.draw_id == event.object_id for m in panel)
    # Minimums honoured.
    areas = {e: a for e, a in ((entry["expert"], entry["areas"]) for entry in data["pool"])}
    chosen_areas = Counter(area for e in data["chosen"] for area in areas[e])
    assert chosen_areas["finance"] >= 2 and chosen_areas["law"] >= 2

    # Each drawn expert is asked by e-mail, with a link and no applicant identity.
    by_id = {v: k for k, v in experts.items()}
    for member in panel:
        [mail] = outbox(app, by_id[member.expert_id])
        assert f"/panels/{member.id}" in mail.body_text
        assert "2026 幸福社区微民生项目" in mail.subject + mail.body_text
        assert_no_identity(mail.subject + mail.body_text, groups)

    page = as_user(app, ORGANIZER).get(f"/calls/{world['call']}/panel").get_data(as_text=True)
    assert data["seed"] in page


def test_verify_draw_command_matches_and_notices_an_altered_record(app):
    world = panel_world(app)
    add_experts(app, world["body"], {f"e{i}@example.org": ("social_work",) for i in range(5)})
    assert _draw(app, world["call"], 3).status_code == 302
    with app.app_context():
        draw_id = db.session.scalar(select(PanelDraw.id))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["panels", "verify-draw", str(draw_id)])
    assert result.exit_code == 0, result.output
    assert f"draw {draw_id}: MATCHES" in result.output

    with app.app_context():
        record = db.session.get(PanelDraw, draw_id)
        pool = [entry["expert"] for entry in record.pool_snapshot]
        record.chosen = [e for e in pool if e not in record.chosen][:1] + record.chosen[1:]
        db.session.commit()
    result = runner.invoke(args=["panels", "verify-draw", str(draw_id)])
    assert result.exit_code == 1
    assert "DOES NOT MATCH" in result.output

    assert runner.invoke(args=["panels", "verify-draw", "999999"]).exit_code == 1


def test_a_small_pool_reports_its_shortfalls(app):
    world = panel_world(app)
    add_experts(app, world["body"], {"law1@example.org": ("law",), "sw1@example.org": ("social_work",)})
    organizer = as_user(app, ORGANIZER)
    prepare(app, world["call"], organizer)
    response = organizer.submit(f"/calls/{world['call']}/panel/draw", {"size": "3", "min_law": "2", **WITNESS})
    assert response.status_code == 302
    page = organizer.get(response.location).get_data(as_text=True)
    assert "could not meet the request" in page
    with app.app_context():
        record = db.session.scalar(select(PanelDraw))
        assert record.shortfalls == {"law": 1} and len(record.chosen) == 2
    [event] = events(app, "panel.drawn")
    assert event.data["shortfalls"] == {"law": 1} and event.data["short_by"] == 1


def test_a_draw_form_with_errors_is_shown_again_with_what_was_typed(app):
    world = panel_world(app)
    add_experts(app, world["body"], {"sw1@example.org": ("social_work",)})
    response = _draw(app, world["call"], 2, law=5)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "No minimum can be larger than the panel." in page
    assert 'name="min_law" type="number" value="5"' in page or 'value="5"' in page
    assert members(app, world["call"]) == []


def test_a_decline_draws_a_replacement_for_the_missing_area(app):
    world = panel_world(app)
    experts = add_experts(app, world["body"], {"fin1@example.org": ("finance",), "fin2@example.org": ("finance",)})
    assert _draw(app, world["call"], 1, finance=1).status_code == 302
    [first] = members(app, world["call"])
    email = next(e for e, i in experts.items() if i == first.expert_id)
    other = next(e for e in experts if e != email)

    expert = as_user(app, email)
    assert expert.get(f"/panels/{first.id}").status_code == 200
    response = expert.submit(f"/panels/{first.id}", {"answer": "decline"})
    assert response.status_code == 302

    declined, replacement = members(app, world["call"])
    assert declined.status is MemberStatus.DECLINED and declined.responded_at is not None
    assert replacement.expert_id == experts[other] and replacement.status is MemberStatus.INVITED
    [event] = events(app, "panel.replacement_drawn")
    assert event.data["replaces_member"] == first.id and event.data["size"] == 1
    assert event.data["minimums"] == {"finance": 1}
    assert event.data["pool"] == [{"expert": experts[other], "areas": ["finance"]}]
    rerun = drawing.draw_panel(event.data["seed"], drawing.candidates_from_snapshot(event.data["pool"]), 1,
                               event.data["minimums"])
    assert list(rerun.chosen) == event.data["chosen"] == [experts[other]]
    with app.app_context():
        record = db.session.get(PanelDraw, event.object_id)
        assert record.replaces_member_id == first.id and replacement.draw_id == record.id
    assert len(outbox(app, other)) == 1
    assert len(events(app, "panel.member_declined")) == 1
    # The answer cannot be given twice.
    again = expert.submit(f"/panels/{first.id}", {"answer": "accept"})
    assert again.status_code == 302
    assert members(app, world["call"])[0].status is MemberStatus.DECLINED


def test_a_decline_with_nobody_left_tells_the_organizers(app):
    world = panel_world(app)
    experts = add_experts(app, world["body"], {"only@example.org": ("law",)})
    assert _draw(app, world["call"], 1, law=1).status_code == 302
    [member] = members(app, world["call"])
    as_user(app, "only@example.org").submit(f"/panels/{member.id}", {"answer": "decline"})
    [event] = events(app, "panel.replacement_drawn")
    assert event.data["chosen"] == [] and event.data["shortfalls"] == {"law": 1} and event.data["pool"] == []
    assert len(members(app, world["call"])) == 1
    [mail] = outbox(app, ORGANIZER)
    assert "short" in mail.subject and f"/calls/{world['call']}/panel" in mail.body_text
    assert experts


def test_accepting_is_recorded(app):
    world = panel_world(app)
    add_experts(app, world["body"], {"sw1@example.org": ("social_work",)})
    _draw(app, world["call"], 1)
    [member] = members(app, world["call"])
    expert = as_user(app, "sw1@example.org")
    assert expert.submit(f"/panels/{member.id}", {}).status_code == 422
    assert expert.submit(f"/panels/{member.id}", {"answer": "accept"}).status_code == 302
    [member] = members(app, world["call"])
    assert member.status is MemberStatus.ACCEPTED
    assert len(events(app, "panel.member_accepted")) == 1
    # Another expert cannot see or answer it.
    add_experts(app, world["body"], {"sw2@example.org": ("social_work",)})
    assert as_user(app, "sw2@example.org").get(f"/panels/{member.id}").status_code == 404


def test_an_expert_added_by_hand_is_marked_and_still_asked(app):
    world = panel_world(app)
    experts = add_experts(app, world["body"], {"hand@example.org": ("law",)})
    organizer = as_user(app, ORGANIZER)
    response = organizer.submit(f"/calls/{world['call']}/panel/add",
                                {"add-expert": str(experts["hand@example.org"]), "add-reason": ""})
    assert response.status_code == 422
    assert f'<option selected value="{experts["hand@example.org"]}">' in response.get_data(as_text=True)
    response = organizer.submit(f"/calls/{world['call']}/panel/add",
                                {"add-expert": str(experts["hand@example.org"]),
                                 "add-reason": "The only lawyer who knows the district."})
    assert response.status_code == 302
    [member] = members(app, world["call"])
    assert member.manual and member.status is MemberStatus.INVITED and member.draw_id is None
    [event] = events(app, "panel.member_added_manually")
    assert len(event.data["reason_sha256"]) == 64 and "lawyer" not in str(event.data)
    [mail] = outbox(app, "hand@example.org")
    assert f"/panels/{member.id}" in mail.body_text
    page = organizer.get(f"/calls/{world['call']}/panel").get_data(as_text=True)
    assert "Added by hand" in page
    # Not twice.
    again = organizer.submit(f"/calls/{world['call']}/panel/add",
                             {"add-expert": str(experts["hand@example.org"]), "add-reason": "again"})
    assert again.status_code == 422


# Assignment ------------------------------------------------------------------------------------------

def review_panel(app: Flask, k: int = 2, n_members: int = 4, groups: int = 5,
                 declared: bool = True) -> dict[str, Any]:
    """A call in review: ``groups`` eligible proposals and one ineligible, ``n_members`` accepted members."""
    world = panel_world(app, Phase.REVIEW, k=k)
    specs = {f"m{i}@example.org": (("finance",) if i == 0 else ("social_work",)) for i in range(n_members)}
    experts = add_experts(app, world["body"], specs)
    member_ids = {email: add_member(app, world["call"], expert_id, declared=declared)
                  for email, expert_id in experts.items()}
    eligible = add_groups(app, world["call"], GROUP_NAMES[:groups])
    ineligible = add_groups(app, world["call"], GROUP_NAMES[groups:groups + 1], screening=Screening.INELIGIBLE)
    return {**world, "experts": experts, "members": member_ids, "eligible": eligible, "ineligible": ineligible}


def _assign(app: Flask, call: int) -> Any:
    return as_user(app, ORGANIZER).submit(f"/calls/{call}/panel/assign", {})


def test_assign_gives_every_eligible_proposal_k_reviewers_without_conflicts_and_even_loads(app):
    world = review_panel(app)
    first = world["eligible"][GROUP_NAMES[0]]
    m = world["members"]
    add_conflict(app, m["m0@example.org"], first["group_id"])
    add_conflict(app, m["m1@example.org"], first["group_id"], ConflictSource.AFFILIATION)

    page = as_user(app, ORGANIZER).get(f"/calls/{world['call']}/panel").get_data(as_text=True)
    assert "Assign reviewers" in page and "10 reviews in all" in page

    response = _assign(app, world["call"])
    assert response.status_code == 302, response.get_data(as_text=True)
    pairs = active_pairs(app, world["call"])
    by_proposal: dict[int, list[int]] = {}
    for proposal_id, member_id in pairs:
        by_proposal.setdefault(proposal_id, []).append(member_id)
    eligible_ids = {g["proposal_id"] for g in world["eligible"].values()}
    assert set(by_proposal) == eligible_ids  # the ineligible proposal gets nobody
    assert all(len(set(r)) == len(r) == 2 for r in by_proposal.values())
    assert set(by_proposal[first["proposal_id"]]) == {m["m2@example.org"], m["m3@example.org"]}
    loads = Counter(member_id for _p, member_id in pairs)
    assert set(loads) == set(m.values()) and max(loads.values()) - min(loads.values()) <= 1

    [event] = events(app, "assignments.made")
    data = event.data
    assert data["k"] == 2 and sorted(data["proposals"]) == sorted(eligible_ids)
    assert sorted(map(tuple, data["pairs"])) == sorted(pairs)
    assert sorted(map(tuple, data["conflicts"])) == sorted([(first["proposal_id"], m["m0@example.org"]),
                                                            (first["proposal_id"], m["m1@example.org"])])
    assert data["balanced"] is True and len(data["seed"]) == 32
    with app.app_context():
        assert {a.seed for a in db.session.scalars(select(Assignment))} == {data["seed"]}

    for email in m:
        [mail] = outbox(app, email)
        assert "/review/" in mail.body_text and str(loads[m[email]]) in mail.subject
        assert_no_identity(mail.subject + mail.body_text, {**world["eligible"], **world["ineligible"]})

    # Once is enough: a second run would undo moves made by hand.
    again = _assign(app, world["call"])
    assert again.status_code == 422 and "already assigned" in again.get_data(as_text=True)
    assert len(active_pairs(app, world["call"])) == 10


def test_assign_is_refused_until_everyone_has_declared_and_everything_is_screened(app):
    world = review_panel(app, declared=False)
    response = _assign(app, world["call"])
    assert response.status_code == 422
    assert "have not yet declared their conflicts" in response.get_data(as_text=True)
    assert active_pairs(app, world["call"]) == []

    with app.app_context():
        for member in db.session.scalars(select(PanelMember)):
            member.conflicts_declared_at = utcnow()
        db.session.commit()
    add_groups(app, world["call"], ["未筛查的小组"], screening=Screening.PENDING)
    response = _assign(app, world["call"])
    assert response.status_code == 422 and "not screened yet" in response.get_data(as_text=True)
    assert active_pairs(app, world["call"]) == []


def test_assign_names_receipt_numbers_when_conflicts_make_it_impossible(app):
    world = review_panel(app, k=2, n_members=2, groups=2)
    first = world["eligible"][GROUP_NAMES[0]]
    add_conflict(app, world["members"]["m0@example.org"], first["group_id"])
    response = _assign(app, world["call"])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    with app.app_context():
        from venture.proposals.models import Proposal
        number = db.session.get(Proposal, first["proposal_id"]).number
    assert number in page and "cannot get 2 reviewers" in page
    assert active_pairs(app, world["call"]) == []


def test_assign_only_in_review(app):
    world = review_panel(app)
    set_phase(app, world["call"], Phase.CLOSED)
    response = _assign(app, world["call"])
    assert response.status_code == 422 and active_pairs(app, world["call"]) == []


def test_an_assignment_cannot_be_moved_onto_a_conflicted_member(app):
    world = review_panel(app, k=1, n_members=3, groups=3)
    assert _assign(app, world["call"]).status_code == 302
    m = world["members"]
    first = world["eligible"][GROUP_NAMES[0]]
    with app.app_context():
        assignment = db.session.scalar(select(Assignment).where(Assignment.proposal_id == first["proposal_id"]))
        assignment_id, holder = assignment.id, assignment.member_id
    others = [member_id for member_id in m.values() if member_id != holder]
    add_conflict(app, others[0], first["group_id"])
    organizer = as_user(app, ORGANIZER)
    url = f"/calls/{world['call']}/panel/assignments/{assignment_id}/move"
    prefix = f"move-{assignment_id}-"
    response = organizer.submit(url, {prefix + "to_member": str(others[0]), prefix + "reason": "Lighter load"})
    assert response.status_code == 422
    assert "conflict of interest with the applicant" in response.get_data(as_text=True)
    assert (first["proposal_id"], holder) in active_pairs(app, world["call"])

    response = organizer.submit(url, {prefix + "to_member": str(others[1]), prefix + "reason": ""})
    assert response.status_code == 422

    response = organizer.submit(url, {prefix + "to_member": str(others[1]), prefix + "reason": "Lighter load"})
    assert response.status_code == 302
    pairs = active_pairs(app, world["call"])
    assert (first["proposal_id"], others[1]) in pairs and (first["proposal_id"], holder) not in pairs
    [event] = events(app, "assignment.moved")
    assert event.data["from"] == holder and event.data["to"] == others[1] and event.data["ended"] == assignment_id
    with app.app_context():
        ended = db.session.get(Assignment, assignment_id)
        assert ended.ended_at is not None and ended.ended_reason == "moved"
        new = db.session.get(Assignment, event.object_id)
        assert new.manual


def _submit_review(app: Flask, assignment_id: int) -> None:
    with app.app_context():
        db.session.add(Review(assignment_id=assignment_id, status=ReviewStatus.SUBMITTED, version_count=1,
                              submitted_at=utcnow()))
        db.session.commit()


def test_a_member_who_withdraws_has_only_open_assignments_redistributed(app):
    world = review_panel(app, k=1, n_members=3, groups=6)
    assert _assign(app, world["call"]).status_code == 302
    leaver_email = "m1@example.org"
    leaver = world["members"][leaver_email]
    with app.app_context():
        held = db.session.scalars(select(Assignment).where(Assignment.member_id == leaver)
                                  .order_by(Assignment.id)).all()
        held_ids = [(a.id, a.proposal_id) for a in held]
    assert len(held_ids) == 2
    (done_id, done_proposal), (open_id, open_proposal) = held_ids
    _submit_review(app, done_id)

    expert = as_user(app, leaver_email)
    assert expert.submit(f"/panels/{leaver}/withdraw", {"reason": ""}).status_code == 422
    response = expert.submit(f"/panels/{leaver}/withdraw", {"reason": "Moving abroad"})
    assert response.status_code == 302

    member = next(x for x in members(app, world["call"]) if x.id == leaver)
    assert member.status is MemberStatus.WITHDRAWN
    pairs = active_pairs(app, world["call"])
    assert (done_proposal, leaver) in pairs  # the submitted review stays
    assert (open_proposal, leaver) not in pairs
    [taker] = [member_id for p, member_id in pairs if p == open_proposal]
    assert taker != leaver
    with app.app_context():
        ended = db.session.get(Assignment, open_id)
        assert ended.ended_at is not None and ended.ended_reason == "withdrew"
        new = db.session.scalar(select(Assignment).where(Assignment.proposal_id == open_proposal,
                                                         Assignment.ended_at.is_(None)))
        assert len(new.seed) == 32 and not new.manual
    [withdrew] = events(app, "panel.member_withdrew")
    [moved] = events(app, "assignment.redistributed")
    assert withdrew.data["ended"] == [open_id] and moved.data["moves"] == [[open_proposal, taker]]
    assert moved.data["seed"] == withdrew.data["seed"]
    taker_email = next(e for e, i in world["members"].items() if i == taker)
    mails = outbox(app, taker_email)
    assert len(mails) == 2  # the first assignment, then the proposal taken over
    assert_no_identity(mails[-1].subject + mails[-1].body_text, world["eligible"])


def test_withdrawing_is_refused_when_nobody_could_take_over(app):
    world = review_panel(app, k=2, n_members=2, groups=2)
    assert _assign(app, world["call"]).status_code == 302
    before = active_pairs(app, world["call"])
    leaver = world["members"]["m0@example.org"]
    response = as_user(app, ORGANIZER).submit(f"/calls/{world['call']}/panel/members/{leaver}/withdraw",
                                              {f"withdraw-{leaver}-reason": "Ill"})
    assert response.status_code == 422
    assert "cannot be given to another reviewer" in response.get_data(as_text=True)
    assert active_pairs(app, world["call"]) == before
    assert next(x for x in members(app, world["call"]) if x.id == leaver).status is MemberStatus.ACCEPTED
    assert events(app, "panel.member_withdrew") == []


def test_the_review_deadline(app):
    world = panel_world(app)
    organizer = as_user(app, ORGANIZER)
    past = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = organizer.submit(f"/calls/{world['call']}/panel/due", {"due_at": past})
    assert response.status_code == 422 and "must be in the future" in response.get_data(as_text=True)
    future = (utcnow() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    assert organizer.submit(f"/calls/{world['call']}/panel/due", {"due_at": future}).status_code == 302
    with app.app_context():
        assert db.session.get(Call, world["call"]).review_due_at > utcnow()
    assert len(events(app, "call.review_due_set")) == 1


def test_the_manage_page_links_to_the_panel(app):
    world = panel_world(app)
    page = as_user(app, ORGANIZER).get(f"/calls/{world['call']}/manage").get_data(as_text=True)
    assert f"/calls/{world['call']}/panel" in page


def test_organizer_routes_refuse_reviewers_and_other_organizers(app):
    world = review_panel(app, k=1, n_members=2, groups=2)
    assert _assign(app, world["call"]).status_code == 302
    call = world["call"]
    member = world["members"]["m0@example.org"]
    with app.app_context():
        assignment = db.session.scalar(select(Assignment.id))
    gets = [f"/calls/{call}/panel"]
    posts = [f"/calls/{call}/panel/draw", f"/calls/{call}/panel/add", f"/calls/{call}/panel/conflicts",
             f"/calls/{call}/panel/due", f"/calls/{call}/panel/assign",
             f"/calls/{call}/panel/assignments/{assignment}/move", f"/calls/{call}/panel/members/{member}/withdraw"]
    for email in ("m0@example.org", "other_organizer@example.org", "owner@example.org"):
        client = as_user(app, email)
        for url in gets:
            assert client.get(url).status_code == 403, (email, url)
        for url in posts:
            assert client.submit(url, {"size": "1", "add-reason": "x"}).status_code == 403, (email, url)
    # The expert's own pages are theirs alone.
    other = as_user(app, "m1@example.org")
    # ... and to anyone else, as if they did not exist.
    assert other.get(f"/panels/{member}").status_code == 404
    assert other.get(f"/panels/{member}/conflicts").status_code == 404
    assert other.submit(f"/panels/{member}/withdraw", {"reason": "x"}).status_code == 404
    assert as_user(app, ORGANIZER).get(f"/panels/{member}/conflicts").status_code == 404
    # A member of another call's panel is not found under this call.
    other_call = make_call(app, world["body"], Phase.REVIEW)
    response = as_user(app, ORGANIZER).submit(f"/calls/{other_call}/panel/members/{member}/withdraw",
                                              {f"withdraw-{member}-reason": "x"})
    assert response.status_code == 404
    response = as_user(app, ORGANIZER).submit(f"/calls/{other_call}/panel/assignments/{assignment}/move", {})
    assert response.status_code == 404


def test_the_panel_page_shows_members_conflicts_and_assignments(app):
    world = review_panel(app, k=1, n_members=2, groups=2)
    add_conflict(app, world["members"]["m0@example.org"], world["eligible"][GROUP_NAMES[0]]["group_id"])
    assert _assign(app, world["call"]).status_code == 302
    page = as_user(app, ORGANIZER).get(f"/calls/{world['call']}/panel").get_data(as_text=True)
    assert "m0" in page and "m1" in page
    assert "Declared by the expert" in page
    assert "Not started" in page
    with app.app_context():
        from venture.proposals.models import Proposal
        numbers = [p.number for p in db.session.scalars(select(Proposal).where(Proposal.call_id == world["call"]))]
    assert all(number in page for number in numbers[:2])


# A draw nobody can steer -----------------------------------------------------------------------------

def _draws(app: Flask, call: int) -> list[PanelDraw]:
    with app.app_context():
        found = db.session.scalars(select(PanelDraw).where(PanelDraw.call_id == call).order_by(PanelDraw.id)).all()
        db.session.expunge_all()
        return list(found)


def test_a_draw_needs_a_published_commitment_and_a_witness(app):
    from venture.review.models import DrawCommitment, DrawMethod

    world = panel_world(app)
    add_experts(app, world["body"], {f"e{i}@example.org": ("social_work",) for i in range(5)})
    organizer = as_user(app, ORGANIZER)
    url = f"/calls/{world['call']}/panel/draw"
    refused = organizer.submit(url, {"size": "3", **WITNESS})
    assert refused.status_code == 422 and "Prepare the draw first" in refused.get_data(as_text=True)
    assert _draws(app, world["call"]) == []

    assert prepare(app, world["call"], organizer).status_code == 302
    with app.app_context():
        commitment = db.session.scalar(select(DrawCommitment))
        digest, secret = commitment.digest, commitment.secret
    assert hashlib.sha256(secret.encode()).hexdigest() == digest
    [event] = events(app, "panel.draw_committed")
    assert event.data == {"call": world["call"], "digest": digest}
    public = as_user(app, "resident@example.org").get(f"/calls/{world['call']}").get_data(as_text=True)
    assert digest in public and secret not in public
    panel_page = organizer.get(f"/calls/{world['call']}/panel").get_data(as_text=True)
    assert digest in panel_page and secret not in panel_page, "not even the organizer knows the secret"
    again = prepare(app, world["call"], organizer)
    assert again.status_code == 422 and "already prepared" in again.get_data(as_text=True)

    nobody = organizer.submit(url, {"size": "3"})
    assert nobody.status_code == 422
    assert "At least one witness enters a value" in nobody.get_data(as_text=True)
    assert 'value="3"' in nobody.get_data(as_text=True), "what was typed is kept"
    half = organizer.submit(url, {"size": "3", "witness_0_name": "陈监督", "witness_1_value": "7"})
    assert half.status_code == 422 and "name, role and the value" in half.get_data(as_text=True)
    assert "陈监督" in half.get_data(as_text=True)
    assert _draws(app, world["call"]) == []

    witnesses = {**WITNESS, "witness_1_name": "林代表", "witness_1_role": "居民代表", "witness_1_value": "  幸福里 88 "}
    assert organizer.submit(url, {"size": "3", **witnesses}).status_code == 302
    [record] = _draws(app, world["call"])
    assert record.method is DrawMethod.CEREMONY and record.witnesses == [
        {"name": "陈监督", "role": "区民政局监督科", "value": "2718"},
        {"name": "林代表", "role": "居民代表", "value": "幸福里 88"}]
    assert record.seed == drawing.ceremony_seed(secret, ["2718", "幸福里 88"], record.chain_seq, record.chain_head)
    [drawn] = events(app, "panel.drawn")
    assert drawn.prev_hash == record.chain_head and drawn.seq == record.chain_seq + 1
    assert drawn.data["secret"] == secret and drawn.data["commitment"] == {"id": record.commitment_id, "digest": digest}
    assert drawn.data["witnesses"][0] == {"name_sha256": hashlib.sha256("陈监督".encode()).hexdigest(),
                                          "role": "区民政局监督科", "value": "2718"}
    assert "陈监督" not in str(drawn.data), "the audit log keeps no names"
    with app.app_context():
        assert db.session.get(DrawCommitment, record.commitment_id).used_at is not None
    page = organizer.get(f"/calls/{world['call']}/panel").get_data(as_text=True)
    assert "陈监督" in page and "幸福里 88" in page and "Prepare the draw" in page  # the next one
    # The next draw needs a new commitment: this one is spent.
    again = organizer.submit(url, {"size": "1", **WITNESS})
    assert again.status_code == 422 and "Prepare the draw first" in again.get_data(as_text=True)


def test_a_draw_is_discarded_only_before_anyone_answers_and_stays_listed(app):
    world = panel_world(app)
    experts = add_experts(app, world["body"], {f"e{i}@example.org": ("social_work",) for i in range(4)})
    assert _draw(app, world["call"], 2).status_code == 302
    [record] = _draws(app, world["call"])
    organizer = as_user(app, ORGANIZER)
    url = f"/calls/{world['call']}/panel/draws/{record.id}/discard"
    no_reason = organizer.submit(url, {f"discard-{record.id}-reason": " "})
    assert no_reason.status_code == 422 and "Give a reason" in no_reason.get_data(as_text=True)
    drawn = members(app, world["call"])
    assert organizer.submit(url, {f"discard-{record.id}-reason": "抽取人数填错"}).status_code == 302
    [record] = _draws(app, world["call"])
    assert record.discarded_at is not None and record.discard_reason == "抽取人数填错"
    assert members(app, world["call"]) == [], "its experts are off the panel"
    by_id = {v: k for k, v in experts.items()}
    for member in drawn:
        mails = outbox(app, by_id[member.expert_id])
        assert len(mails) == 2 and "discarded" in mails[-1].subject
    [event] = events(app, "panel.draw_discarded")
    assert event.data["members"] == [m.id for m in drawn] and len(event.data["reason_sha256"]) == 64
    assert "抽取人数填错" not in str(event.data)
    page = organizer.get(f"/calls/{world['call']}/panel").get_data(as_text=True)
    assert "4 experts in the pool are available" in page, "they are back in the pool"
    assert "抽取人数填错" in page
    again = organizer.submit(url, {f"discard-{record.id}-reason": "again"})
    assert again.status_code == 422 and "already discarded" in again.get_data(as_text=True)

    # Once an expert has answered, the draw stands.
    assert _draw(app, world["call"], 1).status_code == 302
    [member] = members(app, world["call"])
    as_user(app, by_id[member.expert_id]).submit(f"/panels/{member.id}", {"answer": "accept"})
    second = _draws(app, world["call"])[-1]
    refused = organizer.submit(f"/calls/{world['call']}/panel/draws/{second.id}/discard",
                               {f"discard-{second.id}-reason": "不想要"})
    assert refused.status_code == 422 and "already answered" in refused.get_data(as_text=True)
    assert _draws(app, world["call"])[-1].discarded_at is None
    # Another call's draw is not found under this one.
    other = make_call(app, world["body"], Phase.OPEN, title="Other call")
    assert organizer.submit(f"/calls/{other}/panel/draws/{second.id}/discard",
                            {f"discard-{second.id}-reason": "x"}).status_code == 404


def test_verify_draw_checks_where_the_seed_came_from(app):
    world = panel_world(app)
    experts = add_experts(app, world["body"], {f"e{i}@example.org": ("finance",) for i in range(3)})
    assert _draw(app, world["call"], 1, finance=1).status_code == 302
    [first] = members(app, world["call"])
    email = next(e for e, i in experts.items() if i == first.expert_id)
    as_user(app, email).submit(f"/panels/{first.id}", {"answer": "decline"})
    ceremony, replacement = _draws(app, world["call"])
    assert replacement.seed == drawing.replacement_seed(ceremony.seed, first.id)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["panels", "verify-draw", str(ceremony.id)])
    assert result.exit_code == 0, result.output
    assert "seed from the secret, the witnesses' values and the chain head vs stored seed: matches" in result.output
    assert "digest of the revealed secret vs the published commitment: matches" in result.output
    result = runner.invoke(args=["panels", "verify-draw", str(replacement.id)])
    assert result.exit_code == 0 and "seed derived from the parent draw vs stored seed: matches" in result.output

    with app.app_context():
        row = db.session.get(PanelDraw, ceremony.id)
        row.witnesses = [{**row.witnesses[0], "value": "2719"}]
        db.session.commit()
    result = runner.invoke(args=["panels", "verify-draw", str(ceremony.id)])
    assert result.exit_code == 1
    assert "seed from the secret, the witnesses' values and the chain head vs stored seed: DOES NOT MATCH" \
        in result.output
    assert "witnesses in the audit entry vs stored: DOES NOT MATCH" in result.output
    with app.app_context():
        from venture.review.models import DrawCommitment

        db.session.get(DrawCommitment, ceremony.commitment_id).secret = "0" * 64
        db.session.get(PanelDraw, replacement.id).seed = "1" * 64
        db.session.commit()
    result = runner.invoke(args=["panels", "verify-draw", str(ceremony.id)])
    assert "digest of the revealed secret vs the published commitment: DOES NOT MATCH" in result.output
    result = runner.invoke(args=["panels", "verify-draw", str(replacement.id)])
    assert result.exit_code == 1 and "seed derived from the parent draw vs stored seed: DOES NOT MATCH" in result.output


def test_a_hand_added_member_who_declines_is_replaced_from_the_latest_draw_or_not_at_all(app):
    world = panel_world(app)
    experts = add_experts(app, world["body"], {f"e{i}@example.org": ("law",) for i in range(4)})
    organizer = as_user(app, ORGANIZER)
    organizer.submit(f"/calls/{world['call']}/panel/add",
                     {"add-expert": str(experts["e0@example.org"]), "add-reason": "熟悉本区情况的律师"})
    [hand] = members(app, world["call"])
    as_user(app, "e0@example.org").submit(f"/panels/{hand.id}", {"answer": "decline"})
    assert _draws(app, world["call"]) == [], "no draw to derive a seed from: the organizers choose again"
    assert events(app, "panel.replacement_drawn") == []

    assert _draw(app, world["call"], 1).status_code == 302
    [ceremony] = _draws(app, world["call"])
    organizer.submit(f"/calls/{world['call']}/panel/add",
                     {"add-expert": str(next(e for k, e in experts.items() if e not in ceremony.chosen
                                             and k != "e0@example.org")), "add-reason": "补充"})
    second = members(app, world["call"])[-1]
    email = next(k for k, e in experts.items() if e == second.expert_id)
    as_user(app, email).submit(f"/panels/{second.id}", {"answer": "decline"})
    replacement = _draws(app, world["call"])[-1]
    assert replacement.parent_draw_id == ceremony.id
    assert replacement.seed == drawing.replacement_seed(ceremony.seed, second.id)
