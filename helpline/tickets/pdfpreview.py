"""Draws the first pages of a PDF as PNG pictures, in a process of its own:

    python -I -m helpline.tickets.pdfpreview --width 240 --height 360 --pages 1 \\
        --seconds 6 --memory-mb 512 --input-bytes 20971520 --output-bytes 33554432 \\
        < file.pdf > pictures

`helpline.tickets.previews` starts it; nothing else should. A PDF attachment is
hostile input: PDFium (Chrome's PDF engine, through the pypdfium2 wheel) is a
large C++ parser, and a file can be made to crash it, to keep it busy for
minutes (form XObjects that each draw the next ten times, eight deep, are 10^8
drawings), or to make it allocate gigabytes. So it never runs in a web server's
process, and this process limits itself before it reads a byte of the file or
loads PDFium: CPU seconds, address space, the size of what it writes (stdout is
a file: a longer answer is killed by SIGXFSZ), a few open files, no child
processes, no core dump. The parent adds the wall-clock timeout, gives an empty
environment and starts Python isolated (`-I`: no PYTHON* variables, no user
site, no current directory on the path). It imports nothing of Django and reads
no settings, database or file but the PDF on stdin.

Only what is printed is drawn: forms are not set up (no `init_forms`), so no
form field and none of a PDF's JavaScript runs; annotations are drawn as printed.

Each page is scaled to fit `--width` x `--height` pixels (a tall page is drawn
narrower), so a picture is bounded whatever the page claims; a page larger than
the PDF format allows (200 inches, 14,400 points, on a side) or smaller than a
point is refused, as are pages PDFium cannot size.

The answer on stdout: `MAGIC`, the document's page count and the number of
pictures that follow (each 4 bytes, big-endian), then each picture's length
(4 bytes) and its PNG. Exit status 0; `NO_PREVIEW` (3) when the file gets no
preview, with the reason on stderr (one word of `REASONS`); anything else is a
crash or a limit reached, which the parent treats the same way.
"""

from __future__ import annotations

import argparse
import resource
import struct
import sys
import zlib
from typing import Any, BinaryIO

MAGIC = b"HLPDF1"
NO_PREVIEW = 3
# Why a file gets no preview (on stderr).
REASONS = ("not-pdf", "too-large", "encrypted", "broken", "page-size")
PDF_MAGIC = b"%PDF-"
# The PDF format's largest page (ISO 32000, annex C: 14,400 units with the
# default user unit, 200 inches) and a point: anything outside is no real page.
LARGEST_SIDE = 14_400.0
SMALLEST_SIDE = 1.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Refused(Exception):
    """The file gets no preview; `args[0]` is one of REASONS."""


def limit(seconds: int, memory_mb: int, output_bytes: int) -> None:
    """Limits this process, before it reads the file or loads PDFium."""

    def cap(kind: int, value: int) -> None:
        # Never above the hard limit already set (an unprivileged process may not raise it).
        _, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, value))

    cap(resource.RLIMIT_CPU, seconds)
    cap(resource.RLIMIT_AS, memory_mb * 2**20)
    cap(resource.RLIMIT_FSIZE, output_bytes)
    cap(resource.RLIMIT_CORE, 0)
    cap(resource.RLIMIT_NOFILE, 32)
    # No new processes (ignored for root, which the web server is not).
    cap(resource.RLIMIT_NPROC, 0)


def read_input(stream: BinaryIO, most: int) -> bytes:
    data = stream.read(most + 1)
    if len(data) > most:
        raise Refused("too-large")
    if not data.startswith(PDF_MAGIC):
        raise Refused("not-pdf")
    return data


def png(width: int, height: int, stride: int, pixels: Any) -> bytes:
    """An RGB picture (rows of `stride` bytes) as PNG, written by hand: no imaging
    library to load into this process."""
    view = memoryview(pixels).cast("B")
    row = width * 3
    raw = b"".join(b"\x00" + view[y * stride : y * stride + row] for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def render(data: bytes, *, width: int, height: int, pages: int, out: BinaryIO) -> None:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        password = getattr(pdfium.raw, "FPDF_ERR_PASSWORD", 4)
        raise Refused("encrypted" if error.err_code == password else "broken") from None
    total = len(document)
    if total < 1:
        raise Refused("broken")
    shown = min(total, pages)
    out.write(MAGIC + struct.pack(">II", total, shown))
    for index in range(shown):
        try:
            page = document[index]
            side_w, side_h = page.get_size()
        except pdfium.PdfiumError:
            raise Refused("broken") from None
        if not all(SMALLEST_SIDE <= side <= LARGEST_SIDE for side in (side_w, side_h)):
            raise Refused("page-size")
        # A hair under the exact ratio: the pixels are rounded up, never past the box.
        scale = min(width / side_w, height / side_h) * (1 - 1e-9)
        bitmap = page.render(scale=scale, rev_byteorder=True, may_draw_forms=False)
        if bitmap.n_channels != 3:
            raise Refused("broken")
        picture = png(bitmap.width, bitmap.height, bitmap.stride, bitmap.buffer)
        out.write(struct.pack(">I", len(picture)) + picture)
        bitmap.close()
        page.close()
    document.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="helpline.tickets.pdfpreview")
    for name in ("width", "height", "pages", "seconds", "memory-mb"):
        parser.add_argument(f"--{name}", type=int, required=True)
    parser.add_argument("--input-bytes", type=int, required=True)
    parser.add_argument("--output-bytes", type=int, required=True)
    args = parser.parse_args(argv)
    limit(args.seconds, args.memory_mb, args.output_bytes)
    try:
        data = read_input(sys.stdin.buffer, args.input_bytes)
        render(data, width=args.width, height=args.height, pages=args.pages, out=sys.stdout.buffer)
    except Refused as refused:
        sys.stderr.write(f"{refused.args[0]}\n")
        return NO_PREVIEW
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
