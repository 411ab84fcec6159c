"""The access matrix: every role against every action built so far, asked of
the one access module, and the same answers enforced on the routes."""
from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from tests.conftest import Client, login
from venture import permissions
from venture.accounts.models import User
from venture.bodies.models import Organizer, OrganizingBody, PoolExpert
from venture.extensions import db
from venture.groups.models import Group, GroupKind, GroupMembership, MemberRole

ROLES = ["anonymous", "unverified", "resident", "member", "owner", "other_owner", "reviewer",
         "idle_reviewer", "conflicted_reviewer", "organizer", "recused_organizer", "other_organizer", "admin",
         "deleted"]
# recused_organizer: an organizer of the body who declared a tie with the group whose proposal is in the call.

# action -> roles allowed (object: the group, its member's membership, or the body)
EXPECTED = {
    "account:manage": set(ROLES) - {"anonymous", "deleted"},
    "resident:participate": set(ROLES) - {"anonymous", "unverified", "deleted"},
    "group:create": set(ROLES) - {"anonymous", "unverified", "deleted"},
    "group:view": {"member", "owner", "admin"},
    "group:edit": {"owner"},
    "group:invite": {"owner"},
    "group:remove_member": {"owner", "member"},  # the member may leave
    "group:change_role": {"owner"},
    "body:view": set(ROLES) - {"deleted"},
    "body:create": {"admin"},
    "body:edit": {"organizer", "recused_organizer", "admin"},
    "body:manage_organizers": {"admin"},
    "body:manage_experts": {"organizer", "recused_organizer"},
    "body:view_drafts": {"organizer", "recused_organizer", "admin"},
    "body:manage_calls": {"organizer", "recused_organizer"},
    "admin:access": {"admin"},
    "call:create": {"organizer", "recused_organizer"},
    "call:view": set(ROLES) - {"deleted"},
    "call:manage": {"organizer", "recused_organizer"},
    "call:apply": set(ROLES) - {"anonymous", "unverified", "deleted"},
    "proposal:edit": {"member", "owner"},
    "proposal:view_submitted": {"member", "owner"},  # a draft: the organizers see it once submitted
    "attachment:download": {"member", "owner"},
    # The proposal in this world is a draft: nobody sees it in public, supports or comments on it.
    "proposal:view_public": set(),
    "proposal:support": set(),
    "comment:post": set(),
    "comment:moderate": {"organizer", "recused_organizer"},
    "comment:moderate_body": {"organizer", "recused_organizer"},
    "comment:edit": {"resident"},
    "comment:delete": {"resident"},
    "comment:report": set(),  # the comment's proposal is not public
    "expert:edit_profile": {"reviewer"},
    "expert:view_profile": {"reviewer", "organizer", "recused_organizer"},
    "panel:respond": set(),  # the reviewer has already accepted
    "panel:declare_conflicts": {"reviewer"},
    "panel:withdraw": {"reviewer", "organizer", "recused_organizer"},
    "assignment:view": {"reviewer"},
    "assignment:score": {"reviewer"},
    "assignment:see_opinion": set(),  # no review submitted yet
    "review:my_assignments": {"reviewer", "idle_reviewer", "conflicted_reviewer"},  # any pool expert
    # Results in public: the world's call is open (no objections yet, no feedback); the answer is asked
    # of an objection to a call of the body whose notice runs.
    "objection:lodge": set(),
    "objection:answer": {"organizer", "recused_organizer"},
    "call:answer_objections": set(),  # the world's call is open, not in its notice
    "proposal:feedback": set(),
    "panel:view": {"reviewer"},
    # Recusal: the tied organizer neither acts on the group's proposal nor decides a result holding it
    # (the world's proposal is a draft, so the result is not theirs to be kept from yet).
    "proposal:oversee": {"organizer"},
    "call:deliberate": {"organizer", "recused_organizer"},
    "call:declare_ties": {"organizer", "recused_organizer"},
    # Funded projects: the Team's project is under way; the reviewer is an invited evaluator of its open
    # mid-term evaluation who has accepted and declared no tie (tests/project_builders.py:walk_project).
    "project:view": {"member", "owner", "organizer", "admin"},
    "project:manage": {"organizer"},
    "project:accept_agreement": set(),  # already accepted
    "project:report": {"member", "owner"},
    "report_file:download": {"member", "owner", "organizer", "admin", "reviewer"},
    "report:read": {"member", "owner", "organizer", "admin", "reviewer"},
    "evaluator:view": {"reviewer"},
    "evaluator:respond": set(),  # already answered
    "evaluator:declare": {"reviewer"},
    "evaluator:score": {"reviewer"},
    "bar:lift": {"organizer"},
    # Surveys of the Team's project: the organizers run them, the group drafts one and reads its results,
    # contact details left by the people served are the organizers' alone.
    "survey:manage": {"organizer"},
    "survey:propose": {"member", "owner"},
    "survey:view": {"member", "owner", "organizer", "admin"},
    "survey:contacts": {"organizer"},
}

# Hidden rules: a refusal answers as a missing object would (404), except to the roles named here, who may
# know the object exists and are told they may not (403). Every other rule refuses with 403.
HIDDEN = {
    "group:view": set(),
    "group:edit": {"member", "admin"},
    "group:invite": {"member", "admin"},
    "group:remove_member": {"admin"},
    "group:change_role": {"member", "admin"},
    "call:view": set(),
    "call:manage": set(ROLES) - {"anonymous", "deleted"},
    "call:apply": set(ROLES) - {"anonymous", "deleted"},
    "call:deliberate": set(ROLES) - {"anonymous", "deleted"},
    "call:declare_ties": set(ROLES) - {"anonymous", "deleted"},
    "proposal:edit": set(),
    "proposal:view_submitted": set(),
    "attachment:download": set(),
    "proposal:feedback": {"member", "owner"},
    "expert:view_profile": set(),
    "expert:edit_profile": {"organizer", "recused_organizer"},
    "panel:view": set(),
    "panel:respond": {"reviewer"},
    "panel:declare_conflicts": set(),
    "panel:withdraw": set(),
    "assignment:view": set(),
    "assignment:score": set(),
    "assignment:see_opinion": {"reviewer"},
}


@pytest.fixture
def world(app):
    """One user per role around one group and one body."""
    with app.app_context():
        from venture.core.timeutil import utcnow

        users = {}
        for role in ROLES[1:]:
            users[role] = User(email=f"{role}@example.org", display_name=role,
                               email_verified_at=None if role == "unverified" else utcnow(),
                               is_site_admin=role == "admin")
        db.session.add_all(users.values())
        body = OrganizingBody(name="Bureau", kind="civil_affairs")
        other_body = OrganizingBody(name="Other bureau", kind="foundation")
        group = Group(kind=GroupKind.GRASSROOTS, name="Team", filed_with="X community",
                      contact_name="c", contact_phone="13900000000", contact_email="c@example.org")
        other_group = Group(kind=GroupKind.GRASSROOTS, name="Other team", filed_with="Y",
                            contact_name="c", contact_phone="13900000000", contact_email="d@example.org")
        db.session.add_all([body, other_body, group, other_group])
        db.session.flush()
        db.session.add_all([
            GroupMembership(group=group, user=users["owner"], role=MemberRole.OWNER),
            GroupMembership(group=group, user=users["member"], role=MemberRole.MEMBER),
            GroupMembership(group=other_group, user=users["other_owner"], role=MemberRole.OWNER),
            Organizer(body=body, user_id=users["organizer"].id),
            Organizer(body=body, user_id=users["recused_organizer"].id),
            Organizer(body=other_body, user_id=users["other_organizer"].id),
            PoolExpert(body=body, user_id=users["reviewer"].id),
            PoolExpert(body=body, user_id=users["idle_reviewer"].id),  # in the pool, on no panel
            PoolExpert(body=body, user_id=users["conflicted_reviewer"].id),
        ])
        users["deleted"].deleted_at = utcnow()
        users["deleted"].email = None
        from datetime import timedelta

        from venture.calls.models import Call, CallKind, Phase
        from venture.proposals.models import Attachment, Proposal
        call = Call(body=body, kind=CallKind.MICRO_LIVELIHOOD, phase=Phase.OPEN, title="c", summary="s",
                    total_budget_fen=100, min_grant_fen=1, max_grant_fen=10, opens_at=utcnow() - timedelta(days=1),
                    closes_at=utcnow() + timedelta(days=1), allow_registered=True, allow_grassroots=True)
        proposal = Proposal(call=call, group=group)
        attachment = Attachment(proposal=proposal, slot="other", filename="f.pdf", stored_name="abc", kind="pdf",
                                size=1, sha256="0" * 64)
        from venture.comments.models import Comment
        comment = Comment(proposal=proposal, author=users["resident"], body_markdown="x", body_html="x")
        db.session.add_all([call, proposal, attachment, comment])
        from venture.review.models import ConflictSource, OrganizerTie
        db.session.flush()
        db.session.add(OrganizerTie(call_id=call.id, user_id=users["recused_organizer"].id, group_id=group.id,
                                    source=ConflictSource.DECLARED))
        from venture.review.models import Assignment, MemberStatus, PanelMember
        review_call = Call(body=body, kind=CallKind.MICRO_LIVELIHOOD, phase=Phase.REVIEW, title="r", summary="s",
                           total_budget_fen=100, min_grant_fen=1, max_grant_fen=10,
                           opens_at=utcnow() - timedelta(days=9), closes_at=utcnow() - timedelta(days=1),
                           allow_registered=True, allow_grassroots=True)
        reviewed = Proposal(call=review_call, group=other_group, status="submitted", number="2026-ML-0001",
                            version_count=1)
        expert = db.session.scalar(select(PoolExpert).where(PoolExpert.user_id == users["reviewer"].id))
        member = PanelMember(call=review_call, expert=expert, status=MemberStatus.ACCEPTED,
                             conflicts_declared_at=utcnow())
        assignment = Assignment(proposal=reviewed, member=member)
        db.session.add_all([review_call, reviewed, member, assignment])
        # On the same panel, in conflict with the reviewed group, and given an assignment of its proposal anyway.
        from venture.review.models import Conflict, ConflictSource
        conflicted_expert = db.session.scalar(select(PoolExpert).where(
            PoolExpert.user_id == users["conflicted_reviewer"].id))
        conflicted = PanelMember(call=review_call, expert=conflicted_expert, status=MemberStatus.ACCEPTED,
                                 conflicts_declared_at=utcnow())
        conflicted_assignment = Assignment(proposal=reviewed, member=conflicted)
        db.session.add_all([conflicted, conflicted_assignment])
        db.session.flush()
        db.session.add(Conflict(member_id=conflicted.id, group_id=other_group.id, source=ConflictSource.DECLARED))
        db.session.commit()
        group_id, body_id = group.id, body.id
    from tests.project_builders import walk_project
    project_ids = walk_project(app, body_id, group_id, "owner@example.org", "organizer@example.org",
                               "reviewer@example.org")
    with app.app_context():
        return {**project_ids, "expert": expert.id, "member": member.id, "assignment": assignment.id,
                "conflicted_assignment": conflicted_assignment.id, "group": group.id, "body": body.id, "call": call.id, "proposal": proposal.id,
                "attachment": attachment.id, "comment": comment.id}


def _subject(role):
    if role == "anonymous":
        return AnonymousUserMixin()
    return db.session.scalar(select(User).where(User.display_name == role))


def _object(action, ids):
    from venture.projects.models import Evaluator, Milestone, ParticipationBar, Project, ReportFile
    if action.startswith("project:") or action in ("survey:manage", "survey:propose"):
        return db.session.get(Project, ids["project_id"])
    if action.startswith("survey:"):
        from venture.surveys.models import Survey
        return Survey(project=db.session.get(Project, ids["project_id"]))
    if action.startswith("report_file:"):
        return db.session.get(ReportFile, ids["file_id"])
    if action.startswith("report:"):
        return db.session.get(Milestone, ids["milestone_id"])
    if action.startswith("evaluator:"):
        return db.session.get(Evaluator, ids["evaluator_id"])
    if action.startswith("bar:"):
        return ParticipationBar(body_id=ids["body"], group_id=ids["group"])
    group = db.session.get(Group, ids["group"])
    if action == "objection:answer":
        from datetime import timedelta

        from venture.calls.models import Call, Phase
        from venture.core.timeutil import utcnow
        from venture.results.models import Objection, ObjectionStatus
        running = Call(body_id=ids["body"], phase=Phase.NOTICE, notice_ends_at=utcnow() + timedelta(days=3))
        return Objection(call=running, text="x" * 20, status=ObjectionStatus.OPEN)
    if action == "objection:lodge":
        from venture.calls.models import Call
        return db.session.get(Call, ids["call"])
    if action in ("group:remove_member", "group:change_role"):
        return next(m for m in group.memberships if m.role is MemberRole.MEMBER)
    if action.startswith("group:"):
        return group
    if action == "comment:moderate_body":
        return db.session.get(OrganizingBody, ids["body"])
    if action in ("comment:post", "comment:moderate"):
        from venture.proposals.models import Proposal
        return db.session.get(Proposal, ids["proposal"])
    if action.startswith("comment:"):
        from venture.comments.models import Comment
        return db.session.get(Comment, ids["comment"])
    from venture.review.models import Assignment, PanelMember
    if action.startswith("expert:"):
        return db.session.get(PoolExpert, ids["expert"])
    if action.startswith("panel:"):
        return db.session.get(PanelMember, ids["member"])
    if action.startswith("assignment:"):
        return db.session.get(Assignment, ids["assignment"])
    if action.startswith("body:") or action == "call:create":
        return db.session.get(OrganizingBody, ids["body"])
    from venture.calls.models import Call
    from venture.proposals.models import Attachment, Proposal
    if action.startswith("call:"):
        return db.session.get(Call, ids["call"])
    if action.startswith("proposal:"):
        return db.session.get(Proposal, ids["proposal"])
    if action.startswith("attachment:"):
        return db.session.get(Attachment, ids["attachment"])
    return None


def test_every_rule_is_in_the_matrix():
    assert set(EXPECTED) == set(permissions.RULES)


def test_access_matrix(app, world):
    with app.app_context():
        wrong = []
        for action, allowed in EXPECTED.items():
            obj = _object(action, world)
            for role in ROLES:
                got = permissions.can(_subject(role), action, obj)
                if got != (role in allowed):
                    wrong.append(f"{role} {'may' if got else 'may not'} {action}")
        assert wrong == []


def test_hidden_rules_answer_as_a_missing_object(app, world):
    """``require`` refuses a hidden rule with 404 - the answer a missing object gets - except to those who
    may know the object exists; every other rule refuses with 403."""
    from werkzeug.exceptions import Forbidden, NotFound

    assert set(HIDDEN) == set(permissions.HIDDEN)
    with app.app_context():
        wrong = []
        for action, allowed in EXPECTED.items():
            obj = _object(action, world)
            for role in ROLES:
                if role in allowed:
                    continue
                try:
                    permissions.require(_subject(role), action, obj)
                except NotFound:
                    got = 404
                except Forbidden:
                    got = 403
                else:
                    got = 200
                want = 404 if action in HIDDEN and role not in HIDDEN[action] else 403
                if got != want:
                    wrong.append(f"{role} {action}: {got}, expected {want}")
        assert wrong == []


def test_a_declared_conflict_alone_closes_an_assignment(app, world):
    from venture.review.models import Assignment, Conflict

    with app.app_context():
        user = _subject("conflicted_reviewer")
        assignment = db.session.get(Assignment, world["conflicted_assignment"])
        assert assignment.ended_at is None
        for action in ("assignment:view", "assignment:score", "assignment:see_opinion"):
            assert not permissions.can(user, action, assignment), action
        db.session.execute(Conflict.__table__.delete().where(Conflict.member_id == assignment.member_id))
        assert permissions.can(user, "assignment:view", assignment)
        assert permissions.can(user, "assignment:score", assignment)
        db.session.rollback()


def test_unknown_action_is_a_programming_error(app):
    with app.app_context(), pytest.raises(LookupError):
        permissions.can(AnonymousUserMixin(), "group:teleport")


ROUTES = [  # (method, path template, roles that get through, the action whose refusal they answer)
    ("GET", "/groups/{group}", {"member", "owner", "admin"}, "group:view"),
    ("GET", "/groups/{group}/edit", {"owner"}, "group:edit"),
    ("POST", "/groups/{group}/invite", {"owner"}, "group:invite"),
    ("GET", "/bodies/{body}/edit", {"organizer", "recused_organizer", "admin"}, "body:edit"),
    ("GET", "/bodies/{body}/staff", {"organizer", "recused_organizer", "admin"}, "body:edit"),
    ("POST", "/bodies/{body}/organizers/invite", {"admin"}, "body:manage_organizers"),
    ("GET", "/bodies/new", {"admin"}, "body:create"),
    ("GET", "/admin/", {"admin"}, "admin:access"),
    ("GET", "/admin/users", {"admin"}, "admin:access"),
    ("GET", "/calls/{call}/ties", {"organizer", "recused_organizer"}, "call:declare_ties"),
]


@pytest.mark.parametrize("method,template,allowed,action", ROUTES, ids=[f"{m} {t}" for m, t, _, _ in ROUTES])
def test_routes_enforce_the_matrix(app, world, method, template, allowed, action):
    path = template.format(**world)
    for role in ["anonymous", "resident", "member", "owner", "other_owner", "reviewer", "idle_reviewer",
                 "conflicted_reviewer", "organizer", "recused_organizer", "other_organizer", "admin"]:
        client = Client(app, app.response_class, use_cookies=True)
        if role != "anonymous":
            from venture.accounts import passwords
            with app.app_context():
                user = db.session.scalar(select(User).where(User.display_name == role))
                user.password_hash = passwords.hash_password("correct horse battery")
                db.session.commit()
            login(client, f"{role}@example.org")
        response = client.get(path) if method == "GET" else client.submit(path, {"email": "x@example.org"})
        if role == "anonymous":
            assert response.status_code == 302 and "/login" in response.location, (role, path)
        elif role in allowed:
            assert response.status_code in (200, 302, 422), (role, path, response.status_code)
        else:
            refused = 404 if action in HIDDEN and role not in HIDDEN[action] else 403
            assert response.status_code == refused, (role, path, response.status_code)
