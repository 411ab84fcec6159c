"""Files are clean or refused, never passed through: an upload is cleaned
before it is stored, a file the cleaner cannot take apart is refused with a
message (the form keeps what was typed), and every path that serves a file
(the group's, the public's, the reviewer's, the organizers', an objection's)
serves cleaned bytes only, including files stored before uploads were cleaned."""
from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import select

from tests import hostile_files as hostile
from tests.builders import make_body, make_call, make_group
from tests.conftest import Client, login, make_user
from tests.review_builders import make_review_world
from venture.calls.models import Phase
from venture.extensions import db
from venture.proposals import cleaning, storage
from venture.proposals.models import Attachment
from venture.results.models import Objection

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def client_for(app, email):
    client = Client(app, app.response_class, use_cookies=True)
    login(client, email)
    return client


@pytest.fixture
def editing(app):
    make_user(app, "owner@example.org")
    make_user(app, "org@example.org")
    body = make_body(app, "org@example.org")
    call = make_call(app, body, Phase.OPEN)
    group = make_group(app, "owner@example.org")
    owner = client_for(app, "owner@example.org")
    proposal = int(owner.submit(f"/calls/{call}/apply", {"group": group}).location.split("/")[2])
    return {"owner": owner, "proposal": proposal}


def upload(client, proposal_id, name, data, headers=EN):
    import re

    page = client.get(f"/proposals/{proposal_id}/edit").get_data(as_text=True)
    lock = re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(1)
    form = {"lock_version": lock, "title": "邻里菜园", "summary": "把空地变成菜园", "action": "save",
            "file_other": (io.BytesIO(data), name)}
    return client.submit(f"/proposals/{proposal_id}/edit", form, content_type="multipart/form-data",
                         headers=headers)


def stored_attachments(app) -> list[tuple[Attachment, bytes]]:
    with app.app_context():
        found = list(db.session.scalars(select(Attachment).order_by(Attachment.id)))
        db.session.expunge_all()
        return [(attachment, storage.read(attachment.stored_name)) for attachment in found]


@pytest.mark.parametrize(("name", "sample"), [
    ("计划书.docx", hostile.hostile_docx),
    ("预算.xlsx", hostile.hostile_xlsx),
    ("申报书.pdf", hostile.hostile_pdf),
    ("现场.jpg", hostile.jpeg_with_gps),
    ("现场.png", hostile.png_with_metadata),
])
def test_an_upload_is_stored_cleaned_and_the_group_downloads_exactly_that(app, editing, name, sample):
    data = sample()
    assert upload(editing["owner"], editing["proposal"], name, data).status_code == 302
    [(attachment, stored)] = stored_attachments(app)
    unpacked = (hostile.pdf_everything(stored) if name.endswith(".pdf")
                else hostile.zip_everything(stored) if name.endswith(("x", "xlsx")) else stored)
    assert hostile.planted_in(unpacked) == [], "nothing planted is kept on disk"
    assert attachment.cleaner_version == cleaning.CLEANER_VERSION
    assert attachment.size == len(stored) and attachment.sha256 == hashlib.sha256(stored).hexdigest()
    served = editing["owner"].get(f"/attachments/{attachment.id}")
    assert served.status_code == 200 and served.get_data() == stored


@pytest.mark.parametrize(("headers", "expected"), [
    (EN, "This document contains a picture that cannot be cleaned"),
    (ZH, "文档中有无法清理的图片"),
])
def test_a_file_the_cleaner_cannot_take_apart_is_refused_and_the_text_is_kept(app, editing, headers, expected):
    emf = hostile.docx_with_part("word/media/image9.emf", b"\x01\x00\x00\x00PLANT-EMF" + bytes(80), "image/x-emf",
                                 "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image")
    response = upload(editing["owner"], editing["proposal"], "计划书.docx", emf, headers=headers)
    assert response.status_code == 302, "the text is saved; the file alone is refused"
    page = editing["owner"].get(response.location, headers=headers).get_data(as_text=True)
    assert expected in page and "计划书.docx" in page, "the refused file is named with why"
    assert 'value="邻里菜园"' in page, "what was typed is kept"
    assert stored_attachments(app) == []


@pytest.mark.parametrize(("headers", "expected"), [(EN, "could not be read"), (ZH, "无法读取")])
def test_a_broken_picture_is_refused_not_stored_as_it_came(app, editing, headers, expected):
    broken = hostile.plain_jpeg()[:200]
    response = upload(editing["owner"], editing["proposal"], "photo.jpg", broken, headers=headers)
    assert response.status_code == 302
    assert expected in editing["owner"].get(response.location, headers=headers).get_data(as_text=True)
    assert stored_attachments(app) == []


# Files stored before uploads were cleaned ------------------------------------------------

@pytest.fixture
def stored_before(app):
    """A submitted proposal in review whose attachment was stored as it was
    uploaded (before cleaning), with every kind of thing planted in it; the
    group made it public."""
    for email in ("owner@example.org", "org@example.org", "reviewer@example.org"):
        make_user(app, email)
    body = make_body(app, "org@example.org")
    group = make_group(app, "owner@example.org")
    ids = make_review_world(app, body, group, "reviewer@example.org")
    with app.app_context():
        attachment = db.session.get(Attachment, ids["review_attachment_id"])
        assert attachment.cleaner_version == 0
        attachment.stored_name = storage.store(hostile.hostile_pdf())
        attachment.is_public = True
        db.session.commit()
    return ids


def served_paths(ids):
    attachment = ids["review_attachment_id"]
    return {
        "group": ("owner@example.org", f"/attachments/{attachment}"),
        "organizer": ("org@example.org", f"/attachments/{attachment}"),
        "public": (None, f"/attachments/{attachment}"),
        "reviewer": ("reviewer@example.org", f"/review/{ids['assignment_id']}/files/{attachment}"),
    }


def test_every_serving_path_cleans_a_file_stored_before_cleaning(app, stored_before):
    for who, (email, path) in served_paths(stored_before).items():
        client = client_for(app, email) if email else app.test_client()
        response = client.get(path)
        assert response.status_code == 200, who
        assert response.get_data().startswith(b"%PDF"), who
        assert hostile.planted_in(hostile.pdf_everything(response.get_data())) == [], who


def test_a_stored_file_that_cannot_be_cleaned_is_served_to_nobody(app, stored_before):
    with app.app_context():
        attachment = db.session.get(Attachment, stored_before["review_attachment_id"])
        attachment.stored_name = storage.store(b"%PDF-1.4\nPLANT-UNREADABLE Li Huimin " + bytes(100))
        db.session.commit()
    for who, (email, path) in served_paths(stored_before).items():
        client = client_for(app, email) if email else app.test_client()
        response = client.get(path, headers=EN)
        assert b"PLANT-UNREADABLE" not in response.get_data(), who
        if who == "group":  # sent to its proposal, and told why
            assert response.status_code == 302
            page = client.get(response.location, headers=EN).get_data(as_text=True)
            assert "its author details cannot be removed" in page
        elif who == "public":  # as for a missing or private file: the log-in, nothing served
            assert response.status_code == 302 and "/login" in response.location
        else:
            assert response.status_code == 404, who


@pytest.mark.parametrize(("headers", "expected"), [(EN, "its author details cannot be removed"),
                                                   (ZH, "无法去除作者信息")])
def test_the_group_is_told_to_upload_again_a_draft_file_that_cannot_be_cleaned(app, editing, headers, expected):
    with app.app_context():
        from venture.proposals.models import Proposal

        proposal = db.session.get(Proposal, editing["proposal"])
        data = b"%PDF-1.4\nPLANT-UNREADABLE " + bytes(100)
        attachment = Attachment(proposal=proposal, slot="other", filename="旧文件.pdf", kind="pdf",
                                stored_name=storage.store(data), size=len(data),
                                sha256=hashlib.sha256(data).hexdigest())
        db.session.add(attachment)
        db.session.commit()
        attachment_id = attachment.id
    response = editing["owner"].get(f"/attachments/{attachment_id}", headers=headers)
    assert response.status_code == 302 and response.location.endswith(f"/proposals/{editing['proposal']}/edit")
    page = editing["owner"].get(response.location, headers=headers).get_data(as_text=True)
    assert expected in page and "旧文件.pdf" in page


def test_an_objection_file_stored_before_cleaning_is_served_cleaned(app):
    from tests.public_results_builders import add_objection, make_results_world

    ids = make_results_world(app, Phase.NOTICE)
    objection_id = add_objection(app, ids)
    with app.app_context():
        objection = db.session.get(Objection, objection_id)
        objection.attachment_name, objection.attachment_kind = "证据.pdf", "pdf"
        objection.attachment_stored = storage.store(hostile.hostile_pdf())
        db.session.commit()
    response = app.test_client().get(f"/calls/{ids['call_id']}/objections/{objection_id}/file")
    assert response.status_code == 200
    assert hostile.planted_in(hostile.pdf_everything(response.get_data())) == []


def test_the_blind_review_warning_still_reads_the_text_of_a_cleaned_file(app, editing):
    """Cleaning takes the metadata away, never the text the applicant wrote:
    the warning before submitting still finds the group's name in it."""
    from docx import Document

    from venture.proposals import services
    from venture.proposals.models import Proposal

    document = Document()
    document.add_paragraph("项目由幸福里邻里互助队实施。")
    document.core_properties.author = "幸福里邻里互助队"
    out = io.BytesIO()
    document.save(out)
    assert upload(editing["owner"], editing["proposal"], "计划书.docx", out.getvalue()).status_code == 302
    [(attachment, stored)] = stored_attachments(app)
    with app.app_context():
        findings = services.leak_findings(db.session.get(Proposal, editing["proposal"]))
    places = {finding.place for finding in findings if finding.kind == "group_name"}
    assert f"attachment:{attachment.id}:text" in places
    assert f"attachment:{attachment.id}:metadata" not in places, "the author property was removed at upload"
