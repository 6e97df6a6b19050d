"""The email corpus in data/ (stalwart-mail-parser's test messages, Apache-2.0/MIT,
see data/stalwart-mail-parser/LICENSES): 107 real and malformed messages."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).parent / "data" / "stalwart-mail-parser"


def corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.eml"))
