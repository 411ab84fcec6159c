"""Forms of the public side of results: lodging and answering objections."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from venture.core.forms import choices, max_length, strip
from venture.core.l10n import lazy_gettext as _l
from venture.results.objections import MAX_ANSWER_CHARS, MAX_TEXT_CHARS, MIN_TEXT_CHARS


class ObjectionForm(FlaskForm):
    line = SelectField(_l("What you object to"), validate_choice=False,
                       description=_l("The result as a whole, or one line of it."))
    text = TextAreaField(
        _l("Your objection"),
        validators=[DataRequired(_l("Explain your objection.")),
                    Length(min=MIN_TEXT_CHARS, max=MAX_TEXT_CHARS,
                           message=_l("Between %(min)d and %(max)d characters."))],
        filters=[strip], render_kw={"rows": 6},
        description=_l("What is wrong, and why. %(min)d to %(max)d characters. It will be published with the "
                       "organizer's answer; your name will not be.", min=MIN_TEXT_CHARS, max=MAX_TEXT_CHARS))
    attachment = FileField(_l("Supporting document (optional)"),
                           description=_l("A PDF or a JPEG or PNG image. It will be public: its author "
                                          "details are removed."))

    def set_lines(self, lines: list[tuple[str, str]]) -> None:
        self.line.choices = choices([("", str(_l("The result as a whole")))] + lines)


UPHELD_CHOICES = [("yes", _l("Upheld: the result will be changed")), ("no", _l("Not upheld"))]


class AnswerForm(FlaskForm):
    """One per objection on the page: built with ``prefix=f"answer-{id}"``."""

    upheld = RadioField(_l("Decision"), choices=choices(UPHELD_CHOICES),
                        validators=[InputRequired(_l("Choose whether the objection is upheld."))])
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(_l("Write the answer.")),
                                                     max_length(MAX_ANSWER_CHARS)],
                           filters=[strip], render_kw={"rows": 4},
                           description=_l("Published under the objection."))
