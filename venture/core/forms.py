"""Form pieces every domain uses."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, StopValidation, ValidationError

from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow

# Control characters other than tab and line breaks: nobody types them, PostgreSQL refuses NUL in text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Plain:
    """Filter: drop control characters from text input (tabs and line breaks stay)."""

    def __call__(self, value: Any) -> Any:
        return _CONTROL.sub("", value) if isinstance(value, str) else value


class Stripped:
    """Filter: drop control characters and trim surrounding white space from text input."""

    def __call__(self, value: Any) -> Any:
        return _CONTROL.sub("", value).strip() if isinstance(value, str) else value


plain = Plain()
strip = Stripped()


def email_field(label: Any, **kwargs: Any) -> StringField:
    return StringField(
        label,
        validators=[*kwargs.pop("validators", []),
                    Length(max=254, message=_l("At most %(max)d characters.")),
                    Email(message=_l("Enter an e-mail address like name@example.org."),
                          check_deliverability=False)],
        filters=[strip],
        render_kw={"autocomplete": "email", "inputmode": "email", "spellcheck": "false",
                   **kwargs.pop("render_kw", {})},
        **kwargs,
    )


def max_length(limit: int) -> Length:
    return Length(max=limit, message=_l("At most %(max)d characters."))


def finite(message: Any = None) -> Any:
    """Validator for a DecimalField, before its range: refuse NaN and the infinities
    ("sNaN" would even make the range check raise)."""

    def check(_form: Any, field: Any) -> None:
        if isinstance(field.data, Decimal) and not field.data.is_finite():
            raise StopValidation(message or _l("Enter a number."))

    return check


def year_not_in_future(_form: Any, field: Any) -> None:
    if field.data is not None and field.data > utcnow().year:
        raise ValidationError(_l("The year cannot be in the future."))


def choices(pairs: Any) -> list[SelectChoice]:
    """Options for a select or radio field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
