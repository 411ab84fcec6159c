from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import ValidationError

from venture.core.forms import choices, max_length, strip
from venture.core.l10n import lazy_gettext as _l
from venture.screening.services import MAX_REASON, MIN_REASON

DECISIONS = ("eligible", "ineligible")


class ScreeningForm(FlaskForm):
    decision = RadioField(_l("Decision"), validate_choice=False,
                          choices=choices([("eligible", _l("Eligible: goes to review")),
                                           ("ineligible", _l("Not eligible"))]))
    reason = TextAreaField(_l("Reason"), validators=[max_length(MAX_REASON)], filters=[strip],
                           render_kw={"rows": 3},
                           description=_l("Which published condition is met or not. The group reads it."))

    def validate_decision(self, field: Any) -> None:
        if field.data not in DECISIONS:
            raise ValidationError(_l("Choose eligible or not eligible."))

    def validate_reason(self, field: Any) -> None:
        if len(field.data or "") < MIN_REASON:
            raise ValidationError(_l("Write the reason for this decision (at least %(n)d characters); the "
                                     "group will read it.", n=MIN_REASON))
