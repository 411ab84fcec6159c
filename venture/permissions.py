"""Who may do what: the one place access is decided.

``can(user, action, obj)`` answers; ``require`` raises ``Forbidden``, or
``NotFound`` for a rule declared ``hidden``: where an object's existence is
itself private (drafts and their files, assignments, panel places, expert
profiles, groups, draft calls), someone who may not know it exists gets the
answer a missing object gets. Views load and authorise through
``venture.web.load_or_404``; templates ask the same rules through the
``can`` Jinja global. A rule for every action lives here and nowhere else;
an unknown action is a programming error.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from flask_login import AnonymousUserMixin
from sqlalchemy import exists, select, union
from werkzeug.exceptions import Forbidden, NotFound

from venture.bodies.models import Organizer, OrganizingBody, PoolExpert
from venture.calls.models import Call, Phase
from venture.extensions import db
from venture.groups.models import Group, GroupMembership, MemberRole
from venture.showcase import visibility

Rule = Callable[[Any, Any], bool]
RULES: dict[str, Rule] = {}
# Action -> who may know the object exists (refused: 403) - everyone else is
# refused as if it were missing (404). ``None``: nobody refused may know.
HIDDEN: dict[str, Rule | None] = {}


class Anonymous(AnonymousUserMixin):
    id = None
    is_site_admin = False
    is_verified = False
    is_deleted = False
    email = None
    current_login_token = None


def rule(action: str, hidden: bool | Rule = False) -> Callable[[Rule], Rule]:
    """Register the rule for ``action``. ``hidden=True``: a refusal looks like
    a missing object; ``hidden=knows``: so it does, except to those for whom
    ``knows(user, obj)`` holds, who are told they may not."""
    def register(fn: Rule) -> Rule:
        if action in RULES:
            raise ValueError(f"two rules for {action}")
        RULES[action] = fn
        if hidden:
            HIDDEN[action] = None if hidden is True else hidden
        return fn
    return register


def can(user: Any, action: str, obj: Any = None) -> bool:
    try:
        check = RULES[action]
    except KeyError:
        raise LookupError(f"no access rule for {action!r}") from None
    if user is None or not getattr(user, "is_authenticated", False):
        user = Anonymous()
    elif getattr(user, "is_deleted", False):
        return False
    return bool(check(user, obj))


def require(user: Any, action: str, obj: Any = None) -> None:
    """Refuse unless ``can``: 403, or 404 where the rule is hidden (see ``rule``)."""
    if can(user, action, obj):
        return
    if action in HIDDEN:
        knows = HIDDEN[action]
        if knows is None or not can_know(user, knows, obj):
            raise NotFound()
    raise Forbidden()


def can_know(user: Any, knows: Rule, obj: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "is_deleted", False):
        return False
    return bool(knows(user, obj))


def _may(action: str) -> Rule:
    """``hidden=_may("x:view")``: those who may do x:view on the object may know it exists."""
    return lambda user, obj: RULES[action](user, obj)


# Roles ---------------------------------------------------------------------

def signed_in(user: Any) -> bool:
    return user.id is not None


def is_admin(user: Any) -> bool:
    return signed_in(user) and bool(user.is_site_admin)


def is_organizer_of(user: Any, body: OrganizingBody | int | None) -> bool:
    if not signed_in(user) or body is None:
        return False
    body_id = body if isinstance(body, int) else body.id
    return bool(db.session.scalar(select(exists().where(
        Organizer.body_id == body_id, Organizer.user_id == user.id))))


def is_any_organizer(user: Any) -> bool:
    return signed_in(user) and bool(db.session.scalar(select(exists().where(
        Organizer.user_id == user.id))))


def is_reviewer(user: Any) -> bool:
    return signed_in(user) and bool(db.session.scalar(select(exists().where(
        PoolExpert.user_id == user.id))))


def membership(user: Any, group: Group) -> GroupMembership | None:
    return group.membership_of(user) if signed_in(user) else None


def is_group_owner(user: Any, group: Group) -> bool:
    found = membership(user, group)
    return found is not None and found.role is MemberRole.OWNER


# Accounts ------------------------------------------------------------------

@rule("account:manage")
def _account_manage(user: Any, _obj: Any) -> bool:
    return signed_in(user)


@rule("resident:participate")
def _resident(user: Any, _obj: Any) -> bool:
    """Residents are verified users: they may comment, support, object."""
    return signed_in(user) and user.is_verified


# Groups --------------------------------------------------------------------

@rule("group:create")
def _group_create(user: Any, _obj: Any) -> bool:
    return signed_in(user) and user.is_verified


def _knows_group(user: Any, obj: Any) -> bool:
    group = obj if isinstance(obj, Group) else obj.group
    return bool(_group_view(user, group))


@rule("group:view", hidden=True)
def _group_view(user: Any, group: Group) -> bool:
    return is_admin(user) or membership(user, group) is not None


@rule("group:edit", hidden=_knows_group)
def _group_edit(user: Any, group: Group) -> bool:
    return is_group_owner(user, group)


@rule("group:invite", hidden=_knows_group)
def _group_invite(user: Any, group: Group) -> bool:
    return is_group_owner(user, group) and user.is_verified


@rule("group:remove_member", hidden=_knows_group)
def _group_remove_member(user: Any, target: GroupMembership) -> bool:
    """Owners remove others; anyone may leave. The last owner cannot go."""
    group = target.group
    if target.role is MemberRole.OWNER and len(group.owners) <= 1:
        return False
    return is_group_owner(user, group) or target.user_id == user.id


@rule("group:change_role", hidden=_knows_group)
def _group_change_role(user: Any, target: GroupMembership) -> bool:
    if target.user_id == user.id:
        return False  # owners hand over ownership by promoting someone else
    return is_group_owner(user, target.group)


# Organizing bodies -----------------------------------------------------------

@rule("body:view")
def _body_view(_user: Any, _body: OrganizingBody) -> bool:
    return True  # bodies run public calls; who they are is public


@rule("body:create")
def _body_create(user: Any, _obj: Any) -> bool:
    return is_admin(user)


@rule("body:edit")
def _body_edit(user: Any, body: OrganizingBody) -> bool:
    return is_admin(user) or is_organizer_of(user, body)


@rule("body:manage_organizers")
def _body_manage_organizers(user: Any, body: OrganizingBody) -> bool:
    return is_admin(user)


@rule("body:manage_experts")
def _body_manage_experts(user: Any, body: OrganizingBody) -> bool:
    return is_organizer_of(user, body)


@rule("body:view_drafts")
def _body_view_drafts(user: Any, body: OrganizingBody | int) -> bool:
    """See the body's calls that are still drafts (``call:view`` of a draft)."""
    return is_organizer_of(user, body) or is_admin(user)


@rule("body:manage_calls")
def _body_manage_calls(user: Any, body: OrganizingBody | int) -> bool:
    """Edit the body's calls (``call:manage``): a page listing them asks this once."""
    return is_organizer_of(user, body)


@rule("admin:access")
def _admin_access(user: Any, _obj: Any) -> bool:
    return is_admin(user)


# Calls ------------------------------------------------------------------------------

@rule("call:create")
def _call_create(user: Any, body: OrganizingBody) -> bool:
    return is_organizer_of(user, body)


@rule("call:view", hidden=True)
def _call_view(user: Any, call: Call) -> bool:
    return call.is_public or _body_view_drafts(user, call.body_id)


@rule("call:manage", hidden=_may("call:view"))
def _call_manage(user: Any, call: Call) -> bool:
    """Edit the call, move it between phases, see its dashboard."""
    return _body_manage_calls(user, call.body_id)


@rule("call:apply", hidden=_may("call:view"))
def _call_apply(user: Any, call: Call) -> bool:
    return signed_in(user) and user.is_verified and call.phase is Phase.OPEN


# Proposals ----------------------------------------------------------------------------

def _is_member(user: Any, group_id: int) -> bool:
    return signed_in(user) and bool(db.session.scalar(select(exists().where(
        GroupMembership.group_id == group_id, GroupMembership.user_id == user.id))))


def _knows_proposal(user: Any, proposal: Any) -> bool:
    return bool(_proposal_view_submitted(user, proposal) or _proposal_view_public(user, proposal))


@rule("proposal:edit", hidden=_knows_proposal)
def _proposal_edit(user: Any, proposal: Any) -> bool:
    """The working copy, drafts included, belongs to the group alone."""
    return _is_member(user, proposal.group_id) and user.is_verified


@rule("proposal:view_submitted", hidden=lambda user, proposal: _proposal_view_public(user, proposal))
def _proposal_view_submitted(user: Any, proposal: Any) -> bool:
    """The group's members; the organizers of the call's body once submitted,
    unless they are recused from it (see ``recused_groups``)."""
    if _is_member(user, proposal.group_id):
        return True
    return proposal.version_count > 0 and _oversees(user, proposal)


@rule("attachment:download", hidden=True)
def _attachment_download(user: Any, attachment: Any) -> bool:
    proposal = attachment.proposal
    if attachment.id in visibility.public_attachment_ids(proposal) and not visibility.hidden_from(user.id, proposal):
        return True
    if _is_member(user, proposal.group_id):
        return True
    if not _oversees(user, proposal):
        return False
    return any(item["id"] == attachment.id for version in proposal.versions
               for item in version.content.get("attachments", []))


# Organizers' recusal (回避) -------------------------------------------------------------

def recused_groups(user: Any, call: Any) -> frozenset[int]:
    """Ids of the groups whose proposals in ``call`` the user must keep away
    from as an organizer: the groups they belong to now, and the ties recorded
    for them in the call (declared, or found from a membership earlier; see
    ``venture.panels.recusal``). One query; pages that list a call's
    proposals ask it once and leave those out."""
    from venture.review.models import OrganizerTie

    if not signed_in(user) or call is None:
        return frozenset()
    member_of = select(GroupMembership.group_id).where(GroupMembership.user_id == user.id)
    tied = select(OrganizerTie.group_id).where(OrganizerTie.call_id == call.id, OrganizerTie.user_id == user.id)
    return frozenset(db.session.scalars(union(member_of, tied)))


def _oversees(user: Any, proposal: Any) -> bool:
    return is_organizer_of(user, proposal.call.body_id) and proposal.group_id not in recused_groups(user, proposal.call)


@rule("proposal:oversee")
def _proposal_oversee(user: Any, proposal: Any) -> bool:
    """An organizer of the call's body acts on this proposal (screening, its
    assignments, its amount and component score) only without a tie to its
    group; another organizer must act."""
    return _oversees(user, proposal)


@rule("call:deliberate", hidden=_may("call:view"))
def _call_deliberate(user: Any, call: Call) -> bool:
    """The deliberation page and its moves (component scores, amounts, opening
    the notice, finalising) rank every line against the others: not for an
    organizer recused from one of the call's submitted proposals."""
    from venture.proposals.models import Proposal, ProposalStatus

    if not is_organizer_of(user, call.body_id):
        return False
    groups = recused_groups(user, call)
    return not groups or not db.session.scalar(select(exists().where(
        Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED,
        Proposal.group_id.in_(sorted(groups)))))


@rule("call:declare_ties", hidden=_may("call:view"))
def _call_declare_ties(user: Any, call: Call) -> bool:
    """The body's organizers declare their ties with the call's applicant
    groups from the opening until the result is final."""
    return is_organizer_of(user, call.body_id) and call.phase in (Phase.OPEN, Phase.CLOSED, Phase.REVIEW,
                                                                   Phase.NOTICE)


# The showcase: public pages, support, comments ------------------------------------------

COMMENT_EDIT_WINDOW_SECONDS = 15 * 60
SUPPORT_PHASES = frozenset({Phase.OPEN, Phase.CLOSED, Phase.REVIEW})


def _public_to(user: Any, proposal: Any) -> bool:
    """Public, and not kept from this user: while a call is judged, its panel
    members reach its proposals only through the blind view of their assignments."""
    return visibility.is_public(proposal) and not visibility.hidden_from(user.id, proposal)


@rule("proposal:view_public")
def _proposal_view_public(user: Any, proposal: Any) -> bool:
    return _public_to(user, proposal)


@rule("proposal:support")
def _proposal_support(user: Any, proposal: Any) -> bool:
    """Verified residents, once each, while the proposal is being judged;
    a group's own members may not support their own proposal."""
    return (signed_in(user) and user.is_verified and _public_to(user, proposal)
            and proposal.call.phase in SUPPORT_PHASES and not _is_member(user, proposal.group_id))


@rule("comment:post")
def _comment_post(user: Any, proposal: Any) -> bool:
    return (signed_in(user) and user.is_verified and _public_to(user, proposal)
            and not proposal.comments_locked)


@rule("comment:moderate")
def _comment_moderate(user: Any, proposal: Any) -> bool:
    """Organizers of the call's body moderate its proposals' comments."""
    return is_organizer_of(user, proposal.call.body_id)


class CommentRights:
    """The author's and the reader's comment rules for one viewer on one
    proposal, decided once for a whole page of comments: the proposal-wide
    conditions (signed in, verified, the proposal public to them, comments
    closed, the clock) are read once, each comment then costs a few
    comparisons. The ``comment:edit``, ``comment:delete`` and
    ``comment:report`` rules below are these same methods, so the two cannot
    drift apart. Build it with ``comment_rights`` (which treats anonymous and
    deleted accounts as ``can`` does)."""

    def __init__(self, user: Any, proposal: Any, now: Any = None, *, denied: bool = False) -> None:
        self._user = user
        self._proposal = proposal
        self._now = now
        self.denied = denied
        self.user_id = None if denied else user.id

    @property
    def now(self) -> Any:
        if self._now is None:
            from venture.core.timeutil import utcnow

            self._now = utcnow()
        return self._now

    @cached_property
    def locked(self) -> bool:
        return bool(self._proposal.comments_locked)

    @cached_property
    def verified(self) -> bool:
        return self.user_id is not None and bool(self._user.is_verified)

    @cached_property
    def public_to(self) -> bool:
        return _public_to(self._user, self._proposal)

    def edit(self, comment: Any) -> bool:
        from venture.comments.models import CommentStatus

        return (self.user_id is not None and comment.author_id == self.user_id
                and comment.status in (CommentStatus.VISIBLE, CommentStatus.PENDING)
                and (self.now - comment.created_at).total_seconds() <= COMMENT_EDIT_WINDOW_SECONDS
                and not self.locked)

    def delete(self, comment: Any) -> bool:
        from venture.comments.models import CommentStatus

        return (self.user_id is not None and comment.author_id == self.user_id
                and comment.status is not CommentStatus.DELETED)

    def report(self, comment: Any) -> bool:
        from venture.comments.models import CommentStatus

        return (self.verified and comment.author_id != self.user_id
                and comment.status is CommentStatus.VISIBLE and self.public_to)


def comment_rights(user: Any, proposal: Any) -> CommentRights:
    """``CommentRights`` for any user, normalised as ``can`` does: nobody
    signed in is anonymous, a deleted account may do nothing."""
    if user is None or not getattr(user, "is_authenticated", False):
        return CommentRights(Anonymous(), proposal)
    if getattr(user, "is_deleted", False):
        return CommentRights(user, proposal, denied=True)
    return CommentRights(user, proposal)


@rule("comment:edit")
def _comment_edit(user: Any, comment: Any) -> bool:
    return CommentRights(user, comment.proposal).edit(comment)


@rule("comment:delete")
def _comment_delete(user: Any, comment: Any) -> bool:
    return CommentRights(user, comment.proposal).delete(comment)


@rule("comment:report")
def _comment_report(user: Any, comment: Any) -> bool:
    return CommentRights(user, comment.proposal).report(comment)


@rule("comment:moderate_body")
def _comment_moderate_body(user: Any, body: OrganizingBody) -> bool:
    """The moderation queue and sensitive words of a body's calls."""
    return is_organizer_of(user, body)


# Expert review: pool, panel, conflicts, assignments -------------------------------------

REVIEW_VISIBLE_PHASES = frozenset({Phase.REVIEW, Phase.NOTICE, Phase.PUBLISHED})


def _own_member(user: Any, member: Any) -> bool:
    return signed_in(user) and member.expert.user_id == user.id


@rule("expert:edit_profile", hidden=_may("expert:view_profile"))
def _expert_edit_profile(user: Any, expert: PoolExpert) -> bool:
    """Experts keep their own profile; the body's organizers may read it."""
    return signed_in(user) and expert.user_id == user.id


@rule("expert:view_profile", hidden=True)
def _expert_view_profile(user: Any, expert: PoolExpert) -> bool:
    return (signed_in(user) and expert.user_id == user.id) or is_organizer_of(user, expert.body_id)


@rule("panel:respond", hidden=_may("panel:view"))
def _panel_respond(user: Any, member: Any) -> bool:
    """Accept or decline being on a panel, before the review phase ends."""
    from venture.review.models import MemberStatus

    return (_own_member(user, member) and member.status is MemberStatus.INVITED
            and member.call.phase in (Phase.OPEN, Phase.CLOSED, Phase.REVIEW))


@rule("panel:declare_conflicts", hidden=_may("panel:view"))
def _panel_declare_conflicts(user: Any, member: Any) -> bool:
    """Accepted members go through the applicant groups once the call has closed."""
    from venture.review.models import MemberStatus

    return (_own_member(user, member) and member.status is MemberStatus.ACCEPTED
            and member.call.phase in (Phase.CLOSED, Phase.REVIEW))


@rule("panel:withdraw", hidden=_may("panel:view"))
def _panel_withdraw(user: Any, member: Any) -> bool:
    """The member or an organizer ends a member's part while review can still change."""
    from venture.review.models import MemberStatus

    if member.status is not MemberStatus.ACCEPTED or member.call.phase not in (Phase.OPEN, Phase.CLOSED, Phase.REVIEW):
        return False
    return _own_member(user, member) or is_organizer_of(user, member.call.body_id)


def assignment_open(member: Any, assignment: Any, conflicted: bool) -> bool:
    """Whether a live assignment is open to its member: accepted, conflicts
    declared, no conflict with the group, review phase or later. The rule
    below and the reviewer's dashboard (which knows the conflicts in bulk)
    both decide with this; ``conflicted`` is decided from the facts as they
    are now (``venture.panels.conflicts.conflicted_now``), not only from the
    conflicts stored when they were last derived."""
    from venture.review.models import MemberStatus

    return (member.status is MemberStatus.ACCEPTED and member.conflicts_declared_at is not None
            and assignment.ended_at is None and not conflicted
            and assignment.proposal.call.phase in REVIEW_VISIBLE_PHASES)


def _assignment_is_mine(user: Any, assignment: Any) -> bool:
    """The member's own assignment, open to them (see ``assignment_open``)."""
    from venture.panels.conflicts import conflicted_now

    member = assignment.member
    if not _own_member(user, member):
        return False
    return assignment_open(member, assignment, conflicted_now(db.session, member, assignment.proposal.group))


@rule("assignment:view", hidden=True)
def _assignment_view(user: Any, assignment: Any) -> bool:
    """The blind view of an assigned proposal, from review on."""
    return _assignment_is_mine(user, assignment)


@rule("assignment:score", hidden=_may("assignment:view"))
def _assignment_score(user: Any, assignment: Any) -> bool:
    """Scores are written and revised while the review phase lasts."""
    return _assignment_is_mine(user, assignment) and assignment.proposal.call.phase is Phase.REVIEW


@rule("assignment:see_opinion", hidden=_may("assignment:view"))
def _assignment_see_opinion(user: Any, assignment: Any) -> bool:
    """Residents' comments and support reach a reviewer only after their own
    review is in, and only when the call says so."""
    from venture.review.models import ReviewStatus

    review = assignment.review
    return (_assignment_view(user, assignment) and assignment.proposal.call.reviewers_see_opinion
            and review is not None and review.status is ReviewStatus.SUBMITTED)


@rule("review:my_assignments")
def _review_my_assignments(user: Any, _obj: Any) -> bool:
    return is_reviewer(user)


@rule("panel:view", hidden=True)
def _panel_view(user: Any, member: Any) -> bool:
    """An expert's own place on a panel: the invitation, their answer, their status."""
    return _own_member(user, member)


# Results in public: objections during the notice, the group's reviewer feedback ------------

@rule("objection:lodge")
def _objection_lodge(user: Any, call: Call) -> bool:
    """Verified users object while the public notice runs (server clock)."""
    from venture.core.timeutil import utcnow

    return (signed_in(user) and user.is_verified and call.phase is Phase.NOTICE
            and call.notice_ends_at is not None and utcnow() < call.notice_ends_at)


@rule("call:answer_objections")
def _call_answer_objections(user: Any, call: Any) -> bool:
    """The organizers of the call's body answer its objections, and may
    revise an answer, until they finalise the result."""
    return is_organizer_of(user, call.body_id) and call.phase is Phase.NOTICE


@rule("objection:answer")
def _objection_answer(user: Any, objection: Any) -> bool:
    """Not an objection against a proposal the organizer is recused from."""
    if objection.proposal_id is not None and objection.proposal is not None and \
            objection.proposal.group_id in recused_groups(user, objection.call):
        return False
    return _call_answer_objections(user, objection.call)


@rule("proposal:feedback", hidden=_knows_proposal)
def _proposal_feedback(user: Any, proposal: Any) -> bool:
    """Once results are published, the group's members read its reviewers' scores and comments."""
    # The membership query last: a list of proposals asks this for every row.
    return (proposal.version_count > 0 and proposal.call.phase is Phase.PUBLISHED
            and _is_member(user, proposal.group_id))


# Funded projects: their rules live with their domain and are registered here, in the one table.
from venture.projects import access as _project_access  # noqa: E402,F401
from venture.surveys import access as _survey_access  # noqa: E402,F401
