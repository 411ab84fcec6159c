from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from venture.core.forms import choices, max_length, moment_in_range, strip
from venture.core.l10n import lazy_gettext as _l
from venture.panels.services import MAX_PANEL, REASON_LIMIT, WITNESS_TEXT_LIMIT
from venture.review.expertise import AREAS

REQUIRED = _l("This field is required.")
REASON_REQUIRED = _l("Give a reason; it is kept in the record.")


def _reason(label: Any, required: bool = True, **kwargs: Any) -> TextAreaField:
    validators = [DataRequired(REASON_REQUIRED)] if required else [Optional()]
    return TextAreaField(label, validators=[*validators, max_length(REASON_LIMIT)], filters=[strip],
                         render_kw={"rows": 2}, **kwargs)


class DrawForm(FlaskForm):
    size = IntegerField(_l("Number of experts"), default=5,
                        validators=[InputRequired(REQUIRED),
                                    NumberRange(min=1, max=MAX_PANEL,
                                                message=_l("Enter a number from 1 to %(max)d.", max=MAX_PANEL))],
                        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_PANEL})

    def minimum_fields(self) -> list[Any]:
        return [self[f"min_{key}"] for key in AREAS]

    def minimums(self) -> dict[str, int]:
        return {key: self[f"min_{key}"].data or 0 for key in AREAS if self[f"min_{key}"].data}

    def witness_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(self[f"witness_{i}_name"], self[f"witness_{i}_role"], self[f"witness_{i}_value"])
                for i in range(WITNESS_ROWS)]

    def witnesses(self) -> list[tuple[str | None, str | None, str | None]]:
        return [(name.data, role.data, value.data) for name, role, value in self.witness_rows()]


for _key, _label in AREAS.items():
    setattr(DrawForm, f"min_{_key}", IntegerField(
        _label, default=0, validators=[Optional(), NumberRange(min=0, max=MAX_PANEL,
                                                             message=_l("Enter a number from 0 to %(max)d.",
                                                                        max=MAX_PANEL))],
        render_kw={"inputmode": "numeric", "min": 0, "max": MAX_PANEL}))

# Rows for the witnesses of the draw (often from a supervision body); at least one is filled in.
WITNESS_ROWS = 3
for _index in range(WITNESS_ROWS):
    setattr(DrawForm, f"witness_{_index}_name", StringField(
        _l("Witness %(num)d: name", num=_index + 1), validators=[max_length(WITNESS_TEXT_LIMIT)], filters=[strip]))
    setattr(DrawForm, f"witness_{_index}_role", StringField(
        _l("Witness %(num)d: role or body", num=_index + 1), validators=[max_length(WITNESS_TEXT_LIMIT)],
        filters=[strip]))
    setattr(DrawForm, f"witness_{_index}_value", StringField(
        _l("Witness %(num)d: the value they choose", num=_index + 1),
        validators=[max_length(WITNESS_TEXT_LIMIT)], filters=[strip],
        render_kw={"autocomplete": "off", "spellcheck": "false"}))


class PrepareDrawForm(FlaskForm):
    """The "Prepare the draw" button: nothing to fill in."""


class PrefixedForm(FlaskForm):
    """A form that shares its page with others and is told apart by its
    prefix (``add-reason``, ``move-12-reason``). The site-wide CSRF check
    guards it (the page sends ``csrf_token``); the form's own check is off
    because its field name would carry the prefix."""

    class Meta:
        csrf = False


class DiscardDrawForm(PrefixedForm):
    reason = _reason(_l("Why this draw is discarded (published with the result)"))


class AddMemberForm(PrefixedForm):
    expert = SelectField(_l("Expert"), coerce=int, validate_choice=False,
                         validators=[InputRequired(_l("Choose an expert."))])
    reason = _reason(_l("Why this expert is added by hand"))


class AddConflictForm(PrefixedForm):
    member = SelectField(_l("Panel member"), coerce=int, validate_choice=False,
                         validators=[InputRequired(_l("Choose a panel member."))])
    group = SelectField(_l("Applicant group"), coerce=int, validate_choice=False,
                        validators=[InputRequired(_l("Choose a group."))])
    reason = _reason(_l("Reason for the conflict"))


class DueForm(FlaskForm):
    due_at = DateTimeLocalField(_l("Reviews due by"), format="%Y-%m-%dT%H:%M",
                                validators=[InputRequired(_l("Enter a date and time.")), moment_in_range])


class AssignForm(FlaskForm):
    """The "Assign reviewers" button: nothing to fill in."""


class MoveForm(PrefixedForm):
    to_member = SelectField(_l("Move to"), coerce=int, validate_choice=False,
                            validators=[InputRequired(_l("Choose a panel member."))])
    reason = _reason(_l("Reason for the move"))


class WithdrawForm(FlaskForm):
    reason = _reason(_l("Reason for withdrawing"))


class StandDownForm(PrefixedForm):
    """An organizer ends a member's part on the panel."""

    reason = _reason(_l("Reason"))


class RespondForm(FlaskForm):
    answer = RadioField(_l("Your answer"), choices=choices([("accept", _l("Accept")), ("decline", _l("Decline"))]),
                        validators=[InputRequired(_l("Accept or decline."))])


class DeclareForm(FlaskForm):
    none_confirmed = BooleanField(_l("I have no ties to any of these groups"))


def declare_form(groups: list[tuple[int, str]]) -> DeclareForm:
    """The declaration form for these applicant groups: a box and an optional reason per group."""

    class Declaration(DeclareForm):
        pass

    for group_id, name in groups:
        setattr(Declaration, f"tie_{group_id}", BooleanField(name))
        setattr(Declaration, f"reason_{group_id}", StringField(_l("What the tie is (optional)"),
                                                               validators=[max_length(REASON_LIMIT)],
                                                               filters=[strip]))
    return Declaration()
