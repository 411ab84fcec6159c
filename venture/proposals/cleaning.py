"""Cleaning attachments: a file leaves with its content only, or not at all.

An attachment is cleaned when it is uploaded and the cleaned bytes are what
is stored and served; a file the cleaner cannot take apart and put together
again is refused with a sentence the applicant can act on. Nothing is ever
served as it came.

- **Images** are decoded and encoded again by Pillow, so that only pixels
  survive: no EXIF (GPS, camera owner), XMP, IPTC, ICC profile, comment or
  text chunk. The EXIF orientation is applied to the pixels first and
  colours described by an ICC profile are converted to sRGB, so the picture
  looks as it did. Sizes past :data:`IMAGE_MAX_PIXELS` are refused before
  any pixel is decoded (decompression bombs).
- **PDFs** are rewritten whole by pikepdf (QPDF): only objects reachable from
  the document are written, so earlier revisions and orphaned objects go.
  Before that every action other than a jump inside the document (JavaScript,
  launch, links out, form submission), every additional-action dictionary,
  embedded file, XFA form, digital signature, XMP stream and the document
  information dictionary are removed, and so are comment authors and the
  metadata inside embedded JPEG images.
- **Word and Excel files** are rebuilt part by part. Every docProps part,
  customXml, thumbnails, person lists, shared-workbook revisions, printer
  settings and external links go; external relationships (links out,
  templates, linked pictures) and what pointed at them go; comment and
  tracked-change authors, ``fileSharing`` user names, absolute paths,
  revision-session ids and document variables are emptied; embedded
  pictures are cleaned as images, embedded Office files as Office files.
  Anything else embedded (OLE objects, ActiveX, pictures in formats Pillow
  cannot write) is refused. Every XML part is parsed with defusedxml first
  (no DTD, no entity, no external reference), then edited with lxml, which
  keeps the namespace declarations Office needs.

Pure: bytes in, bytes out; no request, no database. :func:`clean` raises
:class:`~venture.proposals.files.UploadRejected` and nothing else.
"""
from __future__ import annotations

import io
import logging
import posixpath
import re
import warnings
import zipfile
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import unquote

from venture.core.l10n import lazy_gettext as _l
from venture.proposals.files import (
    IDENTIFYING_METADATA,
    PDF_MARKUP_ANNOTATIONS,
    FileKind,
    UploadRejected,
    check_zip,
    extract_metadata,
    sniff,
)

if TYPE_CHECKING:
    import pikepdf
    from lxml.etree import _Element
    from PIL.Image import Image

__all__ = ["CLEANER_VERSION", "IMAGE_MAX_PIXELS", "clean", "clean_image"]

log = logging.getLogger(__name__)

# Stored attachments carry the version of the cleaner that made them; files
# stored by an older one (or before files were cleaned) are cleaned again
# when served. Raise it when the cleaner learns to remove something new.
CLEANER_VERSION = 1

# Largest picture decoded, in pixels over all frames (a 50-megapixel photo
# passes; a decompression bomb does not).
IMAGE_MAX_PIXELS = 60_000_000
_IMAGE_MAX_FRAMES = 500

NOT_CLEANED = _l("The author details could not be removed from this file. Please save it again and re-upload it.")
_IMAGE_UNREADABLE = _l("This file could not be read. It may be damaged.")
_MACROS = _l("Files with macros are not accepted. Please save the file without macros.")
_EMBEDDED = _l("This document contains an embedded object or file that cannot be checked. "
               "Please remove it, or save the document as PDF, and upload it again.")


def clean(kind: FileKind, data: bytes) -> bytes:
    """A copy of an attachment with its content only; raises :class:`UploadRejected`
    when the file cannot be cleaned (it must then be neither stored nor served)."""
    try:
        kind = FileKind(kind)
        cleaned = _CLEANERS[kind](data)
        if sniff(cleaned) is not kind:
            raise ValueError("the cleaned file is of another kind")
        left = IDENTIFYING_METADATA & extract_metadata(kind, cleaned).keys()
        if left:
            raise ValueError(f"metadata left after cleaning: {sorted(left)}")
        return cleaned
    except UploadRejected:
        raise
    except Exception as error:  # noqa: BLE001 - any failure means the file is not clean
        log.info("could not clean a %s file: %r", kind, error)
        raise UploadRejected(NOT_CLEANED) from None


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------

# What Pillow may write back, by the format it read.
_IMAGE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF"})
_ANIMATED_FORMATS = frozenset({"PNG", "GIF", "WEBP"})
_MULTIFRAME_FORMATS = _ANIMATED_FORMATS | {"TIFF"}  # a TIFF may hold several scanned pages
# The only entries of Image.info a cleaned image may still have (how it is
# encoded, never who made it or where).
_SAFE_IMAGE_INFO = frozenset({
    "jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive", "progression", "adobe",
    "adobe_transform", "transparency", "gamma", "duration", "loop", "background", "version", "extension",
    "compression", "interlace", "aspect", "disposal", "blend", "default_image", "bbox", "timestamp",
    "resolution", "unit", "srgb",
})


def clean_image(data: bytes, *, upright: bool = True) -> bytes:
    """The picture in ``data`` encoded again in its own format, pixels only.

    ``upright`` applies the EXIF orientation and converts ICC colours to sRGB;
    inside a PDF neither may change (the page says how to draw the image).
    Raises :class:`UploadRejected` for a picture that is too large or cannot
    be decoded.
    """
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return _encode_again(image, upright)
    except UploadRejected:
        raise
    except Exception as error:  # noqa: BLE001 - Pillow raises many kinds of error on bad input
        log.info("image refused: %r", error)
        raise UploadRejected(_IMAGE_UNREADABLE) from None


def _encode_again(image: Image, upright: bool) -> bytes:
    from PIL import ImageSequence

    source_format = image.format
    if source_format == "MPO":
        # A phone's multi-picture JPEG (depth maps, previews): the first picture is the photo.
        source_format = "JPEG"
    if source_format not in _IMAGE_FORMATS:
        raise ValueError(f"no cleaner for {source_format} images")
    frames = getattr(image, "n_frames", 1) if image.format in _MULTIFRAME_FORMATS else 1
    width, height = image.size
    if frames > _IMAGE_MAX_FRAMES or width * height * frames > IMAGE_MAX_PIXELS:
        raise UploadRejected(_l("The picture is too large (more than %(megapixels)d million pixels). "
                                "Please make it smaller and upload it again.",
                                megapixels=IMAGE_MAX_PIXELS // 1_000_000))
    if frames > 1:
        pictures, durations = [], []
        for frame in ImageSequence.Iterator(image):
            durations.append(frame.info.get("duration", 100))
            pictures.append(_pixels_only(frame, upright=False))
        options: dict[str, object] = {"save_all": True, "append_images": pictures[1:]}
        if source_format in _ANIMATED_FORMATS:
            options.update(duration=durations, loop=image.info.get("loop", 0))
        cleaned = _save(pictures[0], source_format, options)
        _check_image(cleaned, source_format)
        return cleaned
    options = _jpeg_options(image) if source_format == "JPEG" else {}
    if "transparency" in image.info and source_format in {"PNG", "GIF"}:
        options["transparency"] = image.info["transparency"]
    if isinstance(image.info.get("dpi"), tuple):
        options["dpi"] = image.info["dpi"]
    cleaned = _save(_pixels_only(image, upright), source_format, options)
    _check_image(cleaned, source_format)
    return cleaned


def _pixels_only(image: Image, upright: bool) -> Image:
    from PIL import ImageOps

    image.load()
    if upright:
        image = ImageOps.exif_transpose(image) or image
        image = _to_srgb(image)
    pixels = image.copy()
    pixels.info = {}  # Pillow writes some info entries (ICC profile, comment) back if left
    return pixels


def _to_srgb(image: Image) -> Image:
    """Colours described by an embedded ICC profile, converted to sRGB (the
    profile itself may name its maker and is dropped)."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in {"RGB", "RGBA"}:
        return image  # grey and CMYK pictures lose the profile and keep their values
    from PIL import ImageCms

    try:
        converted = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                                              ImageCms.createProfile("sRGB"), outputMode=image.mode)
        return converted if converted is not None else image
    except Exception as error:  # noqa: BLE001 - a broken profile: keep the pixels as they are
        log.debug("ICC profile ignored: %r", error)
        return image


def _jpeg_options(image: Image) -> dict[str, object]:
    """Encode with the picture's own quantisation tables and subsampling, so
    encoding it again costs as little quality as possible."""
    from PIL import JpegImagePlugin

    options: dict[str, object] = {}
    tables = getattr(image, "quantization", None)
    if tables:
        options["qtables"] = [list(table) for _index, table in sorted(tables.items())]
    sampling = JpegImagePlugin.get_sampling(image)
    if sampling != -1:
        options["subsampling"] = sampling
    if image.info.get("progressive") or image.info.get("progression"):
        options["progressive"] = True
    return options


def _save(image: Image, image_format: str, options: dict[str, object]) -> bytes:
    if image_format == "JPEG" and image.mode not in {"L", "RGB", "CMYK"}:
        image = image.convert("RGB")
    if image_format == "WEBP":
        options.setdefault("quality", 90)
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def _check_image(data: bytes, image_format: str) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        if image.format != image_format:
            raise ValueError("the picture changed format")
        if getattr(image, "n_frames", 1) > 1 and image_format == "JPEG":
            raise ValueError("a JPEG with more than one picture")
        left = set(image.info) - _SAFE_IMAGE_INFO
        markers = {marker for marker, _body in getattr(image, "applist", [])} - {"APP0", "APP14"}
        if left or markers:
            raise ValueError(f"image metadata left: {sorted(left | markers)}")


# ---------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------

# Keys removed wherever they appear: scripts and actions run on events,
# embedded and associated files, XMP streams, private application data,
# XFA forms (which carry scripts), signature stores and usage rights.
_PDF_DROPPED_KEYS = ("/AA", "/JS", "/JavaScript", "/OpenAction", "/EmbeddedFiles", "/EF", "/AF", "/Metadata",
                     "/PieceInfo", "/XFA", "/Perms", "/DSS", "/AlternatePresentations", "/Renditions",
                     "/Collection", "/SpiderInfo", "/RichMediaContent", "/URI", "/PA")
# Actions kept: a jump to another place in the same document.
_PDF_KEPT_ACTIONS = frozenset({"/GoTo"})
# Annotations that play, launch or carry a file.
_PDF_DROPPED_ANNOTATIONS = frozenset({"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"})
_JPEG_METADATA_MARKERS = frozenset({"APP1", "APP2", "APP3", "APP4", "APP5", "APP6", "APP7", "APP8", "APP9",
                                    "APP10", "APP11", "APP12", "APP13", "APP15", "COM"})


def _clean_pdf(data: bytes) -> bytes:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        if pdf.is_encrypted:
            raise ValueError("encrypted PDF")
        pages = len(pdf.pages)
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        _scrub_pdf(pdf)
        out = io.BytesIO()
        # deterministic_id: a new file identifier made from the content, not the old one that
        # the author's software made (and that other files of theirs may share).
        pdf.save(out, deterministic_id=True, preserve_pdfa=False, fix_metadata_version=False)
    cleaned = out.getvalue()
    with pikepdf.open(io.BytesIO(cleaned)) as check:
        if len(check.pages) != pages:
            raise ValueError("page count changed")
        _check_pdf_clean(check)
    return cleaned


def _scrub_pdf(pdf: pikepdf.Pdf) -> None:
    """Walk every object reachable from the trailer (without recursion: outlines
    and page trees can be long chains) and take out what must not survive."""
    import pikepdf

    seen: set[tuple[int, int]] = set()
    stack = [pdf.trailer]
    while stack:
        item = stack.pop()
        if not isinstance(item, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
            continue
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        if isinstance(item, pikepdf.Array):
            stack.extend(item)
            continue
        _scrub_dictionary(item)
        stack.extend(item[key] for key in list(item.keys()))


def _scrub_dictionary(item: pikepdf.Dictionary | pikepdf.Stream) -> None:
    import pikepdf

    for key in _PDF_DROPPED_KEYS:
        if key in item:
            del item[key]
    action = item.get("/A")
    if isinstance(action, pikepdf.Dictionary):
        if str(action.get("/S", "")) not in _PDF_KEPT_ACTIONS:
            del item["/A"]
        elif "/Next" in action:
            del action["/Next"]
    if str(item.get("/FT", "")) == "/Sig" and "/V" in item:
        del item["/V"]  # a signature names its signer; rewriting the file breaks it anyway
    if str(item.get("/Subtype", "")) in PDF_MARKUP_ANNOTATIONS and "/T" in item:
        del item["/T"]
    annotations = item.get("/Annots")
    if isinstance(annotations, pikepdf.Array):
        kept = [annotation for annotation in annotations
                if not (isinstance(annotation, pikepdf.Dictionary)
                        and str(annotation.get("/Subtype", "")) in _PDF_DROPPED_ANNOTATIONS)]
        if len(kept) != len(annotations):
            item["/Annots"] = pikepdf.Array(kept)
    if isinstance(item, pikepdf.Stream) and str(item.get("/Subtype", "")) == "/Image":
        _clean_pdf_jpeg(item)


def _clean_pdf_jpeg(stream: pikepdf.Stream) -> None:
    """A JPEG image copied into the PDF as it was (scanning apps do this) keeps
    its EXIF and XMP segments: encode it again without them."""
    import pikepdf
    from PIL import Image

    filters = stream.get("/Filter")
    if isinstance(filters, pikepdf.Array):
        filters = filters[0] if len(filters) == 1 else None
    if filters is None or str(filters) != "/DCTDecode":
        return
    raw = stream.read_raw_bytes()
    with Image.open(io.BytesIO(raw)) as image:
        markers = {marker for marker, _body in image.applist}
        size = image.size
    if not markers & _JPEG_METADATA_MARKERS:
        return
    cleaned = clean_image(raw, upright=False)
    with Image.open(io.BytesIO(cleaned)) as image:
        if image.size != size:
            raise ValueError("an image in the PDF changed size")
    stream.write(cleaned, filter=pikepdf.Name.DCTDecode)


def _check_pdf_clean(pdf: pikepdf.Pdf) -> None:
    import pikepdf

    if "/Info" in pdf.trailer:
        raise ValueError("an information dictionary is left")
    for item in pdf.objects:
        if not isinstance(item, (pikepdf.Dictionary, pikepdf.Stream)):
            continue
        left = [key for key in _PDF_DROPPED_KEYS if key in item]
        action = item.get("/A")
        if isinstance(action, pikepdf.Dictionary) and str(action.get("/S", "")) not in _PDF_KEPT_ACTIONS:
            left.append("/A")
        if left:
            raise ValueError(f"active content or metadata left: {left}")


# ---------------------------------------------------------------------------
# Word and Excel (Office Open XML)
# ---------------------------------------------------------------------------

_R = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "http://purl.oclc.org/ooxml/officeDocument/relationships")
_PKG_R = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"

# Parts dropped whole, by name and by the type of the relationship that points at them.
_DROPPED_PARTS = re.compile(
    r"docProps/.*|customXml/.*|docMetadata/.*|(?:.*/)?thumbnail[^/]*|word/people\.xml|xl/revisions/.*"
    r"|.*/printerSettings/.*|xl/externalLinks/.*|.*/webextensions/.*",
    re.IGNORECASE,
)
_DROPPED_RELATIONSHIPS = re.compile(
    r".*/(?:core-properties|extended-properties|custom-properties|thumbnail|customXml|customXmlProps|people"
    r"|printerSettings|externalLink|externalLinkPath|revisionHeaders|usernames|attachedTemplate"
    r"|webextensiontaskpanes|webextension|classificationlabels|sensitivity.*)",
    re.IGNORECASE,
)
_MACRO_PARTS = re.compile(r".*(?:vbaProject\.bin|vbaData\.xml|/activeX/.*|attachedToolbars\.bin)", re.IGNORECASE)
_PACKAGE_TYPES = ("spreadsheetml.sheet", "wordprocessingml.document", "presentationml.presentation",
                  "wordprocessingml.template", "spreadsheetml.template", "presentationml.slideshow")
_FONT_TYPES = ("obfuscatedFont", "font-ttf", "font-otf", "x-font", "fontdata")
_EMBEDDED_DEPTH = 1

# Elements removed wherever they are: the template and its path, document
# variables, mail-merge sources, revision-session lists and document ids
# (Word); shared-workbook user names, absolute paths and revision pointers
# (Excel).
_DROPPED_ELEMENTS = frozenset({"attachedTemplate", "docVars", "mailMerge", "rsids", "docId", "fileSharing",
                               "absPath", "revisionPtr"})
# Elements that mean nothing without the relationship they point at.
_UNLINKED_DROPPED = frozenset({"attachedTemplate", "externalReference", "subDoc", "externalData", "OLEObject",
                               "oleObject", "control"})
_AUTHOR_ATTRIBUTES = frozenset({"author", "initials"})
_PERSON_ATTRIBUTES = frozenset({"name", "displayName", "userId", "providerId", "initials", "author"})
_PERSON_PARTS = re.compile(r".*(?:people\.xml|persons/[^/]*\.xml|commentAuthors\.xml|authors\.xml)", re.IGNORECASE)
# An attribute value that holds a path on someone's computer or network
# (anywhere in it: connection strings name their data source in the middle).
_LOCAL_PATH = re.compile(r"(?<![A-Za-z])[A-Za-z]:[\\/]|\\\\[^\\\s]|file:|(?:^|[\s=;\"'])/(?:Users|home|Volumes|private)/",
                         re.IGNORECASE)
# The same inside field codes (INCLUDEPICTURE "C:\\Users\\...").
_PATH_IN_FIELD = re.compile(r'"(?:[A-Za-z]:|\\\\|file:)[^"]*"|(?:[A-Za-z]:\\|\\\\\\\\|file:/)\S*', re.IGNORECASE)


# Excel writes line breaks in the text boxes of its legacy drawings (VML) as
# HTML does, an unclosed <br>; the rest of those parts is XML.
_VML_BREAK = re.compile(rb"<br\s*>", re.IGNORECASE)
_VML_END_BREAK = re.compile(rb"</br\s*>", re.IGNORECASE)


class _Package:
    """The parts of an OPC package, with their content types and relationships."""

    def __init__(self, data: bytes, depth: int) -> None:
        check_zip(data)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if len(set(names)) != len(names):
                raise ValueError("a part appears twice")
            self.parts = {name: archive.read(name) for name in names if not name.endswith("/")}
        self.depth = depth
        for name, content in self.parts.items():
            if name.lower().endswith(".vml"):
                content = self.parts[name] = _VML_BREAK.sub(b"<br/>", _VML_END_BREAK.sub(b"", content))
            if _is_xml_name(name) or name == "[Content_Types].xml":
                _check_xml(content)
        self.types = _content_types(self.parts.get("[Content_Types].xml"))

    def content_type(self, name: str) -> str:
        overrides, defaults = self.types
        return overrides.get("/" + name.lower()) or defaults.get(posixpath.splitext(name)[1].lstrip(".").lower(), "")


def _clean_ooxml(data: bytes, depth: int = 0) -> bytes:
    package = _Package(data, depth)
    if "[Content_Types].xml" not in package.parts:
        raise ValueError("not an Office package")
    dropped = {name for name in package.parts if _DROPPED_PARTS.fullmatch(name)}
    for name in package.parts:
        if name != "[Content_Types].xml" and not name.endswith(".rels") and not package.content_type(name):
            dropped.add(name)  # not part of the document: nothing reads it, nothing keeps it
    trees = {name: _parse(package.parts[name]) for name in package.parts if name.endswith(".rels")}
    # First what goes by the kind of relationship pointing at it, then every
    # relationship that is external or points at something gone.
    for name, tree in trees.items():
        for relationship in tree.iter(_PKG_R + "Relationship"):
            target = _target(_source_of(name), relationship.get("Target", ""))
            if (relationship.get("TargetMode") != "External" and target in package.parts
                    and _DROPPED_RELATIONSHIPS.fullmatch(relationship.get("Type", ""))):
                dropped.add(target)
    removed_ids: dict[str, set[str]] = {}
    for name, tree in list(trees.items()):
        source = _source_of(name)
        if source and source in dropped:
            dropped.add(name)
            del trees[name]
            continue
        for relationship in list(tree.iter(_PKG_R + "Relationship")):
            if (relationship.get("TargetMode") == "External"
                    or _DROPPED_RELATIONSHIPS.fullmatch(relationship.get("Type", ""))
                    or _target(source, relationship.get("Target", "")) in dropped):
                removed_ids.setdefault(source, set()).add(relationship.get("Id", ""))
                _remove(relationship)
    cleaned: dict[str, bytes] = {}
    for name, content in package.parts.items():
        if name in dropped:
            continue
        if name in trees:
            cleaned[name] = _serialise(trees[name])
        elif name == "[Content_Types].xml":
            cleaned[name] = _clean_content_types(content, dropped)
        else:
            cleaned[name] = _clean_part(package, name, content, removed_ids.get(name, set()))
    return _zip(cleaned)


def _is_xml_name(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels", ".vml"))


def _clean_part(package: _Package, name: str, content: bytes, removed_ids: set[str]) -> bytes:
    content_type = package.content_type(name)
    if _MACRO_PARTS.fullmatch(name) or "macroEnabled" in content_type or "vbaProject" in content_type:
        raise UploadRejected(_MACROS)
    if content_type.endswith("xml") or _is_xml_name(name):
        return _clean_xml_part(name, content, removed_ids)
    if content_type.startswith("image/"):
        try:
            return clean_image(content)
        except UploadRejected:
            raise UploadRejected(_l("This document contains a picture that cannot be cleaned (%(type)s). Please "
                                    "insert pictures as JPEG or PNG, or save the document as PDF, and upload "
                                    "it again.", type=content_type)) from None
    if any(kind in content_type for kind in _FONT_TYPES):
        return content  # fonts embedded by Word carry the font's own names only
    if content_type.endswith(_PACKAGE_TYPES) and package.depth < _EMBEDDED_DEPTH:
        return _clean_ooxml(content, package.depth + 1)
    raise UploadRejected(_EMBEDDED)


def _clean_xml_part(name: str, content: bytes, removed_ids: set[str]) -> bytes:
    root = _parse(content)
    person_part = bool(_PERSON_PARTS.fullmatch(name))
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        local = _local(element.tag)
        if local in _DROPPED_ELEMENTS:
            _remove(element)
            continue
        unlinked = False
        for attribute, value in list(element.attrib.items()):
            namespace, _, attribute_local = attribute.rpartition("}")
            if namespace.lstrip("{") in _R and value in removed_ids:
                del element.attrib[attribute]
                unlinked = True
            elif attribute_local.startswith("rsid") and "wordprocessingml" in namespace:
                del element.attrib[attribute]
            elif attribute_local in _AUTHOR_ATTRIBUTES or (person_part and attribute_local in _PERSON_ATTRIBUTES):
                element.attrib[attribute] = ""
            elif attribute_local == "instr":
                element.attrib[attribute] = _PATH_IN_FIELD.sub('""', value)
            elif _LOCAL_PATH.search(value):
                element.attrib[attribute] = ""
        if unlinked and (local in _UNLINKED_DROPPED
                         or (local == "hyperlink" and len(element) == 0 and element.get("location") is None)):
            _remove(element)
            continue
        if local == "author" and _local(str(element.getparent().tag)) == "authors":
            element.text = ""  # the authors of Excel's comments
        elif local == "instrText" and element.text:
            element.text = _PATH_IN_FIELD.sub('""', element.text)
    _drop_empty_containers(root)
    return _serialise(root)


def _drop_empty_containers(root: _Element) -> None:
    """Alternate content left without content (an absolute path was all it
    held) and external-reference lists left empty."""
    for element in list(root.iter(_MC + "AlternateContent")):
        if not any(len(choice) for choice in element):
            _remove(element)
    for element in list(root.iter()):
        if isinstance(element.tag, str) and _local(element.tag) == "externalReferences" and len(element) == 0:
            _remove(element)


def _remove(element: _Element) -> None:
    parent = element.getparent()
    if parent is None:
        raise ValueError("the root element cannot be removed")
    # Keep the text that followed the element (mixed content).
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _clean_content_types(content: bytes, dropped: set[str]) -> bytes:
    root = _parse(content)
    lowered = {"/" + name.lower() for name in dropped}
    for override in list(root.iter(_CT + "Override")):
        if override.get("PartName", "").lower() in lowered:
            _remove(override)
    return _serialise(root)


def _content_types(content: bytes | None) -> tuple[dict[str, str], dict[str, str]]:
    if content is None:
        return {}, {}
    root = _parse(content)
    overrides = {item.get("PartName", "").lower(): item.get("ContentType", "") for item in root.iter(_CT + "Override")}
    defaults = {item.get("Extension", "").lower(): item.get("ContentType", "") for item in root.iter(_CT + "Default")}
    return overrides, defaults


def _source_of(rels_name: str) -> str:
    """The part a relationships part belongs to ("" for the package itself)."""
    folder, _, file_name = rels_name.rpartition("_rels/")
    return folder + file_name.removesuffix(".rels")


def _target(source: str, target: str) -> str:
    """The part name a relationship's target means, from the part it belongs to."""
    target = unquote(target.split("#", 1)[0])
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _check_xml(content: bytes) -> None:
    """Parse with defusedxml: a DTD, an entity or an external reference refuses the file."""
    from defusedxml.ElementTree import DefusedXMLParser

    class _Nothing:
        def close(self) -> None:
            return None

    parser = DefusedXMLParser(target=_Nothing(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.feed(content)
    parser.close()


def _parse(content: bytes) -> _Element:
    """Parse XML that :func:`_check_xml` has let through, keeping prefixes and
    namespace declarations; comments and processing instructions are dropped."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    return etree.fromstring(content, parser)


def _serialise(root: _Element) -> bytes:
    from lxml import etree

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _zip(parts: dict[str, bytes]) -> bytes:
    """A new archive: no archive or entry comments, no extra fields, one fixed date."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, content)
    return out.getvalue()


_CLEANERS: dict[FileKind, Callable[[bytes], bytes]] = {
    FileKind.PDF: _clean_pdf,
    FileKind.DOCX: _clean_ooxml,
    FileKind.XLSX: _clean_ooxml,
    FileKind.JPEG: clean_image,
    FileKind.PNG: clean_image,
}
