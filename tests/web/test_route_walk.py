"""Every route, every role: no 500 anywhere, protected routes deny the roles
they should, and a new route without a declared access rule fails here."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import make_body, make_call, make_group, pdf_bytes
from tests.conftest import Client, login, make_user
from tests.review_builders import add_member, assign, make_expert, make_review_world
from venture.calls.models import Phase
from venture.extensions import db

# endpoint -> who may use it: "public", "signed_in", or the roles let through.
ACCESS = {
    "static": "public",
    # Results in public and the open data API (the walk's call is open, so they answer 404; nobody sees
    # feedback yet; only the call's organizers reach the answer form).
    "results_public.results": "public", "results_public.results_csv": "public",
    "results_public.results_xlsx": "public", "results_public.objections_page": "public",
    "results_public.lodge": "signed_in", "results_public.answer": {"organizer"},
    "results_public.objection_file": "public", "results_public.feedback_page": set(),
    "results_public.draws_page": "public", "results_public.verifier": "public",
    "results_public.reviews_page": "public",
    "api.calls": "public", "api.call": "public", "api.results": "public", "api.objections": "public",
    "api.openapi": "public", "api.checkpoints": "public",
    "transparency.transparency": "public", "transparency.public_key": "public",
    "api.result_record": "public", "api.draws": "public",
    "results.deliberation": {"organizer"}, "results.component": {"organizer"}, "results.adjust": {"organizer"},
    "results.clear": {"organizer"}, "results.open_notice": {"organizer"}, "results.finalise": {"organizer"},
    "pages.home": "public", "pages.about": "public", "pages.healthz": "public",
    "accounts.register": "public", "accounts.check_inbox": "public", "accounts.verify": "public",
    "accounts.login": "public", "accounts.logout": "public", "accounts.forgot_password": "public",
    "accounts.reset_password": "public", "accounts.confirm_email": "public", "accounts.set_language": "public",
    "accounts.resend_verification": "signed_in", "accounts.settings": "signed_in",
    "accounts.change_password": "signed_in", "accounts.change_email": "signed_in",
    "accounts.delete_account": "signed_in",
    "accounts.login_verify": "public", "accounts.confirm_login": "public", "accounts.two_factor": "signed_in",
    "accounts.personal_data": "signed_in", "accounts.personal_data_json": "signed_in",
    "groups.mine": "signed_in", "groups.create": "signed_in",
    "groups.show": {"owner", "admin"}, "groups.edit": {"owner"}, "groups.invite": {"owner"},
    "groups.revoke_invitation": {"owner"}, "groups.remove_member": {"owner"}, "groups.change_role": {"owner"},
    "bodies.index": "public", "bodies.home": {"organizer"}, "bodies.show": "public", "bodies.create": {"admin"},
    "bodies.edit": {"organizer", "admin"}, "bodies.staff": {"organizer", "admin"},
    "bodies.invite_organizer": {"admin"}, "bodies.remove_organizer": {"admin"},
    "invitations.respond": "public",
    "admin.dashboard": {"admin"}, "admin.users": {"admin"},
    "calls.index": "public", "calls.show": "public", "calls.apply": "signed_in",
    "calls.create": {"organizer"}, "calls.edit": {"organizer"}, "calls.change_phase": {"organizer"},
    "calls.manage": {"organizer"},
    "proposals.mine": "signed_in", "proposals.edit": {"owner"}, "proposals.autosave": {"owner"},
    "proposals.submit": {"owner"}, "proposals.withdraw": {"owner"},
    "proposals.receipt": {"owner", "organizer"}, "proposals.version": {"owner", "organizer"},
    "proposals.download": {"owner", "organizer"},
    "search.search": "public",
    "proposals.attachment_visibility": {"owner"},
    "showcase.proposal": "public", "showcase.index": "public", "showcase.call_proposals": "public",
    "showcase.feed": "public", "showcase.support": "signed_in",
    "comments.post": {"resident", "other_owner", "owner", "reviewer", "idle_reviewer", "conflicted_reviewer",
                      "other_organizer", "organizer", "admin"},
    "comments.edit": {"resident"}, "comments.delete": {"resident"},
    "comments.report": {"other_owner", "owner", "reviewer", "idle_reviewer", "conflicted_reviewer",
                        "other_organizer", "organizer", "admin"},
    "comments.hide": {"organizer"}, "comments.restore": {"organizer"}, "comments.approve": {"organizer"},
    "comments.dismiss_reports": {"organizer"}, "comments.lock": {"organizer"}, "comments.unlock": {"organizer"},
    "comments.queue": {"organizer"}, "comments.add_word": {"organizer"}, "comments.remove_word": {"organizer"},
    "experts.pool": {"organizer"}, "experts.invite": {"organizer"}, "experts.revoke_invitation": {"organizer"},
    "experts.remove": {"organizer"}, "experts.mine": "signed_in", "experts.profile": {"reviewer", "organizer"},
    "experts.save_profile": {"reviewer"}, "screening.index": {"organizer"}, "screening.decide": {"organizer"},
    # Any pool expert has a list of assignments; an assignment only opens to its own, unconflicted reviewer.
    "review.my_assignments": {"reviewer", "idle_reviewer", "conflicted_reviewer"},
    "review.assignment": {"reviewer"}, "review.attachment": {"reviewer"},
    "panels.progress": {"organizer"}, "panels.send_reminders": {"organizer"},
    "panels.panel": {"organizer"}, "panels.draw": {"organizer"}, "panels.add_member": {"organizer"},
    "panels.prepare_draw": {"organizer"}, "panels.discard_draw": {"organizer"},
    "panels.add_conflict": {"organizer"}, "panels.set_due": {"organizer"}, "panels.assign": {"organizer"},
    "panels.move": {"organizer"}, "panels.stand_down": {"organizer"}, "panels.respond": {"reviewer"},
    "panels.conflicts": {"reviewer"}, "panels.withdraw": {"reviewer", "organizer"},
    "panels.organizer_ties": {"organizer"},
    # Funded projects: the owner's group has a project under way (tests/project_builders.py:walk_project);
    # its final report waits for review; the reviewer is an invited evaluator of its open mid-term
    # evaluation, accepted and declared; "Other team" is barred.
    "projects.plan": {"organizer"}, "projects.call_projects": {"organizer"},
    "projects.call_projects_csv": {"organizer"}, "projects.call_projects_xlsx": {"organizer"},
    "projects.mine": "signed_in", "projects.overview": {"owner", "organizer", "admin"},
    "projects.agreement": {"owner", "organizer", "admin"}, "projects.issue_agreement": {"organizer"},
    "projects.accept_agreement": set(),  # already accepted
    "projects.report": {"owner"}, "projects.add_file": {"owner"}, "projects.remove_file": {"owner"},
    "projects.file_visibility": {"owner"},
    "projects.download": {"owner", "organizer", "admin", "reviewer"},
    "projects.version": {"owner", "organizer", "admin", "reviewer"},
    "projects.review": {"organizer"}, "projects.budget": {"owner", "organizer", "admin"},
    "projects.request_budget_change": {"owner"}, "projects.decide_budget": {"organizer"},
    "projects.move_tranche": {"organizer"}, "projects.open_evaluation": {"organizer"},
    "projects.evaluation": {"owner", "organizer", "admin"}, "projects.invite_evaluator": {"organizer"},
    "projects.score_myself": {"organizer"}, "projects.evaluator_conflict": {"organizer"},
    "projects.satisfaction": {"organizer"}, "projects.finalise": {"organizer"},
    "projects.my_evaluations": "signed_in", "projects.evaluator": {"reviewer"},
    "projects.respond": set(),  # already answered
    "projects.declare": {"reviewer"}, "projects.sheet": {"reviewer"},
    "projects.body_bars": {"organizer"}, "projects.lift_bar": {"organizer"},
    "api.projects": "public", "api.project": "public",
}
# Routes whose object's existence is private: a role refused answers 404, as for a missing object, unless it
# is named here (it may know the object exists and is told it may not: 403). See permissions.rule(hidden=...).
SIGNED_IN = {"resident", "other_owner", "owner", "reviewer", "idle_reviewer", "conflicted_reviewer",
             "other_organizer", "organizer", "admin"}
HIDDEN = {
    "groups.show": set(), "groups.edit": {"admin"}, "groups.invite": {"admin"}, "groups.revoke_invitation": {"admin"},
    # The walk's proposal is submitted to an open call, so it is public: everyone may know it exists.
    "proposals.edit": SIGNED_IN, "proposals.autosave": SIGNED_IN, "proposals.submit": SIGNED_IN,
    "proposals.attachment_visibility": SIGNED_IN, "proposals.receipt": SIGNED_IN, "proposals.version": SIGNED_IN,
    "results_public.feedback_page": SIGNED_IN,
    "proposals.download": set(),
    "experts.profile": set(), "experts.save_profile": {"organizer"},
    "review.assignment": set(), "review.attachment": set(),
    "panels.respond": set(), "panels.conflicts": set(), "panels.withdraw": set(),
}
# idle_reviewer: in the body's pool, on no panel. conflicted_reviewer: an accepted member of the review
# call's panel with a declared conflict with "Other team", whose proposal is under review.
ROLES = ["anonymous", "resident", "other_owner", "owner", "reviewer", "idle_reviewer", "conflicted_reviewer",
         "other_organizer", "organizer", "admin"]


@pytest.fixture
def app_config():
    return {"LOGIN_LIMIT_PER_ADDRESS": 10_000, "FORM_LIMIT_PER_ADDRESS": 10_000}


@pytest.fixture
def world(app):
    from venture.bodies.models import PoolExpert
    from venture.groups.models import Group

    for role in ROLES[1:]:
        make_user(app, f"{role}@example.org", admin=role == "admin")
    body = make_body(app, "organizer@example.org")
    make_body(app, "other_organizer@example.org", name="Other body")
    call = make_call(app, body, Phase.OPEN)
    group = make_group(app, "owner@example.org")
    other_group = make_group(app, "other_owner@example.org", name="Other team")
    review_ids = make_review_world(app, body, other_group, "reviewer@example.org")
    review_ids["conflicted_assignment_id"] = _idle_and_conflicted_reviewers(app, body, other_group, review_ids)
    owner = Client(app, app.response_class, use_cookies=True)
    login(owner, "owner@example.org")
    proposal = int(owner.submit(f"/calls/{call}/apply", {"group": group}).location.split("/")[2])
    page = owner.get(f"/proposals/{proposal}/edit").get_data(as_text=True)
    import io
    import re
    lock = re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(1)
    owner.submit(f"/proposals/{proposal}/edit", {
        "lock_version": lock, "title": "t", "summary": "s", "district": "天河区", "theme": "长者关爱",
        "beneficiaries": "3", "section_problem": "p", "section_activities": "a", "section_beneficiaries": "b",
        "budget-0-item": "x", "budget-0-unit_cost": "3000", "budget-0-quantity": "1",
        "file_a1": (io.BytesIO(pdf_bytes()), "b.pdf")}, content_type="multipart/form-data")
    owner.submit(f"/proposals/{proposal}/submit", {"confirm_warnings": "y"})
    owner.submit(f"/groups/{group}/invite", {"email": "friend@example.org"})
    with app.app_context():
        from venture.accounts.models import User
        from venture.bodies.models import Organizer
        from venture.invitations.models import Invitation
        from venture.proposals.models import Attachment
        reviewer = db.session.scalar(select(User).where(User.email == "reviewer@example.org"))
        assert db.session.scalar(select(PoolExpert).where(PoolExpert.user_id == reviewer.id)) is not None
        from venture.comments.models import Comment
        resident = db.session.scalar(select(User).where(User.email == "resident@example.org"))
        comment = Comment(proposal_id=proposal, author_id=resident.id, body_markdown="Hi", body_html="<p>Hi</p>")
        db.session.add(comment)
        db.session.commit()
        group_row = db.session.get(Group, group)
        ids = {
            "group_id": group, "body_id": body, "call_id": call, "proposal_id": proposal, "version_no": 1,
            "attachment_id": db.session.scalar(select(Attachment.id).where(Attachment.proposal_id == proposal)),
            "membership_id": group_row.memberships[0].id,
            "organizer_id": db.session.scalar(select(Organizer.id).where(Organizer.body_id == body)),
            "invitation_id": db.session.scalar(select(Invitation.id)),
            "comment_id": comment.id,
            "token": "not-a-real-token", "filename": "css/venture.css", "objection_id": 1,
            "stage": "proposed", "draw_id": 1,
            **review_ids,
        }
    from tests.project_builders import walk_project
    ids.update(walk_project(app, body, group, "owner@example.org", "organizer@example.org", "reviewer@example.org"))
    with app.app_context():
        from datetime import timedelta

        from venture.core.timeutil import utcnow
        from venture.projects.models import ParticipationBar
        bar = ParticipationBar(group_id=other_group, body_id=body, starts_at=utcnow() - timedelta(days=1),
                               ends_at=utcnow() + timedelta(days=700))
        db.session.add(bar)
        db.session.commit()
        ids["bar_id"] = bar.id
    return ids


def _idle_and_conflicted_reviewers(app, body, other_group, review_ids):
    """Pool experts without an assignment: one on no panel, one on the review call's panel in conflict
    with the group under review. The conflicted one is given an assignment row all the same, so the
    walk proves that the conflict alone closes it. Returns that assignment's id."""
    from venture.review.models import Conflict, ConflictSource

    make_expert(app, body, "idle_reviewer@example.org")
    expert = make_expert(app, body, "conflicted_reviewer@example.org")
    member = add_member(app, review_ids["review_call_id"], expert)
    with app.app_context():
        db.session.add(Conflict(member_id=member, group_id=other_group, source=ConflictSource.DECLARED,
                                reason="I advise this team."))
        db.session.commit()
    return assign(app, review_ids["review_proposal_id"], member)


def test_every_route_has_a_declared_access_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ACCESS) == set(), "declare who may use each new route in ACCESS"
    assert set(ACCESS) - endpoints == set(), "ACCESS names a route that no longer exists"


def _urls(app, ids):
    for rule in app.url_map.iter_rules():
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<{argument}>", str(ids[argument])).replace(f"<path:{argument}>", str(ids[argument]))
        yield rule.endpoint, url, rule.methods or set()


def test_every_route_every_role(app, world):
    problems = []
    for role in ROLES:
        client = Client(app, app.response_class, use_cookies=True)
        if role != "anonymous":
            login(client, f"{role}@example.org")
        token = client.csrf_token()
        for endpoint, url, methods in _urls(app, world):
            if endpoint in ("accounts.logout", "accounts.delete_account", "accounts.change_password",
                            "groups.remove_member", "bodies.remove_organizer", "calls.change_phase",
                            "proposals.withdraw", "groups.change_role", "groups.revoke_invitation",
                            "comments.delete", "comments.lock"):
                check_post = False  # changes that would spoil the walk for later roles
            else:
                check_post = True
            allowed = ACCESS[endpoint]
            for method in ("GET", "POST"):
                if method not in methods or (method == "POST" and not check_post):
                    continue
                response = (client.get(url) if method == "GET"
                            else client.post(url, data={"csrf_token": token}))
                code = response.status_code
                if code >= 500:
                    problems.append(f"{role} {method} {url}: {code}")
                    continue
                if allowed == "public":
                    continue
                if role == "anonymous":
                    if not ((code == 302 and "/login" in (response.location or "")) or code == 401):
                        problems.append(f"anonymous {method} {url}: {code}, expected a log-in redirect")
                elif allowed != "signed_in" and role not in allowed:
                    refused = 404 if endpoint in HIDDEN and role not in HIDDEN[endpoint] else 403
                    if code != refused:
                        problems.append(f"{role} {method} {url}: {code}, expected {refused}")
                elif allowed != "signed_in" and role in allowed and code == 403:
                    problems.append(f"{role} {method} {url}: 403, expected access")
    assert problems == []


def test_every_post_route_refuses_a_missing_csrf_token(app, world):
    client = Client(app, app.response_class, use_cookies=True)
    login(client, "owner@example.org")
    checked = 0
    for endpoint, url, methods in _urls(app, world):
        if "POST" not in methods:
            continue
        response = client.post(url, data={"email": "x@example.org", "lang": "en", "title": "forged"})
        checked += 1
        assert response.status_code == 400, f"{endpoint} accepted a post without a CSRF token"
    assert checked >= 20
    assert client.get("/account").status_code == 200, "still logged in: the forged log-out did nothing"


def test_a_conflict_alone_closes_an_assignment(app, world):
    """The conflicted reviewer holds a live assignment row for the proposal of the group they declared
    a conflict with: the sheet and its files stay closed to them, and their list does not offer it."""
    client = Client(app, app.response_class, use_cookies=True)
    login(client, "conflicted_reviewer@example.org")
    assignment = world["conflicted_assignment_id"]
    assert client.get(f"/review/{assignment}").status_code == 404
    assert client.get(f"/review/{assignment}/files/{world['review_attachment_id']}").status_code == 404
    assert client.submit(f"/review/{assignment}", {}).status_code == 404
    listing = client.get("/review/")
    assert listing.status_code == 200
    assert f"/review/{assignment}" not in listing.get_data(as_text=True)
    # The reviewer's own, unconflicted assignment of the same proposal opens.
    reviewer = Client(app, app.response_class, use_cookies=True)
    login(reviewer, "reviewer@example.org")
    assert reviewer.get(f"/review/{world['assignment_id']}").status_code == 200


MISSING_IDS = ("2147483000", "99999999999999999999", "0", "-1", "x")


def _missing_urls(app, ids, missing):
    """Every route with each object id replaced by one that names nothing."""
    for endpoint, url, methods in _urls(app, ids):
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        keys = [a for a in rule.arguments if a.endswith("_id") or a == "version_no"]
        if not keys:
            continue
        for key in keys:
            yield endpoint, _urls_with(rule, ids, key, missing), methods


def _urls_with(rule, ids, key, value):
    url = rule.rule
    for argument in rule.arguments:
        url = url.replace(f"<{argument}>", value if argument == key else str(ids[argument]))
    return url


@pytest.mark.parametrize("role", ["anonymous", "owner", "reviewer", "organizer"])
def test_a_missing_object_never_gives_a_server_error(app, world, role):
    """Every route, GET and POST (with a valid CSRF token), with each of its ids replaced by one that
    names nothing (too large, out of range, not a number): never a 500, logged out or in."""
    client = Client(app, app.response_class, use_cookies=True)
    if role != "anonymous":
        login(client, f"{role}@example.org")
    token = client.csrf_token()
    problems = []
    for missing in MISSING_IDS:
        for endpoint, url, methods in _missing_urls(app, world, missing):
            for method in ("GET", "POST"):
                if method not in methods:
                    continue
                response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
                if response.status_code >= 500:
                    problems.append(f"{role} {method} {url}: {response.status_code}")
    assert problems == []
