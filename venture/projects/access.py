"""Who may do what with funded projects, registered in the one access module
(``venture.permissions``) like every other rule. State that decides access
(an agreement waiting for acceptance, an evaluator who may score) is asked
here too, so a refused button and a refused request agree."""
from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select

from venture.extensions import db
from venture.groups.models import GroupMembership
from venture.permissions import is_admin, is_group_owner, is_organizer_of, rule, signed_in


def _is_member(user: Any, group_id: int) -> bool:
    return signed_in(user) and bool(db.session.scalar(select(exists().where(
        GroupMembership.group_id == group_id, GroupMembership.user_id == user.id))))


def tied_groups(user: Any, body_id: int) -> frozenset[int]:
    """Ids of the groups the user is a member of now, or has a tie with
    recorded in any call of the body (declared or found from a membership):
    a tie is a fact about the person and the group, so it holds for the
    group's funded projects too. One query."""
    from sqlalchemy import union

    from venture.calls.models import Call
    from venture.review.models import OrganizerTie

    if not signed_in(user):
        return frozenset()
    member_of = select(GroupMembership.group_id).where(GroupMembership.user_id == user.id)
    tied = select(OrganizerTie.group_id).where(
        OrganizerTie.user_id == user.id, OrganizerTie.call_id.in_(select(Call.id).where(Call.body_id == body_id)))
    return frozenset(db.session.scalars(union(member_of, tied)))


def tied_to_group(user: Any, group_id: int, body_id: int) -> bool:
    return group_id in tied_groups(user, body_id)


def _organizes(user: Any, project: Any) -> bool:
    """An organizer of the call's body without a tie to the project's group:
    recusal holds after the award too, and another organizer must act."""
    body_id = project.call.body_id
    return is_organizer_of(user, body_id) and not tied_to_group(user, project.group_id, body_id)


def _evaluates(user: Any, project: Any) -> bool:
    """An evaluator of one of the project's evaluations who may score it (accepted, no tie)."""
    from venture.projects.models import Evaluation, Evaluator, EvaluatorStatus

    if not signed_in(user):
        return False
    rows = db.session.scalars(select(Evaluator).join(Evaluation, Evaluation.id == Evaluator.evaluation_id)
                              .where(Evaluation.project_id == project.id, Evaluator.user_id == user.id,
                                     Evaluator.status == EvaluatorStatus.ACCEPTED))
    return any(row.may_score for row in rows)


@rule("project:view")
def _project_view(user: Any, project: Any) -> bool:
    """The project's own pages (agreement, reports, tranches, evaluations):
    the group's members, the body's organizers, site admins."""
    return _organizes(user, project) or is_admin(user) or _is_member(user, project.group_id)


@rule("project:manage")
def _project_manage(user: Any, project: Any) -> bool:
    """Issue the agreement, review reports, decide budget changes, move
    tranches, run evaluations: the organizers of the call's body."""
    return _organizes(user, project)


@rule("project:accept_agreement")
def _project_accept(user: Any, project: Any) -> bool:
    """The group's owner accepts an issued agreement, once."""
    from venture.projects.models import ProjectStage

    agreement = project.agreement
    return (signed_in(user) and user.is_verified and project.stage is ProjectStage.AGREEMENT_ISSUED
            and agreement is not None and agreement.accepted_at is None and is_group_owner(user, project.group))


@rule("project:report")
def _project_report(user: Any, project: Any) -> bool:
    """File reports and ask for budget changes: the group's verified members, while the project runs."""
    from venture.projects.models import ProjectStage

    return (signed_in(user) and user.is_verified and project.stage is ProjectStage.UNDER_WAY
            and _is_member(user, project.group_id))


@rule("report_file:download")
def _report_file_download(user: Any, report_file: Any) -> bool:
    project = report_file.milestone.project
    return _project_view(user, project) or _evaluates(user, project)


@rule("report:read")
def _report_read(user: Any, milestone: Any) -> bool:
    """A submitted report in full (private parts and receipts included): the
    project's own people, and the evaluators scoring it."""
    project = milestone.project
    return _project_view(user, project) or _evaluates(user, project)


@rule("evaluator:view")
def _evaluator_view(user: Any, evaluator: Any) -> bool:
    return signed_in(user) and evaluator.user_id == user.id


@rule("evaluator:respond")
def _evaluator_respond(user: Any, evaluator: Any) -> bool:
    from venture.projects.models import EvaluationStatus, EvaluatorStatus

    return (_evaluator_view(user, evaluator) and evaluator.status is EvaluatorStatus.INVITED
            and evaluator.evaluation.status is EvaluationStatus.OPEN)


@rule("evaluator:declare")
def _evaluator_declare(user: Any, evaluator: Any) -> bool:
    from venture.projects.models import EvaluationStatus, EvaluatorStatus

    return (_evaluator_view(user, evaluator) and evaluator.status is EvaluatorStatus.ACCEPTED
            and evaluator.evaluation.status is EvaluationStatus.OPEN)


@rule("evaluator:score")
def _evaluator_score(user: Any, evaluator: Any) -> bool:
    from venture.projects.models import EvaluationStatus

    return (_evaluator_view(user, evaluator) and evaluator.may_score
            and evaluator.evaluation.status is EvaluationStatus.OPEN)


@rule("bar:lift")
def _bar_lift(user: Any, bar: Any) -> bool:
    return (is_organizer_of(user, bar.body_id) and bar.lifted_at is None
            and not tied_to_group(user, bar.group_id, bar.body_id))
