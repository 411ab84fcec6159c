from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from venture.core.forms import choices, email_field, max_length, one_line, strip, year_not_in_future
from venture.core.l10n import lazy_gettext as _l
from venture.groups import creditcode
from venture.groups.models import GROUP_KIND_LABELS, REGISTRATION_TYPE_LABELS, GroupKind
from venture.groups.services import GroupProfile

REQUIRED = _l("This field is required.")
PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,28}[0-9]$")


def _phone(_form: Any, field: Any) -> None:
    if field.data and not PHONE.match(field.data):
        raise ValidationError(_l("Enter a phone number with digits, e.g. 13800138000 or 020-12345678."))


class GroupForm(FlaskForm):
    kind = RadioField(_l("Kind of group"), choices=choices((k.value, label) for k, label in GROUP_KIND_LABELS.items()),
                      validators=[DataRequired(REQUIRED)], default=GroupKind.REGISTERED.value)
    name = StringField(_l("Name of the group"), validators=[DataRequired(REQUIRED), max_length(120)],
                       filters=[one_line])
    credit_code = StringField(
        _l("Unified social credit code"), filters=[one_line],
        description=_l("18 characters, on the registration certificate."),
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 22})
    registration_type = SelectField(
        _l("Registration type"),
        choices=choices([("", _l("Choose…")),
                         *((k.value, label) for k, label in REGISTRATION_TYPE_LABELS.items())]),
        validate_choice=False)  # checked below: it only matters for registered organisations
    founded_year = IntegerField(
        _l("Year founded"),
        validators=[Optional(), NumberRange(min=1949, message=_l("Enter a year from 1949 on.")),
                    year_not_in_future],
        render_kw={"inputmode": "numeric"})
    address = StringField(_l("Address"), validators=[max_length(200)], filters=[one_line],
                          render_kw={"autocomplete": "street-address"})
    filed_with = StringField(
        _l("Community filed with"), validators=[max_length(120)], filters=[one_line],
        description=_l("The residents' committee or street office your group is filed with (备案)."))
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(REQUIRED), max_length(80)],
                               filters=[one_line])
    contact_phone = StringField(_l("Contact phone"), validators=[DataRequired(REQUIRED), max_length(30), _phone],
                                filters=[one_line], render_kw={"autocomplete": "tel", "inputmode": "tel"})
    contact_email = email_field(_l("Contact e-mail"), validators=[DataRequired(REQUIRED)])
    description = TextAreaField(_l("About the group"), validators=[max_length(2000)], filters=[strip],
                                render_kw={"rows": 5})
    former_names = TextAreaField(
        _l("Former names"), validators=[max_length(1000)], filters=[strip],
        description=_l("One per line. A new name is added here by itself when you rename the group."),
        render_kw={"rows": 2})
    other_names = TextAreaField(
        _l("Other names"), validators=[max_length(1000)], filters=[strip],
        description=_l("Short forms, the English name, what people call you: one per line."),
        render_kw={"rows": 2})

    def process(self, formdata: Any = None, obj: Any = None, data: Any = None, **kwargs: Any) -> None:
        super().process(formdata, obj, data, **kwargs)
        if formdata is None and obj is not None:  # lists in the model, lines in the form
            self.former_names.data = "\n".join(getattr(obj, "former_names", None) or [])
            self.other_names.data = "\n".join(getattr(obj, "other_names", None) or [])

    def validate_credit_code(self, field: Any) -> None:
        if self.kind.data != GroupKind.REGISTERED.value:
            return
        if not field.data:
            raise ValidationError(_l("A registered organisation needs its credit code."))
        if not creditcode.is_valid(field.data):
            raise ValidationError(_l("This is not a valid unified social credit code. Check each "
                                     "character against the certificate."))

    def validate_registration_type(self, field: Any) -> None:
        if self.kind.data != GroupKind.REGISTERED.value:
            return
        if field.data not in {t.value for t in REGISTRATION_TYPE_LABELS}:
            raise ValidationError(_l("Choose the registration type."))

    def validate_filed_with(self, field: Any) -> None:
        if self.kind.data == GroupKind.GRASSROOTS.value and not field.data:
            raise ValidationError(_l("Name the community your group is filed with."))

    def profile(self) -> GroupProfile:
        from venture.groups.models import RegistrationType

        kind = GroupKind(self.kind.data)
        registered = kind is GroupKind.REGISTERED
        return GroupProfile(
            kind=kind, name=self.name.data, contact_name=self.contact_name.data,
            contact_phone=self.contact_phone.data, contact_email=self.contact_email.data,
            description=self.description.data or "",
            credit_code=self.credit_code.data if registered else None,
            registration_type=RegistrationType(self.registration_type.data)
            if registered and self.registration_type.data else None,
            founded_year=self.founded_year.data, address=self.address.data or None,
            filed_with=None if registered else self.filed_with.data,
            former_names=_lines(self.former_names.data), other_names=_lines(self.other_names.data),
        )


def _lines(text: str | None) -> list[str]:
    return list(dict.fromkeys(" ".join(line.split()) for line in (text or "").splitlines() if line.strip()))


class InviteForm(FlaskForm):
    email = email_field(_l("E-mail address to invite"), validators=[DataRequired(REQUIRED)])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=choices([("member", _l("Member")), ("owner", _l("Owner"))]))
