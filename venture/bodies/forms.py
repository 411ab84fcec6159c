from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from venture.bodies.models import BODY_KIND_LABELS
from venture.core.forms import choices, email_field, max_length, one_line, strip
from venture.core.l10n import lazy_gettext as _l

REQUIRED = _l("This field is required.")


class BodyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), max_length(120)], filters=[one_line])
    kind = SelectField(_l("Kind of body"), choices=choices((k.value, label) for k, label in BODY_KIND_LABELS.items()))
    region = StringField(_l("Region or district"), validators=[max_length(120)], filters=[one_line])
    contact_email = email_field(_l("Public contact e-mail"), validators=[Optional()])
    description = TextAreaField(_l("About the body"), validators=[max_length(5000)], filters=[strip],
                                render_kw={"rows": 5})


class InviteOrganizerForm(FlaskForm):
    email = email_field(_l("E-mail address of the organizer"), validators=[DataRequired(REQUIRED)])
