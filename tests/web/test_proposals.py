"""Proposals through requests: drafts, conflicts, expired sessions,
attachments, submission, receipts, revisions, withdrawal, the deadline."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.builders import make_body, make_call, make_group, pdf_bytes, png_bytes, set_call_times
from tests.conftest import Client, login, make_user, outbox
from venture.calls.models import Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.proposals.models import Attachment, Proposal, ProposalStatus, ProposalVersion
from venture.proposals.services import fingerprint

EN = {"Accept-Language": "en"}


@pytest.fixture
def world(app):
    for email in ("owner@example.org", "member@example.org", "org@example.org", "stranger@example.org",
                  "other-org@example.org", "reviewer@example.org"):
        make_user(app, email)
    body = make_body(app, "org@example.org")
    make_body(app, "other-org@example.org", name="Other body")
    call = make_call(app, body, Phase.OPEN)
    group = make_group(app, "owner@example.org", members=("member@example.org",))
    other_group = make_group(app, "stranger@example.org", name="Other team")
    owner = Client(app, app.response_class, use_cookies=True)
    login(owner, "owner@example.org")
    proposal_id = int(owner.submit(f"/calls/{call}/apply", {"group": group}).location.split("/")[2])
    return {"call": call, "group": group, "other_group": other_group, "owner": owner, "proposal": proposal_id,
            "body": body}


def client_for(app, email):
    client = Client(app, app.response_class, use_cookies=True)
    login(client, email)
    return client


def lock_version(client, proposal_id):
    page = client.get(f"/proposals/{proposal_id}/edit").get_data(as_text=True)
    return re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(1)


def draft(lock, **overrides):
    data = {"lock_version": lock, "title": "邻里菜园", "summary": "把空地变成菜园", "district": "天河区",
            "theme": "长者关爱", "beneficiaries": "120", "section_problem": "楼下空地荒废",
            "section_activities": "每周六一起种菜", "section_beneficiaries": "独居老人",
            "budget-0-item": "种子和工具", "budget-0-unit_cost": "50", "budget-0-quantity": "100",
            "budget-1-item": "围栏", "budget-1-unit_cost": "1500.50", "budget-1-quantity": "2", "action": "save"}
    data.update(overrides)
    return data


def save(client, proposal_id, file=None, **overrides):
    data = draft(lock_version(client, proposal_id), **overrides)
    if file is not None:
        data[file[0]] = (io.BytesIO(file[2]), file[1])
    return client.submit(f"/proposals/{proposal_id}/edit", data, content_type="multipart/form-data", headers=EN)


def the_proposal(app, proposal_id) -> Proposal:
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        _ = proposal.attachments, proposal.versions, proposal.call
        db.session.expunge_all()
        return proposal


def ready(app, world):
    assert save(world["owner"], world["proposal"], ("file_a1", "预算表.pdf", pdf_bytes())).status_code == 302


def test_saving_a_draft_keeps_everything(app, world):
    response = save(world["owner"], world["proposal"])
    assert response.status_code == 302
    proposal = the_proposal(app, world["proposal"])
    assert proposal.title == "邻里菜园" and proposal.sections["activities"] == "每周六一起种菜"
    assert proposal.requested_fen == 5000 * 100 + 300_100
    assert proposal.status is ProposalStatus.DRAFT and proposal.number is None


def test_any_member_can_edit_and_outsiders_cannot_see_the_draft(app, world):
    member = client_for(app, "member@example.org")
    assert save(member, world["proposal"], title="成员修改").status_code == 302
    assert the_proposal(app, world["proposal"]).title == "成员修改"
    for email in ("stranger@example.org", "org@example.org", "other-org@example.org", "reviewer@example.org"):
        outsider = client_for(app, email)  # to them the draft does not exist
        assert outsider.get(f"/proposals/{world['proposal']}/edit").status_code == 404, email
        assert outsider.submit(f"/proposals/{world['proposal']}/edit", draft("1")).status_code == 404, email
        assert outsider.get(f"/proposals/{world['proposal']}/submit").status_code == 404, email
        assert outsider.submit(f"/proposals/{world['proposal']}/autosave", draft("1")).status_code == 404, email
    anonymous = app.test_client()
    assert anonymous.get(f"/proposals/{world['proposal']}/edit").status_code == 302


def test_two_members_saving_at_once_get_a_conflict_not_an_overwrite(app, world):
    owner = world["owner"]
    member = client_for(app, "member@example.org")
    base = lock_version(owner, world["proposal"])
    first = member.submit(f"/proposals/{world['proposal']}/edit", draft(base, title="成员的标题"),
                          content_type="multipart/form-data")
    assert first.status_code == 302
    second = owner.submit(f"/proposals/{world['proposal']}/edit", draft(base, title="负责人的标题"),
                          content_type="multipart/form-data", headers=EN)
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "saved this proposal while you were editing it" in page
    assert 'value="负责人的标题"' in page, "the second editor's text is kept in the form"
    assert the_proposal(app, world["proposal"]).title == "成员的标题", "nothing was overwritten"


def test_autosave_saves_and_reports_conflicts(app, world):
    owner = world["owner"]
    base = lock_version(owner, world["proposal"])
    response = owner.submit(f"/proposals/{world['proposal']}/autosave", draft(base, title="自动保存"))
    assert response.status_code == 200 and response.json["status"] == "saved"
    assert int(response.json["lock_version"]) > int(base)
    assert the_proposal(app, world["proposal"]).title == "自动保存"
    stale = owner.submit(f"/proposals/{world['proposal']}/autosave", draft(base, title="过期"))
    assert stale.status_code == 409 and stale.json["status"] == "conflict"


def test_an_expired_session_does_not_eat_the_draft(app, world):
    owner = world["owner"]
    base = lock_version(owner, world["proposal"])
    # The sign-in ends (elsewhere, or it expired) while the form is open.
    with app.app_context():
        from sqlalchemy import update

        from venture.accounts.models import LoginSession
        db.session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = owner.submit(f"/proposals/{world['proposal']}/edit", draft(base, title="熬夜写的标题"),
                            content_type="multipart/form-data")
    assert response.status_code == 302 and "/login" in response.location
    target = re.search(r"next=([^&]+)", response.location).group(1)
    from urllib.parse import unquote
    target = unquote(target)
    assert "stash=" in target
    # Log in again in the same browser: the text comes back into the form.
    again = owner.submit("/login", {"email": "owner@example.org", "password": "correct horse battery",
                                    "next": target})
    assert again.location == target
    page = owner.get(target).get_data(as_text=True)
    assert 'value="熬夜写的标题"' in page
    # Another browser cannot use the stash link.
    thief = client_for(app, "member@example.org")
    assert 'value="熬夜写的标题"' not in thief.get(target).get_data(as_text=True)


def test_a_lost_browser_session_without_csrf_token_is_stashed_too(app, world):
    owner = world["owner"]
    base = lock_version(owner, world["proposal"])
    # The browser lost its session cookie (restarted) but keeps our long-lived one.
    fresh = Client(app, app.response_class, use_cookies=True)
    fresh.set_cookie("venture_browser", owner.get_cookie("venture_browser").value)
    response = fresh.post(f"/proposals/{world['proposal']}/edit", data=draft(base, title="没有令牌"))
    assert response.status_code == 302 and "/login" in response.location


def test_a_cross_site_post_to_the_editor_is_refused_not_stashed(app, world):
    from venture.proposals.models import StashedForm

    attacker = Client(app, app.response_class, use_cookies=True)  # no cookies of ours: SameSite kept them
    response = attacker.post(f"/proposals/{world['proposal']}/edit", data=draft("1", title="攻击者的内容"))
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(StashedForm.id)) is None


def test_attachments_are_checked_from_content(app, world):
    owner = world["owner"]
    renamed = save(owner, world["proposal"], ("file_a1", "budget.pdf", b"MZ\x90\x00 not a pdf at all"))
    assert renamed.status_code == 302 and renamed.location.endswith("#attachments")
    assert "budget.pdf" in owner.get(renamed.location, headers=EN).get_data(as_text=True)
    mismatch = save(owner, world["proposal"], ("file_a1", "photo.pdf", png_bytes()))
    assert mismatch.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Attachment.id)) is None, "a refused file is not kept"
    ok = save(owner, world["proposal"], ("file_other", "现场照片.png", png_bytes()))
    assert ok.status_code == 302


def test_a_refused_file_keeps_the_text_and_the_other_files_and_says_so(app, world):
    owner = world["owner"]
    before = int(lock_version(owner, world["proposal"]))
    data = draft(str(before), title="新标题")
    data["file_a1"] = (io.BytesIO(b"MZ\x90\x00 not a pdf at all"), "budget.pdf")
    data["file_other"] = (io.BytesIO(png_bytes()), "现场照片.png")
    response = owner.submit(f"/proposals/{world['proposal']}/edit", data, content_type="multipart/form-data",
                            headers=EN)
    assert response.status_code == 302
    proposal = the_proposal(app, world["proposal"])
    assert proposal.title == "新标题", "the text is saved"
    assert [a.filename for a in proposal.current_attachments] == ["现场照片.png"], "the good file is kept"
    page = owner.get(response.location, headers=EN).get_data(as_text=True)
    message = page.index("Your text is saved, and so are the other files")
    assert "“budget.pdf”" in page[message:message + 400], "the refused file is named, with why"
    assert page.index('id="attachments"') < message, "the message is shown where the reader lands"
    after = int(re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(1))
    assert after > before, "the editor holds the new lock version"
    # The next save and the next autosave are not conflicts with oneself.
    autosaved = owner.submit(f"/proposals/{world['proposal']}/autosave", draft(str(after), title="再改"))
    assert autosaved.status_code == 200 and autosaved.json["status"] == "saved"
    again = owner.submit(f"/proposals/{world['proposal']}/edit", draft(str(autosaved.json["lock_version"])),
                         content_type="multipart/form-data")
    assert again.status_code == 302


def test_a_confirmation_after_a_jump_is_shown_at_the_anchor(app, world):
    owner = world["owner"]
    assert save(owner, world["proposal"], ("file_other", "现场照片.png", png_bytes())).status_code == 302
    with app.app_context():
        attachment = db.session.scalar(select(Attachment.id))
    response = owner.submit(f"/proposals/{world['proposal']}/attachments/{attachment}/public", {"public": "1"},
                            headers=EN)
    assert response.location.endswith("#attachments")
    page = owner.get(response.location, headers=EN).get_data(as_text=True)
    assert page.count("The file is shown on the public page.") == 1
    assert page.index('id="attachments"') < page.index("The file is shown on the public page.")
    # Only once: the next page does not repeat it, and shows its own messages at the top.
    assert "The file is shown on the public page." not in owner.get(response.location).get_data(as_text=True)


def noise_png(width: int, seed: int) -> bytes:
    """A PNG of random pixels: cleaning encodes it again at about the same size."""
    import random

    from PIL import Image

    pixels = random.Random(seed).randbytes(width * 22 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (width, 22), pixels).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("app_config", [{"ATTACHMENT_MAX_BYTES": 2000, "PROPOSAL_ATTACHMENTS_MAX_BYTES": 3000}])
def test_size_limits_per_file_and_per_proposal(app, world):
    owner = world["owner"]
    big = save(owner, world["proposal"], ("file_other", "big.png", noise_png(40, 1)))
    assert big.status_code == 302 and "big.png" in owner.get(big.location, headers=EN).get_data(as_text=True)
    assert save(owner, world["proposal"], ("file_other", "a.png", noise_png(23, 2))).status_code == 302
    second = save(owner, world["proposal"], ("file_other", "b.png", noise_png(23, 3)))
    assert second.status_code == 302
    assert "add up to" in owner.get(second.location, headers=EN).get_data(as_text=True)


def test_attachment_download_is_access_checked_with_safe_headers(app, world):
    ready(app, world)
    with app.app_context():
        attachment = db.session.scalar(select(Attachment))
        stored = attachment.stored_name
    url = f"/attachments/{attachment.id}"
    response = world["owner"].get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E9%A2%84%E7%AE%97%E8%A1%A8.pdf" in response.headers["Content-Disposition"]
    assert response.mimetype == "application/pdf"
    # Files live outside static/ under random names.
    assert app.test_client().get(f"/static/{stored}").status_code == 404
    for email in ("stranger@example.org", "reviewer@example.org", "other-org@example.org", "org@example.org"):
        assert client_for(app, email).get(url).status_code == 404, email  # as if it did not exist
    assert app.test_client().get(url).status_code == 302
    # Once submitted, the call's organizers may read it.
    world["owner"].submit(f"/proposals/{world['proposal']}/submit", {"confirm_warnings": "y"})
    assert client_for(app, "org@example.org").get(url).status_code == 200
    assert client_for(app, "other-org@example.org").get(url).status_code == 404


def test_submission_lists_everything_missing(app, world):
    page = world["owner"].get(f"/proposals/{world['proposal']}/submit", headers=EN).get_data(as_text=True)
    for anchor in ("#title", "#summary", "#section-problem", "#budget", "#beneficiaries", "#district",
                   "#theme", "#attachment-a1"):
        assert anchor in page, anchor
    response = world["owner"].submit(f"/proposals/{world['proposal']}/submit", {"confirm_warnings": "y"})
    assert response.status_code == 422
    assert the_proposal(app, world["proposal"]).status is ProposalStatus.DRAFT


def test_submit_gives_a_receipt_with_number_time_and_fingerprint(app, world):
    ready(app, world)
    response = world["owner"].submit(f"/proposals/{world['proposal']}/submit", {"confirm_warnings": "y"})
    assert response.status_code == 302 and response.location.endswith("/versions/1/receipt")
    proposal = the_proposal(app, world["proposal"])
    assert proposal.status is ProposalStatus.SUBMITTED
    assert re.fullmatch(r"\d{4}-ML-0001", proposal.number)
    [version] = proposal.versions
    assert version.fingerprint == fingerprint(version.content)
    assert version.content["attachments"][0]["sha256"]
    page = world["owner"].get(response.location, headers=EN).get_data(as_text=True)
    assert proposal.number in page and version.fingerprint in page
    # Every member gets the receipt by e-mail.
    for email in ("owner@example.org", "member@example.org"):
        [mail] = outbox(app, email)
        assert proposal.number in mail.subject and version.fingerprint in mail.body_text


def test_revisions_are_new_versions_and_earlier_ones_are_kept(app, world):
    ready(app, world)
    owner = world["owner"]
    owner.submit(f"/proposals/{world['proposal']}/submit", {"confirm_warnings": "y"})
    unchanged = owner.submit(f"/proposals/{world['proposal']}/submit", {"confirm_warnings": "y"})
    assert unchanged.status_code == 422, "nothing changed"
    save(owner, world["proposal"], title="邻里菜园（修订）")
    assert owner.submit(f"/proposals/{world['proposal']}/submit", {"confirm_warnings": "y"}).status_code == 302
    proposal = the_proposal(app, world["proposal"])
    assert [v.version_no for v in proposal.versions] == [1, 2]
    assert [v.content["title"] for v in proposal.versions] == ["邻里菜园", "邻里菜园（修订）"]
    assert proposal.versions[0].number == proposal.versions[1].number
    assert owner.get(f"/proposals/{world['proposal']}/versions/1").status_code == 200


def test_withdraw_and_resubmit_before_closing(app, world):
    ready(app, world)
    owner = world["owner"]
    owner.submit(f"/proposals/{world['proposal']}/submit", {"confirm_warnings": "y"})
    edit = owner.get(f"/proposals/{world['proposal']}/edit").get_data(as_text=True)
    assert f'href="/proposals/{world["proposal"]}/withdraw"' in edit, "the editor links to the confirmation"
    asking = owner.get(f"/proposals/{world['proposal']}/withdraw", headers=EN)
    assert asking.status_code == 200 and "Yes, withdraw the proposal" in asking.get_data(as_text=True)
    assert the_proposal(app, world["proposal"]).status is ProposalStatus.SUBMITTED, "asking changes nothing"
    unconfirmed = owner.submit(f"/proposals/{world['proposal']}/withdraw")
    assert unconfirmed.status_code == 422
    assert the_proposal(app, world["proposal"]).status is ProposalStatus.SUBMITTED
    assert owner.submit(f"/proposals/{world['proposal']}/withdraw", {"confirm": "1"}).status_code == 302
    assert the_proposal(app, world["proposal"]).status is ProposalStatus.WITHDRAWN
    save(owner, world["proposal"], title="重新提交")
    owner.submit(f"/proposals/{world['proposal']}/submit", {"confirm_warnings": "y"})
    assert the_proposal(app, world["proposal"]).status is ProposalStatus.SUBMITTED


def test_after_the_closing_time_nothing_changes(app, world):
    ready(app, world)
    owner = world["owner"]
    owner.submit(f"/proposals/{world['proposal']}/submit", {"confirm_warnings": "y"})
    set_call_times(app, world["call"], closes_at=utcnow() - timedelta(seconds=1))
    before = the_proposal(app, world["proposal"])
    edit = save(owner, world["proposal"], title="太晚了")
    assert edit.status_code == 409 and "Nothing can be changed" in edit.get_data(as_text=True)
    submit = owner.submit(f"/proposals/{world['proposal']}/submit", {"confirm_warnings": "y"}, headers=EN)
    assert submit.status_code == 422
    withdraw = owner.submit(f"/proposals/{world['proposal']}/withdraw", {"confirm": "1"}, headers=EN)
    after = the_proposal(app, world["proposal"])
    assert after.status is ProposalStatus.SUBMITTED and after.title == before.title
    assert len(after.versions) == 1
    assert withdraw.status_code == 302
    assert owner.submit(f"/proposals/{world['proposal']}/autosave", draft("99")).status_code == 409


def test_identity_in_the_proposal_is_warned_and_needs_confirmation(app, world):
    owner = world["owner"]
    save(owner, world["proposal"], ("file_a1", "幸福里邻里互助队预算.pdf", pdf_bytes(author="Owner")),
         section_problem="联系我们：13900139004，幸福里邻里互助队")
    page = owner.get(f"/proposals/{world['proposal']}/submit", headers=EN).get_data(as_text=True)
    assert "Review is anonymous: check these places" in page
    assert "phone number" in page and "group name" in page and "file name" in page
    refused = owner.submit(f"/proposals/{world['proposal']}/submit", {})
    assert refused.status_code == 422
    assert owner.submit(f"/proposals/{world['proposal']}/submit", {"confirm_warnings": "y"}).status_code == 302


def test_eligibility_and_forged_group(app, world):
    registered_only = make_call(app, world["body"], Phase.OPEN, allow_grassroots=False, title="Registered only")
    owner = world["owner"]
    response = owner.submit(f"/calls/{registered_only}/apply", {"group": world["group"]})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Proposal).where(Proposal.call_id == registered_only)) is None
    # Applying in the name of someone else's group is ignored.
    other_call = make_call(app, world["body"], Phase.OPEN, title="Another")
    owner.submit(f"/calls/{other_call}/apply", {"group": world["other_group"]})
    with app.app_context():
        assert db.session.scalar(select(Proposal).where(Proposal.call_id == other_call)) is None
    # One proposal per group per call.
    again = owner.submit(f"/calls/{world['call']}/apply", {"group": world["group"]})
    assert again.status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(Proposal).where(Proposal.call_id == world["call"])).all()) == 1


def test_group_dashboard_and_organizer_dashboard(app, world):
    ready(app, world)
    owner = world["owner"]
    page = owner.get("/my/proposals", headers=EN).get_data(as_text=True)
    assert "邻里菜园" in page and "Draft" in page
    owner.submit(f"/proposals/{world['proposal']}/submit", {"confirm_warnings": "y"})
    number = the_proposal(app, world["proposal"]).number
    assert number in owner.get("/my/proposals").get_data(as_text=True)
    organizer = client_for(app, "org@example.org")
    page = organizer.get(f"/calls/{world['call']}/manage", headers=EN).get_data(as_text=True)
    assert number in page and "幸福里邻里互助队" in page
    assert re.search(r"Submitted</dt><dd>1</dd>", page)


def test_submissions_are_audited_with_their_fingerprint(app, world):
    from venture.audit.models import AuditEvent
    from venture.audit.services import verify

    ready(app, world)
    world["owner"].submit(f"/proposals/{world['proposal']}/submit", {"confirm_warnings": "y"})
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.submitted")).one()
        version = db.session.scalars(select(ProposalVersion)).one()
        assert event.data["fingerprint"] == version.fingerprint
        assert verify(db.session).ok
