from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional, ValidationError

from venture.calls.models import Call
from venture.core import numbers
from venture.core.forms import choices, finite, max_length, one_line, plain, strip
from venture.core.l10n import lazy_gettext as _l
from venture.core.money import fen_to_yuan, yuan_to_fen
from venture.proposals.models import Proposal, line_subtotal_fen
from venture.proposals.services import MAX_BUDGET_LINES, MAX_SECTION_CHARS, BudgetLine, DraftContent

BLANK_BUDGET_ROWS = 3
MAX_UNIT_COST = Decimal("100000000")
MAX_QUANTITY = Decimal("1000000")
# The requested amount is stored as a 32-bit integer of fen (about 21 million yuan).
MAX_BUDGET_TOTAL_FEN = 2**31 - 1


class BudgetLineForm(Form):
    item = StringField(_l("Item"), validators=[max_length(200)], filters=[one_line])
    unit_cost = DecimalField(_l("Unit cost (yuan)"), places=2,
                             validators=[Optional(), finite(_l("Enter an amount from 0 to 100,000,000.")),
                                         NumberRange(min=0, max=MAX_UNIT_COST,
                                                     message=_l("Enter an amount from 0 to 100,000,000."))],
                             render_kw={"inputmode": "decimal", "class": "unit-cost"})
    quantity = DecimalField(_l("Quantity"), places=None,
                            validators=[Optional(), finite(_l("Enter a quantity from 0 to 1,000,000.")),
                                        NumberRange(min=0, max=MAX_QUANTITY,
                                                    message=_l("Enter a quantity from 0 to 1,000,000."))],
                            render_kw={"inputmode": "decimal", "class": "quantity"})

    def is_blank(self) -> bool:
        return not (self.item.data or self.unit_cost.data or self.quantity.data)

    def subtotal_fen(self) -> int | None:
        """The line's subtotal as it would be saved, or None while either number is missing or
        out of range (so a page showing what was typed never computes with "NaN" or "1e309")."""
        cost, quantity = self.unit_cost.data, self.quantity.data
        if not isinstance(cost, Decimal) or not isinstance(quantity, Decimal):
            return None
        if not (cost.is_finite() and quantity.is_finite() and 0 < cost <= MAX_UNIT_COST
                and 0 < quantity <= MAX_QUANTITY):
            return None
        return line_subtotal_fen(yuan_to_fen(cost), quantity)


class ProposalForm(FlaskForm):
    lock_version = HiddenField()
    title = StringField(_l("Title of the project"), validators=[max_length(200)], filters=[one_line])
    summary = TextAreaField(_l("Summary"), validators=[max_length(1000)], filters=[strip], render_kw={"rows": 3},
                            description=_l("Two or three sentences: what the project does and for whom."))
    district = SelectField(_l("District"), validate_choice=False)
    theme = SelectField(_l("Theme"), validate_choice=False)
    beneficiaries = IntegerField(_l("Number of beneficiaries"),
                                 validators=[Optional(), NumberRange(min=0, max=10_000_000,
                                                                     message=_l("Enter a whole number from 0."))],
                                 render_kw={"inputmode": "numeric"})
    budget = FieldList(FormField(BudgetLineForm), min_entries=1, max_entries=MAX_BUDGET_LINES + BLANK_BUDGET_ROWS)
    file_other = FileField(_l("Other attachment (optional)"))

    def validate_district(self, field: Any) -> None:
        _listed(field, _l("Choose the district where the project takes place."))

    def validate_theme(self, field: Any) -> None:
        _listed(field, _l("Choose the theme of the project."))

    def validate_budget(self, field: Any) -> None:
        lines = [entry.form for entry in field.entries if not entry.form.is_blank()]
        if any(line.unit_cost.errors or line.quantity.errors for line in lines):
            return
        if sum(line.subtotal_fen() or 0 for line in lines) > MAX_BUDGET_TOTAL_FEN:
            from venture.core.formatting import format_money

            raise ValidationError(_l("The budget adds up to more than %(max)s. Check the unit costs and quantities.",
                                     max=format_money(MAX_BUDGET_TOTAL_FEN)))

    def content(self) -> DraftContent:
        lines = [BudgetLine(e.form.item.data or "", yuan_to_fen(e.form.unit_cost.data or 0),
                            Decimal(e.form.quantity.data or 0))
                 for e in self.budget.entries if not e.form.is_blank()]
        return DraftContent(
            title=self.title.data or "", summary=self.summary.data or "",
            sections={key: (field.data or "") for key, field in self.section_fields()},
            budget=lines, beneficiaries=self.beneficiaries.data,
            district=self.district.data or "", theme=self.theme.data or "")

    def section_fields(self) -> list[tuple[str, Any]]:
        return [(name[len("section_"):], field) for name, field in self._fields.items()
                if name.startswith("section_")]

    def file_fields(self) -> list[tuple[str, Any]]:
        """(slot, field) pairs: the call's required attachments, then "other"."""
        slots = [(name[len("file_"):], field) for name, field in self._fields.items()
                 if name.startswith("file_")]
        return sorted(slots, key=lambda pair: pair[0] == "other")


def _listed(field: Any, message: Any) -> None:
    """Nothing, or one of the call's options: the select offers no other value."""
    if field.data and field.data not in {choice.value for choice in field.choices or []}:
        raise ValidationError(message)


def editor_form(call: Call, proposal: Proposal | None = None, formdata: Any = None, **kwargs: Any) -> ProposalForm:
    """The editor for one call: a text area per required section and a file
    field per required attachment."""

    class CallProposalForm(ProposalForm):
        pass

    for section in call.sections:
        setattr(CallProposalForm, f"section_{section['key']}",
                TextAreaField(section["title"], validators=[max_length(MAX_SECTION_CHARS)], filters=[plain],
                              render_kw={"rows": 8}))
    for attachment in call.required_attachments:
        setattr(CallProposalForm, f"file_{attachment['key']}", FileField(attachment["title"]))
    if formdata is not None:
        form = CallProposalForm(formdata=formdata, **kwargs)
    else:
        form = CallProposalForm(**kwargs)
    form.district.choices = choices([("", _l("Choose…"))] + [(d, d) for d in call.districts])
    form.theme.choices = choices([("", _l("Choose…"))] + [(t, t) for t in call.themes])
    if proposal is not None and formdata is None and not form.is_submitted():
        fill_from(form, proposal)
    wanted = len([e for e in form.budget.entries if not e.form.is_blank()]) + BLANK_BUDGET_ROWS
    while len(form.budget.entries) < min(wanted, form.budget.max_entries or wanted):
        form.budget.append_entry()
    return form


def fill_from(form: ProposalForm, proposal: Proposal) -> None:
    form.lock_version.data = str(proposal.lock_version)
    form.title.data = proposal.title
    form.summary.data = proposal.summary
    form.district.data = proposal.district
    form.theme.data = proposal.theme
    form.beneficiaries.data = proposal.beneficiaries
    for key, field in form.section_fields():
        field.data = proposal.sections.get(key, "")
    while form.budget.entries:
        form.budget.pop_entry()
    for line in proposal.budget:
        entry = form.budget.append_entry()
        entry.form.item.data = line["item"]
        entry.form.unit_cost.data = fen_to_yuan(int(line["unit_cost_fen"]))
        entry.form.quantity.data = Decimal(numbers.plain(line["quantity"]))  # "1E+1" stored by older versions shows as 10


class SubmitForm(FlaskForm):
    confirm_warnings = BooleanField(_l("I have checked the warnings above and my proposal does not "
                                       "reveal who we are."))
