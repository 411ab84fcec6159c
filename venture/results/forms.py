from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from venture.core.forms import finite, max_length, strip
from venture.core.l10n import lazy_gettext as _l

REQUIRED = _l("This field is required.")


class ComponentForm(FlaskForm):
    value = DecimalField(_l("Component score (0 to 100)"), places=2,
                         validators=[InputRequired(REQUIRED), finite(_l("Enter a number from 0 to 100.")),
                                     NumberRange(min=0, max=100, message=_l("Enter a number from 0 to 100."))],
                         render_kw={"inputmode": "decimal"})
    note = StringField(_l("Where the score comes from"), validators=[max_length(300)], filters=[strip])


class AdjustForm(FlaskForm):
    amount = DecimalField(_l("Amount (yuan)"), places=2,
                          validators=[Optional(), finite(_l("Enter an amount above zero.")),
                                      NumberRange(min=Decimal("0.01"), max=Decimal("1000000000"),
                                                  message=_l("Enter an amount above zero."))],
                          render_kw={"inputmode": "decimal"},
                          description=_l("At most the amount requested."))
    set_aside = BooleanField(_l("Set the proposal aside instead (it is not funded)"))
    reason = TextAreaField(_l("Reason (published with the result)"), validators=[max_length(2000)],
                           filters=[strip], render_kw={"rows": 2})
    objection = StringField(_l("Upheld objection acted on"))


class ClearForm(FlaskForm):
    objection = StringField(_l("Upheld objection acted on"))


class OpenNoticeForm(FlaskForm):
    confirm_incomplete = BooleanField(_l("Open the notice although reviews are missing"))


class FinaliseForm(FlaskForm):
    """The reasons, one per changed line, come as ``reason-<proposal id>``."""
