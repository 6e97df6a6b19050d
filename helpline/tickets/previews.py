"""Previews of PDF attachments: the first page small on the ticket pages, the
first pages large in a viewer, as PNG pictures drawn on the server.

Why not the browser's own PDF viewer: every file is served with a sandboxing CSP
(tickets.downloads), under which Chromium's viewer does not run, and serving a
stranger's PDF for the browser to run on our origin is what that policy is
there to prevent. Pictures are inert: served as `image/png` with `nosniff` and
the same sandboxing CSP, they can only be shown.

Drawing happens in a child process (`helpline.tickets.pdfpreview`, which says
what it limits and why) with a wall-clock timeout, on at most
`HELPLINE_PDF_PREVIEW_MAX_BYTES` of file, for at most `VIEWER.pages` pages, each
scaled into a bounded box. A file that is not a PDF by its first bytes
(`%PDF-`, whatever type it claims), that is encrypted, broken, too large, too
slow or crashes the renderer gets no preview: the page shows it as a plain
file, never an error. Callers hold no database transaction while this runs
(the views ask the database first, then draw): a render takes up to the
timeout, which must not hold a row lock or SQLite's write lock.

What it costs: a page of the ticket opens no file and asks nothing more of the
database (`offered` goes by the claimed type and name, as pictures' previews
do); each thumbnail is then a request of its own, which reads one stored
picture, or draws it once (about 0.2 s, mostly starting Python). The viewer draws
its pages once (20 text pages: about a second, 150 kB a page).

The pictures are kept in the default storage, beside the attachments, under
`previews/<attachment id>-<digest of the stored file's name>/v<VERSION>/`
(the digest ties them to that very file, whatever becomes of ids):

- `thumbnail.png`: the first page, `THUMBNAIL` in size;
- `page-<n>.png` for the viewer's pages, then `pages.json` (the document's
  page count and each picture's size), written last: it says the pages are all
  there;
- `none.json` (`{"reason": ..., "at": ...}`) when the file gets no preview, so a
  hostile file is drawn (and times out) once, not on every view of its ticket.
  What may say more of the machine than of the file (a timeout on a busy
  machine, a renderer that crashed or could not import its library) is tried
  again after RETRY_SECONDS; a renderer that could not even start, or no free
  drawing slot (`TRANSIENT`), is not kept at all.

How many draw at once: at most `HELPLINE_PDF_PREVIEW_SLOTS` on one machine
(default 1), each slot a lock file held while its child runs (`flock`, so a
process that dies lets go). A request that finds no slot free draws nothing and
shows the file as a plain download for now. Without this, a stranger who sends
many slow PDFs and asks for their previews at once would hold every web worker
for the whole timeout (the server runs a few synchronous workers).

Two requests may draw the same file at once (two agents open the ticket): both
draw, both store. Storage never overwrites (FileSystemStorage creates a name
exclusively; S3 is configured so): the second copy gets another name and is
deleted, and the first, made from the same file by the same renderer, stays. A
reader may come upon a picture still being written: a PNG is whole only when it
ends with its IEND chunk, and a `pages.json` only when it parses; anything less
counts as not there, and is drawn again. Bumping VERSION (a new way of drawing)
leaves the old pictures unread.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.http import HttpResponse

from helpline.tickets import pdfpreview
from helpline.tickets.models import Attachment

log = logging.getLogger(__name__)

VERSION = 1
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
# Reasons not kept: the renderer could not be started, or every drawing slot was
# taken (this machine, not the file).
TRANSIENT = frozenset({"no-renderer", "busy"})
# Reasons kept for a while only: they may say more of the machine than the file.
RETRIED = frozenset({"timeout", "crashed"})
RETRY_SECONDS = 3600


@dataclass(frozen=True)
class Size:
    """What one drawing makes: at most `pages` pages, each scaled to fit
    `width` x `height` pixels."""

    width: int
    height: int
    pages: int


# The ticket pages show a thumbnail at half its pixels' width (sharp on a
# high-density screen); the viewer shows pages up to 1000 pixels wide.
THUMBNAIL = Size(width=240, height=360, pages=1)
VIEWER = Size(width=1000, height=2000, pages=20)
# What the child may use: address space, and what it may write (20 pages of
# 1000 x 2000 pixels are at most 120 MB unpacked; drawn pages pack to a few
# hundred kilobytes each, and a picture of noise packs to less than unpacked).
MEMORY_MB = 768
OUTPUT_BYTES = 64 * 2**20

# The child's command line, before its arguments. `-I`: isolated (no PYTHON*
# variables, no user site-packages, not the current directory on the path).
COMMAND = [sys.executable, "-I", "-m", "helpline.tickets.pdfpreview"]


@dataclass(frozen=True)
class Pages:
    """What the viewer shows: the first pages of a document of `total`, each
    picture's (width, height) in pixels."""

    total: int
    sizes: tuple[tuple[int, int], ...]

    @property
    def shown(self) -> int:
        return len(self.sizes)


def offered(attachment: Attachment) -> bool:
    """Whether the ticket pages offer a PDF preview: by the claimed type or the
    name, so a page reads no file; the bytes decide when it is drawn."""
    kind, name = attachment.content_type.lower(), attachment.filename.lower()
    return kind in PDF_TYPES or name.endswith(".pdf")


def thumbnail(attachment: Attachment) -> bytes | None:
    """The first page as a small PNG, or None: no preview for this file."""
    storage, folder = _place(attachment)
    stored = _read_png(storage, f"{folder}/thumbnail.png")
    if stored is not None:
        return stored
    if _has_none(storage, folder):
        return None
    drawn = _draw(attachment, THUMBNAIL)
    if isinstance(drawn, str):
        _keep_none(storage, folder, drawn)
        return None
    picture = drawn.pictures[0]
    _put(storage, f"{folder}/thumbnail.png", picture, _whole_png)
    return picture


def pages(attachment: Attachment) -> Pages | None:
    """The viewer's pages, drawn and stored if they were not yet; None: no preview."""
    storage, folder = _place(attachment)
    found = _read_pages(storage, folder)
    if found is not None:
        return found
    if _has_none(storage, folder):
        return None
    return _draw_pages(attachment, storage, folder)


def page(attachment: Attachment, number: int) -> bytes | None:
    """Page `number` (from 1) of the viewer as PNG, or None (no such page, or no
    preview for this file)."""
    found = pages(attachment)
    if found is None or not 1 <= number <= found.shown:
        return None
    storage, folder = _place(attachment)
    stored = _read_png(storage, f"{folder}/page-{number}.png")
    if stored is None:
        # Deleted or cut short since: draw again (a stored page is never trusted
        # unless whole).
        found = _draw_pages(attachment, storage, folder)
        if found is None or number > found.shown:
            return None
        stored = _read_png(storage, f"{folder}/page-{number}.png")
    return stored


def png_response(picture: bytes) -> HttpResponse:
    """A drawn picture, served as one: PNG whatever a browser would guess, and
    the downloads' sandboxing CSP."""
    response = HttpResponse(picture, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- drawing --------------------------------------------------------------------


@dataclass(frozen=True)
class Drawn:
    total: int
    pictures: list[bytes]


def _draw_pages(attachment: Attachment, storage: Storage, folder: str) -> Pages | None:
    drawn = _draw(attachment, VIEWER)
    if isinstance(drawn, str):
        _keep_none(storage, folder, drawn)
        return None
    for number, picture in enumerate(drawn.pictures, start=1):
        _put(storage, f"{folder}/page-{number}.png", picture, _whole_png)
    found = Pages(total=drawn.total, sizes=tuple(_png_size(p) for p in drawn.pictures))
    manifest = {"total": found.total, "sizes": found.sizes}
    _put(storage, f"{folder}/pages.json", json.dumps(manifest).encode(), _whole_manifest)
    return found


def _draw(attachment: Attachment, size: Size) -> Drawn | str:
    """The drawn pages, or why there are none (pdfpreview.REASONS, "missing",
    "timeout", "crashed")."""
    most = settings.HELPLINE_PDF_PREVIEW_MAX_BYTES
    if attachment.size > most:
        return "too-large"
    try:
        with attachment.file.open("rb") as handle:
            data = handle.read(most + 1)
    except (FileNotFoundError, ValueError):  # gone from storage, or never stored
        return "missing"
    if len(data) > most:
        return "too-large"
    if not data.startswith(pdfpreview.PDF_MAGIC):
        return "not-pdf"
    with _slot() as free:
        if not free:
            log.info("No preview of attachment %s yet: every drawing slot is busy", attachment.pk)
            return "busy"
        return _run(data, size, label=f"attachment {attachment.pk}")


@contextmanager
def _slot() -> Iterator[bool]:
    """Holds one of the machine's drawing slots while the block runs; yields
    False (at once, never waiting) when all are taken."""
    folder = Path(settings.HELPLINE_PDF_PREVIEW_SLOT_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for number in range(max(1, settings.HELPLINE_PDF_PREVIEW_SLOTS)):
        handle = os.open(folder / f"slot-{number}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            continue
        try:
            yield True
        finally:
            os.close(handle)  # closing lets the lock go
        return
    yield False


def _run(data: bytes, size: Size, *, label: str) -> Drawn | str:
    seconds = settings.HELPLINE_PDF_PREVIEW_SECONDS
    arguments = {
        "width": size.width,
        "height": size.height,
        "pages": size.pages,
        # CPU time can only run out after the wall clock, unless the child
        # somehow ran threads: the timeout is the limit that counts.
        "seconds": max(1, int(seconds) + 1),
        "memory-mb": MEMORY_MB,
        "input-bytes": settings.HELPLINE_PDF_PREVIEW_MAX_BYTES,
        "output-bytes": OUTPUT_BYTES,
    }
    command = [*COMMAND, *(f"--{name}={value}" for name, value in arguments.items())]
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as empty,
    ):
        try:
            # On timeout, run() kills the child (which may start no process of its own).
            # It starts in an empty folder, with no inherited files but its pipes.
            done = subprocess.run(  # noqa: S603 (our own module, fixed arguments)
                command,
                input=data,
                stdout=out,
                stderr=err,
                env={},
                cwd=empty,
                close_fds=True,
                timeout=seconds,
                check=False,
            )
        except subprocess.TimeoutExpired:
            log.warning("No preview of %s: drawing it took over %s s", label, seconds)
            return "timeout"
        except OSError as error:
            log.error("No preview of %s: the renderer did not start (%s)", label, error)
            return "no-renderer"
        # The end of what it said: a reason, or the last line of a traceback.
        err.seek(max(0, err.seek(0, 2) - 300))
        said = err.read().decode("ascii", "replace").strip()
        if done.returncode == pdfpreview.NO_PREVIEW and said in pdfpreview.REASONS:
            log.info("No preview of %s: %s", label, said)
            return said
        if done.returncode != 0:
            log.warning(
                "No preview of %s: the renderer ended with %s (%s)",
                label,
                done.returncode,
                said.splitlines()[-1] if said else "no message",
            )
            return "crashed"
        out.seek(0)
        answer = out.read(OUTPUT_BYTES + 1)
    drawn = _parse(answer)
    if drawn is None:
        log.warning("No preview of %s: the renderer's answer was not understood", label)
        return "crashed"
    return drawn


def _parse(answer: bytes) -> Drawn | None:
    head = len(pdfpreview.MAGIC) + 8
    if len(answer) < head or not answer.startswith(pdfpreview.MAGIC):
        return None
    total, count = struct.unpack(">II", answer[len(pdfpreview.MAGIC) : head])
    pictures: list[bytes] = []
    at = head
    for _ in range(count):
        if at + 4 > len(answer):
            return None
        (length,) = struct.unpack(">I", answer[at : at + 4])
        picture = answer[at + 4 : at + 4 + length]
        if len(picture) != length or not _whole_png(picture):
            return None
        pictures.append(picture)
        at += 4 + length
    if not pictures or at != len(answer):
        return None
    return Drawn(total=total, pictures=pictures)


# --- storage ----------------------------------------------------------------------


def _place(attachment: Attachment) -> tuple[Storage, str]:
    digest = hashlib.sha256((attachment.file.name or "").encode()).hexdigest()[:16]
    return attachment.file.storage, f"previews/{attachment.pk}-{digest}/v{VERSION}"


def _png_size(picture: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header chunk."""
    width, height = struct.unpack(">II", picture[16:24])
    return width, height


def _whole_png(data: bytes) -> bool:
    return (
        data.startswith(pdfpreview.PNG_SIGNATURE)
        and data[12:16] == b"IHDR"
        and data.endswith(PNG_END)
    )


def _read(storage: Storage, name: str) -> bytes | None:
    try:
        if not storage.exists(name):
            return None
        with storage.open(name, "rb") as handle:
            content: bytes = handle.read()
    except FileNotFoundError:
        return None
    return content


def _read_png(storage: Storage, name: str) -> bytes | None:
    data = _read(storage, name)
    return data if data is not None and _whole_png(data) else None


def _read_pages(storage: Storage, folder: str) -> Pages | None:
    data = _read(storage, f"{folder}/pages.json")
    return None if data is None else _manifest(data)


def _whole_manifest(data: bytes) -> bool:
    return _manifest(data) is not None


def _manifest(data: bytes) -> Pages | None:
    try:
        found: Any = json.loads(data)
        total = int(found["total"])
        sizes = tuple((int(w), int(h)) for w, h in found["sizes"])
    except (ValueError, TypeError, KeyError):
        return None  # still being written: draw again
    return Pages(total=total, sizes=sizes) if 1 <= len(sizes) <= total else None


def _has_none(storage: Storage, folder: str) -> bool:
    """Whether the file is known to get no preview: a retried reason only for
    RETRY_SECONDS (then it is drawn again, and the old word goes)."""
    data = _read(storage, f"{folder}/none.json")
    if data is None:
        return False
    try:
        found: Any = json.loads(data)
        reason, at = str(found["reason"]), float(found.get("at", 0))
    except (ValueError, TypeError, KeyError, AttributeError):
        reason, at = "", 0.0  # cut short or unreadable: as good as a retried one
    if reason not in RETRIED and reason:
        return True
    if time.time() - at < RETRY_SECONDS:
        return True
    storage.delete(f"{folder}/none.json")
    return False


def _keep_none(storage: Storage, folder: str, reason: str) -> None:
    if reason in TRANSIENT:
        return
    word = json.dumps({"reason": reason, "at": time.time()}).encode()
    _put(storage, f"{folder}/none.json", word)


def _put(
    storage: Storage, name: str, content: bytes, whole: Callable[[bytes], bool] = bool
) -> None:
    """Stores `content` as `name`. When the name is taken, by a request drawing
    the same file at the same moment, this copy (saved under another name) goes;
    unless what is there is not `whole` (a writer that died halfway): then this
    copy takes its place."""
    saved = storage.save(name, ContentFile(content))
    if saved == name:
        return
    storage.delete(saved)
    if whole(_read(storage, name) or b""):
        return
    storage.delete(name)
    again = storage.save(name, ContentFile(content))
    if again != name:  # yet another request stored it meanwhile
        storage.delete(again)
