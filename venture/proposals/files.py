"""Attachments of a proposal, checked from their content.

An upload is accepted only when its bytes are one of five kinds (PDF, JPEG,
PNG, Excel .xlsx, Word .docx) and its file name's extension agrees with them.
The module also reads an attachment's text and metadata (for the blind-review
guard in :mod:`venture.proposals.leaks`): PDFs with pypdf, pictures with
Pillow, every XML part of an Office file and every XMP packet with defusedxml.
Cleaning a file for storing and serving is :mod:`venture.proposals.cleaning`.

Everything here is pure: bytes in, bytes or values out, no request and no
database. No function lets an exception other than :class:`UploadRejected`
escape, whatever bytes it is given.
"""
from __future__ import annotations

import enum
import io
import logging
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from xml.etree.ElementTree import Element, ParseError

from venture.core.l10n import lazy_gettext as _l

__all__ = [
    "EXTENSIONS",
    "IDENTIFYING_METADATA",
    "MIME_TYPES",
    "PDF_MARKUP_ANNOTATIONS",
    "FileKind",
    "UploadRejected",
    "check_upload",
    "check_zip",
    "extract_metadata",
    "extract_text",
    "safe_filename",
    "sniff",
]

log = logging.getLogger(__name__)


class FileKind(enum.StrEnum):
    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    XLSX = "xlsx"
    DOCX = "docx"


EXTENSIONS: dict[FileKind, frozenset[str]] = {
    FileKind.PDF: frozenset({".pdf"}),
    FileKind.JPEG: frozenset({".jpg", ".jpeg"}),
    FileKind.PNG: frozenset({".png"}),
    FileKind.XLSX: frozenset({".xlsx"}),
    FileKind.DOCX: frozenset({".docx"}),
}

MIME_TYPES: dict[FileKind, str] = {
    FileKind.PDF: "application/pdf",
    FileKind.JPEG: "image/jpeg",
    FileKind.PNG: "image/png",
    FileKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

_KIND_NAMES = {
    FileKind.PDF: _l("a PDF document"),
    FileKind.JPEG: _l("a JPEG image"),
    FileKind.PNG: _l("a PNG image"),
    FileKind.XLSX: _l("an Excel workbook (.xlsx)"),
    FileKind.DOCX: _l("a Word document (.docx)"),
}

# Limits for ZIP containers (.xlsx, .docx): beyond them a file is treated as
# a zip bomb. The ratio is only judged once the content is big enough to
# matter, so a tiny, very repetitive part does not refuse a normal file.
ZIP_MAX_UNCOMPRESSED = 50 * 1024 * 1024
ZIP_MAX_ENTRIES = 2000
ZIP_MAX_RATIO = 100
ZIP_RATIO_FLOOR = 1024 * 1024

# Longest file name kept for display, and longest extension kept apart from
# the stem when a name is shortened.
FILENAME_MAX = 120
_EXTENSION_MAX = 16
# Each metadata value is cut to this length.
_METADATA_VALUE_MAX = 500
# Pages of a PDF looked at for annotation authors.
_PDF_ANNOTATION_PAGES = 500

_PDF_MAGIC = b"%PDF-"
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_ZIP_MAGIC = b"PK\x03\x04"


class UploadRejected(Exception):
    """An attachment the platform will not accept or serve.

    ``message`` is a short sentence for the applicant (a lazy string).
    """

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


# ---------------------------------------------------------------------------
# Recognising a file
# ---------------------------------------------------------------------------

def sniff(data: bytes) -> FileKind | None:
    """The kind of file ``data`` is, judged from its content alone."""
    try:
        if data.startswith(_PDF_MAGIC):
            return FileKind.PDF
        if data.startswith(_JPEG_MAGIC):
            return FileKind.JPEG
        if data.startswith(_PNG_MAGIC):
            return FileKind.PNG
        if data.startswith(_ZIP_MAGIC):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                return None
            if "xl/workbook.xml" in names:
                return FileKind.XLSX
            if "word/document.xml" in names:
                return FileKind.DOCX
    except Exception:  # noqa: BLE001 - unreadable bytes are simply no known kind
        return None
    return None


def check_upload(filename: str, data: bytes, max_bytes: int) -> FileKind:
    """Accept an upload and say what it is, or raise :class:`UploadRejected`.

    Refused: an empty file, a file over ``max_bytes``, content that is not
    one of the five kinds, a name whose extension disagrees with the content,
    a zip bomb, an encrypted or unreadable PDF.
    """
    try:
        return _check_upload(filename, data, max_bytes)
    except UploadRejected:
        raise
    except Exception as error:  # noqa: BLE001 - never let odd bytes raise anything else
        log.info("upload refused after an unexpected error: %r", error)
        raise UploadRejected(_l("This file could not be read. It may be damaged.")) from None


def _check_upload(filename: str, data: bytes, max_bytes: int) -> FileKind:
    if not data:
        raise UploadRejected(_l("The file is empty."))
    if len(data) > max_bytes:
        raise UploadRejected(
            _l("The file is larger than the %(limit)s MB limit.", limit=_megabytes(max_bytes))
        )
    if data.startswith(_ZIP_MAGIC):
        check_zip(data)
    kind = sniff(data)
    if kind is None:
        raise UploadRejected(
            _l("This type of file is not accepted. Please upload a PDF, JPEG, PNG, "
               "Word (.docx) or Excel (.xlsx) file.")
        )
    extension = _extension(filename)
    if not extension:
        raise UploadRejected(
            _l("The file name has no extension, but the file is %(kind)s. Please add the right extension.",
               kind=_KIND_NAMES[kind])
        )
    if extension not in EXTENSIONS[kind]:
        raise UploadRejected(
            _l("The file name ends in “%(extension)s”, but the file is %(kind)s. "
               "Please check that you chose the right file.",
               extension=extension, kind=_KIND_NAMES[kind])
        )
    if kind is FileKind.PDF:
        _check_pdf(data)
    return kind


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _extension(filename: str) -> str:
    name = re.split(r"[\\/]", filename or "")[-1].strip().rstrip(". ")
    return os.path.splitext(name)[1].lower()


def check_zip(data: bytes) -> None:
    """Refuse a ZIP container that is a bomb, holds macros or is encrypted."""
    bomb = UploadRejected(_l("The file is compressed in a way that is not safe to open."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - not a readable ZIP: sniff() will refuse it
        return
    with archive:
        entries = archive.infolist()
        if len(entries) > ZIP_MAX_ENTRIES:
            raise bomb
        uncompressed = sum(entry.file_size for entry in entries)
        compressed = sum(entry.compress_size for entry in entries)
        if uncompressed > ZIP_MAX_UNCOMPRESSED:
            raise bomb
        if uncompressed >= ZIP_RATIO_FLOOR and uncompressed > ZIP_MAX_RATIO * max(compressed, 1):
            raise bomb
        if any(entry.filename.lower().endswith("vbaproject.bin") for entry in entries):
            raise UploadRejected(_l("Files with macros are not accepted. Please save the file without macros."))
        if any(entry.flag_bits & 0x1 for entry in entries):
            raise UploadRejected(
                _l("The file is protected by a password. Please remove the password and upload it again.")
            )


def _check_pdf(data: bytes) -> None:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception:  # noqa: BLE001 - pypdf raises many kinds of error on bad input
        raise UploadRejected(_l("This PDF could not be read. It may be damaged.")) from None
    if encrypted:
        raise UploadRejected(
            _l("This PDF is protected by a password. Please remove the password and upload it again.")
        )
    try:
        if len(reader.pages) < 1:
            raise ValueError("no pages")
    except Exception:  # noqa: BLE001
        raise UploadRejected(_l("This PDF could not be read. It may be damaged.")) from None


# ---------------------------------------------------------------------------
# File names
# ---------------------------------------------------------------------------

_UNSAFE_IN_NAME = re.compile(r'[\\/"<>:|?*]')


def safe_filename(name: str) -> str:
    """A file name fit for display and a Content-Disposition header.

    The base name only, without path separators or control characters, at
    most :data:`FILENAME_MAX` characters (the extension is kept), never empty.
    """
    try:
        name = unicodedata.normalize("NFC", str(name or ""))
    except Exception:  # noqa: BLE001
        name = ""
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(
        " " if unicodedata.category(char) in {"Zs", "Zl", "Zp"} else char
        for char in name
        if unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )
    name = _UNSAFE_IN_NAME.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        return "attachment"
    if len(name) <= FILENAME_MAX:
        return name
    stem, extension = os.path.splitext(name)
    if len(extension) > _EXTENSION_MAX:
        stem, extension = name, ""
    stem = stem[: FILENAME_MAX - len(extension)].rstrip(" .")
    return (stem or "attachment")[: FILENAME_MAX - len(extension)] + extension


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


class _Text:
    """Collects text up to a limit."""

    def __init__(self, limit: int) -> None:
        self.limit = max(limit, 0)
        self.parts: list[str] = []
        self.size = 0

    @property
    def full(self) -> bool:
        return self.size >= self.limit

    def add(self, text: str | None) -> None:
        if text and not self.full:
            self.parts.append(text)
            self.size += len(text)

    def value(self) -> str:
        return "".join(self.parts)[: self.limit]


def extract_text(kind: FileKind, data: bytes, limit: int = 200_000) -> str:
    """The readable text of an attachment, at most ``limit`` characters.

    On a parsing error the text read so far is returned; images give "".
    """
    out = _Text(limit)
    try:
        if kind == FileKind.PDF:
            _pdf_text(data, out)
        elif kind == FileKind.DOCX:
            _docx_text(data, out)
        elif kind == FileKind.XLSX:
            _xlsx_text(data, out)
    except Exception as error:  # noqa: BLE001 - keep what was read
        log.debug("text extraction stopped: %r", error)
    return out.value()


def _pdf_text(data: bytes, out: _Text) -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        return
    for page in reader.pages:
        if out.full:
            return
        out.add(page.extract_text())
        out.add("\n")


def _ooxml_parts(archive: zipfile.ZipFile, pattern: str) -> list[str]:
    wanted = re.compile(pattern)
    names = [name for name in archive.namelist() if wanted.fullmatch(name)]
    return sorted(names, key=lambda name: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)])


def _xml_events(archive: zipfile.ZipFile, name: str) -> Iterator[tuple[str, Element]]:
    """Start and end events of one XML part, parsed by defusedxml as it is read.

    Stops quietly at the first malformed byte (what was parsed is kept).
    A part declaring a DTD or an entity is not read: OOXML never uses one.
    """
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    with archive.open(name) as stream:
        try:
            yield from iterparse(stream, events=("start", "end"), forbid_dtd=True)
        except (ParseError, DefusedXmlException):
            return


def _docx_text(data: bytes, out: _Text) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = ["word/document.xml"]
        parts += _ooxml_parts(archive, r"word/(header|footer)\d*\.xml")
        parts += _ooxml_parts(archive, r"word/(footnotes|endnotes|comments)\.xml")
        for name in parts:
            if out.full:
                return
            if name in archive.NameToInfo:
                _docx_part_text(archive, name, out)


def _docx_part_text(archive: zipfile.ZipFile, name: str, out: _Text) -> None:
    for event, element in _xml_events(archive, name):
        if out.full:
            return
        if event != "end":
            continue
        tag = element.tag
        if tag in (_W + "t", _W + "delText"):  # deleted text of tracked changes is still in the file
            out.add(element.text)
        elif tag == _W + "tab":
            out.add("\t")
        elif tag in (_W + "br", _W + "cr"):
            out.add("\n")
        elif tag == _W + "p":
            out.add("\n")
            element.clear()


_PHONE_LIKE_NUMBER = re.compile(r"\d{7,15}")


def _xlsx_text(data: bytes, out: _Text) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if "xl/sharedStrings.xml" in archive.NameToInfo:
            for event, element in _xml_events(archive, "xl/sharedStrings.xml"):
                if out.full:
                    return
                if event == "end" and element.tag == _S + "t":
                    out.add(element.text)
                elif event == "end" and element.tag == _S + "si":
                    out.add("\n")
                    element.clear()
        for name in _ooxml_parts(archive, r"xl/worksheets/sheet\d*\.xml"):
            if out.full:
                return
            _sheet_text(archive, name, out)
        for name in _ooxml_parts(archive, r"xl/comments\d*\.xml|xl/comments/[^/]+\.xml"):
            if out.full:
                return
            for event, element in _xml_events(archive, name):
                if event == "end" and element.tag == _S + "t":
                    out.add(element.text)
                    out.add("\n")


def _sheet_text(archive: zipfile.ZipFile, name: str, out: _Text) -> None:
    """Inline strings, formula strings, phone-like numbers, headers and footers."""
    headers = {_S + tag for tag in ("oddHeader", "oddFooter", "evenHeader", "evenFooter",
                                    "firstHeader", "firstFooter")}
    for event, element in _xml_events(archive, name):
        if out.full:
            return
        if event != "end":
            continue
        if element.tag == _S + "c":
            cell_type = element.get("t", "n")
            if cell_type == "inlineStr":
                for text in element.iter(_S + "t"):
                    out.add(text.text)
                out.add("\n")
            elif cell_type in ("str", "n"):
                value = element.find(_S + "v")
                text = (value.text or "").strip() if value is not None else ""
                if cell_type == "str" or _PHONE_LIKE_NUMBER.fullmatch(text):
                    out.add(text)
                    out.add("\n")
            element.clear()
        elif element.tag in headers:
            out.add(element.text)
            out.add("\n")


# ---------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------

# Metadata keys that must be gone from a cleaned file (software names may stay).
IDENTIFYING_METADATA = frozenset({
    "author", "creator", "title", "subject", "keywords", "xmp_creator", "xmp_rights", "annotation_author",
    "last_modified_by", "description", "category", "company", "manager", "comment_author",
    "artist", "copyright", "xp_author", "gps", "comment", "custom_property", "file_sharing_user",
    "iptc_byline", "iptc_writer",
})


def extract_metadata(kind: FileKind, data: bytes) -> dict[str, str]:
    """The metadata of an attachment that may name its author: non-empty values only."""
    found: dict[str, str] = {}
    readers: dict[FileKind, Callable[[bytes, dict[str, str]], None]] = {
        FileKind.PDF: _pdf_metadata,
        FileKind.DOCX: _ooxml_metadata,
        FileKind.XLSX: _ooxml_metadata,
        FileKind.JPEG: _image_metadata,
        FileKind.PNG: _image_metadata,
    }
    try:
        reader = readers.get(FileKind(kind))
        if reader is not None:
            reader(data, found)
    except Exception as error:  # noqa: BLE001 - keep what was read
        log.debug("metadata extraction stopped: %r", error)
    return found


def _put(found: dict[str, str], key: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(item) for item in value if item)
    text = re.sub(r"\s+", " ", "".join(
        char for char in str(value) if unicodedata.category(char) != "Cc" or char in "\t\n"
    )).strip()
    if not text:
        return
    if key in found and text not in found[key].split("; "):
        text = f"{found[key]}; {text}"
    elif key in found:
        return
    found[key] = text[:_METADATA_VALUE_MAX]


# Annotations whose /T is the name of the person who made them (on a form
# field, /T is the field's name).
PDF_MARKUP_ANNOTATIONS = frozenset({
    "/Text", "/FreeText", "/Line", "/Square", "/Circle", "/Polygon", "/PolyLine", "/Highlight", "/Underline",
    "/Squiggly", "/StrikeOut", "/Stamp", "/Caret", "/Ink", "/Redact", "/Popup", "/FileAttachment", "/Sound",
})

_PDF_INFO_KEYS = {
    "/Author": "author",
    "/Creator": "creator",
    "/Producer": "producer",
    "/Title": "title",
    "/Subject": "subject",
    "/Keywords": "keywords",
}


def _pdf_metadata(data: bytes, found: dict[str, str]) -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        return
    # Each source is read on its own: a broken one hides none of the others.
    try:
        info = reader.metadata or {}
    except Exception as error:  # noqa: BLE001
        log.debug("unreadable PDF info dictionary: %r", error)
        info = {}
    for key, name in _PDF_INFO_KEYS.items():
        try:
            value = info.get(key)
            _put(found, name, value.get_object() if hasattr(value, "get_object") else value)
        except Exception as error:  # noqa: BLE001
            log.debug("unreadable PDF %s: %r", key, error)
    try:
        stream = reader.trailer["/Root"].get("/Metadata")
        if stream is not None:
            _xmp_metadata(stream.get_object().get_data(), found)
    except Exception as error:  # noqa: BLE001
        log.debug("unreadable PDF XMP metadata: %r", error)
    for page in reader.pages[:_PDF_ANNOTATION_PAGES]:
        try:
            annotations = page.get("/Annots")
            for annotation in (annotations.get_object() if annotations else []) or []:
                annotation = annotation.get_object()
                if str(annotation.get("/Subtype", "")) in PDF_MARKUP_ANNOTATIONS:
                    _put(found, "annotation_author", annotation.get("/T"))
        except Exception as error:  # noqa: BLE001
            log.debug("unreadable PDF annotations: %r", error)


_CORE_FIELDS = {
    "creator": "creator",
    "lastModifiedBy": "last_modified_by",
    "title": "title",
    "subject": "subject",
    "keywords": "keywords",
    "description": "description",
    "category": "category",
}
_APP_FIELDS = {"Company": "company", "Manager": "manager"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ooxml_metadata(data: bytes, found: dict[str, str]) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for part, fields in (("docProps/core.xml", _CORE_FIELDS), ("docProps/app.xml", _APP_FIELDS)):
            if part not in archive.NameToInfo:
                continue
            for event, element in _xml_events(archive, part):
                if event == "end" and _local(element.tag) in fields:
                    _put(found, fields[_local(element.tag)], "".join(element.itertext()))
        # Authors of comments and tracked changes: w:author in Word parts,
        # <author> in Excel comments, displayName of Excel's threaded-comment persons.
        for name in _ooxml_parts(archive, _AUTHOR_PARTS.pattern):
            for event, element in _xml_events(archive, name):
                if event == "start":
                    for attribute, value in element.attrib.items():
                        if _local(attribute) in _AUTHOR_ATTRIBUTES:
                            _put(found, "comment_author", value)
                elif _local(element.tag) == "author" and name.startswith("xl/comments"):
                    _put(found, "comment_author", element.text)
        if "docProps/custom.xml" in archive.NameToInfo:
            for event, element in _xml_events(archive, "docProps/custom.xml"):
                if event == "end" and _local(element.tag) == "property":
                    _put(found, "custom_property", f"{element.get('name', '')}: {''.join(element.itertext())}")
        if "xl/workbook.xml" in archive.NameToInfo:
            for event, element in _xml_events(archive, "xl/workbook.xml"):
                if event == "start" and _local(element.tag) == "fileSharing":
                    _put(found, "file_sharing_user", element.get("userName"))


_AUTHOR_ATTRIBUTES = {"author", "initials", "userId", "displayName"}
_AUTHOR_PARTS = re.compile(
    r"word/(document|comments|commentsExtended|commentsExtensible|people|footnotes|endnotes|"
    r"header\d*|footer\d*)\.xml|xl/comments\d*\.xml|xl/comments/[^/]+\.xml|xl/persons/person\d*\.xml"
)


# Images ----------------------------------------------------------------------

# EXIF tags that name a person: in IFD0, and the Windows "Authors" field.
_EXIF_TAGS = {0x013B: "artist", 0x8298: "copyright", 0x9C9D: "xp_author"}
_GPS_IFD = 0x8825
# IPTC by-line (author), writer and copyright notice.
_IPTC_PEOPLE = {(2, 80): "iptc_byline", (2, 122): "iptc_writer", (2, 116): "copyright"}
# Image.info entries that are about encoding, not about who made the picture.
_IMAGE_ENCODING_INFO = frozenset({
    "jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive", "progression", "adobe",
    "adobe_transform", "transparency", "gamma", "duration", "loop", "background", "version", "extension",
    "compression", "interlace", "aspect", "disposal", "blend", "default_image", "bbox", "timestamp",
    "resolution", "unit", "srgb", "chromaticity", "exif", "xmp", "icc_profile", "photoshop", "comment",
})


def _image_metadata(data: bytes, found: dict[str, str]) -> None:
    """EXIF people and place, XMP creators, comments and PNG text chunks, read
    by Pillow from the headers (no pixel is decoded)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        info = image.info
        try:
            exif = image.getexif()
            for tag, key in _EXIF_TAGS.items():
                value = exif.get(tag)
                if isinstance(value, bytes) and tag == 0x9C9D:
                    value = value.decode("utf-16-le", "replace")
                if value is not None:
                    _put(found, key, str(value).replace("\x00", " "))
            if exif.get_ifd(_GPS_IFD):
                _put(found, "gps", "present")
        except Exception as error:  # noqa: BLE001 - a broken EXIF block hides nothing else
            log.debug("unreadable EXIF: %r", error)
        xmp = info.get("xmp") or info.get("XML:com.adobe.xmp")
        if xmp:
            _xmp_metadata(xmp if isinstance(xmp, bytes) else str(xmp).encode("utf-8"), found)
        comment = info.get("comment")
        if comment:
            _put(found, "comment", comment)
        try:
            from PIL import IptcImagePlugin

            iptc = IptcImagePlugin.getiptcinfo(image) or {}
            for record, key in _IPTC_PEOPLE.items():
                _put(found, key, iptc.get(record))
        except Exception as error:  # noqa: BLE001 - a broken IPTC block hides nothing else
            log.debug("unreadable IPTC: %r", error)
        for key, value in info.items():
            if (isinstance(key, str) and key not in _IMAGE_ENCODING_INFO and key != "XML:com.adobe.xmp"
                    and isinstance(value, str)):
                _put(found, key, value)  # PNG text chunks, under their own keywords


_XMP_PEOPLE = {"creator": "xmp_creator", "Author": "xmp_creator", "contributor": "xmp_creator",
               "rights": "xmp_rights"}


def _xmp_metadata(xmp: bytes, found: dict[str, str]) -> None:
    """Creators and rights holders in an XMP packet, parsed with defusedxml."""
    from defusedxml.ElementTree import fromstring

    start, end = xmp.find(b"<x:xmpmeta"), xmp.rfind(b"</x:xmpmeta>")
    packet = xmp[start:end + len(b"</x:xmpmeta>")] if start >= 0 and end > start else xmp
    root = fromstring(packet[:_XMP_MAX], forbid_dtd=True)
    for element in root.iter():
        key = _XMP_PEOPLE.get(_local(element.tag)) if isinstance(element.tag, str) else None
        if key is None:
            continue
        values = ["".join(item.itertext()) for item in element.iter() if _local(item.tag) == "li"]
        _put(found, key, values or "".join(element.itertext()))


_XMP_MAX = 1024 * 1024
