"""The search form: the words, and filters checked against known values."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from venture.calls.models import CALL_KIND_LABELS
from venture.core.forms import strip
from venture.core.l10n import lazy_gettext as _l
from venture.search.services import KIND_LABELS, MAX_PAGE, FilterChoices

FILTERS = ("type", "call", "kind", "theme", "district")
UNKNOWN = _l("This choice is not available; it was left out of the search.")


class SearchForm(FlaskForm):
    """Read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search calls, proposals and comments"), filters=[strip],
                    render_kw={"type": "search", "autocomplete": "off", "enterkeyhint": "search"})
    type = SelectField(_l("Show"), choices=[], default="")
    call = SelectField(_l("Call"), choices=[], default="")
    kind = SelectField(_l("Kind of call"), choices=[], default="")
    theme = SelectField(_l("Theme"), choices=[], default="")
    district = SelectField(_l("District"), choices=[], default="")
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)])

    def set_choices(self, known: FilterChoices) -> None:
        self.type.choices = [("", _l("Everything"))] + [(k, KIND_LABELS[k]) for k in ("call", "proposal", "comment")]
        self.call.choices = [("", _l("All calls"))] + known.calls
        self.kind.choices = [("", _l("All kinds"))] + [(k.value, label) for k, label in CALL_KIND_LABELS.items()]
        self.theme.choices = [("", _l("All themes"))] + [(t, t) for t in known.themes]
        self.district.choices = [("", _l("All districts"))] + [(d, d) for d in known.districts]

    def check(self) -> None:
        """Validate; a value that is not one of the choices is dropped with a
        note next to its field instead of refusing the whole search."""
        self.validate()
        for name in FILTERS:
            if self[name].errors:
                self[name].errors = [UNKNOWN]
                self[name].data = ""

    def filters(self) -> dict[str, str]:
        return {name: self[name].data for name in FILTERS if self[name].data and not self[name].errors}

    def page_number(self) -> int:
        return self.page.data if self.page.data and not self.page.errors else 1

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this search, with some values changed (for
        pagination and facet links)."""
        values: dict[str, Any] = {"q": self.q.data or None}
        values.update({name: self[name].data or None for name in FILTERS})
        values.update(changes)
        return {key: value for key, value in values.items() if value}
