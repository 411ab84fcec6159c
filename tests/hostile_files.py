"""Attachments built in code with identity and active content planted in
every place a file can hide them, and helpers that look for the planted
strings everywhere in a file, compressed or not.

Each planted string starts with ``PLANT``; :data:`PLANTED_NAMES` are the
Chinese names planted where a file allows Unicode.
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

PLANTED_NAMES = ("李慧敏", "阳光社工")
PLANT = re.compile(rb"PLANT[-\w]*")

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
ATTACHED_TEMPLATE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------

def _picture(width: int, height: int, mode: str = "RGB"):
    """A picture whose corners differ, so a rotation can be seen."""
    from PIL import Image

    image = Image.new(mode, (width, height), (240, 240, 240) if mode == "RGB" else 240)
    for x in range(width // 4):
        for y in range(height // 4):
            image.putpixel((x, y), (200, 20, 20) if mode == "RGB" else 30)  # top left: red
    return image


def _exif(orientation: int = 6):
    from PIL import Image

    exif = Image.Exif()
    exif[0x013B] = "PLANT-EXIF-ARTIST Li Huimin"     # Artist
    exif[0x8298] = "PLANT-EXIF-COPYRIGHT"            # Copyright
    exif[0x010E] = "PLANT-EXIF-DESCRIPTION"          # ImageDescription
    exif[0x0112] = orientation                        # Orientation: 6 = turn 90° clockwise to view
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (23.0, 7.0, 30.5)           # GPSLatitudeRef, GPSLatitude
    gps[3], gps[4] = "E", (113.0, 15.0, 10.0)         # GPSLongitudeRef, GPSLongitude
    gps[0x1B] = b"ASCII\x00\x00\x00PLANT-GPS-METHOD"  # GPSProcessingMethod
    return exif


XMP = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq>'
       "<rdf:li>PLANT-XMP-CREATOR 李慧敏</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>")


def icc_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_with_gps(width: int = 64, height: int = 48) -> bytes:
    """A JPEG with EXIF (artist, GPS, orientation 6), XMP, an ICC profile and a comment."""
    out = io.BytesIO()
    _picture(width, height).save(out, "JPEG", quality=90, exif=_exif(), xmp=XMP.encode(),
                                 comment=b"PLANT-JPEG-COMMENT", icc_profile=icc_profile())
    data = out.getvalue()
    # And a Photoshop (IPTC) segment, which Pillow does not write itself.
    byline = b"PLANT-IPTC-BYLINE"
    record = b"\x1c\x02\x50" + struct.pack(">H", len(byline)) + byline  # IPTC 2:80, the by-line
    iptc = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + struct.pack(">I", len(record)) + record
    tables = data.index(b"\xff\xdb")  # after the APPn segments, before the quantisation tables
    return data[:tables] + b"\xff\xed" + struct.pack(">H", len(iptc) + 2) + iptc + data[tables:]


def plain_jpeg(width: int = 32, height: int = 24) -> bytes:
    out = io.BytesIO()
    _picture(width, height).save(out, "JPEG", quality=90)
    return out.getvalue()


def png_with_metadata(width: int = 40, height: int = 30) -> bytes:
    """A PNG with EXIF (eXIf), XMP (iTXt), plain and compressed text chunks and an ICC profile."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "PLANT-PNG-AUTHOR")
    info.add_text("Comment", "PLANT-PNG-ZTXT " * 20, zip=True)
    info.add_itxt("Copyright", "PLANT-PNG-ITXT 阳光社工")
    info.add_itxt("XML:com.adobe.xmp", XMP)
    out = io.BytesIO()
    _picture(width, height).save(out, "PNG", pnginfo=info, exif=_exif(orientation=1), icc_profile=icc_profile())
    return out.getvalue()


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of each chunk of a PNG."""
    chunks, position = [], 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunks.append((kind, data[position + 8:position + 8 + length]))
        position += 12 + length
    return chunks


def huge_png_header(width: int = 8000, height: int = 8000) -> bytes:
    """A PNG that says it is 64 million pixels and holds almost nothing (a decompression bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
            + chunk(b"IEND", b""))


# ---------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------

def _stream(body: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(body), extra) + body + b"\nendstream"


def hostile_pdf() -> bytes:
    """A PDF written by hand with every kind of active content, metadata and
    an orphaned XMP object, then an incremental update that replaced the
    information dictionary (the old one stays in the file as an orphan)."""
    image = jpeg_with_gps(16, 16)
    xmp = XMP.replace("PLANT-XMP-CREATOR", "PLANT-XMP-{where}")
    content = b"BT /F1 12 Tf 72 712 Td (Project plan for the neighbourhood) Tj ET q 50 0 0 50 72 600 cm /Im1 Do Q"
    objects = {
        1: (b"<< /Type /Catalog /Pages 2 0 R /OpenAction 7 0 R /AA << /WC 8 0 R >> "
            b"/Names << /JavaScript 9 0 R /EmbeddedFiles 10 0 R >> /Metadata 12 0 R /AcroForm 14 0 R "
            b"/Outlines 17 0 R /URI << /Base (http://PLANT-BASE-URI.example/) >> >>"),
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> /XObject << /Im1 28 0 R >> >> "
            b"/AA << /O 8 0 R >> /Metadata 13 0 R /PieceInfo << /PLANT-App << /Private (PLANT-PIECEINFO) >> >> "
            b"/Annots [15 0 R 16 0 R 18 0 R 19 0 R 21 0 R 26 0 R] >>"),
        4: _stream(content),
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        6: b"<< /Author (PLANT-INFO-OLD Li Huimin) /Creator (PLANT-INFO-CREATOR) /Title (PLANT-INFO-TITLE) >>",
        7: b"<< /S /JavaScript /JS (app.alert\\('PLANT-JS-OPENACTION'\\)) >>",
        8: b"<< /S /JavaScript /JS (PLANT-JS-AA) >>",
        9: b"<< /Names [(init) << /S /JavaScript /JS (PLANT-JS-NAMES) >>] >>",
        10: b"<< /Names [(PLANT-EMBEDDED-NAME.txt) 11 0 R] >>",
        11: b"<< /Type /Filespec /F (PLANT-EMBEDDED-NAME.txt) /EF << /F 20 0 R >> >>",
        12: _stream(xmp.format(where="DOCUMENT").encode(), b"/Type /Metadata /Subtype /XML "),
        13: _stream(xmp.format(where="PAGE").encode(), b"/Type /Metadata /Subtype /XML "),
        14: b"<< /Fields [21 0 R] /XFA 22 0 R >>",
        15: (b"<< /Type /Annot /Subtype /Link /Rect [72 500 200 520] "
             b"/A << /S /Launch /F (cmd.exe) /Win << /F (PLANT-LAUNCH.exe) >> >> >>"),
        16: (b"<< /Type /Annot /Subtype /Text /Rect [300 700 320 720] /T (PLANT-ANNOTATION-AUTHOR) "
             b"/Contents (Please add the budget) /AA << /E << /S /JavaScript /JS (PLANT-JS-ANNOTATION) >> >> >>"),
        17: b"<< /Type /Outlines /First 24 0 R /Last 24 0 R /Count 1 >>",
        18: (b"<< /Type /Annot /Subtype /FileAttachment /Rect [300 600 320 620] "
             b"/FS << /Type /Filespec /F (a.txt) /EF << /F 23 0 R >> >> >>"),
        19: (b"<< /Type /Annot /Subtype /Link /Rect [72 450 200 470] "
             b"/A << /S /URI /URI (http://PLANT-URI.example/) >> >>"),
        20: _stream(b"PLANT-EMBEDDED-FILE Li Huimin", b"/Type /EmbeddedFile "),
        21: (b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (applicant) /Rect [72 300 300 320] /P 3 0 R "
             b"/AA << /K << /S /JavaScript /JS (PLANT-JS-FIELD) >> >> >>"),
        22: _stream(b"<xdp:xdp><script>PLANT-XFA-SCRIPT</script></xdp:xdp>"),
        23: _stream(b"PLANT-ANNOTATION-FILE", b"/Type /EmbeddedFile "),
        24: b"<< /Title (Introduction) /Parent 17 0 R /A << /S /JavaScript /JS (PLANT-JS-OUTLINE) >> >>",
        25: _stream(xmp.format(where="ORPHAN").encode(), b"/Type /Metadata /Subtype /XML "),
        26: (b"<< /Type /Annot /Subtype /Link /Rect [72 400 200 420] "
             b"/A << /S /GoTo /D [3 0 R /Fit] /Next << /S /JavaScript /JS (PLANT-JS-NEXT) >> >> >>"),
        27: b"<< /Author (PLANT-INFO-NEW) /Producer (PLANT-INFO-PRODUCER) >>",
        28: _stream(image, b"/Type /XObject /Subtype /Image /Width 16 /Height 16 /ColorSpace /DeviceRGB "
                           b"/BitsPerComponent 8 /Filter /DCTDecode /Metadata 29 0 R "),
        29: _stream(xmp.format(where="IMAGE").encode(), b"/Type /Metadata /Subtype /XML "),
    }
    first = {number: body for number, body in objects.items() if number != 27}
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in first.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join((b"%010d 00000 n \n" % offsets[n]) if n in offsets else b"0000000000 65535 f \n"
                    for n in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R /ID [<504c414e54> <504c414e54>] >>\n" % size
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    # The incremental update: a new information dictionary; the old one is orphaned.
    offset = len(out)
    out += b"27 0 obj\n" + objects[27] + b"\nendobj\n"
    second = len(out)
    out += b"xref\n27 1\n%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 27 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        size, xref, second)
    return bytes(out)


def pdf_everything(data: bytes) -> bytes:
    """Every byte of a PDF that a reader could see: the file, and each stream
    decoded (but for images, kept as they are stored) and each object written out."""
    import pikepdf

    parts = [data]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for item in pdf.objects:
            if isinstance(item, pikepdf.Stream):
                try:
                    parts.append(item.read_bytes(pikepdf.StreamDecodeLevel.specialized))
                except pikepdf.PdfError:
                    parts.append(item.read_raw_bytes())
                parts.append(item.stream_dict.unparse())
            elif isinstance(item, (pikepdf.Dictionary, pikepdf.Array)):
                parts.append(item.unparse())
        parts.append(pdf.trailer.unparse())
    return b"\n".join(parts)


# ---------------------------------------------------------------------------
# Word and Excel
# ---------------------------------------------------------------------------

CUSTOM_PROPS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
                'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
                '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Owner">'
                "<vt:lpwstr>PLANT-CUSTOM-PROPERTY 李慧敏</vt:lpwstr></property></Properties>")
APP_PROPS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
             "<Template>PLANT-APP-TEMPLATE.dotm</Template><Company>PLANT-APP-COMPANY</Company>"
             "<HyperlinkBase>C:\\Users\\PLANT-HYPERLINK-BASE\\</HyperlinkBase></Properties>")
PEOPLE = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml">'
          '<w15:person w15:author="PLANT-PERSON"><w15:presenceInfo w15:providerId="AD" '
          'w15:userId="PLANT-PERSON-USERID@example.org"/></w15:person></w15:people>')
CUSTOM_XML = '<?xml version="1.0"?><root><owner>PLANT-CUSTOMXML 阳光社工</owner></root>'


def _add_parts(data: bytes, parts: dict[str, str | bytes], relationships: dict[str, list[tuple[str, str, str]]],
               overrides: dict[str, str], comment: bytes = b"") -> bytes:
    """Add parts to a package, with relationships (source part -> (type, target, mode)) and content types."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        existing = {name: source.read(name) for name in source.namelist()}
        for owner, items in relationships.items():
            folder, _, name = owner.rpartition("/")
            rels_name = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"  # "" is the package
            xml = existing.get(rels_name, (f'<?xml version="1.0" encoding="UTF-8"?><Relationships '
                                           f'xmlns="{REL_NS}"></Relationships>').encode()).decode()
            added = "".join(f'<Relationship Id="rIdPlant{index}" Type="{kind}" Target="{where}"'
                            + (' TargetMode="External"' if mode == "External" else "") + "/>"
                            for index, (kind, where, mode) in enumerate(items))
            existing[rels_name] = xml.replace("</Relationships>", added + "</Relationships>").encode()
        types = existing["[Content_Types].xml"].decode()
        added = "".join(f'<Override PartName="/{name}" ContentType="{kind}"/>' for name, kind in overrides.items())
        existing["[Content_Types].xml"] = types.replace("</Types>", added + "</Types>").encode()
        existing.update({name: content.encode() if isinstance(content, str) else content
                         for name, content in parts.items()})
        for name, content in existing.items():
            target.writestr(name, content)
        target.comment = comment
    return out.getvalue()


def _replace(data: bytes, part: str, old: str, new: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry)
            if entry.filename == part:
                text = content.decode()
                assert old in text, (part, old)
                content = text.replace(old, new, 1).encode()
            target.writestr(entry, content)
        target.comment = source.comment
    return out.getvalue()


def hostile_docx(picture: bytes | None = None) -> bytes:
    """A Word document made by python-docx with comments, tracked changes,
    custom and app properties, an external hyperlink, an attached template,
    document variables, revision-session ids, a person list, customXml, a
    thumbnail, a field with a local path and a photo with EXIF GPS."""
    from docx import Document
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml

    document = Document()
    core = document.core_properties
    core.author, core.last_modified_by = "PLANT-CORE-AUTHOR 李慧敏", "PLANT-CORE-LAST-MODIFIED"
    core.title, core.keywords, core.comments = "PLANT-CORE-TITLE", "PLANT-CORE-KEYWORDS", "PLANT-CORE-COMMENTS"
    document.add_paragraph("项目需求分析：社区长者午餐。")
    commented = document.add_paragraph("预算需要补充。")
    document.add_comment(commented.runs, text="请补充预算明细", author="PLANT-COMMENT-AUTHOR 张伟",
                         initials="PLANT-INITIALS")
    changed = document.add_paragraph("原有内容")
    changed._p.append(parse_xml(
        f'<w:ins xmlns:w="{W_NS}" w:id="91" w:author="PLANT-INS-AUTHOR" w:date="2026-01-01T00:00:00Z">'
        "<w:r><w:t>新增内容</w:t></w:r></w:ins>"))
    changed._p.append(parse_xml(
        f'<w:del xmlns:w="{W_NS}" w:id="92" w:author="PLANT-DEL-AUTHOR" w:date="2026-01-01T00:00:00Z">'
        "<w:r><w:delText>删去的内容</w:delText></w:r></w:del>"))
    changed._p.set(f"{{{W_NS}}}rsidR", "00PLANT1")
    link = document.add_paragraph("Our website: ")
    link_id = document.part.relate_to("http://PLANT-HYPERLINK.example/", RT.HYPERLINK, is_external=True)
    link._p.append(parse_xml(f'<w:hyperlink xmlns:w="{W_NS}" xmlns:r="{R_NS}" r:id="{link_id}">'
                             "<w:r><w:t>our site</w:t></w:r></w:hyperlink>"))
    field = document.add_paragraph()
    field._p.append(parse_xml(f'<w:r xmlns:w="{W_NS}"><w:instrText xml:space="preserve"> INCLUDEPICTURE '
                              '"C:\\\\Users\\\\PLANT-FIELD-PATH\\\\photo.jpg" \\* MERGEFORMAT </w:instrText></w:r>'))
    document.add_picture(io.BytesIO(picture or jpeg_with_gps()))
    document.inline_shapes[0]._inline.docPr.set("descr", "C:\\Users\\PLANT-PICTURE-PATH\\photo.jpg")
    settings = document.settings.element
    template_id = document.part._settings_part.relate_to("file:///C:/Users/PLANT-TEMPLATE-PATH/Normal.dotm",
                                                              ATTACHED_TEMPLATE, is_external=True)
    settings.insert(0, parse_xml(f'<w:attachedTemplate xmlns:w="{W_NS}" xmlns:r="{R_NS}" r:id="{template_id}"/>'))
    settings.append(parse_xml(f'<w:docVars xmlns:w="{W_NS}"><w:docVar w:name="owner" w:val="PLANT-DOCVAR"/>'
                              "</w:docVars>"))
    settings.append(parse_xml(f'<w:rsids xmlns:w="{W_NS}"><w:rsidRoot w:val="00PLANT2"/></w:rsids>'))
    out = io.BytesIO()
    document.save(out)
    return _add_parts(
        out.getvalue(),
        parts={"docProps/custom.xml": CUSTOM_PROPS, "docProps/app.xml": APP_PROPS, "word/people.xml": PEOPLE,
               "customXml/item1.xml": CUSTOM_XML, "docProps/thumbnail.jpeg": jpeg_with_gps(8, 8)},
        relationships={
            "": [("http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties",
                  "docProps/custom.xml", ""),
                 ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties",
                  "docProps/app.xml", ""),
                 ("http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail",
                  "docProps/thumbnail.jpeg", "")],
            "word/document.xml": [("http://schemas.microsoft.com/office/2011/relationships/people", "people.xml", ""),
                                  ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml",
                                   "../customXml/item1.xml", "")],
        },
        overrides={"docProps/custom.xml": "application/vnd.openxmlformats-officedocument.custom-properties+xml",
                   "docProps/app.xml": "application/vnd.openxmlformats-officedocument.extended-properties+xml",
                   "word/people.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.people+xml",
                   "customXml/item1.xml": "application/xml",
                   "docProps/thumbnail.jpeg": "image/jpeg"},
        comment=b"PLANT-ZIP-COMMENT",
    )


def docx_with_part(name: str, content: bytes, content_type: str, rel_type: str) -> bytes:
    """A small python-docx document with one more part related from the document."""
    from docx import Document

    document = Document()
    document.add_paragraph("正文")
    out = io.BytesIO()
    document.save(out)
    target = name.removeprefix("word/")
    return _add_parts(out.getvalue(), {name: content}, {"word/document.xml": [(rel_type, target, "")]},
                      {name: content_type})


CONNECTIONS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<connections xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               '<connection id="1" name="budget" type="5" refreshedVersion="6"><dbPr connection="Provider=Microsoft.'
               'ACE.OLEDB.12.0;Data Source=C:\\Users\\PLANT-CONNECTION\\budget.accdb;" command="Sheet1"/>'
               "</connection></connections>")


def hostile_xlsx() -> bytes:
    """An Excel workbook made by openpyxl with a comment author, an external
    hyperlink, core properties, a fileSharing user name, an absolute path, a
    person list and printer settings."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment

    workbook = Workbook()
    workbook.properties.creator = "PLANT-XLSX-CREATOR 李慧敏"
    workbook.properties.lastModifiedBy = "PLANT-XLSX-LAST-MODIFIED"
    sheet = workbook.active
    sheet.title = "预算"
    sheet["A1"], sheet["B1"] = "活动物资", 1200
    sheet["A2"] = "说明"
    sheet["A2"].comment = Comment("请核对单价", "PLANT-XLSX-COMMENT-AUTHOR")
    sheet["A3"] = "website"
    sheet["A3"].hyperlink = "http://PLANT-XLSX-HYPERLINK.example/"
    out = io.BytesIO()
    workbook.save(out)
    data = _replace(out.getvalue(), "xl/workbook.xml", "<workbookPr",
                    '<fileSharing userName="PLANT-FILESHARING-USER" readOnlyRecommended="1"/><workbookPr')
    data = _replace(data, "xl/workbook.xml", "<bookViews>",
                    '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
                    '<mc:Choice Requires="x15"><x15ac:absPath '
                    'xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac" '
                    'url="C:\\Users\\PLANT-ABSPATH\\Desktop\\"/></mc:Choice></mc:AlternateContent><bookViews>')
    person = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
              '<person displayName="PLANT-XLSX-PERSON" id="{00000000-0000-0000-0000-000000000001}" '
              'userId="PLANT-XLSX-PERSON-ID" providerId="AD"/></personList>')
    return _add_parts(
        data,
        parts={"xl/persons/person.xml": person, "xl/connections.xml": CONNECTIONS,
               "xl/printerSettings/printerSettings1.bin": b"\\\\PLANT-PRINTER\\HP LaserJet" + bytes(100)},
        relationships={"xl/workbook.xml": [("http://schemas.microsoft.com/office/2017/10/relationships/person",
                                            "persons/person.xml", ""),
                                           ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                                            "connections", "connections.xml", "")],
                       "xl/worksheets/sheet1.xml": [
                           ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/printerSettings",
                            "../printerSettings/printerSettings1.bin", "")]},
        overrides={"xl/persons/person.xml": "application/vnd.ms-excel.person+xml",
                   "xl/connections.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml",
                   "xl/printerSettings/printerSettings1.bin":
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"},
    )


def zip_everything(data: bytes) -> bytes:
    """Every byte of a ZIP container a reader could see: the archive and each
    member decompressed (members that are themselves packages, opened too)."""
    parts = [data]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts.append(archive.comment)
        for entry in archive.infolist():
            content = archive.read(entry)
            parts += [entry.filename.encode(), entry.comment, entry.extra, content]
            if content.startswith(b"PK\x03\x04"):
                parts.append(zip_everything(content))
    return b"\n".join(parts)


def planted_in(everything: bytes) -> list[str]:
    """The planted strings found (ASCII markers, and the Chinese names in UTF-8 and UTF-16)."""
    found = sorted({match.decode() for match in PLANT.findall(everything)})
    for name in PLANTED_NAMES:
        if name.encode("utf-8") in everything or name.encode("utf-16-le") in everything:
            found.append(name)
    return found
