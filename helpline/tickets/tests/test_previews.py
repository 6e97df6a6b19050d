"""PDF previews (helpline.tickets.previews, drawn by helpline.tickets.pdfpreview
in a child process): what gets drawn, what gets none (and never an error), the
limits, and the pictures kept in storage."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from helpline.conftest import World
from helpline.tickets import lifecycle, pdfpreview, previews
from helpline.tickets.models import Attachment
from helpline.tickets.tests.pdfs import (
    BLUE,
    encrypted_pdf,
    huge_page_pdf,
    pages_pdf,
    pdf,
    png_pixel,
    png_size,
    slow_pdf,
    text_page,
)

pytestmark = pytest.mark.django_db


def attach(
    world: World, content: bytes, name: str = "report.pdf", kind: str = "application/pdf"
) -> Attachment:
    ticket = world.open(uploads=[lifecycle.Upload(name, kind, content)])
    return Attachment.objects.get(entry__ticket=ticket)


def stored(media: Path) -> list[str]:
    """The preview files kept, relative to their attachment's folder."""
    root = media / "previews"
    return sorted(str(p.relative_to(p.parents[1])) for p in root.rglob("*") if p.is_file())


def reason(media: Path) -> str:
    (none,) = (media / "previews").rglob("none.json")
    found: str = json.loads(none.read_text())["reason"]
    return found


class Runs:
    """Counts the renderer's runs (the real one still runs)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = subprocess.run

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(previews.subprocess, "run", counted)


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    return Runs(monkeypatch)


# --- what is drawn ----------------------------------------------------------------


def test_the_thumbnail_is_the_first_page_small(world: World, media: Path) -> None:
    attachment = attach(world, pdf(text_page("Invoice"), text_page("Terms", (200, 30, 30))))

    picture = previews.thumbnail(attachment)

    assert picture is not None
    width, height = png_size(picture)
    assert width == 240 and height == 340  # A4, scaled to 240 pixels wide
    # The first page's blue band, near its top; white paper below.
    assert png_pixel(picture, 120, 40) == BLUE
    assert png_pixel(picture, 5, 330) == (255, 255, 255)


def test_the_viewer_gets_every_page_of_a_short_document(world: World, media: Path) -> None:
    attachment = attach(world, pdf(text_page("One"), text_page("Two", (200, 30, 30))))

    found = previews.pages(attachment)

    assert found == previews.Pages(total=2, sizes=((1000, 1416), (1000, 1416)))
    second = previews.page(attachment, 2)
    assert second is not None and png_size(second) == (1000, 1416)
    assert png_pixel(second, 500, 100) == (200, 30, 30)
    assert previews.page(attachment, 3) is None
    assert previews.page(attachment, 0) is None


def test_the_viewer_stops_at_twenty_pages_and_counts_them_all(world: World, media: Path) -> None:
    attachment = attach(world, pages_pdf(23))

    found = previews.pages(attachment)

    assert found is not None and (found.shown, found.total) == (20, 23)
    assert previews.page(attachment, 20) is not None
    assert previews.page(attachment, 21) is None


def test_a_tall_page_is_drawn_narrower_within_the_box(world: World, media: Path) -> None:
    """A receipt roll two metres long: scaled to the box's height, not its width."""
    attachment = attach(world, pdf(text_page("Receipt"), size=(200, 5670)))

    picture = previews.thumbnail(attachment)

    assert picture is not None
    width, height = png_size(picture)
    assert height == 360 and width <= 13


def test_a_pdf_is_known_by_its_bytes_not_by_the_type_it_claims(world: World, media: Path) -> None:
    page = b"<html><script>alert(1)</script></html>"
    claims_pdf = attach(world, page, "invoice.pdf", "application/pdf")
    plain = attach(world, pdf(), "scan", "application/octet-stream")

    assert previews.offered(claims_pdf)
    assert previews.thumbnail(claims_pdf) is None
    assert previews.pages(claims_pdf) is None
    assert reason(media) == "not-pdf"
    # Not offered on the page (the name and the type say nothing of a PDF), but
    # drawn if asked for: the bytes are a PDF's.
    assert not previews.offered(plain)
    assert previews.thumbnail(plain) is not None


def test_the_pages_offer_a_preview_by_the_claimed_type_or_the_name(world: World) -> None:
    def offered(name: str, kind: str) -> bool:
        return previews.offered(Attachment(filename=name, content_type=kind))

    assert offered("a.pdf", "application/pdf")
    assert offered("a", "Application/PDF")
    assert offered("A.PDF", "application/octet-stream")
    assert not offered("a.png", "image/png")
    assert not offered("a.pdf.exe", "application/octet-stream")


# --- what gets no preview, and no error ----------------------------------------------


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"%PDF-1.7\nthis is no document at all\n%%EOF", "broken"),
        (pdf()[:200], "broken"),  # cut short
        (encrypted_pdf(), "encrypted"),
        (huge_page_pdf(), "page-size"),
        (b"", "not-pdf"),
        (b"PK\x03\x04 a zip file", "not-pdf"),
    ],
    ids=["broken", "cut short", "encrypted", "huge page", "empty", "zip"],
)
def test_a_file_that_cannot_be_drawn_gets_no_preview(
    world: World, media: Path, content: bytes, why: str, caplog: Any
) -> None:
    attachment = attach(world, content)
    caplog.set_level(logging.INFO, logger="helpline.tickets.previews")

    assert previews.thumbnail(attachment) is None
    assert previews.pages(attachment) is None
    assert previews.page(attachment, 1) is None
    assert reason(media) == why
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


def test_a_pdf_too_slow_to_draw_is_stopped_and_gets_no_preview(
    world: World, media: Path, settings: Any
) -> None:
    """10^8 drawings: minutes of PDFium's time, stopped at the timeout."""
    settings.HELPLINE_PDF_PREVIEW_SECONDS = 1.5
    attachment = attach(world, slow_pdf())

    started = time.monotonic()
    assert previews.thumbnail(attachment) is None
    assert time.monotonic() - started < 5
    assert reason(media) == "timeout"


def test_a_renderer_that_hangs_is_killed_at_the_timeout(
    world: World, media: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.HELPLINE_PDF_PREVIEW_SECONDS = 0.5
    hang = "import time\ntime.sleep(60)"
    monkeypatch.setattr(previews, "COMMAND", [sys.executable, "-c", hang, "--"])
    attachment = attach(world, pdf())

    started = time.monotonic()
    assert previews.thumbnail(attachment) is None
    assert time.monotonic() - started < 3
    assert reason(media) == "timeout"


@pytest.mark.parametrize(
    ("program", "why"),
    [
        ("import os; os.abort()", "crashed"),  # killed by a signal
        ("import sys; sys.stdout.write('HLPDF1 garbage')", "crashed"),  # not understood
        ("import sys; sys.stderr.write('no-such-reason'); sys.exit(3)", "crashed"),
        ("import sys; sys.exit(0)", "crashed"),  # nothing said
    ],
    ids=["abort", "garbage", "unknown reason", "silent"],
)
def test_a_renderer_that_crashes_or_talks_nonsense_means_no_preview(
    world: World, media: Path, monkeypatch: pytest.MonkeyPatch, program: str, why: str
) -> None:
    monkeypatch.setattr(previews, "COMMAND", [sys.executable, "-c", program, "--"])
    attachment = attach(world, pdf())

    assert previews.thumbnail(attachment) is None
    assert reason(media) == why


def test_a_renderer_that_cannot_start_is_no_verdict_on_the_file(
    world: World, media: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    """The machine's fault (no Python there, no process left): no preview now,
    tried again on the next view."""
    monkeypatch.setattr(previews, "COMMAND", [str(media / "no-such-python")])
    attachment = attach(world, pdf())

    assert previews.thumbnail(attachment) is None
    assert "the renderer did not start" in caplog.text
    assert not (media / "previews").exists()
    monkeypatch.undo()
    assert previews.thumbnail(attachment) is not None


def test_a_file_larger_than_the_limit_is_not_read(
    world: World, media: Path, settings: Any, runs: Runs
) -> None:
    settings.HELPLINE_PDF_PREVIEW_MAX_BYTES = 1000
    attachment = attach(world, pages_pdf(3))
    assert attachment.size > 1000

    assert previews.thumbnail(attachment) is None
    assert reason(media) == "too-large"
    assert runs.count == 0


def test_a_file_gone_from_storage_gets_no_preview(world: World, media: Path) -> None:
    attachment = attach(world, pdf())
    assert attachment.file.name
    attachment.file.storage.delete(attachment.file.name)

    assert previews.thumbnail(attachment) is None
    assert reason(media) == "missing"


def test_the_renderer_limits_itself_and_refuses_what_is_too_long() -> None:
    """Run as the parent runs it: a file longer than --input-bytes is refused
    before PDFium sees it."""
    command = [
        *previews.COMMAND,
        "--width=240",
        "--height=360",
        "--pages=1",
        "--seconds=5",
        "--memory-mb=512",
        "--input-bytes=100",
        "--output-bytes=100000",
    ]
    done = subprocess.run(command, input=pages_pdf(2), capture_output=True, env={}, check=False)
    assert (done.returncode, done.stderr) == (pdfpreview.NO_PREVIEW, b"too-large\n")


@pytest.mark.parametrize(
    ("limit", "value"),
    [("MEMORY_MB", 16), ("OUTPUT_BYTES", 2000)],
    ids=["address space", "output"],
)
def test_a_renderer_past_its_limits_is_stopped_and_means_no_preview(
    world: World, media: Path, monkeypatch: pytest.MonkeyPatch, limit: str, value: int
) -> None:
    """16 MB of address space is not enough to start Python with PDFium; 2,000
    bytes are less than the pictures of three pages (SIGXFSZ)."""
    monkeypatch.setattr(previews, limit, value)
    attachment = attach(world, pages_pdf(3))

    assert previews.pages(attachment) is None
    assert reason(media) == "crashed"


def test_the_renderer_runs_with_an_empty_environment_and_isolated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}

    def fake(command: list[str], **kwargs: Any) -> Any:
        seen.update(kwargs, command=command)
        raise subprocess.TimeoutExpired(command, 1)

    monkeypatch.setattr(previews.subprocess, "run", fake)
    assert previews._run(pdf(), previews.THUMBNAIL, label="x") == "timeout"
    assert seen["env"] == {}
    assert seen["command"][:4] == [sys.executable, "-I", "-m", "helpline.tickets.pdfpreview"]
    assert seen["timeout"] == previews.settings.HELPLINE_PDF_PREVIEW_SECONDS


# --- kept in storage --------------------------------------------------------------


def test_a_drawn_preview_is_kept_and_not_drawn_again(world: World, media: Path, runs: Runs) -> None:
    attachment = attach(world, pages_pdf(2))

    first = previews.thumbnail(attachment)
    assert previews.thumbnail(attachment) == first
    assert runs.count == 1
    found = previews.pages(attachment)
    assert previews.pages(attachment) == found
    assert previews.page(attachment, 1) == previews.page(attachment, 1)
    assert runs.count == 2
    assert stored(media) == [
        "v1/page-1.png",
        "v1/page-2.png",
        "v1/pages.json",
        "v1/thumbnail.png",
    ]


def test_no_preview_is_kept_too_so_a_hostile_file_is_tried_once(
    world: World, media: Path, runs: Runs
) -> None:
    attachment = attach(world, encrypted_pdf())

    for _ in range(3):
        assert previews.thumbnail(attachment) is None
        assert previews.pages(attachment) is None
    assert runs.count == 1
    assert stored(media) == ["v1/none.json"]


def test_previews_belong_to_the_stored_file_not_only_to_the_id(world: World, media: Path) -> None:
    """An attachment row pointing at another file (a restored database, ids used
    again) never shows the old file's pictures."""
    attachment = attach(world, pdf(text_page("Old")))
    old = previews.thumbnail(attachment)
    other = attach(world, pdf(text_page("New", (200, 30, 30))))
    attachment.file = other.file.name

    new = previews.thumbnail(attachment)

    assert new is not None and new != old
    assert png_pixel(new, 120, 40) == (200, 30, 30)


def test_a_picture_cut_short_in_storage_is_drawn_again_and_replaced(
    world: World, media: Path, runs: Runs
) -> None:
    attachment = attach(world, pdf())
    whole = previews.thumbnail(attachment)
    assert whole is not None
    (kept,) = (media / "previews").rglob("thumbnail.png")
    kept.write_bytes(whole[: len(whole) // 2])  # a writer that died halfway

    assert previews.thumbnail(attachment) == whole
    assert kept.read_bytes() == whole
    assert previews.thumbnail(attachment) == whole
    assert runs.count == 2
    assert stored(media) == ["v1/thumbnail.png"]


def test_two_requests_drawing_the_same_file_at_once_both_get_it(
    world: World, media: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """Both draw before either stores (a barrier holds them), as two agents
    opening the ticket at the same moment would: both answer with the picture,
    and one copy is kept."""
    settings.HELPLINE_PDF_PREVIEW_SLOTS = 2
    attachment = attach(world, pages_pdf(3))
    both_drawn = threading.Barrier(2, timeout=20)
    real = previews._draw

    def draw(*args: Any, **kwargs: Any) -> Any:
        drawn = real(*args, **kwargs)
        both_drawn.wait()
        return drawn

    monkeypatch.setattr(previews, "_draw", draw)
    results: dict[str, list[Any]] = {"thumbnail": [], "pages": []}

    def ask() -> None:
        results["thumbnail"].append(previews.thumbnail(attachment))

    def ask_pages() -> None:
        results["pages"].append(previews.pages(attachment))

    for target in (ask, ask_pages):
        threads = [threading.Thread(target=target) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    first, second = results["thumbnail"]
    assert first is not None and first == second
    assert (
        results["pages"][0]
        == results["pages"][1]
        == previews.Pages(total=3, sizes=((1000, 1416),) * 3)
    )
    assert stored(media) == [
        "v1/page-1.png",
        "v1/page-2.png",
        "v1/page-3.png",
        "v1/pages.json",
        "v1/thumbnail.png",
    ]


def test_the_pictures_are_served_as_pictures_only() -> None:
    response = previews.png_response(b"\x89PNG\r\n\x1a\n...")
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_no_free_drawing_slot_draws_nothing_keeps_nothing_and_waits_for_nobody(
    world: World, media: Path, settings: Any, runs: Runs
) -> None:
    """A stranger's many slow PDFs hold at most the machine's slots, never every
    web worker: a request finding them all taken answers at once, without a
    preview, and says nothing of the file; the next one draws."""
    settings.HELPLINE_PDF_PREVIEW_SLOTS = 1
    attachment = attach(world, pdf())
    with previews._slot() as held:  # another request drawing right now
        assert held
        started = time.monotonic()
        assert previews.thumbnail(attachment) is None
        assert previews.pages(attachment) is None
        assert time.monotonic() - started < 1
    assert runs.count == 0
    assert not (media / "previews").exists()
    assert previews.thumbnail(attachment) is not None
    assert runs.count == 1


def test_a_timeout_is_tried_again_after_a_while(
    world: World, media: Path, settings: Any, monkeypatch: pytest.MonkeyPatch, runs: Runs
) -> None:
    """A timeout may be a busy machine's, not the file's: kept for RETRY_SECONDS,
    then drawn again. A broken file's verdict stays."""
    attachment = attach(world, pdf())
    storage, folder = previews._place(attachment)
    previews._keep_none(storage, folder, "timeout")
    assert previews.thumbnail(attachment) is None
    assert runs.count == 0
    later = time.time() + previews.RETRY_SECONDS + 1
    monkeypatch.setattr(previews.time, "time", lambda: later)
    assert previews.thumbnail(attachment) is not None
    assert runs.count == 1

    broken = attach(world, encrypted_pdf(), name="locked.pdf")
    assert previews.thumbnail(broken) is None
    assert previews.thumbnail(broken) is None
    assert runs.count == 2
