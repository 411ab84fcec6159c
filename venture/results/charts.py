"""Charts of a result, drawn on the server as inline SVG.

No JavaScript and no external files: each chart is an ``<svg role="img">``
labelled by its own ``<title>`` and ``<desc>``, and the page puts the same
figures in a table right under it. Colours meet WCAG contrast against white
(bars 7:1, text 16:1), and nothing is told by colour alone: every bar carries
its value as text.

The functions take the public content of a result record (see
:func:`venture.results.public.public_content`) and never query anything.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from venture.core.l10n import gettext as _
from venture.results.public import as_decimal, final_score

BAR = "#0b5d4b"  # the brand green: 7.6:1 on white
INK = "#1a1a1a"
GRID = "#6b7370"  # axis lines: 4.8:1 on white
BIN_WIDTH = 10


@dataclass(frozen=True)
class Bar:
    label: str
    value: int  # what the bar's length shows: a count, or fen
    text: str  # the value as people read it


@dataclass(frozen=True)
class Chart:
    ident: str
    title: str
    description: str
    bars: tuple[Bar, ...]
    svg: Markup


# Figures ------------------------------------------------------------------------------

def score_bins(lines: Iterable[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """How many proposals' final scores fall in each 10-point band: 0–10,
    10–20, … 90–100 (a band holds its lower bound; 100 belongs to the last)."""
    counts = [0] * (100 // BIN_WIDTH)
    for line in lines:
        score = as_decimal(final_score(line))
        if score is None:
            continue
        index = min(max(int(score // BIN_WIDTH), 0), len(counts) - 1)
        counts[index] += 1
    return [(f"{i * BIN_WIDTH}–{(i + 1) * BIN_WIDTH}", count) for i, count in enumerate(counts)]


def money_by(lines: Iterable[Mapping[str, Any]], key: str, unknown: str = "–") -> list[tuple[str, int]]:
    """The money awarded, summed by a line's ``theme`` or ``district``,
    largest first (then by name, so the order is stable)."""
    sums: dict[str, int] = defaultdict(int)
    for line in lines:
        amount = int(line.get("amount_fen") or 0)
        if line.get("outcome") == "funded" and amount > 0:
            sums[str(line.get(key) or unknown)] += amount
    return sorted(sums.items(), key=lambda item: (-item[1], item[0]))


# Drawing ----------------------------------------------------------------------------------

def _text(x: float, y: float, content: str, anchor: str = "start", size: int = 13, extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{INK}" text-anchor="{anchor}"{extra}>'
            f"{escape(content)}</text>")


def _frame(ident: str, title: str, description: str, width: int, height: int, body: list[str]) -> Markup:
    title_id, desc_id = f"{ident}-title", f"{ident}-desc"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{title_id} {desc_id}" focusable="false">'
        f'<title id="{title_id}">{escape(title)}</title><desc id="{desc_id}">{escape(description)}</desc>'
        + "".join(body) + "</svg>"
    )


def columns(ident: str, title: str, description: str, bars: Sequence[Bar], axis_label: str = "") -> Markup:
    """Vertical columns (the score distribution), the value above each."""
    width, height, left, bottom, top = 560, 260, 36, 44, 24
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((b.value for b in bars), default=0) or 1
    step = plot_w / max(len(bars), 1)
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" stroke="{GRID}"/>']
    for i, bar in enumerate(bars):
        h = plot_h * bar.value / peak
        x = left + i * step + step * 0.15
        y = top + plot_h - h
        if bar.value:
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" fill="{BAR}"/>')
        body.append(_text(x + step * 0.35, y - 6, bar.text, "middle"))
        body.append(_text(x + step * 0.35, top + plot_h + 18, bar.label, "middle", 12))
    if axis_label:
        body.append(_text(left + plot_w / 2, height - 6, axis_label, "middle", 12))
    return _frame(ident, title, description, width, height, body)


def rows(ident: str, title: str, description: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars with their names on the left (money by theme or district)."""
    label_w, value_w, row_h, width = 170, 120, 30, 560
    height = max(len(bars), 1) * row_h + 12
    plot_w = width - label_w - value_w
    peak = max((b.value for b in bars), default=0) or 1
    body = [f'<line x1="{label_w}" y1="4" x2="{label_w}" y2="{height - 4}" stroke="{GRID}"/>']
    for i, bar in enumerate(bars):
        y = 8 + i * row_h
        w = max(plot_w * bar.value / peak, 1)
        label = bar.label if len(bar.label) <= 14 else bar.label[:13] + "…"
        body.append(_text(label_w - 8, y + row_h / 2 + 1, label, "end", extra=' dominant-baseline="middle"'))
        body.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 10}" fill="{BAR}"/>')
        body.append(_text(label_w + w + 6, y + row_h / 2 + 1, bar.text, extra=' dominant-baseline="middle"'))
    return _frame(ident, title, description, width, height, body)


# The charts of a results page -------------------------------------------------------------

def result_charts(content: Mapping[str, Any], money: Callable[[int], str]) -> list[Chart]:
    """The three charts of a results page, with translated words (call it
    within a request or an app context with a locale)."""
    lines = list(content.get("lines") or [])
    charts = []
    bins = score_bins(lines)
    scored = sum(count for _, count in bins)
    title = _("Distribution of final scores")
    if scored:
        finals = sorted(value for value in (as_decimal(final_score(line)) for line in lines) if value is not None)
        if scored == 1:
            description = _("One proposal has a final score: %(score)s.", score=format(finals[0], "f"))
        else:  # two or more: a plural form with a range, in every language
            description = _("%(num)d proposals have final scores from %(low)s to %(high)s.", num=scored,
                            low=format(finals[0], "f"), high=format(finals[-1], "f"))
    else:
        description = _("No proposal has a final score.")
    bars = tuple(Bar(label, count, str(count)) for label, count in bins)
    charts.append(Chart("chart-scores", title, description, bars,
                        columns("chart-scores", title, description, bars, _("Final score (points)"))))
    for key, ident, title in (("theme", "chart-themes", _("Money awarded by theme")),
                              ("district", "chart-districts", _("Money awarded by district"))):
        sums = money_by(lines, key)
        if sums:
            description = _("%(total)s awarded in all; the largest share, %(amount)s, goes to %(name)s.",
                            total=money(sum(amount for _, amount in sums)), amount=money(sums[0][1]),
                            name=sums[0][0])
        else:
            description = _("No money is awarded.")
        bars = tuple(Bar(label, amount, money(amount)) for label, amount in sums)
        charts.append(Chart(ident, title, description, bars, rows(ident, title, description, bars)))
    return charts
