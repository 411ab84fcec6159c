"""Form pieces every domain uses."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, StopValidation, ValidationError

from venture.core import text
from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow


class Plain:
    """Filter for prose: drop control and invisible characters, make every line
    break a plain newline (tabs and line breaks stay)."""

    def __call__(self, value: Any) -> Any:
        return text.prose(value) if isinstance(value, str) else value


class Stripped:
    """Filter for prose, then trim surrounding white space."""

    def __call__(self, value: Any) -> Any:
        return text.prose(value).strip() if isinstance(value, str) else value


class OneLine:
    """Filter for every single-line field (names, titles, phone numbers): no
    line breaks, no control or invisible characters, trimmed. Such a value
    may end up in an e-mail subject or a file name."""

    def __call__(self, value: Any) -> Any:
        return text.one_line(value) if isinstance(value, str) else value


plain = Plain()
strip = Stripped()
one_line = OneLine()


def email_field(label: Any, **kwargs: Any) -> StringField:
    return StringField(
        label,
        validators=[*kwargs.pop("validators", []),
                    Length(max=254, message=_l("At most %(max)d characters.")),
                    Email(message=_l("Enter an e-mail address like name@example.org."),
                          check_deliverability=False)],
        filters=[one_line],
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


EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def moment_in_range(_form: Any, field: Any) -> None:
    """Validator for a date and time field: between EARLIEST_YEAR and LATEST_YEAR.
    Dates near the ends of the calendar (0001-01-01, 9999-12-31) overflow when
    moved between time zones, and no call or deadline lies there."""
    if field.data is not None and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise StopValidation(_l("Enter a date between the years %(first)d and %(last)d.",
                                first=EARLIEST_YEAR, last=LATEST_YEAR))


def year_not_in_future(_form: Any, field: Any) -> None:
    if field.data is not None and field.data > utcnow().year:
        raise ValidationError(_l("The year cannot be in the future."))


def choices(pairs: Any) -> list[SelectChoice]:
    """Options for a select or radio field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
