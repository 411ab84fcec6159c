"""Form pieces every domain uses."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, ValidationError

from venture.core.timeutil import utcnow


class Stripped:
    """Filter: trim surrounding white space from text input."""

    def __call__(self, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value


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


def year_not_in_future(_form: Any, field: Any) -> None:
    if field.data is not None and field.data > utcnow().year:
        raise ValidationError(_l("The year cannot be in the future."))


def choices(pairs: Any) -> list[SelectChoice]:
    """Options for a select or radio field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
