"""The forms of funded projects: the only validation of what people type.
Amounts are typed in yuan and handed to the services in fen."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from venture.core.forms import choices, finite, max_length, one_line, plain, strip
from venture.core.l10n import gettext as _
from venture.core.l10n import lazy_gettext as _l
from venture.core.money import fen_to_yuan, yuan_to_fen
from venture.projects.models import FilePurpose, MilestoneKind, TrancheCondition
from venture.projects.rules import (
    REPORT_SECTIONS,
    DimensionSpec,
    PlanSpec,
    ReportSpec,
    TrancheSpec,
)

REQUIRED = _l("This field is required.")
TRANCHE_ROWS = 5
DIMENSION_ROWS = 8
MAX_YUAN = Decimal("100000000")
AMOUNT_MESSAGE = _l("Enter an amount from 0 to 100,000,000 yuan.")


def _yuan(label: Any, required: bool = False, **kwargs: Any) -> DecimalField:
    return DecimalField(label, places=2, validators=[
        InputRequired(REQUIRED) if required else Optional(), finite(AMOUNT_MESSAGE),
        NumberRange(min=0, max=MAX_YUAN, message=AMOUNT_MESSAGE)], render_kw={"inputmode": "decimal"}, **kwargs)


def _date(label: Any, required: bool = True, **kwargs: Any) -> DateField:
    return DateField(label, format="%Y-%m-%d",
                     validators=[InputRequired(_l("Enter a date.")) if required else Optional()], **kwargs)


def _reason(label: Any, limit: int = 2000, **kwargs: Any) -> TextAreaField:
    return TextAreaField(label, validators=[max_length(limit)], filters=[strip], render_kw={"rows": 3}, **kwargs)


# The call's plan -----------------------------------------------------------------------------

CONDITION_CHOICES = [
    (TrancheCondition.AGREEMENT_SIGNED.value, _l("When the agreement is signed")),
    (TrancheCondition.MIDTERM_PASSED.value, _l("When the mid-term evaluation is passed")),
    (TrancheCondition.FINAL_PASSED.value, _l("When the final evaluation is passed")),
    ("report:midterm", _l("When the mid-term report is accepted")),
    ("report:final", _l("When the final report is accepted")),
]


class TrancheRow(Form):
    label = StringField(_l("Tranche"), validators=[max_length(60)], filters=[one_line])
    condition = SelectField(_l("Paid"), choices=choices(CONDITION_CHOICES), validate_choice=False)
    percent = DecimalField(_l("Share (%)"), places=None,
                           validators=[Optional(), finite(), NumberRange(min=0, max=100,
                                                                         message=_l("Enter a share from 0 to 100."))],
                           render_kw={"inputmode": "decimal"})
    amount = _yuan(_l("or a fixed amount (yuan)"))

    def is_blank(self) -> bool:
        return not (self.label.data or self.percent.data or self.amount.data)


class DimensionRow(Form):
    name = StringField(_l("Dimension"), validators=[max_length(80)], filters=[one_line])
    weight = IntegerField(_l("Points"), validators=[Optional(), NumberRange(min=1, max=100)],
                          render_kw={"inputmode": "numeric"})

    def is_blank(self) -> bool:
        return not (self.name.data or self.weight.data)


class PlanForm(FlaskForm):
    project_months = IntegerField(_l("Project period (months)"), validators=[
        InputRequired(REQUIRED), NumberRange(min=1, max=60, message=_l("A project lasts from 1 to 60 months."))],
        render_kw={"inputmode": "numeric"},
        description=_l("From the start date in the agreement. The final report is due at the end."))
    midterm_month = IntegerField(_l("Mid-term report due after (months)"), validators=[
        Optional(), NumberRange(min=1, max=59)], render_kw={"inputmode": "numeric"},
        description=_l("Leave empty for no mid-term report and no mid-term evaluation."))
    progress_months = StringField(_l("Other progress reports after (months)"), validators=[max_length(60)],
                                  filters=[one_line], description=_l("Optional, separated by commas, e.g. 2, 4."))
    tranches = FieldList(FormField(TrancheRow), min_entries=TRANCHE_ROWS, max_entries=10)
    dimensions = FieldList(FormField(DimensionRow), min_entries=DIMENSION_ROWS, max_entries=12)
    satisfaction_weight = IntegerField(_l("Beneficiaries' satisfaction (points)"), default=10, validators=[
        InputRequired(REQUIRED), NumberRange(min=0, max=100)], render_kw={"inputmode": "numeric"},
        description=_l("The share of people served who are satisfied (0–100%) times these points."))
    budget_change_percent = DecimalField(
        _l("Budget changes need approval beyond (%)"), places=2, default=Decimal(10),
        validators=[InputRequired(REQUIRED), finite(), NumberRange(min=0, max=100,
                                                                   message=_l("Enter a share from 0 to 100."))],
        render_kw={"inputmode": "decimal"},
        description=_l("Moving money between budget lines is in force at once while no line moves further than "
                       "this share of its approved amount; beyond it, the organizers decide."))

    def validate_progress_months(self, field: Any) -> None:
        try:
            self.progress_list()
        except ValueError:
            raise ValidationError(_l("Months are whole numbers separated by commas.")) from None

    def progress_list(self) -> list[int]:
        text = (self.progress_months.data or "").replace("，", ",").replace("、", ",")
        return sorted({int(part) for part in text.split(",") if part.strip()})

    def fill_from(self, spec: PlanSpec) -> None:
        self.project_months.data = spec.project_months
        midterm = next((r for r in spec.reports if r.kind is MilestoneKind.MIDTERM), None)
        self.midterm_month.data = midterm.month if midterm else None
        self.progress_months.data = ", ".join(str(r.month) for r in spec.reports if r.kind is MilestoneKind.PROGRESS)
        for entry, tranche in zip(self.tranches.entries, spec.tranches, strict=False):
            entry.form.label.data = tranche.label
            entry.form.condition.data = (f"report:{tranche.milestone}" if tranche.milestone
                                         else tranche.condition.value)
            entry.form.percent.data = tranche.percent
            entry.form.amount.data = fen_to_yuan(tranche.amount_fen) if tranche.amount_fen is not None else None
        for entry, dimension in zip(self.dimensions.entries, spec.dimensions, strict=False):
            entry.form.name.data = dimension.name
            entry.form.weight.data = dimension.weight
        self.satisfaction_weight.data = spec.satisfaction_weight
        self.budget_change_percent.data = spec.budget_change_percent

    def spec(self) -> PlanSpec:
        months = int(self.project_months.data)
        reports = [ReportSpec(f"p{month}", _("Progress report %(n)d", n=index), month, MilestoneKind.PROGRESS)
                   for index, month in enumerate(self.progress_list(), start=1)]
        if self.midterm_month.data:
            reports.append(ReportSpec("midterm", _("Mid-term report"), int(self.midterm_month.data),
                                      MilestoneKind.MIDTERM))
        reports.append(ReportSpec("final", _("Final report"), months, MilestoneKind.FINAL))
        reports.sort(key=lambda r: (r.month, r.kind is MilestoneKind.FINAL))
        tranches = []
        for entry in self.tranches.entries:
            row = entry.form
            if row.is_blank():
                continue
            condition, milestone = row.condition.data or "", None
            if condition.startswith("report:"):
                condition, milestone = TrancheCondition.REPORT_ACCEPTED.value, condition.split(":", 1)[1]
            if condition not in {c.value for c in TrancheCondition}:
                condition = TrancheCondition.AGREEMENT_SIGNED.value
            tranches.append(TrancheSpec(
                label=row.label.data or _("Tranche %(n)d", n=len(tranches) + 1), condition=TrancheCondition(condition),
                percent=Decimal(row.percent.data) if row.percent.data is not None else None,
                amount_fen=yuan_to_fen(row.amount.data) if row.amount.data is not None else None,
                milestone=milestone))
        dimensions = []
        for index, entry in enumerate(self.dimensions.entries, start=1):
            row = entry.form
            if row.is_blank():
                continue
            dimensions.append(DimensionSpec(f"d{index}", row.name.data or _("Dimension %(n)d", n=index),
                                            int(row.weight.data or 0)))
        return PlanSpec(project_months=months, reports=reports, tranches=tranches, dimensions=dimensions,
                        satisfaction_weight=int(self.satisfaction_weight.data),
                        budget_change_percent=Decimal(self.budget_change_percent.data))


def keep_default_keys(spec: PlanSpec, previous: PlanSpec) -> PlanSpec:
    """Dimensions keep the keys they had (basis, governance, …) where their position is unchanged,
    so a saved plan reads the same as the defaults it came from."""
    for index, dimension in enumerate(spec.dimensions):
        if index < len(previous.dimensions) and dimension.key == f"d{index + 1}":
            dimension.key = previous.dimensions[index].key
    return spec


# Agreement -------------------------------------------------------------------------------------

class IssueAgreementForm(FlaskForm):
    starts_on = _date(_l("The project starts on"),
                      description=_l("The reports fall due from this date, as the call's plan says."))
    terms = TextAreaField(_l("Further terms (optional)"), validators=[max_length(20_000)], filters=[plain],
                          render_kw={"rows": 5},
                          description=_l("Anything both sides agree to beyond the call's rules: contacts, venues, "
                                         "reporting formats."))


class AcceptAgreementForm(FlaskForm):
    confirm = BooleanField(_l("I have read the agreement and accept it for the group"),
                           validators=[DataRequired(_l("Tick the box to accept the agreement."))])


# Reports -------------------------------------------------------------------------------------

def report_form(lines: int) -> type[FlaskForm]:
    """The report form with one spending field per budget line."""

    class ReportForm(FlaskForm):
        lock_version = HiddenField()
        activities = TextAreaField(_l("Activities held"), validators=[max_length(20_000)], filters=[plain],
                                   render_kw={"rows": 8},
                                   description=_l("What the project did since the last report: activities, dates, "
                                                  "places. Shown in public once the report is accepted."))
        activities_held = IntegerField(_l("Number of activities or sessions held"),
                                       validators=[Optional(), NumberRange(min=0, max=100_000)],
                                       render_kw={"inputmode": "numeric"})
        beneficiaries_served = IntegerField(_l("People served so far"),
                                            validators=[Optional(), NumberRange(min=0, max=10_000_000)],
                                            render_kw={"inputmode": "numeric"})
        team = TextAreaField(_l("Staff and volunteers"), validators=[max_length(5_000)], filters=[plain],
                             render_kw={"rows": 3},
                             description=_l("Who carried out the work: roles and numbers, no private details. "
                                            "Shown in public once the report is accepted."))
        spending = FieldList(_yuan(_l("Spent to date (yuan)")), min_entries=lines, max_entries=lines)
        private_note = TextAreaField(_l("Note to the organizers (not public)"), validators=[max_length(5_000)],
                                     filters=[plain], render_kw={"rows": 3})
        action = HiddenField(default="save")

    return ReportForm


def spending_of(form: Any) -> dict[int, int]:
    return {index: yuan_to_fen(entry.data) for index, entry in enumerate(form.spending.entries)
            if entry.data is not None}


PURPOSE_CHOICES = [(FilePurpose.PHOTO.value, _l("A photo of an activity")),
                   (FilePurpose.DOCUMENT.value, _l("A document (sign-in sheet, plan, minutes)")),
                   (FilePurpose.RECEIPT.value, _l("A receipt for a budget line"))]


class ReportFileForm(FlaskForm):
    purpose = SelectField(_l("What the file is"), choices=choices(PURPOSE_CHOICES), default=FilePurpose.PHOTO.value)
    budget_line = SelectField(_l("Budget line (for a receipt)"), coerce=int, validate_choice=False,
                              validators=[Optional()])
    file = FileField(_l("File"), description=_l("PDF, JPEG, PNG, Word or Excel. The author, camera and place "
                                                "details are removed before the file is kept."))
    public = BooleanField(_l("May be shown in public once the report is accepted (not for receipts)"))


class ReviewReportForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=choices([("accept", _l("Accept the report")),
                                                           ("changes", _l("Ask for changes"))]),
                          validators=[DataRequired(_l("Choose accept or ask for changes."))])
    flagged = SelectMultipleField(_l("Sections to change"), choices=choices(REPORT_SECTIONS),
                                  widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                  validate_choice=False)
    note = _reason(_l("What should change, or a note with the acceptance"))


# Budget changes --------------------------------------------------------------------------------

class BudgetChangeForm(FlaskForm):
    from_line = SelectField(_l("Move money from"), coerce=int, validate_choice=False)
    to_line = SelectField(_l("to"), coerce=int, validate_choice=False)
    amount = _yuan(_l("Amount (yuan)"), required=True)
    reason = _reason(_l("Why"))


class DecideBudgetChangeForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=choices([("approve", _l("Approve")), ("refuse", _l("Refuse"))]),
                          validators=[DataRequired(_l("Choose approve or refuse."))])
    note = _reason(_l("Note to the group (required when refusing)"))


# Tranches -----------------------------------------------------------------------------------

TRANCHE_ACTIONS = {"release": "released", "pay": "paid", "withhold": "withheld", "resume": "planned", "cut": "cut"}


class TrancheForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    paid_on = _date(_l("Paid on"), required=False)
    paid_amount = _yuan(_l("Amount paid (yuan)"),
                        description=_l("At most the tranche's planned amount; leave empty to pay it in full."))
    reference = StringField(_l("Payment reference"), validators=[max_length(80)], filters=[one_line],
                            description=_l("The bank transfer or voucher number."))
    reason = _reason(_l("Reason (the group reads it)"))

    def validate_action(self, field: Any) -> None:
        if field.data not in TRANCHE_ACTIONS:
            raise ValidationError(_l("Choose what to do with the tranche."))


# Evaluations --------------------------------------------------------------------------------

class OpenEvaluationForm(FlaskForm):
    stage = HiddenField(validators=[DataRequired()])
    due_on = _date(_l("Scores due by (optional)"), required=False)


class InviteEvaluatorForm(FlaskForm):
    expert = SelectField(_l("Expert from the pool"), coerce=int, validate_choice=False)
    organisation = StringField(_l("Evaluation body (optional)"), validators=[max_length(120)], filters=[one_line],
                               description=_l("E.g. the third-party evaluation body the expert works for."))


class RespondForm(FlaskForm):
    answer = HiddenField(validators=[DataRequired()])


class DeclareForm(FlaskForm):
    tie = RadioField(_l("Do you have a tie with this group?"), choices=choices([
        ("no", _l("No: I do not work for it, advise it, belong to it or have any other tie to it")),
        ("yes", _l("Yes: I have a tie (I will not score)"))]),
        validators=[DataRequired(_l("Answer yes or no."))])
    reason = _reason(_l("The tie (if yes)"), limit=500)


def sheet_form(dimensions: list[dict[str, Any]]) -> type[FlaskForm]:
    """One points field and one reason per dimension of the rubric."""

    attrs: dict[str, Any] = {"action": HiddenField(default="save")}
    for dimension in dimensions:
        attrs[f"score_{dimension['key']}"] = StringField(
            dimension["name"], validators=[max_length(8)], filters=[one_line], render_kw={"inputmode": "decimal"},
            description=_l("0 to %(max)d points", max=int(dimension["weight"])))
        attrs[f"reason_{dimension['key']}"] = TextAreaField(
            _l("Reason"), validators=[max_length(2000)], filters=[strip], render_kw={"rows": 3})
    return type("SheetForm", (FlaskForm,), attrs)


class SatisfactionForm(FlaskForm):
    value = DecimalField(_l("Share of the people served who are satisfied (%)"), places=2,
                         validators=[InputRequired(REQUIRED), finite(),
                                     NumberRange(min=0, max=100, message=_l("Enter a share from 0 to 100."))],
                         render_kw={"inputmode": "decimal"})
    note = _reason(_l("How it was measured"),
                   description=_l("E.g. a paper survey on 12 May: 48 of 52 people satisfied or very satisfied."))


class FinaliseForm(FlaskForm):
    confirm_incomplete = BooleanField(_l("Finalise without the sheets still missing"))


class EvaluatorConflictForm(FlaskForm):
    evaluator = HiddenField(validators=[DataRequired()])
    reason = _reason(_l("The tie"), limit=500)


class LiftBarForm(FlaskForm):
    reason = _reason(_l("Why the bar is lifted (kept and audited)"))
