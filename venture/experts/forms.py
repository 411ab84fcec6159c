from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from venture.bodies.models import PoolExpert
from venture.core.forms import choices, email_field, max_length, one_line, strip
from venture.core.l10n import lazy_gettext as _l
from venture.experts.services import MAX_AFFILIATIONS, NAME_MAX, NOTE_MAX, RELATIONS, YEARS_MAX
from venture.groups import creditcode
from venture.review.expertise import AREAS

REQUIRED = _l("This field is required.")
BLANK_ROWS = 2


class InviteExpertForm(FlaskForm):
    email = email_field(_l("E-mail address of the expert"), validators=[DataRequired(REQUIRED)])


class AffiliationForm(Form):
    name = StringField(_l("Organisation"), validators=[max_length(NAME_MAX)], filters=[one_line])
    credit_code = StringField(_l("Unified social credit code (optional)"), validators=[max_length(30)],
                              filters=[one_line], render_kw={"autocapitalize": "characters", "spellcheck": "false"})
    relation = SelectField(_l("Your tie to it"), validate_choice=False,
                           choices=choices([("", _l("Choose…"))] + list(RELATIONS.items())))
    note = StringField(_l("Note (optional)"), validators=[max_length(NOTE_MAX)], filters=[one_line])
    years = StringField(_l("Years (optional)"), validators=[max_length(YEARS_MAX)], filters=[one_line],
                        description=_l("For example 2018–2023."))

    def is_blank(self) -> bool:
        return not (self.name.data or self.credit_code.data or self.note.data or self.years.data)

    def validate_name(self, field: Any) -> None:
        if not field.data and not self.is_blank():
            raise ValidationError(_l("Give the organisation's name."))

    def validate_credit_code(self, field: Any) -> None:
        if field.data and not creditcode.is_valid(field.data):
            raise ValidationError(_l("This is not a valid unified social credit code (18 characters; "
                                     "check the last one)."))

    def validate_relation(self, field: Any) -> None:
        if self.is_blank():
            return
        if field.data not in RELATIONS:
            raise ValidationError(_l("Choose how you are tied to the organisation."))

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name.data or "", "credit_code": creditcode.normalise(self.credit_code.data or ""),
                "relation": self.relation.data or "", "note": self.note.data or "", "years": self.years.data or ""}


class ProfileForm(FlaskForm):
    expertise = SelectMultipleField(
        _l("Areas of expertise"), choices=choices(AREAS.items()),
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        description=_l("Choose every area you can judge a proposal in. Panels are drawn by area."))
    affiliations = FieldList(FormField(AffiliationForm), min_entries=0, max_entries=MAX_AFFILIATIONS + BLANK_ROWS + 1)
    add_row = SubmitField(_l("Add another row"))
    available = RadioField(_l("Available for panels"), default="yes",
                           choices=choices([("yes", _l("Yes, I can be drawn for panels")),
                                            ("no", _l("Not at the moment"))]))
    availability_note = TextAreaField(_l("Note on availability (optional)"), validators=[max_length(NOTE_MAX)],
                                      filters=[strip], render_kw={"rows": 2},
                                      description=_l("For example: not available in July."))

    def validate_expertise(self, field: Any) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one area of expertise."))

    def fill_from(self, expert: PoolExpert) -> None:
        self.expertise.data = list(expert.expertise)
        self.available.data = "yes" if expert.available else "no"
        self.availability_note.data = expert.availability_note
        while self.affiliations.entries:
            self.affiliations.pop_entry()
        for row in expert.affiliations:
            entry = self.affiliations.append_entry()
            for key in ("name", "credit_code", "relation", "note", "years"):
                getattr(entry.form, key).data = str(row.get(key) or "")

    def add_blank_rows(self, count: int = BLANK_ROWS) -> None:
        """Empty rows to type new affiliations into, without JavaScript."""
        filled = len([e for e in self.affiliations.entries if not e.form.is_blank()])
        while (len(self.affiliations.entries) < filled + count
               and len(self.affiliations.entries) < (self.affiliations.max_entries or 0)):
            self.affiliations.append_entry()

    def affiliation_rows(self) -> list[dict[str, str]]:
        return [e.form.as_dict() for e in self.affiliations.entries if not e.form.is_blank()]
