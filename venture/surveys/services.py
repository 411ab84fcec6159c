"""Every change to a survey: made, opened, answered (online or on paper),
moderated and fed into an evaluation. Each checks, changes, audits, flushes.

The satisfaction result (``satisfaction``) is the share of the people who
answered the overall-satisfaction question with 4 or 5 on its scale of 1 to
5 ("satisfied" or "very satisfied"), online and paper answers together, in
percent with two decimals. ``feed_evaluation`` writes that share and the
method, with the numbers, into the evaluation's satisfaction component.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.audit import services as audit
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow
from venture.projects import evaluation as evaluations
from venture.projects.models import Evaluation, Project
from venture.surveys.models import (
    Channel,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    TextStatus,
)

SATISFIED_FROM = 4  # 4 and 5 on the scale of 1 to 5 count as satisfied
# The default set: (key, kind, number of options). Its prompts are shown in the reader's language.
DEFAULT_SET = [("overall", QuestionKind.LIKERT, 0), ("useful", QuestionKind.LIKERT, 0),
               ("staff", QuestionKind.LIKERT, 0), ("recommend", QuestionKind.SINGLE, 3),
               ("comments", QuestionKind.LONG, 0)]


def digest(salt: str, value: str) -> str:
    """A salted digest: names the device or address to this survey only, never the value itself."""
    return hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()


def create_survey(session: Session, actor: Any, project: Project, title: str, approved: bool,
                  now: datetime | None = None) -> Survey:
    """A survey with the default set of questions. ``approved``: made by an
    organizer; a group's survey waits for an organizer's approval."""
    now = now or utcnow()
    title = (title or "").strip()
    if not title:
        raise DomainError(_l("Give the survey a title."), "title")
    survey = Survey(project_id=project.id, token=secrets.token_urlsafe(6), salt=secrets.token_hex(16),
                    title=title[:200], created_at=now, created_by_id=getattr(actor, "id", None),
                    approved_at=now if approved else None, approved_by_id=getattr(actor, "id", None) if approved else None)
    survey.questions = [SurveyQuestion(position=i, key=key, kind=kind, prompt="", options=[""] * options,
                                       required=key == "overall") for i, (key, kind, options) in enumerate(DEFAULT_SET)]
    session.add(survey)
    session.flush()
    audit.record(session, actor, "survey.created", survey, project=project.id, approved=approved)
    return survey


def approve(session: Session, actor: Any, survey: Survey, now: datetime | None = None) -> None:
    if survey.approved_at is not None:
        raise DomainError(_l("This survey is already approved."))
    survey.approved_at, survey.approved_by_id = now or utcnow(), getattr(actor, "id", None)
    session.flush()
    audit.record(session, actor, "survey.approved", survey)


def set_status(session: Session, actor: Any, survey: Survey, status: SurveyStatus, now: datetime | None = None) -> None:
    """Open a draft (once approved) or close an open survey."""
    allowed = {SurveyStatus.DRAFT: SurveyStatus.OPEN, SurveyStatus.OPEN: SurveyStatus.CLOSED}
    if allowed.get(survey.status) is not status:
        raise DomainError(_l("A survey goes from draft to open to closed."))
    if status is SurveyStatus.OPEN and survey.approved_at is None:
        raise DomainError(_l("An organizer must approve the survey before it opens."))
    previous, survey.status = survey.status, status
    if status is SurveyStatus.CLOSED:
        survey.closed_at = now or utcnow()
    session.flush()
    audit.record(session, actor, "survey.status", survey, **{"from": previous.value, "to": status.value})


def add_question(session: Session, actor: Any, survey: Survey, kind: QuestionKind, prompt: str,
                 options: list[str], required: bool = False) -> SurveyQuestion:
    if survey.is_locked:
        raise DomainError(_l("The questions are locked: the survey has answers."))
    prompt = (prompt or "").strip()
    options = [o.strip()[:120] for o in options if o.strip()]
    if not prompt:
        raise DomainError(_l("Write the question."), "prompt")
    if kind.has_options and len(options) < 2:
        raise DomainError(_l("A choice question needs at least two options, one a line."), "options")
    question = SurveyQuestion(survey_id=survey.id, position=len(survey.questions), kind=kind, prompt=prompt[:300],
                              options=options if kind.has_options else [], required=required)
    session.add(question)
    session.flush()
    session.refresh(survey, ["questions"])
    audit.record(session, actor, "survey.question_added", survey, question=question.id, kind=kind.value)
    return question


def remove_question(session: Session, actor: Any, survey: Survey, question: SurveyQuestion) -> None:
    if survey.is_locked:
        raise DomainError(_l("The questions are locked: the survey has answers."))
    session.delete(question)
    session.flush()
    session.refresh(survey, ["questions"])
    audit.record(session, actor, "survey.question_removed", survey, question=question.id)


def clean_answers(survey: Survey, values: dict[int, Any]) -> dict[int, Any]:
    """Keep the answers that fit their questions: Likert 1-5, option indexes, text."""
    answers: dict[int, Any] = {}
    for question in survey.questions:
        value = values.get(question.id)
        if question.kind is QuestionKind.LIKERT:
            value = int(value) if str(value or "").isdigit() and 1 <= int(value) <= 5 else None
        elif question.kind.has_options:
            raw = value if isinstance(value, list) else ([] if value in (None, "") else [value])
            picked = sorted({int(v) for v in raw if str(v).isdigit() and int(v) < len(question.options)})
            value = (picked[:1] if question.kind is QuestionKind.SINGLE else picked) or None
        else:
            value = (str(value or "").strip()[:2000 if question.kind is QuestionKind.LONG else 200]) or None
        if value is None and question.required:
            raise DomainError(_l("Answer the question “%(prompt)s”.", prompt=question.prompt or question.key),
                              f"q{question.id}")
        if value is not None:
            answers[question.id] = value
    if not answers:
        raise DomainError(_l("Answer at least one question."))
    return answers


def _store(session: Session, survey: Survey, response: SurveyResponse, answers: dict[int, Any],
           now: datetime) -> None:
    kinds = {q.id: q.kind for q in survey.questions}
    response.answers = [SurveyAnswer(question_id=qid, value=value,
                                     text_status=TextStatus.PENDING if kinds[qid].is_text else None)
                        for qid, value in answers.items()]
    session.add(response)
    if survey.locked_at is None:
        survey.locked_at = now
    session.flush()


def check_answer_rate(survey: Survey, address: str) -> None:
    """Count one online answer for the network address (as a salted digest);
    raise ``TooManyAttempts`` past ``SURVEY_LIMIT_PER_ADDRESS`` an hour. A
    service site's shared network sends many honest answers, so the limit is
    generous; it stops a script, while the device rule stops a second answer."""
    from flask import current_app

    from venture.core.ratelimit import TooManyAttempts, limiter

    limit = int(current_app.config.get("SURVEY_LIMIT_PER_ADDRESS", 60))
    verdict = limiter().hit(f"survey:{survey.id}:addr:{digest(survey.salt, address)}", limit, 3600)
    if not verdict.allowed:
        raise TooManyAttempts(verdict.retry_after)


def answer_online(session: Session, survey: Survey, values: dict[int, Any], device: str, address: str,
                  contact: str = "", now: datetime | None = None) -> SurveyResponse:
    """One answer per device and survey: the device is named by a digest of its cookie, salted per survey."""
    now = now or utcnow()
    if not survey.is_open:
        raise DomainError(_l("This survey is not taking answers."))
    device_digest = digest(survey.salt, device)
    if answered(session, survey, device):
        raise DomainError(_l("This device has already answered this survey. Thank you."))
    answers = clean_answers(survey, values)
    check_answer_rate(survey, address)
    response = SurveyResponse(survey_id=survey.id, channel=Channel.ONLINE, device_digest=device_digest,
                              address_digest=digest(survey.salt, address), contact=(contact or "").strip()[:200],
                              created_at=now)
    _store(session, survey, response, answers, now)
    audit.record(session, None, "survey.answered", survey, response=response.id, channel="online")
    return response


def answered(session: Session, survey: Survey, device: str | None) -> bool:
    if not device:
        return False
    return session.scalar(select(SurveyResponse.id).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.device_digest == digest(survey.salt, device))) is not None


def enter_paper(session: Session, actor: Any, survey: Survey, values: dict[int, Any], contact: str = "",
                now: datetime | None = None) -> SurveyResponse:
    """Staff type in a paper form: marked as paper, with who entered it, audited."""
    now = now or utcnow()
    if survey.status is SurveyStatus.DRAFT:
        raise DomainError(_l("Open the survey before entering answers."))
    answers = clean_answers(survey, values)
    response = SurveyResponse(survey_id=survey.id, channel=Channel.PAPER, entered_by_id=actor.id,
                              contact=(contact or "").strip()[:200], created_at=now)
    _store(session, survey, response, answers, now)
    audit.record(session, actor, "survey.paper_entered", survey, response=response.id, channel="paper")
    return response


def moderate(session: Session, actor: Any, answer: SurveyAnswer, show: bool, now: datetime | None = None) -> None:
    if answer.text_status is None:
        raise DomainError(_l("Only text answers are moderated."))
    answer.text_status = TextStatus.APPROVED if show else TextStatus.HIDDEN
    answer.moderated_at, answer.moderated_by_id = now or utcnow(), getattr(actor, "id", None)
    session.flush()
    audit.record(session, actor, "survey.text_moderated", answer.response.survey, answer=answer.id,
                 status=answer.text_status.value)


# Results --------------------------------------------------------------------------------------

@dataclass
class Satisfaction:
    satisfied: int
    answered: int
    online: int
    paper: int

    @property
    def share(self) -> Decimal | None:
        if not self.answered:
            return None
        return (Decimal(100) * self.satisfied / self.answered).quantize(Decimal("0.01"), ROUND_HALF_UP)


def satisfaction(survey: Survey) -> Satisfaction:
    overall = next((q for q in survey.questions if q.key == "overall"), None)
    satisfied = total = online = paper = 0
    for response in survey.responses:
        answer = next((a for a in response.answers if overall is not None and a.question_id == overall.id), None)
        if answer is None:
            continue
        total += 1
        satisfied += int(answer.value) >= SATISFIED_FROM
        online += response.channel is Channel.ONLINE
        paper += response.channel is Channel.PAPER
    return Satisfaction(satisfied, total, online, paper)


def counts(survey: Survey, question: SurveyQuestion) -> dict[str, Any]:
    """Per option (never per combination of options): counts, and the mean of a Likert question."""
    values = [a.value for r in survey.responses for a in r.answers if a.question_id == question.id]
    if question.kind is QuestionKind.LIKERT:
        tally = {point: sum(1 for v in values if v == point) for point in range(1, 6)}
        mean = (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP) if values else None
        return {"answered": len(values), "counts": tally, "mean": mean}
    if question.kind.has_options:
        tally = {index: sum(1 for v in values if index in v) for index in range(len(question.options))}
        return {"answered": len(values), "counts": tally, "mean": None}
    return {"answered": len(values), "counts": {}, "mean": None}


def channels(survey: Survey) -> dict[str, int]:
    return {c.value: sum(1 for r in survey.responses if r.channel is c) for c in Channel}


def method_note(survey: Survey, result: Satisfaction) -> str:
    """The method, written out with its numbers (kept in the evaluation, in the organizer's language)."""
    from venture.core.l10n import gettext as _

    return _("Survey “%(title)s”: %(satisfied)d of the %(answered)d people who answered the overall-satisfaction "
             "question chose 4 or 5 on its scale of 1 to 5 (%(online)d online, %(paper)d on paper): %(share)s%%.",
             title=survey.title, satisfied=result.satisfied, answered=result.answered, online=result.online,
             paper=result.paper, share=format(result.share, "f") if result.share is not None else "-")


def feed_evaluation(session: Session, actor: Any, survey: Survey, evaluation: Evaluation) -> Decimal:
    """Write the survey's satisfaction share into the evaluation's satisfaction component."""
    if evaluation.project_id != survey.project_id:
        raise DomainError(_l("The survey and the evaluation belong to different projects."))
    result = satisfaction(survey)
    if result.share is None:
        raise DomainError(_l("Nobody has answered the overall-satisfaction question yet."))
    evaluations.set_satisfaction(session, actor, evaluation, result.share, method_note(survey, result),
                                 source="survey")
    audit.record(session, actor, "survey.fed_evaluation", survey, evaluation=evaluation.id,
                 value=format(result.share, "f"), satisfied=result.satisfied, answered=result.answered)
    return result.share
