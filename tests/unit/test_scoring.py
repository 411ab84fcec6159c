"""The score sheet's rules: half points, the weighted total, what a draft and
a submission need, the canonical content and its fingerprint."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest

from venture.proposals.leaks import REDACTED, Identity, redact
from venture.review import scoring


@dataclass
class C:
    id: int
    name: str
    weight: int
    max_points: Decimal


RUBRIC = [C(1, "需求", 40, Decimal(10)), C(2, "可行性", 35, Decimal(10)), C(3, "预算", 25, Decimal("7.5"))]
GOOD_REASON = "理由充分，数据翔实可靠。"


@pytest.mark.parametrize("text,expected", [
    ("7.5", Decimal("7.5")), ("7,5", Decimal("7.5")), (" 8 ", Decimal(8)), ("0", Decimal(0)), ("-0", Decimal(0)),
    ("10", Decimal(10)), ("0.5", Decimal("0.5")), ("7.50", Decimal("7.5")), ("", None), ("   ", None), (None, None),
])
def test_scores_in_half_points_are_read(text, expected):
    assert scoring.parse_score(text, Decimal(10)) == expected


@pytest.mark.parametrize("text", ["7.3", "7.25", "-1", "-0.5", "10.5", "11", "NaN", "nan", "inf", "-Infinity",
                                  "sNaN", "abc", "7.5.1", "1e400"])
def test_anything_else_is_refused(text):
    with pytest.raises(scoring.InvalidScore):
        scoring.parse_score(text, Decimal(10))


def test_the_maximum_may_itself_be_a_half_point():
    assert scoring.parse_score("7.5", Decimal("7.5")) == Decimal("7.5")
    with pytest.raises(scoring.InvalidScore):
        scoring.parse_score("8", Decimal("7.5"))


def test_weighted_total_by_hand():
    scores = {"1": Decimal("7.5"), "2": Decimal(8), "3": Decimal("5.5")}
    # 40 × 7.5/10 = 30; 35 × 8/10 = 28; 25 × 5.5/7.5 = 18.3333… → 76.333… → 76.33
    assert scoring.total(RUBRIC, scores) == Decimal("76.33")
    assert scoring.total(RUBRIC, {"1": "10", "2": "10", "3": "7.5"}) == Decimal("100.00")
    assert scoring.total(RUBRIC, {}) == Decimal("0.00")


def test_total_rounds_half_up():
    rubric = [C(1, "a", 1, Decimal(8)), C(2, "b", 99, Decimal(100))]
    # 1 × 1/8 = 0.125 → 0.13 (half-up; banker's rounding would give 0.12)
    assert scoring.total(rubric, {"1": "1", "2": "0"}) == Decimal("0.13")


def test_a_draft_may_be_incomplete_but_not_malformed():
    assert scoring.draft_problems(RUBRIC, {"1": "7.5"}, {}) == []
    assert scoring.draft_problems(RUBRIC, {}, {"1": "短"}) == []
    wrong = scoring.draft_problems(RUBRIC, {"1": "7.3", "2": "12", "3": "x"}, {})
    assert [p.field for p in wrong] == ["score_1", "score_2", "score_3"]


def test_submission_needs_every_score_and_reason():
    scores = {"1": "7.5", "2": "8", "3": "5"}
    reasons = {"1": GOOD_REASON, "2": GOOD_REASON, "3": GOOD_REASON}
    assert scoring.problems(RUBRIC, scores, reasons) == []
    missing = scoring.problems(RUBRIC, {"1": "7.5", "3": "9"}, {"1": GOOD_REASON, "2": "   太短了   ", "3": ""})
    assert [p.field for p in missing] == ["score_2", "reason_2", "score_3", "reason_3"]
    # A reason of exactly ten characters after stripping is enough.
    assert scoring.problems(RUBRIC, scores, {**reasons, "2": "  0123456789  "}) == []
    assert [p.field for p in scoring.problems(RUBRIC, scores, {**reasons, "2": " 012345678 "})] == ["reason_2"]


def test_frozen_content_and_fingerprint():
    content = scoring.freeze(RUBRIC, {"1": Decimal("7.5"), "2": Decimal("8.0"), "3": Decimal(5)},
                             {"1": " 需求清楚，调研充分。 ", "2": GOOD_REASON, "3": GOOD_REASON}, " 谢谢 ", "")
    assert content == {
        "criteria": [{"id": 1, "score": "7.5", "reason": "需求清楚，调研充分。"},
                     {"id": 2, "score": "8", "reason": GOOD_REASON},
                     {"id": 3, "score": "5", "reason": GOOD_REASON}],
        "comment": "谢谢", "note": "", "total": "74.67",
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert scoring.fingerprint(content) == hashlib.sha256(canonical.encode()).hexdigest()
    assert "需求清楚" in canonical, "ensure_ascii=False"
    changed = dict(content, comment="谢谢!")
    assert scoring.fingerprint(changed) != scoring.fingerprint(content)


def test_plain_numbers():
    assert [scoring.plain(Decimal(x)) for x in ("10", "10.0", "7.50", "0", "100.00")] == ["10", "10", "7.5", "0", "100"]


# Redaction for the blind view ------------------------------------------------------------------

WHO = Identity(group_names=("幸福里邻里互助队",), member_names=("赵桂英", "Li Wenjun"),
               emails=("team@xingfu.example",), phones=("13900139004",), credit_codes=("52440106MJL0000012",))


def test_redact_replaces_every_identity_term():
    text = ("幸福里邻里互助队（简称幸福里邻里）由赵桂英和 Li Wenjun 负责，电话 139-0013-9004，邮件 team@xingfu.example，"
            "统一社会信用代码 52440106MJL0000012，另有 someone@else.example 和 020-38880001。")
    out = redact(text, WHO)
    for term in ("幸福里邻里", "赵桂英", "Li Wenjun", "139", "team@", "52440106MJL0000012", "someone@", "38880001"):
        assert term not in out
    assert REDACTED in out and "负责" in out and "统一社会信用代码" in out


def test_redact_keeps_clean_text_and_never_raises():
    assert redact("为社区独居长者提供午餐。", WHO) == "为社区独居长者提供午餐。"
    assert redact("", WHO) == ""
    assert redact(None, WHO) == ""  # type: ignore[arg-type]
    assert redact("ｔｅａｍ＠ｘｉｎｇｆｕ．ｅｘａｍｐｌｅ 见", WHO).endswith(" 见")
    assert "ｔｅａｍ" not in redact("ｔｅａｍ＠ｘｉｎｇｆｕ．ｅｘａｍｐｌｅ 见", WHO)
    broken = Identity(group_names=object(), member_names=())  # type: ignore[arg-type]
    assert redact("anything", broken) in ("anything", REDACTED)
