from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import ValidationError

from venture.core.forms import choices, max_length, strip
from venture.core.l10n import lazy_gettext as _l
from venture.screening.services import CATEGORIES, INELIGIBLE_CATEGORIES, MAX_REASON, MIN_REASON

DECISIONS = ("eligible", "ineligible")


class ScreeningForm(FlaskForm):
    decision = RadioField(_l("Decision"), validate_choice=False,
                          choices=choices([("eligible", _l("Eligible: goes to review")),
                                           ("ineligible", _l("Not eligible"))]))
    category = SelectField(_l("If not eligible: why"), validate_choice=False,
                           choices=[("", _l("Choose…")), *((key, CATEGORIES[key]) for key in INELIGIBLE_CATEGORIES)],
                           description=_l("Published with the result, from the public notice on; the written "
                                          "reason is not."))
    reason = TextAreaField(_l("Reason"), validators=[max_length(MAX_REASON)], filters=[strip],
                           render_kw={"rows": 3},
                           description=_l("Which published condition is met or not. The group reads it."))

    def validate_decision(self, field: Any) -> None:
        if field.data not in DECISIONS:
            raise ValidationError(_l("Choose eligible or not eligible."))

    def validate_category(self, field: Any) -> None:
        if self.decision.data == "ineligible" and field.data not in INELIGIBLE_CATEGORIES:
            raise ValidationError(_l("Choose why it is not eligible; the category is published with the result."))

    def validate_reason(self, field: Any) -> None:
        if len(field.data or "") < MIN_REASON:
            raise ValidationError(_l("Write the reason for this decision (at least %(n)d characters); the "
                                     "group will read it.", n=MIN_REASON))
