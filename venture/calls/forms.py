from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from venture.accounts.forms import COMMON_TIMEZONES
from venture.calls.models import CALL_KIND_LABELS, DEFAULT_SECTIONS, Call, CallKind
from venture.calls.services import CallRules, CriterionSpec
from venture.core.forms import choices, finite, max_length, moment_in_range, one_line, plain, strip
from venture.core.l10n import lazy_gettext as _l
from venture.core.money import fen_to_yuan, yuan_to_fen
from venture.core.timeutil import local_to_utc, utc_to_local

REQUIRED = _l("This field is required.")
RUBRIC_ROWS = 8


def _lines(text: str | None, commas: bool = True, limit: int = 60) -> list[str]:
    """Distinct non-empty lines (and, for short lists, comma-separated items)."""
    text = text or ""
    if commas:
        text = text.replace("，", "\n").replace(",", "\n").replace("、", "\n")
    seen: list[str] = []
    for raw in text.splitlines():
        item = raw.strip()[:limit]
        if item and item not in seen:
            seen.append(item)
    return seen


def _money(label: Any, **kwargs: Any) -> DecimalField:
    return DecimalField(label, places=2, validators=[InputRequired(REQUIRED),
                        finite(_l("Enter an amount from 0 to 1,000,000,000 yuan.")),
                        NumberRange(min=0, max=Decimal("1000000000"),
                                    message=_l("Enter an amount from 0 to 1,000,000,000 yuan."))],
                        render_kw={"inputmode": "decimal"}, **kwargs)


class CriterionForm(Form):
    name = StringField(_l("Criterion"), validators=[max_length(120)], filters=[one_line])
    guidance = StringField(_l("Guidance for reviewers"), validators=[max_length(1000)], filters=[one_line])
    weight = IntegerField(_l("Weight (%)"), validators=[Optional(), NumberRange(min=1, max=100)],
                          render_kw={"inputmode": "numeric"})
    max_points = DecimalField(_l("Maximum points"), places=1,
                              validators=[Optional(), finite(), NumberRange(min=0.5, max=1000)],
                              render_kw={"inputmode": "decimal"})

    def is_blank(self) -> bool:
        return not (self.name.data or self.weight.data or self.max_points.data)


class CallForm(FlaskForm):
    kind = RadioField(_l("Kind of call"), choices=choices((k.value, label) for k, label in CALL_KIND_LABELS.items()),
                      validators=[DataRequired(REQUIRED)], default=CallKind.SOCIAL_VENTURE.value)
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), max_length(200)], filters=[one_line])
    summary = TextAreaField(_l("Summary"), validators=[DataRequired(REQUIRED), max_length(1000)],
                            filters=[strip], render_kw={"rows": 3},
                            description=_l("One or two sentences shown in the list of calls."))
    text_markdown = TextAreaField(_l("Full text of the call"), validators=[max_length(50_000)], filters=[plain],
                                  render_kw={"rows": 12},
                                  description=_l("Aims, eligibility, what is funded, how to apply. "
                                                 "Markdown: **bold**, lists with -, links."))
    themes = TextAreaField(_l("Theme areas"), validators=[max_length(2000)], filters=[plain], render_kw={"rows": 3},
                           description=_l("One per line, e.g. elderly care, children, disability."))
    districts = TextAreaField(_l("Districts"), validators=[max_length(2000)], filters=[plain], render_kw={"rows": 3},
                              description=_l("One per line. Leave empty if the call has no districts."))
    allow_registered = BooleanField(_l("Registered organisations may apply"), default=True)
    allow_grassroots = BooleanField(_l("Grassroots groups may apply"))
    total_budget = _money(_l("Total budget (yuan)"))
    min_grant = _money(_l("Minimum per proposal (yuan)"))
    max_grant = _money(_l("Maximum per proposal (yuan)"))
    timezone = SelectField(_l("Time zone of the dates below"), choices=choices((z, z) for z in COMMON_TIMEZONES),
                           default="Asia/Shanghai")
    opens_at = DateTimeLocalField(_l("Opens at"), format="%Y-%m-%dT%H:%M",
                                  validators=[InputRequired(_l("Enter a date and time.")), moment_in_range])
    closes_at = DateTimeLocalField(_l("Closes at"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(_l("Enter a date and time.")), moment_in_range])
    grace_minutes = IntegerField(_l("Grace period after closing (minutes)"), default=0,
                                 validators=[Optional(), NumberRange(min=0, max=120)],
                                 description=_l("Published with the call: submissions that reach the server this "
                                                "long after the closing time are still accepted. 0 for none."))
    sections = TextAreaField(_l("Sections of a proposal"), validators=[max_length(3000)], filters=[plain],
                             render_kw={"rows": 7},
                             description=_l("One per line. Left empty, the usual sections for the kind of call are used."))
    required_attachments = TextAreaField(_l("Required attachments"), validators=[max_length(2000)],
                                         filters=[plain], render_kw={"rows": 3},
                                         description=_l("One per line, e.g. registration certificate, budget sheet."))
    reviewers_per_proposal = IntegerField(_l("Reviewers per proposal"), default=3,
                                          validators=[InputRequired(REQUIRED), NumberRange(min=1, max=15)])
    min_fundable_score = DecimalField(_l("Minimum fundable score"), places=2, default=Decimal(60),
                                      validators=[InputRequired(REQUIRED), finite(_l("Enter a number from 0 to 100.")),
                                                  NumberRange(min=0, max=100)])
    notice_days = IntegerField(_l("Public notice (days)"), default=7,
                               validators=[InputRequired(REQUIRED), NumberRange(min=1, max=60)])
    reviewers_see_opinion = BooleanField(
        _l("After submitting their own review, reviewers may see residents' comments and support"),
        description=_l("Reviewers never see them before their own review is in, so public opinion "
                       "does not sway the blind score."))
    aggregation_method = RadioField(
        _l("How the reviewers' totals are combined"), default="mean",
        choices=choices([("mean", _l("The mean of the reviewers' weighted totals")),
                         ("trimmed", _l("The mean after dropping the highest and the lowest total, "
                                        "when a proposal has five or more reviews"))]))
    normalise_scores = BooleanField(
        _l("Correct lenient and harsh reviewers"),
        description=_l("Each reviewer's totals are first moved onto the panel's scale (the panel's mean and "
                       "spread), so a reviewer who scores everyone high or low weighs the same as the others."))
    component_percent = IntegerField(
        _l("Share of the final score from a component entered by the organizers (%)"), default=0,
        validators=[Optional(), NumberRange(min=0, max=90)], render_kw={"inputmode": "numeric"},
        description=_l("0 for none. For example 30: the final score is 30% the component and 70% the reviews."))
    component_label = StringField(_l("What the component is"), validators=[max_length(120)], filters=[one_line],
                                  description=_l("For example: the group's earlier evaluation record."))
    disagreement_threshold = DecimalField(
        _l("Reviewers disagree when their totals lie more than this many points apart"), places=2,
        default=Decimal(20), validators=[Optional(), finite(_l("Enter a number from 0 to 100.")),
                                         NumberRange(min=0, max=100)],
        render_kw={"inputmode": "decimal"},
        description=_l("Such proposals are flagged for the organizers to look at again."))
    tie_criterion_position = IntegerField(
        _l("Tie-break criterion (its row number in the rubric)"),
        validators=[Optional(), NumberRange(min=1, max=20)], render_kw={"inputmode": "numeric"},
        description=_l("Equal final scores go to the higher mean on this criterion, then to the earlier "
                       "submission. Leave empty to go by submission time alone."))
    criteria = FieldList(FormField(CriterionForm), min_entries=RUBRIC_ROWS, max_entries=20)
    comment_moderation = RadioField(
        _l("Residents' comments"), default="post",
        choices=choices([("post", _l("Appear at once; moderators hide what breaks the rules")),
                         ("pre", _l("Appear after a moderator approves them"))]))

    def validate_criteria(self, field: Any) -> None:
        for entry in field.entries:
            row = entry.form
            if row.is_blank():
                continue
            if not row.name.data or not row.weight.data or not row.max_points.data:
                raise ValidationError(_l("Each criterion needs a name, a weight and maximum points."))

    def validate_closes_at(self, field: Any) -> None:
        if self.opens_at.data and field.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The call must open before it closes."))

    def fill_from(self, call: Call) -> None:
        self.kind.data = call.kind.value
        self.comment_moderation.data = call.comment_moderation
        self.aggregation_method.data = call.aggregation_method
        self.component_percent.data = int(Decimal(call.component_weight or 0) * 100)
        self.themes.data = "\n".join(call.themes)
        self.districts.data = "\n".join(call.districts)
        self.total_budget.data = fen_to_yuan(call.total_budget_fen)
        self.min_grant.data = fen_to_yuan(call.min_grant_fen)
        self.max_grant.data = fen_to_yuan(call.max_grant_fen)
        self.opens_at.data = utc_to_local(call.opens_at, call.timezone)
        self.closes_at.data = utc_to_local(call.closes_at, call.timezone)
        self.grace_minutes.data = call.grace_minutes or 0
        self.sections.data = "\n".join(s["title"] for s in call.sections)
        self.required_attachments.data = "\n".join(a["title"] for a in call.required_attachments)
        while len(self.criteria.entries) < max(RUBRIC_ROWS, len(call.criteria)):
            self.criteria.append_entry()
        for entry, criterion in zip(self.criteria.entries, call.criteria, strict=False):
            entry.form.name.data = criterion.name
            entry.form.guidance.data = criterion.guidance
            entry.form.weight.data = criterion.weight
            entry.form.max_points.data = Decimal(criterion.max_points)

    def rules(self) -> CallRules:
        kind = CallKind(self.kind.data)
        section_titles = _lines(self.sections.data, commas=False, limit=120)
        default_keys = {str(title): key for key, title in DEFAULT_SECTIONS[kind]}
        sections = [{"key": default_keys.get(title, f"s{index}"), "title": title}
                    for index, title in enumerate(section_titles, start=1)]
        if not sections:
            sections = [{"key": key, "title": str(title)} for key, title in DEFAULT_SECTIONS[kind]]
        attachments = [{"key": f"a{index}", "title": title}
                       for index, title in enumerate(_lines(self.required_attachments.data, commas=False, limit=120),
                                                 start=1)]
        zone = self.timezone.data
        return CallRules(
            kind=kind, title=self.title.data, summary=self.summary.data,
            text_markdown=self.text_markdown.data or "",
            themes=_lines(self.themes.data), districts=_lines(self.districts.data),
            allow_registered=bool(self.allow_registered.data), allow_grassroots=bool(self.allow_grassroots.data),
            total_budget_fen=yuan_to_fen(self.total_budget.data), min_grant_fen=yuan_to_fen(self.min_grant.data),
            max_grant_fen=yuan_to_fen(self.max_grant.data),
            opens_at=local_to_utc(self.opens_at.data, zone), closes_at=local_to_utc(self.closes_at.data, zone),
            grace_minutes=self.grace_minutes.data or 0,
            timezone=zone, sections=sections, required_attachments=attachments,
            reviewers_per_proposal=self.reviewers_per_proposal.data,
            min_fundable_score=Decimal(self.min_fundable_score.data), notice_days=self.notice_days.data,
            comment_moderation=self.comment_moderation.data if self.comment_moderation.data in ("post", "pre") else "post",
            reviewers_see_opinion=bool(self.reviewers_see_opinion.data),
            aggregation_method=self.aggregation_method.data if self.aggregation_method.data in ("mean", "trimmed")
            else "mean",
            normalise_scores=bool(self.normalise_scores.data),
            component_weight=Decimal(self.component_percent.data or 0) / 100,
            component_label=self.component_label.data or "",
            disagreement_threshold=Decimal(self.disagreement_threshold.data
                                           if self.disagreement_threshold.data is not None else 20),
            tie_criterion_position=self.tie_criterion_position.data or None,
            criteria=[CriterionSpec(name=e.form.name.data, weight=e.form.weight.data,
                                    max_points=Decimal(e.form.max_points.data), guidance=e.form.guidance.data or "")
                      for e in self.criteria.entries if not e.form.is_blank()],
        )


class PhaseForm(FlaskForm):
    to = SelectField(choices=choices([("open", "open"), ("review", "review"), ("cancelled", "cancelled")]))
    reason = TextAreaField(_l("Reason"), validators=[max_length(1000)], filters=[strip])


class ApplyForm(FlaskForm):
    group = SelectField(_l("Apply as"), coerce=int, validate_choice=False)


class CallFilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), choices=choices([("", _l("All kinds"))] + [(k.value, label) for k, label in CALL_KIND_LABELS.items()]),
                       validate_choice=False)
    phase = SelectField(_l("Phase"), validate_choice=False, choices=choices([
        ("", _l("All phases")), ("accepting", _l("Accepting proposals")), ("upcoming", _l("Opening soon")),
        ("closed", _l("Closed")), ("review", _l("Under review")), ("notice", _l("Public notice")),
        ("published", _l("Results published"))]))
    theme = SelectField(_l("Theme"), validate_choice=False)
    district = SelectField(_l("District"), validate_choice=False)
    closing_soon = BooleanField(_l("Closing within 7 days"))
