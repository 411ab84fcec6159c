"""The score sheet form: a score and a reason per criterion of the call's
rubric, a comment for the applicant and a note for the organizer."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.widgets import NumberInput

from venture.core.forms import max_length, plain, strip
from venture.core.l10n import lazy_gettext as _l
from venture.review import scoring
from venture.review.models import Review
from venture.review.services import MAX_TEXT_CHARS


class ReviewForm(FlaskForm):
    lock_version = HiddenField()
    comment = TextAreaField(
        _l("Comment to the applicant"), validators=[max_length(MAX_TEXT_CHARS)], filters=[strip],
        render_kw={"rows": 5},
        description=_l("Shown to the applicant group with the results, without your name. Be specific and kind."))
    note = TextAreaField(
        _l("Confidential note to the organizer"), validators=[max_length(MAX_TEXT_CHARS)], filters=[strip],
        render_kw={"rows": 3},
        description=_l("Only the organizers read this: for example a doubt about the budget they should check. "
                       "The applicant never sees it."))

    def criterion_fields(self, criterion: Any) -> tuple[Any, Any]:
        return self[scoring.score_field(criterion)], self[scoring.reason_field(criterion)]

    def scores(self, criteria: list[Any]) -> dict[str, str]:
        return {str(c.id): self[scoring.score_field(c)].data or "" for c in criteria}

    def reasons(self, criteria: list[Any]) -> dict[str, str]:
        return {str(c.id): self[scoring.reason_field(c)].data or "" for c in criteria}


def review_form(criteria: list[Any], review: Review | None = None, lock_version: int = 0,
                formdata: Any = None) -> ReviewForm:
    """The sheet for one call's rubric, filled from the saved review unless
    ``formdata`` is given."""

    class CallReviewForm(ReviewForm):
        pass

    for criterion in criteria:
        top = scoring.plain(criterion.max_points)
        setattr(CallReviewForm, scoring.score_field(criterion), StringField(
            _l("Score for “%(name)s” (0 to %(max)s)", name=criterion.name, max=top),
            filters=[strip], widget=NumberInput(step="0.5", min=0, max=top),
            render_kw={"inputmode": "decimal", "class": "score-input"},
            description=_l("Half points allowed, for example 7.5.")))
        setattr(CallReviewForm, scoring.reason_field(criterion), TextAreaField(
            _l("Reason for the score for “%(name)s”", name=criterion.name),
            validators=[max_length(MAX_TEXT_CHARS)], filters=[plain], render_kw={"rows": 4},
            description=_l("Required to submit: at least %(n)d characters, tied to what the proposal says.",
                           n=scoring.MIN_REASON_CHARS)))
    if formdata is not None:
        return CallReviewForm(formdata=formdata)
    form = CallReviewForm(formdata=None)
    form.lock_version.data = str(lock_version)
    if review is not None:
        form.comment.data = review.comment_to_applicant
        form.note.data = review.note_to_organizer
        for criterion in criteria:
            score, reason = form.criterion_fields(criterion)
            score.data = review.scores.get(str(criterion.id), "")
            reason.data = review.reasons.get(str(criterion.id), "")
    return form
