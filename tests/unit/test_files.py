"""Attachments: recognised from their content, their text and metadata read.

Cleaning them (what is stored and served) is tested in test_cleaning.py."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from venture.proposals import files
from venture.proposals.files import (
    FileKind,
    UploadRejected,
    check_upload,
    extract_metadata,
    extract_text,
    safe_filename,
    sniff,
)
from venture.proposals.cleaning import clean

MB = 1024 * 1024
LIMIT = 20 * MB
IDENTIFYING = {"李慧敏", "阳光社工", "阳光社会工作服务中心", "Sunshine Centre", "Li Huimin", "张伟"}


# ---------------------------------------------------------------------------
# Sample files, built in code
# ---------------------------------------------------------------------------

def pdf_with_metadata() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Author": "李慧敏", "/Creator": "阳光社工", "/Title": "阳光社会工作服务中心申报书"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_text(text: str = "Hello Sunshine Centre", author: str = "Li Huimin") -> bytes:
    """A one-page PDF written by hand, with a Helvetica text line and an info dictionary."""
    stream = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
         b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Author ({author}) /Producer (hand) >>".encode("latin-1"),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>阳光社会工作服务中心申报书</dc:title>
<dc:creator>李慧敏</dc:creator><cp:lastModifiedBy>张伟</cp:lastModifiedBy><cp:keywords>阳光社工</cp:keywords>
<dcterms:created xsi:type="dcterms:W3CDTF">2026-01-05T08:00:00Z</dcterms:created></cp:coreProperties>"""

APP = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">
<Application>Microsoft Office Word</Application><Company>阳光社会工作服务中心</Company><Manager>Li Huimin</Manager>
</Properties>"""

RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="{main}"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>
</Relationships>"""


def content_types(overrides: dict[str, str]) -> str:
    parts = "".join(f'<Override PartName="/{name}" ContentType="{kind}"/>' for name, kind in overrides.items())
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>' + parts + "</Types>"
    )


def zip_of(parts: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
DOCUMENT = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W_NS}><w:body>'
    "<w:p><w:r><w:t>项目需求分析</w:t></w:r></w:p>"
    '<w:p><w:r><w:t xml:space="preserve">联系人：</w:t></w:r><w:r><w:t>李慧敏</w:t></w:r></w:p>'
    '<w:p><w:ins w:id="1" w:author="张伟" w:date="2026-01-01T00:00:00Z"><w:r><w:t>新增内容</w:t></w:r></w:ins></w:p>'
    "</w:body></w:document>"
)
FOOTER = f'<?xml version="1.0" encoding="UTF-8"?><w:ftr {W_NS}><w:p><w:r><w:t>阳光社工 版权所有</w:t></w:r></w:p></w:ftr>'


def docx() -> bytes:
    return zip_of({
        "[Content_Types].xml": content_types({
            "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
            "word/footer1.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml",
            "docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
            "docProps/app.xml": "application/vnd.openxmlformats-officedocument.extended-properties+xml",
        }),
        "_rels/.rels": RELS.format(main="word/document.xml"),
        "word/document.xml": DOCUMENT,
        "word/footer1.xml": FOOTER,
        "docProps/core.xml": CORE,
        "docProps/app.xml": APP,
    })


S_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
R_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def xlsx() -> bytes:
    return zip_of({
        "[Content_Types].xml": content_types({
            "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            "xl/worksheets/sheet1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
            "xl/sharedStrings.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
            "docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
            "docProps/app.xml": "application/vnd.openxmlformats-officedocument.extended-properties+xml",
        }),
        "_rels/.rels": RELS.format(main="xl/workbook.xml"),
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook {S_NS} {R_NS}><sheets>'
                           '<sheet name="预算" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        "xl/sharedStrings.xml": f'<?xml version="1.0"?><sst {S_NS} count="2" uniqueCount="2">'
                                "<si><t>活动物资</t></si><si><r><t>阳光</t></r><r><t>社工</t></r></si></sst>",
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet {S_NS}><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>2026</v></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>联系电话</t></is></c><c r="B2"><v>13900139004</v></c></row>'
        "</sheetData></worksheet>",
        "docProps/core.xml": CORE,
        "docProps/app.xml": APP,
    })


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(author: str = "Li Huimin") -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    itxt = b"Copyright\x00\x00\x00\x00\x00" + "阳光社会工作服务中心".encode()
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"tEXt", b"Author\x00" + author.encode("latin-1"))
            + png_chunk(b"iTXt", itxt)
            + png_chunk(b"IDAT", zlib.compress(b"\x00\x80"))
            + png_chunk(b"IEND", b""))


def exif(artist: str = "Li Huimin", copyright_: str = "Sunshine Centre") -> bytes:
    """A little-endian TIFF block with IFD0 Artist and Copyright."""
    values = [(0x013B, artist.encode() + b"\x00"), (0x8298, copyright_.encode() + b"\x00")]
    header = b"II*\x00" + struct.pack("<I", 8)
    data_at = 8 + 2 + 12 * len(values) + 4
    entries, blob = b"", b""
    for tag, value in values:
        entries += struct.pack("<HHII", tag, 2, len(value), data_at + len(blob))
        blob += value
    return header + struct.pack("<H", len(values)) + entries + b"\x00\x00\x00\x00" + blob


def jpeg(tiff: bytes | None = None) -> bytes:
    """A real 8×8 JPEG (made by Pillow) carrying a hand-built EXIF block."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(out, "JPEG", exif=b"Exif\x00\x00" + (tiff or exif()))
    return out.getvalue()


SAMPLES = {
    FileKind.PDF: pdf_with_text(),
    FileKind.DOCX: docx(),
    FileKind.XLSX: xlsx(),
    FileKind.PNG: png(),
    FileKind.JPEG: jpeg(),
}
NAMES = {FileKind.PDF: "申报书.pdf", FileKind.DOCX: "plan.DOCX", FileKind.XLSX: "预算.xlsx",
         FileKind.PNG: "photo.png", FileKind.JPEG: "photo.jpg"}


def rejected(filename: str, data: bytes, max_bytes: int = LIMIT) -> str:
    with pytest.raises(UploadRejected) as caught:
        check_upload(filename, data, max_bytes)
    return str(caught.value.message)


# ---------------------------------------------------------------------------
# Recognising and accepting
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(FileKind))
def test_each_kind_is_sniffed_from_its_content(kind: FileKind) -> None:
    assert sniff(SAMPLES[kind]) is kind


@pytest.mark.parametrize("kind", list(FileKind))
def test_each_kind_is_accepted_with_its_extension(kind: FileKind) -> None:
    assert check_upload(NAMES[kind], SAMPLES[kind], LIMIT) is kind
    assert files.MIME_TYPES[kind]
    assert all(extension.startswith(".") for extension in files.EXTENSIONS[kind])


def test_jpeg_extension_may_be_long_or_short() -> None:
    assert check_upload("a.JPEG", jpeg(), LIMIT) is FileKind.JPEG
    assert check_upload("C:\\Users\\li\\a.jpeg", jpeg(), LIMIT) is FileKind.JPEG


@pytest.mark.parametrize(("filename", "kind"), [
    ("photo.pdf", FileKind.PNG),
    ("report.docx", FileKind.PDF),
    ("budget.xlsx", FileKind.DOCX),
    ("plan.docx", FileKind.XLSX),
    ("photo.png", FileKind.JPEG),
    ("report", FileKind.PDF),
    ("report.pdf.exe", FileKind.PDF),
])
def test_extension_that_disagrees_with_the_content_is_refused(filename: str, kind: FileKind) -> None:
    message = rejected(filename, SAMPLES[kind])
    assert "file name ends in" in message or "has no extension" in message


@pytest.mark.parametrize("data", [
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200),  # Windows executable
    b"\x7fELF\x02\x01\x01" + bytes(100),
    b"<html><script>alert(1)</script></html>",
    b"GIF89a\x01\x00\x01\x00",
    zip_of({"readme.txt": "just a zip"}),
    zip_of({"[Content_Types].xml": "<Types/>", "other.xml": "<x/>"}),
])
def test_renamed_executables_and_other_types_are_refused(data: bytes) -> None:
    assert sniff(data) is None
    assert "not accepted" in rejected("report.pdf", data)


def test_empty_file_is_refused() -> None:
    assert "empty" in rejected("a.pdf", b"")


def test_oversize_file_is_refused_and_the_limit_is_said_in_mb() -> None:
    message = rejected("a.pdf", pdf_with_text(), max_bytes=100)
    assert "MB" in message
    assert check_upload("a.pdf", pdf_with_text(), 10 * MB) is FileKind.PDF
    big = pdf_with_text() + b"%" * (2 * MB)
    assert "2 MB" in rejected("a.pdf", big, max_bytes=2 * MB)


def test_encrypted_pdf_is_refused() -> None:
    assert "password" in rejected("a.pdf", encrypted_pdf())


def test_unreadable_pdf_is_refused() -> None:
    assert "could not be read" in rejected("a.pdf", b"%PDF-1.7\n garbage only")


def ooxml_with(extra: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx())) as source, zipfile.ZipFile(out, "w", compression) as target:
        for entry in source.infolist():
            target.writestr(entry.filename, source.read(entry))
        for name, content in extra.items():
            target.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize("extra", [
    pytest.param({"word/media/zeros.bin": bytes(5 * MB)}, id="ratio over 100"),
    pytest.param({f"word/media/{n}.xml": b"<x/>" for n in range(files.ZIP_MAX_ENTRIES + 1)}, id="too many entries"),
])
def test_zip_bomb_is_refused(extra: dict[str, bytes]) -> None:
    assert "not safe" in rejected("plan.docx", ooxml_with(extra))


def test_zip_with_too_much_uncompressed_content_is_refused() -> None:
    # Stored, not compressed, so the ratio is 1 and only the total size is wrong.
    data = ooxml_with({"word/media/big.bin": bytes(files.ZIP_MAX_UNCOMPRESSED + 1)}, zipfile.ZIP_STORED)
    assert "not safe" in rejected("plan.docx", data, max_bytes=100 * MB)


def test_normal_repetitive_part_is_not_a_bomb() -> None:
    data = ooxml_with({"word/media/small.bin": bytes(100_000)})
    assert check_upload("plan.docx", data, LIMIT) is FileKind.DOCX


def test_macro_enabled_document_is_refused() -> None:
    data = ooxml_with({"word/vbaProject.bin": b"\x00" * 100})
    assert "macros" in rejected("plan.docx", data)


MAGIC_PREFIXES = [b"", b"%PDF-1.4\n", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04", b"\xff\xd8\xff\xe1"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(prefix=st.sampled_from(MAGIC_PREFIXES), body=st.binary(max_size=2048),
       filename=st.sampled_from(["a.pdf", "a.jpg", "a.png", "a.docx", "a.xlsx", "a", "../x.exe"]))
def test_random_bytes_never_raise_anything_but_upload_rejected(prefix: bytes, body: bytes, filename: str) -> None:
    data = prefix + body
    try:
        check_upload(filename, data, LIMIT)
    except UploadRejected as error:
        assert str(error.message)
    for kind in FileKind:
        assert isinstance(extract_text(kind, data), str)
        assert isinstance(extract_metadata(kind, data), dict)
        try:
            assert isinstance(clean(kind, data), bytes)
        except UploadRejected as error:
            assert str(error.message)


@pytest.mark.parametrize("kind", list(FileKind))
def test_truncated_and_corrupted_files_never_raise_anything_but_upload_rejected(kind: FileKind) -> None:
    data = SAMPLES[kind]
    cuts = sorted({1, 4, 8, 20, len(data) // 3, len(data) // 2, len(data) - 30, len(data) - 1})
    variants = [data[:cut] for cut in cuts if 0 < cut < len(data)]
    variants += [data[:n] + b"\x00" * 16 + data[n + 16:] for n in range(0, len(data), max(len(data) // 12, 1))]
    for variant in variants:
        try:
            check_upload(NAMES[kind], variant, LIMIT)
        except UploadRejected:
            pass
        extract_text(kind, variant)
        extract_metadata(kind, variant)
        try:
            clean(kind, variant)
        except UploadRejected:
            pass


def test_messages_are_plain_sentences() -> None:
    for message in (rejected("a.pdf", b""), rejected("a.pdf", b"MZ" + bytes(10)), rejected("a.png", pdf_with_text())):
        assert message[0].isupper() and message.endswith(".")


# ---------------------------------------------------------------------------
# File names
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("申报书.pdf", "申报书.pdf"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\李慧敏\\Desktop\\plan.docx", "plan.docx"),
    ("evil\r\nSet-Cookie: x.pdf", "evilSet-Cookie_ x.pdf"),
    ("report\u202egpj.exe", "reportgpj.exe"),
    ('a"b;c.pdf', "a_b;c.pdf"),
    ("", "attachment"),
    ("...", "attachment"),
    ("/", "attachment"),
    ("\x00\x01", "attachment"),
    ("  spaced   name .pdf ", "spaced name .pdf"),
])
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_keeps_the_extension_when_shortened() -> None:
    name = safe_filename("很长的名字" * 60 + ".docx")
    assert len(name) == files.FILENAME_MAX
    assert name.endswith(".docx")


@given(st.text(max_size=400))
def test_safe_filename_is_never_empty_nor_has_separators_or_controls(name: str) -> None:
    safe = safe_filename(name)
    assert safe and len(safe) <= files.FILENAME_MAX
    assert "/" not in safe and "\\" not in safe
    assert all(ord(char) >= 32 and ord(char) != 127 for char in safe)


# ---------------------------------------------------------------------------
# Text and metadata
# ---------------------------------------------------------------------------

def test_text_of_a_pdf() -> None:
    assert "Hello Sunshine Centre" in extract_text(FileKind.PDF, pdf_with_text())


def test_text_of_a_docx_includes_footers_and_tracked_changes() -> None:
    text = extract_text(FileKind.DOCX, docx())
    assert "项目需求分析" in text
    assert "联系人：李慧敏" in text
    assert "新增内容" in text
    assert "阳光社工 版权所有" in text


def test_text_of_an_xlsx_has_shared_and_inline_strings_and_phone_like_numbers() -> None:
    text = extract_text(FileKind.XLSX, xlsx())
    assert "活动物资" in text and "阳光社工" in text
    assert "联系电话" in text
    assert "13900139004" in text
    assert "2026" not in text, "ordinary numbers are not text"


@pytest.mark.parametrize("kind", [FileKind.PNG, FileKind.JPEG])
def test_images_have_no_text(kind: FileKind) -> None:
    assert extract_text(kind, SAMPLES[kind]) == ""


def test_text_is_cut_at_the_limit() -> None:
    assert len(extract_text(FileKind.DOCX, docx(), limit=5)) == 5
    assert extract_text(FileKind.PDF, pdf_with_text(), limit=0) == ""


def test_text_of_a_truncated_docx_part_keeps_what_was_read() -> None:
    broken = zip_of({"[Content_Types].xml": "<Types/>", "word/document.xml": DOCUMENT[: DOCUMENT.index("新增")]})
    assert "李慧敏" in extract_text(FileKind.DOCX, broken)


def test_xml_with_a_dtd_is_not_read() -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            f"<w:document {W_NS}><w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>")
    data = zip_of({"[Content_Types].xml": "<Types/>", "word/document.xml": bomb})
    assert extract_text(FileKind.DOCX, data) == ""


def test_metadata_of_a_pypdf_pdf() -> None:
    found = extract_metadata(FileKind.PDF, pdf_with_metadata())
    assert found["author"] == "李慧敏"
    assert found["creator"] == "阳光社工"
    assert found["title"] == "阳光社会工作服务中心申报书"


def test_metadata_of_a_hand_written_pdf() -> None:
    assert extract_metadata(FileKind.PDF, pdf_with_text())["author"] == "Li Huimin"


def test_metadata_of_a_pdf_includes_xmp_creator() -> None:
    reader = PdfReader(io.BytesIO(pdf_with_text()))
    writer = PdfWriter(clone_from=reader)
    xmp = writer.xmp_metadata
    if xmp is None:
        from pypdf.xmp import XmpInformation
        xmp = XmpInformation.create()
    xmp.dc_creator = ["张伟"]
    writer.xmp_metadata = xmp
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    assert extract_metadata(FileKind.PDF, data).get("xmp_creator") == "张伟"
    assert "xmp_creator" not in extract_metadata(FileKind.PDF, clean(FileKind.PDF, data))


def test_pdf_comment_author_is_found_and_removed() -> None:
    from pypdf.annotations import Text
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    note = Text(rect=(10, 10, 50, 50), text="请补充预算")
    note[NameObject("/T")] = TextStringObject("李慧敏")
    writer.add_annotation(0, note)
    out = io.BytesIO()
    writer.write(out)
    assert extract_metadata(FileKind.PDF, out.getvalue())["annotation_author"] == "李慧敏"
    cleaned = clean(FileKind.PDF, out.getvalue())
    assert_nothing_identifying(FileKind.PDF, cleaned)
    assert len(PdfReader(io.BytesIO(cleaned)).pages[0]["/Annots"]) == 1, "the comment itself is kept"


@pytest.mark.parametrize("kind", [FileKind.DOCX, FileKind.XLSX])
def test_metadata_of_office_files(kind: FileKind) -> None:
    found = extract_metadata(kind, SAMPLES[kind])
    assert found["creator"] == "李慧敏"
    assert found["last_modified_by"] == "张伟"
    assert found["keywords"] == "阳光社工"
    assert found["company"] == "阳光社会工作服务中心"
    assert found["manager"] == "Li Huimin"
    assert "created" not in found


def test_docx_tracked_change_author_is_metadata() -> None:
    assert extract_metadata(FileKind.DOCX, docx())["comment_author"] == "张伟"


def test_metadata_of_a_jpeg() -> None:
    found = extract_metadata(FileKind.JPEG, jpeg())
    assert found == {"artist": "Li Huimin", "copyright": "Sunshine Centre"}


def test_metadata_of_a_big_endian_exif() -> None:
    artist = b"Li Huimin\x00"
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHII", 0x013B, 2, len(artist), 8 + 2 + 12 + 4) + b"\x00" * 4 + artist
    assert extract_metadata(FileKind.JPEG, jpeg(tiff)) == {"artist": "Li Huimin"}


def test_metadata_of_a_png() -> None:
    found = extract_metadata(FileKind.PNG, png())
    assert found == {"Author": "Li Huimin", "Copyright": "阳光社会工作服务中心"}


def test_metadata_has_only_non_empty_values() -> None:
    assert "Author" not in extract_metadata(FileKind.PNG, png(author="  "))


# ---------------------------------------------------------------------------
# Cleaning the sample files
# ---------------------------------------------------------------------------

def assert_nothing_identifying(kind: FileKind, data: bytes) -> None:
    values = " ".join(extract_metadata(kind, data).values())
    assert not [name for name in IDENTIFYING if name in values], values


@pytest.mark.parametrize("kind", list(FileKind))
def test_cleaning_removes_metadata_and_keeps_the_kind(kind: FileKind) -> None:
    cleaned = clean(kind, SAMPLES[kind])
    assert sniff(cleaned) is kind
    assert check_upload(NAMES[kind], cleaned, LIMIT) is kind
    assert_nothing_identifying(kind, cleaned)
    assert extract_metadata(kind, cleaned) == {}


@pytest.mark.parametrize("data", [pdf_with_metadata(), pdf_with_text()])
def test_cleaned_pdf_opens_with_the_same_pages_and_text(data: bytes) -> None:
    cleaned = clean(FileKind.PDF, data)
    before, after = PdfReader(io.BytesIO(data)), PdfReader(io.BytesIO(cleaned))
    assert len(after.pages) == len(before.pages)
    assert not after.metadata, "no information dictionary at all"
    assert extract_text(FileKind.PDF, cleaned) == extract_text(FileKind.PDF, data)
    assert_nothing_identifying(FileKind.PDF, cleaned)


@pytest.mark.parametrize("kind", [FileKind.DOCX, FileKind.XLSX])
def test_cleaned_office_file_keeps_its_content_and_loses_its_properties(kind: FileKind) -> None:
    original = SAMPLES[kind]
    cleaned = clean(kind, original)
    with zipfile.ZipFile(io.BytesIO(original)) as before, zipfile.ZipFile(io.BytesIO(cleaned)) as after:
        assert after.testzip() is None
        assert set(after.namelist()) == set(before.namelist()) - {"docProps/core.xml", "docProps/app.xml"}
        relationships = after.read("_rels/.rels").decode()
        types = after.read("[Content_Types].xml").decode()
    assert "docProps" not in relationships and "docProps" not in types
    assert extract_text(kind, cleaned).replace("\n", "") == extract_text(kind, original).replace("\n", "")


@pytest.mark.parametrize("kind", [FileKind.JPEG, FileKind.PNG])
def test_cleaned_image_keeps_its_pixels(kind: FileKind) -> None:
    from PIL import Image

    cleaned = clean(kind, SAMPLES[kind])
    with Image.open(io.BytesIO(SAMPLES[kind])) as before, Image.open(io.BytesIO(cleaned)) as after:
        assert after.size == before.size
        assert after.convert("RGB").getpixel((0, 0)) == before.convert("RGB").getpixel((0, 0))
    assert b"Exif" not in cleaned and b"Photoshop" not in cleaned and b"tEXt" not in cleaned


@pytest.mark.parametrize("kind", list(FileKind))
def test_unparsable_file_is_refused_never_passed_through(kind: FileKind) -> None:
    with pytest.raises(UploadRejected):
        clean(kind, SAMPLES[kind][:40])


def test_encrypted_pdf_cannot_be_cleaned() -> None:
    with pytest.raises(UploadRejected):
        clean(FileKind.PDF, encrypted_pdf())
