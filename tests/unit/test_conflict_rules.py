"""The rules behind conflicts that follow the facts, organizers' recusal and
hidden refusals, as plain functions."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from werkzeug.exceptions import Forbidden, NotFound

from venture import permissions
from venture.groups import creditcode
from venture.panels.conflicts import tie_with
from venture.panels.recusal import PageRecusal
from venture.review.models import ConflictSource

CODE = creditcode.complete("52440106MJL000017")


def _group(name="幸福里邻里互助队", code=None, id=7):
    return SimpleNamespace(id=id, name=name, credit_code=code)


def test_membership_now_is_a_tie():
    assert tie_with(_group(), [], member_of={7}) is ConflictSource.MEMBERSHIP
    assert tie_with(_group(), [], member_of={8}) is None


def test_an_affiliation_ties_by_credit_code_however_it_is_written():
    spaced = f"{CODE[:9]} {CODE[9:]}".lower()
    affiliation = {"name": "一个改了名字的机构", "credit_code": spaced}
    assert tie_with(_group(code=CODE), [affiliation], member_of=()) is ConflictSource.AFFILIATION
    assert tie_with(_group(code=None), [affiliation], member_of=()) is None


def test_an_affiliation_ties_by_the_groups_current_name():
    affiliations = [{"name": "社区"}, {"name": "幸福里 邻里互助队（广州）"}]
    assert tie_with(_group(), affiliations, member_of=()) is ConflictSource.AFFILIATION
    # Renamed: the current name is what counts (a tie recorded earlier is kept elsewhere).
    assert tie_with(_group(name="彩虹亲子乐园"), affiliations, member_of=()) is None
    assert tie_with(_group(), [{"name": "互助队"}], member_of=()) is None  # too short to count as contained


def test_membership_counts_before_affiliations():
    assert tie_with(_group(), [{"name": "幸福里邻里互助队"}], member_of={7}) is ConflictSource.MEMBERSHIP


def test_a_page_recusal_hides_its_groups_and_says_who_else_can_act():
    nothing = PageRecusal()
    assert not nothing.hides(7) and nothing.hidden == 0 and not nothing.sole_organizer
    tied = PageRecusal(groups=frozenset({7}), proposals=frozenset({70, 71}), other_organizers=0)
    assert tied.hides(7) and not tied.hides(8) and tied.hides_proposal(70) and tied.hidden == 2
    assert tied.sole_organizer
    assert not PageRecusal(groups=frozenset({7}), proposals=frozenset({70}), other_organizers=1).sole_organizer
    # A tie with a group that has no proposal in the call hides nothing and asks for nobody.
    assert not PageRecusal(groups=frozenset({7})).sole_organizer


class _User:
    is_authenticated = True
    is_deleted = False

    def __init__(self, id):
        self.id = id


@pytest.fixture
def rules():
    """Three throw-away rules: a plain one, a hidden one, one hidden except to those who may see."""
    made = {"test:plain": False, "test:hidden": True,
            "test:hidden_unless_seen": lambda user, obj: user.id in obj.seen_by}
    for action, hidden in made.items():
        permissions.rule(action, hidden=hidden)(lambda user, obj: user.id in obj.allowed)
    yield
    for action in made:
        permissions.RULES.pop(action)
        permissions.HIDDEN.pop(action, None)


def _refusal(action, user, obj):
    try:
        permissions.require(user, action, obj)
    except NotFound:
        return 404
    except Forbidden:
        return 403
    return 200


def test_a_hidden_rule_refuses_as_if_the_object_were_missing(rules):
    obj = SimpleNamespace(allowed={1}, seen_by={2})
    assert _refusal("test:plain", _User(3), obj) == 403
    assert _refusal("test:hidden", _User(1), obj) == 200
    assert _refusal("test:hidden", _User(2), obj) == 404
    assert _refusal("test:hidden_unless_seen", _User(2), obj) == 403  # may know it exists
    assert _refusal("test:hidden_unless_seen", _User(3), obj) == 404
    assert _refusal("test:hidden_unless_seen", None, obj) == 404  # nobody signed in knows anything
    deleted = _User(2)
    deleted.is_deleted = True
    assert _refusal("test:hidden_unless_seen", deleted, obj) == 404


def test_every_hidden_rule_is_a_rule():
    assert set(permissions.HIDDEN) <= set(permissions.RULES)
    for action in ("proposal:edit", "attachment:download", "assignment:view", "panel:view", "expert:view_profile",
                   "group:edit", "call:view"):
        assert action in permissions.HIDDEN, action
