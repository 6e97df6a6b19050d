"""Looking customers up as an agent types: any part of a name, an address or a
phone number, three characters or more.

SQLite: an FTS5 trigram table over the customers (migration search 0002, kept by
triggers); PostgreSQL: a pg_trgm GIN index on name, address and phone together,
read by ILIKE. Both find "dams" in "Ken Adams" and "acme" in "wile@acme.com", and
neither reads the whole table. Each word of the search must appear; words shorter
than three characters are left out (a trigram index cannot find them), so a
search of only such words finds nobody.
"""

from __future__ import annotations

from django.db import connection

from helpline.accounts.models import Customer
from helpline.search.query import clean

MIN_CHARS = 3
MAX_WORDS = 5
# The expression the PostgreSQL index is on (migration 0002): keep them equal.
PG_HAYSTACK = "(name || ' ' || email || ' ' || phone)"


def lookup(typed: str, limit: int = 5) -> list[Customer]:
    words = [w for w in clean(typed).split() if len(w) >= MIN_CHARS][:MAX_WORDS]
    if not words:
        return []
    ids = _postgres(words, limit) if connection.vendor == "postgresql" else _sqlite(words, limit)
    by_id = {c.pk: c for c in Customer.objects.filter(pk__in=ids).select_related("organization")}
    return [by_id[pk] for pk in ids if pk in by_id]


def matching(typed: str, most: int) -> tuple[list[int] | None, list[str]]:
    """The ids of up to `most` + 1 customers whose name, address or phone holds
    every indexable word of `typed`, in no order (the `customer:` filter: a set,
    so nothing is ranked), None when no word is; and the words left out (under
    MIN_CHARS, or past MAX_WORDS), for the caller to check otherwise."""
    typed_words = clean(typed).split()
    words = [w for w in typed_words if len(w) >= MIN_CHARS][:MAX_WORDS]
    rest = [w for w in typed_words if w not in words]
    if not words:
        return None, rest
    if connection.vendor == "postgresql":
        return _postgres(words, most + 1, ranked=False), rest
    return _sqlite(words, most + 1, ranked=False), rest


def _sqlite(words: list[str], limit: int, ranked: bool = True) -> list[int]:
    query = " AND ".join('"' + w.replace('"', '""') + '"' for w in words)
    order = "ORDER BY rank " if ranked else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM search_customer_fts WHERE search_customer_fts MATCH %s "  # noqa: S608
            f"{order}LIMIT %s",
            [query, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def _postgres(words: list[str], limit: int, ranked: bool = True) -> list[int]:
    conditions = " AND ".join([f"{PG_HAYSTACK} ILIKE %s"] * len(words))
    patterns = ["%" + _like_escaped(w) + "%" for w in words]
    # Ranking sorts every match by similarity: for the lookup's few, not a filter's.
    order = f"ORDER BY similarity({PG_HAYSTACK}, %s) DESC, id " if ranked else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM accounts_customer WHERE {conditions} {order}LIMIT %s",  # noqa: S608
            [*patterns, *([" ".join(words)] if ranked else []), limit],
        )
        return [row[0] for row in cursor.fetchall()]


def _like_escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
