"""Satisfaction surveys of funded projects: the default set, one answer per
device, paper answers marked and audited, questions locked at the first
answer, counts per option, moderated text and the satisfaction feed."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.project_builders import filed_report, make_project_world, under_way, user
from venture.audit.models import AuditEvent
from venture.core.errors import DomainError
from venture.extensions import db
from venture.projects import evaluation as evaluations
from venture.projects.models import EvaluationStage, Project
from venture.surveys import services
from venture.surveys.models import Channel, QuestionKind, Survey, SurveyResponse, SurveyStatus, TextStatus


def _open_survey(app):
    world = make_project_world(app)
    project_id = world.projects[0]
    under_way(app, project_id)
    with app.test_request_context():
        project = db.session.get(Project, project_id)
        organizer = user("organizer@example.org")
        survey = services.create_survey(db.session, organizer, project, "长者午餐满意度", approved=True)
        services.set_status(db.session, organizer, survey, SurveyStatus.OPEN)
        db.session.commit()
        return project_id, survey.id


def _ids(survey):
    return {q.key: q.id for q in survey.questions}


def test_one_answer_per_device_and_no_address_kept(app):
    _project, survey_id = _open_survey(app)
    with app.test_request_context():
        survey = db.session.get(Survey, survey_id)
        q = _ids(survey)
        services.answer_online(db.session, survey, {q["overall"]: "5"}, "device-a", "203.0.113.9")
        with pytest.raises(DomainError):
            services.answer_online(db.session, survey, {q["overall"]: "1"}, "device-a", "203.0.113.9")
        services.answer_online(db.session, survey, {q["overall"]: "2"}, "device-b", "203.0.113.9")
        db.session.commit()
        rows = db.session.scalars(select(SurveyResponse)).all()
        assert len(rows) == 2
        assert all("203.0.113.9" not in (r.address_digest or "") and "device" not in r.device_digest for r in rows)
        assert rows[0].address_digest == rows[1].address_digest  # mass entries from one address can be spotted


def test_questions_lock_at_the_first_answer(app):
    _project, survey_id = _open_survey(app)
    with app.test_request_context():
        survey = db.session.get(Survey, survey_id)
        organizer = user("organizer@example.org")
        services.add_question(db.session, organizer, survey, QuestionKind.MULTIPLE, "您参加了哪些活动？",
                              ["午餐", "讲座", "义诊"])
        services.answer_online(db.session, survey, {_ids(survey)["overall"]: "4"}, "d", "a")
        with pytest.raises(DomainError):
            services.add_question(db.session, organizer, survey, QuestionKind.SHORT, "新问题", [])


def test_paper_answers_marked_audited_and_counts_per_option(app):
    _project, survey_id = _open_survey(app)
    with app.test_request_context():
        survey = db.session.get(Survey, survey_id)
        organizer = user("organizer@example.org")
        question = services.add_question(db.session, organizer, survey, QuestionKind.MULTIPLE, "您参加了哪些活动？",
                                         ["午餐", "讲座", "义诊"])
        q = _ids(survey)
        services.answer_online(db.session, survey, {q["overall"]: "5", question.id: ["0", "1"]}, "d1", "a")
        paper = services.enter_paper(db.session, organizer, survey, {q["overall"]: "3", question.id: ["1"],
                                                                     q["comments"]: "饭菜很好"})
        db.session.commit()
        assert paper.channel is Channel.PAPER and paper.entered_by_id == organizer.id
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.paper_entered")) is not None
        assert services.counts(survey, question)["counts"] == {0: 1, 1: 2, 2: 0}
        assert services.counts(survey, db.session.get(type(question), q["overall"]))["mean"] == Decimal("4.00")
        assert services.channels(survey) == {"online": 1, "paper": 1}
        text = next(a for a in paper.answers if a.question_id == q["comments"])
        assert text.text_status is TextStatus.PENDING
        services.moderate(db.session, organizer, text, True)
        assert text.text_status is TextStatus.APPROVED


def test_a_groups_survey_opens_only_once_approved(app):
    project_id, _survey = _open_survey(app)
    with app.test_request_context():
        project = db.session.get(Project, project_id)
        owner = project.group.owners[0]
        survey = services.create_survey(db.session, owner, project, "我们的问卷", approved=False)
        with pytest.raises(DomainError):
            services.set_status(db.session, owner, survey, SurveyStatus.OPEN)
        services.approve(db.session, user("organizer@example.org"), survey)
        services.set_status(db.session, owner, survey, SurveyStatus.OPEN)


def test_satisfaction_feeds_the_evaluation_with_its_method(app):
    project_id, survey_id = _open_survey(app)
    filed_report(app, project_id, "midterm", accept=True)
    with app.test_request_context():
        survey = db.session.get(Survey, survey_id)
        organizer = user("organizer@example.org")
        q = _ids(survey)
        for index, point in enumerate(["5", "4", "4", "2"]):
            services.answer_online(db.session, survey, {q["overall"]: point}, f"d{index}", f"a{index}")
        found = evaluations.open_evaluation(db.session, organizer, db.session.get(Project, project_id),
                                            EvaluationStage.MIDTERM)
        assert services.feed_evaluation(db.session, organizer, survey, found) == Decimal("75.00")
        assert found.satisfaction_source == "survey" and found.satisfaction_value == Decimal("75.00")
        assert "3" in found.satisfaction_note and "4" in found.satisfaction_note


@pytest.fixture
def app_config():
    return {"SURVEY_LIMIT_PER_ADDRESS": 3}


def test_answers_from_one_address_are_limited(app):
    from venture.core.ratelimit import TooManyAttempts

    _project, survey_id = _open_survey(app)
    with app.test_request_context():
        survey = db.session.get(Survey, survey_id)
        q = _ids(survey)
        for index in range(3):
            services.answer_online(db.session, survey, {q["overall"]: "4"}, f"dev{index}", "198.51.100.7")
        with pytest.raises(TooManyAttempts):
            services.answer_online(db.session, survey, {q["overall"]: "4"}, "dev-x", "198.51.100.7")
        services.answer_online(db.session, survey, {q["overall"]: "4"}, "dev-y", "198.51.100.8")


def test_access_rules(app):
    from venture import permissions

    project_id, survey_id = _open_survey(app)
    with app.test_request_context():
        survey = db.session.get(Survey, survey_id)
        organizer, owner = user("organizer@example.org"), survey.project.group.owners[0]
        other = user("other_organizer@example.org")
        assert permissions.can(organizer, "survey:manage", survey.project)
        assert not permissions.can(owner, "survey:manage", survey.project)
        assert permissions.can(owner, "survey:propose", survey.project)
        assert permissions.can(owner, "survey:view", survey)
        assert not permissions.can(owner, "survey:contacts", survey)
        assert permissions.can(organizer, "survey:contacts", survey)
        assert not permissions.can(other, "survey:view", survey)
        assert not permissions.can(None, "survey:view", survey)
