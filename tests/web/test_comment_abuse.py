# ruff: noqa: F811 - the fixtures of test_comments, imported to be used
"""Comments against flooding: edits are limited like posts, and the same
text cannot be posted again and again in one place."""
from __future__ import annotations

import pytest

from tests.web.test_comments import client_for, comment_count, post, posted_id, showcase_page, world  # noqa: F401

EN = {"Accept-Language": "en"}
REPEAT = "You have already posted this text here."


def _edit(client, comment_id, text):
    return client.submit(f"/comments/{comment_id}/edit", {"body": text}, headers=EN)


@pytest.mark.parametrize("app_config", [{"COMMENT_LIMIT_PER_USER": 3}])
def test_edits_are_rate_limited_like_posts_and_keep_the_text(app, world):
    resident = client_for(app, "resident@example.org")
    comment = posted_id(post(resident, world["proposal"], "First version"))
    for n in range(3):
        assert _edit(resident, comment, f"Corrected version {n}").status_code == 302
    refused = _edit(resident, comment, "One edit too many")
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 600
    html = refused.get_data(as_text=True)
    assert "changed comments several times in a short time" in html and "One edit too many" in html
    # Edits have counters of their own: posting is not used up by them.
    assert posted_id(post(resident, world["proposal"], "A new thought"))


@pytest.mark.parametrize("app_config", [{"COMMENT_LIMIT_PER_ADDRESS": 3, "COMMENT_LIMIT_PER_USER": 50}])
def test_edits_are_limited_per_address_too(app, world):
    resident = client_for(app, "resident@example.org")
    comment = posted_id(post(resident, world["proposal"], "First version"))
    for n in range(3):
        assert _edit(resident, comment, f"Version {n}").status_code == 302
    assert _edit(resident, comment, "Too many from here").status_code == 429


@pytest.mark.parametrize("text", ["支持这个项目！ 加油", "  支持这个项目！\n\n加油 ", "支持这个项目!  加油", "支持这个项目！　加油"])
def test_the_same_text_twice_in_one_place_is_refused_with_the_text_kept(app, world, text):
    resident = client_for(app, "resident@example.org")
    posted_id(post(resident, world["proposal"], "支持这个项目！ 加油"))
    again = post(resident, world["proposal"], text)
    assert again.status_code == 422
    html = again.get_data(as_text=True)
    assert REPEAT in html and text.strip().splitlines()[0] in html
    assert comment_count(app, world["proposal"]) == (1, 1)


def test_a_repeat_is_allowed_elsewhere_and_for_someone_else(app, world):
    resident = client_for(app, "resident@example.org")
    first = posted_id(post(resident, world["proposal"], "Thank you!"))
    posted_id(post(resident, world["other_proposal"], "Thank you!"))  # another proposal
    neighbour = client_for(app, "neighbour@example.org")
    other = posted_id(post(neighbour, world["proposal"], "Thank you!"))  # another author
    posted_id(post(resident, world["proposal"], "Thank you!", parent=other))  # a reply is its own place
    assert post(resident, world["proposal"], "Thank you!", parent=other).status_code == 422
    # A deleted comment does not count.
    assert resident.submit(f"/comments/{first}/delete").status_code == 302
    posted_id(post(resident, world["proposal"], "Thank you!"))


def test_a_hidden_comment_cannot_be_posted_again(app, world):
    resident = client_for(app, "resident@example.org")
    comment = posted_id(post(resident, world["proposal"], "Buy cheap watches"))
    organizer = client_for(app, "organizer@example.org")
    assert organizer.submit(f"/comments/{comment}/hide", {"reason": "Advertising"}).status_code == 302
    assert post(resident, world["proposal"], "Buy cheap watches").status_code == 422


def test_an_edit_cannot_turn_a_comment_into_a_copy_of_another(app, world):
    resident = client_for(app, "resident@example.org")
    posted_id(post(resident, world["proposal"], "The budget looks right."))
    second = posted_id(post(resident, world["proposal"], "Something else"))
    refused = _edit(resident, second, "The budget looks right.")
    assert refused.status_code == 422 and REPEAT in refused.get_data(as_text=True)
    assert _edit(resident, second, "Something else").status_code == 302, "saving it unchanged is fine"
