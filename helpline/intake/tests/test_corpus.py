"""Every message of the corpus ends as a ticket, a reply or a quarantined message
with a reason; none crashes the intake."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from helpline.conftest import World
from helpline.intake.ingest import ingest_message
from helpline.intake.models import LedgerOutcome, Mailbox, QuarantinedMessage
from helpline.intake.tests.corpus import CORPUS, corpus_files
from helpline.tickets.models import Ticket

PLACED = {LedgerOutcome.TICKET, LedgerOutcome.REPLY}
ENDS = PLACED | {LedgerOutcome.QUARANTINED}


def test_the_corpus_is_here_with_its_licenses() -> None:
    assert len(corpus_files()) == 107
    assert {p.name for p in (CORPUS / "LICENSES").iterdir()} == {"Apache-2.0.txt", "MIT.txt"}


def test_every_corpus_message_is_placed_or_quarantined_with_a_reason(
    world: World,
    support_mailbox: Mailbox,
    settings: object,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    files = corpus_files()
    outcomes: Counter[str] = Counter()
    crashes: list[str] = []
    reasons: Counter[str] = Counter()
    ends: dict[bytes, str] = {}

    for path in files:
        raw = path.read_bytes()
        name = str(path.relative_to(CORPUS))
        try:
            result = ingest_message(raw, mailbox=support_mailbox)
        except Exception as e:
            crashes.append(f"{name}: {type(e).__name__}: {e}")
            continue
        outcomes[result.outcome] += 1
        if result.outcome == LedgerOutcome.DUPLICATE:
            # A copy of an earlier file (the corpus has a byte-identical pair): stored
            # once, and it ends where that first copy ended.
            assert ends.get(raw) in ENDS, name
            continue
        ends[raw] = result.outcome
        if result.outcome in PLACED:
            assert result.ticket is not None, name
            assert Ticket.objects.filter(pk=result.ticket.pk).exists(), name
        else:
            assert result.outcome == LedgerOutcome.QUARANTINED, f"{name}: {result}"
            assert result.quarantined is not None and result.reason, name
            stored = QuarantinedMessage.objects.get(pk=result.quarantined.pk)
            assert bytes(stored.raw) == raw and stored.reason == result.reason, name
            reasons[result.reason[:110]] += 1

    with capsys.disabled():
        print(f"\nCorpus: {len(files)} messages, {len(crashes)} crashes; " + ", ".join(
            f"{outcome}: {outcomes[outcome]}"
            for outcome in ("ticket", "reply", "quarantined", "duplicate")
        ))  # fmt: skip
        for reason, count in reasons.most_common():
            print(f"  quarantined {count}x: {reason}")
    assert crashes == []
    assert sum(outcomes.values()) == len(files)
    assert set(outcomes) <= ENDS | {LedgerOutcome.DUPLICATE}
