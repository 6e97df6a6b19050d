"""PDF files for tests, written by hand (objects, a cross-reference table and a
trailer): a document of text pages, a password-protected one, one with a page
larger than the format allows, and one that takes PDFium minutes to draw.
Also `png_size` and `png_pixel`, to look into a drawn picture."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

A4 = (595, 842)
BLUE = (40, 90, 160)


def document(
    objects: Sequence[bytes], *, trailer: bytes = b"", header: bytes = b"%PDF-1.4"
) -> bytes:
    """A PDF of `objects` (numbered from 1; the first is the catalog)."""
    out = bytearray(header + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def stream(content: bytes, entries: bytes = b"") -> bytes:
    return b"<< %s /Length %d >>\nstream\n" % (entries, len(content)) + content + b"\nendstream"


def text_page(text: str, color: tuple[int, int, int] = BLUE) -> bytes:
    """A page's drawing: a coloured band across the top, and a line of text."""
    r, g, b = (c / 255 for c in color)
    return (
        f"{r:.3f} {g:.3f} {b:.3f} rg 40 650 515 150 re f "
        f"0 0 0 rg BT /F1 30 Tf 60 590 Td ({text}) Tj ET "
        f"0.6 0.6 0.6 rg 60 300 475 8 re f 60 270 400 8 re f 60 240 440 8 re f"
    ).encode()


def pdf(
    *pages: bytes,
    size: tuple[float, float] = A4,
    extra: Sequence[bytes] = (),
    trailer: bytes = b"",
) -> bytes:
    """A document of these page drawings (`text_page`), each `size` points."""
    if not pages:
        pages = (text_page("Page one"),)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    box = f"0 0 {size[0]:g} {size[1]:g}"
    for i, content in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [{box}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(stream(content))
    return document([*objects, *extra], trailer=trailer)


def pages_pdf(count: int) -> bytes:
    return pdf(*(text_page(f"Page {n}") for n in range(1, count + 1)))


def encrypted_pdf() -> bytes:
    """Protected by a password nobody here knows (the standard security
    handler, revision 2: what PDFium asks a password for)."""
    encrypt = b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (
        b"11" * 32,
        b"22" * 32,
    )
    ident = b"<" + b"33" * 16 + b">"
    # Objects 1 to 5 are the catalog, the pages, the font, the page, its drawing.
    return pdf(
        text_page("Secret"),
        extra=[encrypt],
        trailer=b"/Encrypt 6 0 R /ID [%s %s] " % (ident, ident),
    )


def huge_page_pdf() -> bytes:
    """A page of 200,000 points on a side: larger than the format allows."""
    return pdf(text_page("Huge"), size=(200_000, 200_000))


def slow_pdf(levels: int = 8, fan: int = 10) -> bytes:
    """One page whose form XObjects each draw the next `fan` times, `levels`
    deep: fan**levels drawings (10^8 by default, minutes of PDFium's time; each
    level takes it about ten times longer than the one before)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] "
        b"/Resources << /XObject << /X 5 0 R >> >> /Contents 4 0 R >>",
        stream(b"/X Do"),
    ]
    for level in range(levels):
        number = 5 + level
        if level < levels - 1:
            drawing = b"q 0.99 0 0 0.99 1 1 cm /X Do Q " * fan
            resources = b"/Resources << /XObject << /X %d 0 R >> >>" % (number + 1)
        else:
            drawing, resources = b"0 0 m 200 200 l 0 200 l h f", b""
        objects.append(
            stream(drawing, b"/Type /XObject /Subtype /Form /BBox [0 0 200 200] " + resources)
        )
    return document(objects)


def png_size(picture: bytes) -> tuple[int, int]:
    assert picture.startswith(b"\x89PNG\r\n\x1a\n"), picture[:16]
    width, height = struct.unpack(">II", picture[16:24])
    return width, height


def png_pixel(picture: bytes, x: int, y: int) -> tuple[int, int, int]:
    """The colour of one pixel of an 8-bit RGB PNG without filters (as
    helpline.tickets.pdfpreview writes them)."""
    width, _height = png_size(picture)
    at, data = 8, b""
    while at < len(picture):
        (length,) = struct.unpack(">I", picture[at : at + 4])
        kind = picture[at + 4 : at + 8]
        if kind == b"IDAT":
            data += picture[at + 8 : at + 8 + length]
        at += 12 + length
    rows = zlib.decompress(data)
    start = y * (width * 3 + 1) + 1 + x * 3
    assert rows[y * (width * 3 + 1)] == 0  # no filter
    r, g, b = rows[start : start + 3]
    return r, g, b
