"""Groups: create both kinds, validate, invite, join, remove, ownership."""
from __future__ import annotations

from sqlalchemy import select

from tests.conftest import link_in, login, make_user, outbox
from venture.extensions import db
from venture.groups import creditcode
from venture.groups.models import Group, GroupMembership, MemberRole

CODE = creditcode.complete("52440106MJL000017")
EN = {"Accept-Language": "en"}


def registered(**overrides):
    data = {"kind": "registered", "name": "阳光社工服务中心", "credit_code": CODE,
            "registration_type": "social_work_agency", "founded_year": "2012",
            "address": "天河路100号", "contact_name": "李慧敏", "contact_phone": "020-38880001",
            "contact_email": "office@sunshine.example", "description": "长者服务"}
    data.update(overrides)
    return data


def grassroots(**overrides):
    data = {"kind": "grassroots", "name": "幸福里邻里互助队", "filed_with": "幸福里社区居委会",
            "contact_name": "赵桂英", "contact_phone": "13900139004",
            "contact_email": "team@xingfu.example"}
    data.update(overrides)
    return data


def _group(app, name):
    with app.app_context():
        group = db.session.scalar(select(Group).where(Group.name == name))
        if group is not None:
            _ = [(m.user.email, m.role) for m in group.memberships]
        db.session.expunge_all()
        return group


def _owner(app, client, email="owner@example.org"):
    make_user(app, email)
    login(client, email)


def test_create_registered_organisation(app, client):
    _owner(app, client)
    response = client.submit("/groups/new", registered(credit_code=CODE.lower()))
    assert response.status_code == 302
    group = _group(app, "阳光社工服务中心")
    assert group.credit_code == CODE, "stored normalised"
    assert [(m.user.email, m.role) for m in group.memberships] == [("owner@example.org", MemberRole.OWNER)]
    page = client.get(response.location).get_data(as_text=True)
    assert CODE in page


def test_create_grassroots_group(app, client):
    _owner(app, client)
    response = client.submit("/groups/new", grassroots(credit_code="ignored"))
    assert response.status_code == 302
    group = _group(app, "幸福里邻里互助队")
    assert group.credit_code is None and group.filed_with == "幸福里社区居委会"


def test_invalid_credit_code_is_refused_and_input_kept(app, client):
    _owner(app, client)
    bad = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")
    response = client.submit("/groups/new", registered(credit_code=bad), headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "not a valid unified social credit code" in page
    assert "阳光社工服务中心" in page and "020-38880001" in page and bad in page
    assert _group(app, "阳光社工服务中心") is None


def test_each_kind_requires_its_own_fields(app, client):
    _owner(app, client)
    response = client.submit("/groups/new", registered(credit_code="", registration_type=""), headers=EN)
    assert response.status_code == 422
    assert "needs its credit code" in response.get_data(as_text=True)
    response = client.submit("/groups/new", grassroots(filed_with=""), headers=EN)
    assert response.status_code == 422
    assert "Name the community" in response.get_data(as_text=True)


def test_credit_code_is_unique(app, client):
    _owner(app, client)
    client.submit("/groups/new", registered())
    response = client.submit("/groups/new", registered(name="Another name"), headers=EN)
    assert response.status_code == 422
    assert "Another group on this site has this credit code" in response.get_data(as_text=True)


def test_bad_values_get_clear_messages(app, client):
    _owner(app, client)
    response = client.submit("/groups/new", registered(founded_year="next year", contact_phone="call me",
                                                        contact_email="nope", name="x" * 500), headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ("Not a valid integer value.", "Enter a phone number", "Enter an e-mail address",
                    "At most 120 characters."):
        assert message in page, message


def test_unverified_user_cannot_create_a_group(app, client):
    make_user(app, "u@example.org", verified=False)
    login(client, "u@example.org")
    assert client.get("/groups/new").status_code == 403
    assert client.submit("/groups/new", grassroots()).status_code == 403


def test_invite_accept_and_remove(app, client):
    _owner(app, client)
    client.submit("/groups/new", grassroots())
    group = _group(app, "幸福里邻里互助队")
    response = client.submit(f"/groups/{group.id}/invite", {"email": "Friend@Example.org"})
    assert response.status_code == 302
    link = link_in(outbox(app, "friend@example.org")[-1], "/invitations/")

    # Someone else cannot use it.
    make_user(app, "stranger@example.org")
    from tests.conftest import Client
    stranger = Client(app, app.response_class, use_cookies=True)
    login(stranger, "stranger@example.org")
    assert stranger.submit(link).status_code == 403

    make_user(app, "friend@example.org")
    friend = Client(app, app.response_class, use_cookies=True)
    assert friend.get(link).status_code == 200
    login(friend, "friend@example.org")
    assert friend.submit(link).status_code == 302
    group = _group(app, "幸福里邻里互助队")
    assert {m.user.email for m in group.memberships} == {"owner@example.org", "friend@example.org"}
    assert friend.get(f"/groups/{group.id}").status_code == 200
    # Used once.
    assert friend.submit(link).status_code == 404

    # A member cannot edit or invite; the owner removes them.
    assert friend.get(f"/groups/{group.id}/edit").status_code == 403
    assert friend.submit(f"/groups/{group.id}/invite", {"email": "x@example.org"}).status_code == 403
    membership = next(m for m in group.memberships if m.user.email == "friend@example.org")
    assert client.submit(f"/groups/{group.id}/members/{membership.id}/remove").status_code == 302
    assert friend.get(f"/groups/{group.id}").status_code == 404  # a former member: as if it did not exist


def test_the_last_owner_cannot_leave_but_a_member_can(app, client):
    _owner(app, client)
    client.submit("/groups/new", grassroots())
    group = _group(app, "幸福里邻里互助队")
    [owner] = group.memberships
    assert client.submit(f"/groups/{group.id}/members/{owner.id}/remove").status_code == 403
    assert _group(app, "幸福里邻里互助队").memberships


def test_ownership_can_be_shared_then_the_first_owner_can_leave(app, client):
    _owner(app, client)
    client.submit("/groups/new", grassroots())
    group = _group(app, "幸福里邻里互助队")
    second_id = make_user(app, "second@example.org")
    with app.app_context():
        db.session.add(GroupMembership(group_id=group.id, user_id=second_id, role=MemberRole.MEMBER))
        db.session.commit()
    group = _group(app, "幸福里邻里互助队")
    second = next(m for m in group.memberships if m.user.email == "second@example.org")
    assert client.submit(f"/groups/{group.id}/members/{second.id}/role", {"role": "owner"}).status_code == 302
    first = next(m for m in group.memberships if m.user.email == "owner@example.org")
    assert client.submit(f"/groups/{group.id}/members/{first.id}/remove").status_code == 302
    group = _group(app, "幸福里邻里互助队")
    assert [(m.user.email, m.role) for m in group.memberships] == [("second@example.org", MemberRole.OWNER)]


def test_re_inviting_replaces_the_earlier_link(app, client):
    _owner(app, client)
    client.submit("/groups/new", grassroots())
    group = _group(app, "幸福里邻里互助队")
    client.submit(f"/groups/{group.id}/invite", {"email": "friend@example.org"})
    client.submit(f"/groups/{group.id}/invite", {"email": "friend@example.org"})
    first, second = (link_in(m, "/invitations/") for m in outbox(app, "friend@example.org"))
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_inviting_an_existing_member_is_refused(app, client):
    _owner(app, client)
    client.submit("/groups/new", grassroots())
    group = _group(app, "幸福里邻里互助队")
    response = client.submit(f"/groups/{group.id}/invite", {"email": "owner@example.org"}, headers=EN)
    assert response.status_code == 422
    assert "is already in" in response.get_data(as_text=True)


def test_a_user_may_belong_to_several_groups(app, client):
    _owner(app, client)
    client.submit("/groups/new", grassroots())
    client.submit("/groups/new", registered())
    page = client.get("/groups/").get_data(as_text=True)
    assert "幸福里邻里互助队" in page and "阳光社工服务中心" in page


def test_group_actions_are_audited(app, client):
    from venture.audit.models import AuditEvent
    from venture.audit.services import verify

    _owner(app, client)
    client.submit("/groups/new", grassroots())
    group = _group(app, "幸福里邻里互助队")
    client.submit(f"/groups/{group.id}/invite", {"email": "friend@example.org"})
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
        assert "group.created" in actions and "invitation.group_member.sent" in actions
        assert verify(db.session).ok


def test_my_groups_are_listed_in_pinyin_order(app, client):
    from tests.builders import make_group

    make_user(app, "many@example.org")
    for name in ("张家湾志愿队", "阳光长者服务社", "彩虹亲子乐园"):
        make_group(app, "many@example.org", name=name)
    login(client, "many@example.org")
    page = client.get("/groups/").get_data(as_text=True)
    positions = [page.index(name) for name in ("彩虹亲子乐园", "阳光长者服务社", "张家湾志愿队")]
    assert positions == sorted(positions)
