from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional

from venture.comments.services import MAX_BODY_CHARS, MAX_REASON_CHARS, MAX_WORD_CHARS
from venture.core.forms import max_length, one_line, strip
from venture.core.l10n import lazy_gettext as _l

REQUIRED = _l("This field is required.")
BODY_HINT = _l("Up to %(max)d characters. You can use Markdown: *emphasis*, **bold**, lists and links.",
               max=MAX_BODY_CHARS)


class CommentForm(FlaskForm):
    """A new comment, or a reply when ``parent_id`` names a top-level comment."""

    body = TextAreaField(_l("Your comment"), validators=[DataRequired(_l("Write your comment first.")),
                                                         max_length(MAX_BODY_CHARS)],
                         filters=[strip], description=BODY_HINT, render_kw={"rows": 5}, id="comment-text")
    parent_id = IntegerField(validators=[Optional()], widget=HiddenField.widget)


class EditCommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[DataRequired(_l("Write your comment first.")),
                                                         max_length(MAX_BODY_CHARS)],
                         filters=[strip], description=BODY_HINT, render_kw={"rows": 6})


class ReasonForm(FlaskForm):
    """Reporting a comment, or hiding one: the reason is required."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(REQUIRED), max_length(MAX_REASON_CHARS)],
                           filters=[strip], render_kw={"rows": 3})
    next = HiddenField()


class ActionForm(FlaskForm):
    """A one-button action (restore, approve, delete, lock): the CSRF token
    and where to go back to."""

    next = HiddenField()


class SensitiveWordForm(FlaskForm):
    word = StringField(_l("Sensitive word"), validators=[DataRequired(REQUIRED), max_length(MAX_WORD_CHARS)],
                       filters=[one_line],
                       description=_l("New comments containing it (in any letter case) wait for a moderator "
                                      "before they appear. Comments already published are not affected."))


class RemoveWordForm(FlaskForm):
    word_id = IntegerField(validators=[InputRequired(REQUIRED)], widget=HiddenField.widget)
