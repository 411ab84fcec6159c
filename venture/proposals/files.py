"""Attachments of a proposal, checked from their content.

An upload is accepted only when its bytes are one of five kinds (PDF, JPEG,
PNG, Excel .xlsx, Word .docx) and its file name's extension agrees with them.
The module also reads an attachment's text and metadata (for the blind-review
guard in :mod:`venture.proposals.leaks`) and removes the metadata that names
the author before an attachment is shown to reviewers.

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
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from xml.etree import ElementTree

from venture.core.l10n import lazy_gettext as _l

__all__ = [
    "EXTENSIONS",
    "MIME_TYPES",
    "FileKind",
    "UploadRejected",
    "check_upload",
    "extract_metadata",
    "extract_text",
    "safe_filename",
    "sniff",
    "strip_metadata",
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
        _check_zip(data)
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


def _check_zip(data: bytes) -> None:
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
_XML_CHUNK = 64 * 1024


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


def _xml_events(archive: zipfile.ZipFile, name: str) -> Iterator[tuple[str, ElementTree.Element]]:
    """Start and end events of one XML part, read in chunks.

    Stops quietly at the first malformed byte (what was parsed is kept).
    Parts declaring a DTD are not read: OOXML never uses one.
    """
    parser = ElementTree.XMLPullParser(events=("start", "end"))
    with archive.open(name) as stream:
        first = True
        while True:
            chunk = stream.read(_XML_CHUNK)
            if not chunk:
                break
            if first and (b"<!DOCTYPE" in chunk or b"<!ENTITY" in chunk):
                return
            first = False
            try:
                parser.feed(chunk)
            except ElementTree.ParseError:
                yield from _drain(parser)
                return
            yield from _drain(parser)
    try:
        parser.close()
    except ElementTree.ParseError:
        pass
    yield from _drain(parser)


def _drain(parser: ElementTree.XMLPullParser) -> Iterator[tuple[str, ElementTree.Element]]:
    try:
        yield from parser.read_events()  # type: ignore[misc]
    except ElementTree.ParseError:
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
        for name in _ooxml_parts(archive, r"xl/comments\d*\.xml"):
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

def extract_metadata(kind: FileKind, data: bytes) -> dict[str, str]:
    """The metadata of an attachment that may name its author: non-empty values only."""
    found: dict[str, str] = {}
    readers: dict[FileKind, Callable[[bytes, dict[str, str]], None]] = {
        FileKind.PDF: _pdf_metadata,
        FileKind.DOCX: _ooxml_metadata,
        FileKind.XLSX: _ooxml_metadata,
        FileKind.JPEG: _jpeg_metadata,
        FileKind.PNG: _png_metadata,
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
        xmp = reader.xmp_metadata
        if xmp is not None:
            _put(found, "xmp_creator", list(xmp.dc_creator or []))
    except Exception as error:  # noqa: BLE001
        log.debug("unreadable PDF XMP metadata: %r", error)
    for page in reader.pages[:_PDF_ANNOTATION_PAGES]:
        try:
            annotations = page.get("/Annots")
            for annotation in (annotations.get_object() if annotations else []) or []:
                _put(found, "annotation_author", annotation.get_object().get("/T"))
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


_AUTHOR_ATTRIBUTES = {"author", "initials", "userId", "displayName"}
_AUTHOR_PARTS = re.compile(
    r"word/(document|comments|commentsExtended|commentsExtensible|people|footnotes|endnotes|"
    r"header\d*|footer\d*)\.xml|xl/comments\d*\.xml|xl/persons/person\d*\.xml"
)


# JPEG / PNG -----------------------------------------------------------------

_TIFF_TAGS = {0x013B: "artist", 0x8298: "copyright", 0x9C9D: "xp_author"}


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(marker, start, end) of each segment before the image data.

    ``start`` is the offset of the 0xFF of the marker, ``end`` the offset
    just after the segment. Raises ValueError on a malformed stream.
    """
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG")
    position = 2
    while position < len(data):
        start = position
        if data[position] != 0xFF:
            raise ValueError("expected a marker")
        while position < len(data) and data[position] == 0xFF:
            position += 1
        if position >= len(data):
            raise ValueError("truncated marker")
        marker = data[position]
        position += 1
        if marker == 0xD9 or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            yield marker, start, position
            if marker == 0xD9:
                return
            continue
        if position + 2 > len(data):
            raise ValueError("truncated length")
        (length,) = struct.unpack(">H", data[position:position + 2])
        if length < 2 or position + length > len(data):
            raise ValueError("bad segment length")
        position += length
        yield marker, start, position
        if marker == 0xDA:  # start of scan: image data follows
            return


def _jpeg_metadata(data: bytes, found: dict[str, str]) -> None:
    for marker, start, end in _jpeg_segments(data):
        if marker != 0xE1:
            continue
        body = data[start + 4:end]
        if body.startswith(b"Exif\x00\x00"):
            _tiff_metadata(body[6:], found)
        elif body.startswith(b"http://ns.adobe.com/xap/1.0/\x00"):
            _xmp_metadata(body, found)


def _tiff_metadata(tiff: bytes, found: dict[str, str]) -> None:
    if tiff[:4] == b"II*\x00":
        order = "<"
    elif tiff[:4] == b"MM\x00*":
        order = ">"
    else:
        return
    (offset,) = struct.unpack(order + "I", tiff[4:8])
    if offset + 2 > len(tiff):
        return
    (count,) = struct.unpack(order + "H", tiff[offset:offset + 2])
    for index in range(min(count, 1000)):
        entry = tiff[offset + 2 + 12 * index: offset + 14 + 12 * index]
        if len(entry) < 12:
            return
        tag, kind, number = struct.unpack(order + "HHI", entry[:8])
        if tag not in _TIFF_TAGS or kind not in (1, 2, 7) or number > 64 * 1024:
            continue
        if number <= 4:
            raw = entry[8:8 + number]
        else:
            (where,) = struct.unpack(order + "I", entry[8:12])
            raw = tiff[where:where + number]
        if tag == 0x9C9D:
            value = raw.decode("utf-16-le", "replace")
        else:
            value = _decode_text(raw)
        _put(found, _TIFF_TAGS[tag], value.replace("\x00", " "))


def _decode_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


_XMP_CREATOR = re.compile(rb"<dc:creator\b[^>]*>(.*?)</dc:creator>", re.DOTALL)
_XMP_ITEM = re.compile(rb"<rdf:li\b[^>]*>(.*?)</rdf:li>", re.DOTALL)


def _xmp_metadata(xmp: bytes, found: dict[str, str]) -> None:
    import html

    for block in _XMP_CREATOR.findall(xmp[:1024 * 1024]):
        for item in _XMP_ITEM.findall(block) or [block]:
            _put(found, "xmp_creator", html.unescape(_decode_text(item)))


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(type, start, end) of each chunk up to IEND. Raises ValueError when malformed."""
    if not data.startswith(_PNG_MAGIC):
        raise ValueError("not a PNG")
    position = len(_PNG_MAGIC)
    while True:
        if position + 8 > len(data):
            raise ValueError("truncated chunk")
        length, chunk_type = struct.unpack(">I4s", data[position:position + 8])
        end = position + 12 + length
        if end > len(data):
            raise ValueError("bad chunk length")
        yield chunk_type, position, end
        position = end
        if chunk_type == b"IEND":
            return


_PNG_TEXT_CHUNKS = {b"tEXt", b"zTXt", b"iTXt"}
_INFLATE_MAX = 1024 * 1024


def _inflate(raw: bytes) -> bytes:
    return zlib.decompressobj().decompress(raw, _INFLATE_MAX)


def _png_metadata(data: bytes, found: dict[str, str]) -> None:
    for chunk_type, start, end in _png_chunks(data):
        body = data[start + 8:end - 4]
        try:
            if chunk_type == b"eXIf":
                _tiff_metadata(body, found)
            elif chunk_type in _PNG_TEXT_CHUNKS:
                keyword, text = _png_text(chunk_type, body)
                if keyword == "XML:com.adobe.xmp":
                    _xmp_metadata(text.encode("utf-8"), found)
                elif keyword:
                    _put(found, keyword, text)
        except Exception as error:  # noqa: BLE001 - one broken chunk hides no others
            log.debug("unreadable PNG %r chunk: %r", chunk_type, error)


def _png_text(chunk_type: bytes, body: bytes) -> tuple[str, str]:
    keyword, _, rest = body.partition(b"\x00")
    name = keyword.decode("latin-1")
    if chunk_type == b"tEXt":
        return name, rest.decode("latin-1")
    if chunk_type == b"zTXt":
        return name, _inflate(rest[1:]).decode("latin-1")
    compressed = rest[:1] == b"\x01"
    _language, _, rest = rest[2:].partition(b"\x00")
    _translated, _, text = rest.partition(b"\x00")
    if compressed:
        text = _inflate(text)
    return name, text.decode("utf-8", "replace")


# ---------------------------------------------------------------------------
# Removing metadata
# ---------------------------------------------------------------------------

# Metadata keys that must be gone after stripping (software names may stay).
_IDENTIFYING_KEYS = frozenset({
    "author", "creator", "title", "subject", "keywords", "xmp_creator", "annotation_author",
    "last_modified_by", "description", "category", "company", "manager", "comment_author",
    "artist", "copyright", "xp_author",
})


def strip_metadata(kind: FileKind, data: bytes) -> bytes:
    """A copy of an attachment without the metadata that may name its author.

    Images that cannot be parsed are returned unchanged; a PDF, Word or Excel
    file that cannot be cleaned raises :class:`UploadRejected`, so that the
    caller refuses to serve it rather than leak.
    """
    kind = FileKind(kind)
    if kind in (FileKind.JPEG, FileKind.PNG):
        try:
            return _strip_jpeg(data) if kind is FileKind.JPEG else _strip_png(data)
        except Exception:  # noqa: BLE001 - an image we cannot parse is left as it is
            return data
    try:
        cleaned = _strip_pdf(data) if kind is FileKind.PDF else _strip_ooxml(data)
        left = extract_metadata(kind, cleaned)
        if sniff(cleaned) is not kind or _IDENTIFYING_KEYS & left.keys():
            raise ValueError(f"metadata left after stripping: {sorted(left)}")
    except Exception as error:  # noqa: BLE001
        log.info("could not strip metadata from a %s file: %r", kind, error)
        raise UploadRejected(
            _l("The author details could not be removed from this file. Please save it again and re-upload it.")
        ) from None
    return cleaned


def _strip_pdf(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise ValueError("encrypted PDF")
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    for page in writer.pages:
        for key in ("/Metadata", "/PieceInfo"):
            if key in page:
                del page[NameObject(key)]
        annotations = page.get("/Annots")
        for annotation in (annotations.get_object() if annotations else []) or []:
            annotation = annotation.get_object()
            if "/T" in annotation:
                del annotation[NameObject("/T")]
    writer.metadata = None  # no info dictionary; a new writer has no XMP stream
    out = io.BytesIO()
    writer.write(out)
    cleaned = out.getvalue()
    if len(PdfReader(io.BytesIO(cleaned)).pages) != len(reader.pages):
        raise ValueError("page count changed")
    return cleaned


# Surgical edits keep the XML as it was apart from the emptied values.
_CORE_ELEMENT = re.compile(
    rb"<(?P<tag>(?:[A-Za-z_][\w.-]*:)?(?:creator|lastModifiedBy|title|subject|keywords|description|category))"
    rb"(?P<attrs>(?:\s[^>]*?)?)(?:/>|>.*?</(?P=tag)\s*>)",
    re.DOTALL,
)
_APP_ELEMENT = re.compile(
    rb"<(?P<tag>(?:[A-Za-z_][\w.-]*:)?(?:Company|Manager))(?P<attrs>(?:\s[^>]*?)?)(?:/>|>.*?</(?P=tag)\s*>)",
    re.DOTALL,
)
_AUTHOR_ATTRIBUTE = re.compile(
    rb"(\s(?:[A-Za-z_][\w.-]*:)?(?:author|initials|userId|displayName)=)(\"[^\"]*\"|'[^']*')"
)
_AUTHOR_ELEMENT = re.compile(
    rb"<(?P<tag>(?:[A-Za-z_][\w.-]*:)?author)(?P<attrs>(?:\s[^>]*?)?)>.*?</(?P=tag)\s*>", re.DOTALL
)


def _empty_elements(pattern: re.Pattern[bytes], xml: bytes) -> bytes:
    def empty(match: re.Match[bytes]) -> bytes:
        attrs = match["attrs"].rstrip(b"/ \t\r\n")
        return b"<" + match["tag"] + attrs + b"/>"

    return pattern.sub(empty, xml)


def _clean_part(name: str, content: bytes) -> bytes:
    if name == "docProps/core.xml":
        return _empty_elements(_CORE_ELEMENT, content)
    if name == "docProps/app.xml":
        return _empty_elements(_APP_ELEMENT, content)
    if _AUTHOR_PARTS.fullmatch(name):
        content = _AUTHOR_ATTRIBUTE.sub(rb'\1""', content)
        if name.startswith("xl/comments"):
            content = _empty_elements(_AUTHOR_ELEMENT, content)
    return content


def _strip_ooxml(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", allowZip64=True) as target:
        for entry in source.infolist():
            content = source.read(entry)
            content = _clean_part(entry.filename, content)
            copy = zipfile.ZipInfo(entry.filename, date_time=entry.date_time)
            copy.compress_type = entry.compress_type
            copy.external_attr = entry.external_attr
            copy.create_system = entry.create_system
            copy.comment = entry.comment
            copy.extra = b""
            target.writestr(copy, content)
    return out.getvalue()


_JPEG_DROPPED = {0xE1, 0xED, 0xFE}  # APP1 (EXIF, XMP), APP13 (IPTC), COM


def _strip_jpeg(data: bytes) -> bytes:
    kept = [data[:2]]
    end = 2
    for marker, start, end in _jpeg_segments(data):
        if marker not in _JPEG_DROPPED:
            kept.append(data[start:end])
    kept.append(data[end:])
    return b"".join(kept)


_PNG_DROPPED = {b"tEXt", b"iTXt", b"zTXt", b"eXIf"}


def _strip_png(data: bytes) -> bytes:
    kept = [_PNG_MAGIC]
    for chunk_type, start, end in _png_chunks(data):
        if chunk_type not in _PNG_DROPPED:
            kept.append(data[start:end])
    return b"".join(kept)
