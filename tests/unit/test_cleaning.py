"""Cleaning attachments against hostile samples: every planted string is gone
from the cleaned bytes (also inside compressed streams and ZIP members), the
file still opens with its content, and what cannot be cleaned is refused."""
from __future__ import annotations

import io
import zipfile

import pikepdf
import pytest
from PIL import Image

from tests import hostile_files as hostile
from venture.proposals import cleaning
from venture.proposals.files import FileKind, UploadRejected, extract_metadata, extract_text, sniff


def refused(kind: FileKind, data: bytes) -> str:
    with pytest.raises(UploadRejected) as caught:
        cleaning.clean(kind, data)
    return str(caught.value.message)


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------

def test_a_photo_loses_exif_gps_xmp_iptc_icc_and_comment_and_keeps_its_pixels():
    original = hostile.jpeg_with_gps()
    assert len(hostile.planted_in(original)) >= 7, "the sample carries what it should"
    assert extract_metadata(FileKind.JPEG, original)["gps"] == "present"
    cleaned = cleaning.clean(FileKind.JPEG, original)
    assert hostile.planted_in(cleaned) == []
    assert hostile.icc_profile()[:128] not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.format == "JPEG"
        assert not image.getexif() and "icc_profile" not in image.info and "xmp" not in image.info
        assert {marker for marker, _body in image.applist} <= {"APP0", "APP14"}
        image.load()
    assert extract_metadata(FileKind.JPEG, cleaned) == {}


def test_the_exif_orientation_is_applied_to_the_pixels_before_it_goes():
    original = hostile.jpeg_with_gps(64, 48)  # orientation 6: shown turned 90° clockwise
    with Image.open(io.BytesIO(cleaning.clean(FileKind.JPEG, original))) as image:
        assert image.size == (48, 64)
        red, grey = image.getpixel((image.width - 3, 2)), image.getpixel((2, 2))
    assert red[0] > 150 and red[1] < 90, "the red top-left corner is now top right, as the viewer saw it"
    assert min(grey) > 200


def test_a_png_loses_every_text_chunk_exif_and_icc_even_compressed_ones():
    original = hostile.png_with_metadata()
    cleaned = cleaning.clean(FileKind.PNG, original)
    chunks = hostile.png_chunks(cleaned)
    assert {kind for kind, _body in chunks} <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"pHYs"}
    import zlib

    inflated = b"".join(zlib.decompress(body) for kind, body in chunks if kind == b"IDAT")
    assert hostile.planted_in(cleaned + inflated) == []
    with Image.open(io.BytesIO(cleaned)) as image, Image.open(io.BytesIO(original)) as before:
        assert image.size == before.size
        assert image.convert("RGB").tobytes() == before.convert("RGB").tobytes()


def test_an_image_too_large_to_decode_is_refused_before_it_is_decoded():
    message = refused(FileKind.PNG, hostile.huge_png_header())
    assert "million pixels" in message


@pytest.mark.parametrize("image_format", ["GIF", "WEBP", "BMP", "TIFF"])
def test_other_picture_formats_are_cleaned_in_their_own_format(image_format):
    """Pictures inside Office files come in these formats too."""
    picture = Image.new("RGB", (20, 10), (30, 160, 60))
    out = io.BytesIO()
    extra = {"comment": b"PLANT-GIF-COMMENT"} if image_format == "GIF" else {}
    if image_format in {"WEBP", "TIFF"}:
        extra = {"exif": hostile._exif(orientation=1)}
    picture.save(out, image_format, **extra)
    assert hostile.planted_in(out.getvalue()) or image_format == "BMP"
    cleaned = cleaning.clean_image(out.getvalue())
    assert hostile.planted_in(cleaned) == []
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.format == image_format and image.size == (20, 10)


def test_an_animated_gif_keeps_its_frames():
    frames = [Image.new("RGB", (10, 10), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0,
                   comment=b"PLANT-ANIMATED-COMMENT")
    cleaned = cleaning.clean_image(out.getvalue())
    assert hostile.planted_in(cleaned) == []
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.n_frames == 3


# ---------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------

def test_a_pdf_loses_all_active_content_embedded_files_and_every_xmp_stream():
    original = hostile.hostile_pdf()
    planted = hostile.planted_in(hostile.pdf_everything(original))
    for marker in ("PLANT-JS-OPENACTION", "PLANT-JS-NAMES", "PLANT-EMBEDDED-FILE", "PLANT-XMP-ORPHAN",
                   "PLANT-INFO-OLD", "PLANT-EXIF-ARTIST"):
        assert marker in planted, f"the sample should carry {marker}"
    cleaned = cleaning.clean(FileKind.PDF, original)
    assert hostile.planted_in(hostile.pdf_everything(cleaned)) == []
    everything = hostile.pdf_everything(cleaned)
    for name in (b"/JavaScript", b"/JS", b"/OpenAction", b"/AA", b"/EmbeddedFile", b"/EF", b"/Launch",
                 b"/URI", b"/Metadata", b"/XFA", b"/PieceInfo", b"/FileAttachment"):
        assert name not in everything, name
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        assert "/Info" not in pdf.trailer
        assert len(pdf.pages) == 1
        annotations = {str(annotation.Subtype) for annotation in pdf.pages[0].Annots}
        jumps = [annotation.A for annotation in pdf.pages[0].Annots if "/A" in annotation]
        image = pdf.pages[0].Resources.XObject.Im1
        assert (image.Width, image.Height) == (16, 16)
    assert annotations == {"/Link", "/Text", "/Widget"}, "comments, links and form fields stay"
    assert [str(jump.S) for jump in jumps] == ["/GoTo"] and "/Next" not in jumps[0], "a jump inside the file stays"
    assert extract_text(FileKind.PDF, cleaned).strip() == "Project plan for the neighbourhood"
    assert extract_metadata(FileKind.PDF, cleaned) == {}


def test_a_pdf_is_rewritten_whole_not_incrementally():
    cleaned = cleaning.clean(FileKind.PDF, hostile.hostile_pdf())
    assert cleaned.count(b"%%EOF") == 1 and cleaned.count(b"startxref") == 1
    assert cleaning.clean(FileKind.PDF, cleaned).count(b"%%EOF") == 1


def test_a_signed_form_field_loses_its_signature():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    signature = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Sig, Name="PLANT-SIGNER",
                                                     Contents=b"PLANT-CERTIFICATE"))
    field = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget,
                                                 FT=pikepdf.Name.Sig, T="signature", V=signature,
                                                 Rect=[0, 0, 10, 10]))
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([field]))
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[field])
    out = io.BytesIO()
    pdf.save(out)
    cleaned = cleaning.clean(FileKind.PDF, out.getvalue())
    assert hostile.planted_in(hostile.pdf_everything(cleaned)) == []


# ---------------------------------------------------------------------------
# Word
# ---------------------------------------------------------------------------

def test_a_word_document_loses_every_author_path_and_property_and_still_opens():
    from docx import Document

    original = hostile.hostile_docx()
    planted = hostile.planted_in(hostile.zip_everything(original))
    for marker in ("PLANT-COMMENT-AUTHOR", "PLANT-INS-AUTHOR", "PLANT-DEL-AUTHOR", "PLANT-CUSTOM-PROPERTY",
                   "PLANT-HYPERLINK", "PLANT-TEMPLATE-PATH", "PLANT-PERSON", "PLANT-EXIF-ARTIST", "PLANT-DOCVAR",
                   "PLANT-FIELD-PATH", "PLANT-ZIP-COMMENT", "PLANT-HYPERLINK-BASE", "PLANT-CUSTOMXML"):
        assert marker in planted, f"the sample should carry {marker}"
    cleaned = cleaning.clean(FileKind.DOCX, original)
    assert hostile.planted_in(hostile.zip_everything(cleaned)) == []
    with zipfile.ZipFile(io.BytesIO(cleaned)) as archive:
        names = set(archive.namelist())
        relationships = b"".join(archive.read(name) for name in names if name.endswith(".rels"))
        media = [archive.read(name) for name in names if name.startswith("word/media/")]
        document = archive.read("word/document.xml")
    assert not {name for name in names if name.startswith(("docProps/", "customXml/"))}
    assert "word/people.xml" not in names
    assert b'TargetMode="External"' not in relationships
    assert b"rsid" not in document
    assert len(media) == 1 and Image.open(io.BytesIO(media[0])).size == (48, 64), "the photo, upright"

    opened = Document(io.BytesIO(cleaned))
    text = "\n".join(paragraph.text for paragraph in opened.paragraphs)
    for kept in ("项目需求分析", "原有内容", "our site"):
        assert kept in text
    assert [comment.text for comment in opened.comments] == ["请补充预算明细"], "the comment itself stays"
    assert len(opened.inline_shapes) == 1
    assert "删去的内容" in extract_text(FileKind.DOCX, cleaned), "tracked changes stay, without their authors"
    assert extract_metadata(FileKind.DOCX, cleaned) == {}


def test_an_embedded_workbook_is_cleaned_as_an_office_file():
    embedded = hostile.hostile_xlsx()
    data = hostile.docx_with_part("word/embeddings/Microsoft_Excel_Worksheet.xlsx", embedded,
                                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                  "http://schemas.openxmlformats.org/officeDocument/2006/relationships/package")
    assert "PLANT-FILESHARING-USER" in hostile.planted_in(hostile.zip_everything(data))
    cleaned = cleaning.clean(FileKind.DOCX, data)
    assert hostile.planted_in(hostile.zip_everything(cleaned)) == []


@pytest.mark.parametrize(("name", "content_type", "rel_type", "expected"), [
    ("word/media/image2.emf", "image/x-emf", "image", "picture that cannot be cleaned"),
    ("word/embeddings/oleObject1.bin", "application/vnd.openxmlformats-officedocument.oleObject", "oleObject",
     "embedded object"),
    ("word/activeX/activeX1.bin", "application/vnd.ms-office.activeX", "control", "macros"),
])
def test_what_cannot_be_cleaned_inside_a_document_refuses_it(name, content_type, rel_type, expected):
    kind = f"http://schemas.openxmlformats.org/officeDocument/2006/relationships/{rel_type}"
    data = hostile.docx_with_part(name, b"\x01\x00\x00\x00PLANT-OPAQUE" + bytes(64), content_type, kind)
    assert expected in refused(FileKind.DOCX, data)


def test_xml_with_a_dtd_anywhere_in_a_document_refuses_it():
    bomb = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            '<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">&b;</w:styles>')
    data = hostile._add_parts(hostile.docx_with_part("word/extra.xml", b"<x/>", "application/xml", "urn:extra"),
                              {"word/styles.xml": bomb}, {}, {})
    refused(FileKind.DOCX, data)


def test_a_part_no_content_type_covers_is_dropped():
    data = hostile._add_parts(hostile.docx_with_part("word/extra.xml", b"<x/>", "application/xml", "urn:extra"),
                              {"secret.txt": b"PLANT-STRAY-FILE"}, {}, {})
    cleaned = cleaning.clean(FileKind.DOCX, data)
    assert hostile.planted_in(hostile.zip_everything(cleaned)) == []


# ---------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------

def test_a_workbook_loses_file_sharing_user_paths_authors_and_printers_and_still_opens():
    import openpyxl

    # Excel writes the line breaks of a comment's box in its drawing as unclosed HTML <br>.
    original = hostile._replace(hostile.hostile_xlsx(), "xl/drawings/commentsDrawing1.vml",
                                '<div style="text-align:left"/>', '<div style="text-align:left">第一行<br>第二行</div>')
    planted = hostile.planted_in(hostile.zip_everything(original))
    for marker in ("PLANT-FILESHARING-USER", "PLANT-ABSPATH", "PLANT-XLSX-COMMENT-AUTHOR", "PLANT-XLSX-PERSON",
                   "PLANT-XLSX-HYPERLINK", "PLANT-PRINTER", "PLANT-XLSX-CREATOR", "PLANT-CONNECTION"):
        assert marker in planted, f"the sample should carry {marker}"
    cleaned = cleaning.clean(FileKind.XLSX, original)
    assert sniff(cleaned) is FileKind.XLSX
    assert hostile.planted_in(hostile.zip_everything(cleaned)) == []
    with zipfile.ZipFile(io.BytesIO(cleaned)) as archive:
        workbook = archive.read("xl/workbook.xml")
        names = archive.namelist()
    assert b"fileSharing" not in workbook and b"absPath" not in workbook and b"AlternateContent" not in workbook
    assert not [name for name in names if "printerSettings" in name or name.startswith("docProps/")]
    sheet = openpyxl.load_workbook(io.BytesIO(cleaned)).active
    assert (sheet["A1"].value, sheet["B1"].value, sheet["A3"].value) == ("活动物资", 1200, "website")
    assert sheet["A2"].comment is not None and sheet["A2"].comment.text == "请核对单价"
    assert sheet["A3"].hyperlink is None, "the link out is gone, its text stays"


# ---------------------------------------------------------------------------
# Whatever the bytes
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(FileKind))
def test_cleaning_is_stable(kind):
    """Cleaning a cleaned file again takes nothing more away and still succeeds."""
    samples = {FileKind.PDF: hostile.hostile_pdf(), FileKind.DOCX: hostile.hostile_docx(),
               FileKind.XLSX: hostile.hostile_xlsx(), FileKind.JPEG: hostile.jpeg_with_gps(),
               FileKind.PNG: hostile.png_with_metadata()}
    once = cleaning.clean(kind, samples[kind])
    twice = cleaning.clean(kind, once)
    assert sniff(twice) is kind
    if kind in (FileKind.DOCX, FileKind.XLSX):
        with zipfile.ZipFile(io.BytesIO(once)) as first, zipfile.ZipFile(io.BytesIO(twice)) as second:
            assert first.namelist() == second.namelist()


def test_a_multi_page_tiff_keeps_its_pages():
    pages = [Image.new("L", (12, 12), shade) for shade in (20, 200)]
    out = io.BytesIO()
    pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:], description="PLANT-TIFF-DESCRIPTION")
    assert hostile.planted_in(out.getvalue())
    cleaned = cleaning.clean_image(out.getvalue())
    assert hostile.planted_in(cleaned) == []
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.n_frames == 2


def test_a_phones_multi_picture_jpeg_keeps_the_photo_only():
    photo, depth_map = Image.new("RGB", (30, 20), (200, 0, 0)), Image.new("RGB", (30, 20), (0, 200, 0))
    out = io.BytesIO()
    photo.save(out, "MPO", save_all=True, append_images=[depth_map], exif=hostile._exif(orientation=1))
    assert hostile.planted_in(out.getvalue())
    cleaned = cleaning.clean(FileKind.JPEG, out.getvalue())
    assert hostile.planted_in(cleaned) == []
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.format == "JPEG" and getattr(image, "n_frames", 1) == 1
        assert image.getpixel((5, 5))[0] > 150
