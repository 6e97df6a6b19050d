"""The search indexes' own SQL, for each database: what Django's models cannot say.

Documents (helpline.search.models.Document):
- SQLite: an FTS5 table over search_document, kept by triggers ("external
  content": the text is stored once, in search_document). Porter stemming
  (English), case and accents folded by unicode61.
- PostgreSQL: a text search configuration that folds accents (the unaccent
  dictionary before the English stemmer), a generated tsvector column weighing
  the parts A (number, subject) to D (notes), and its GIN index. unaccent is a
  trusted extension: the database's owner may create it without being a
  superuser. PostgreSQL's parser reads "<script>" in plain text as a tag and
  skips all that follows it: every "<" gets a space after it first (the snippets
  do the same, backends.postgres).

Customers (helpline.search.customers):
- SQLite: an FTS5 trigram table over accounts_customer, kept by triggers.
- PostgreSQL: pg_trgm (trusted too) and a GIN index on name, address and phone.

Django remakes a SQLite table for most changes of its columns (a copy, then a
rename), and the triggers on the old table go with it: `repair` (after every
`migrate`, helpline.search.apps) creates any that are missing; the trigger and
table statements are idempotent on SQLite for that reason.
"""

from __future__ import annotations

from typing import Any

DOCUMENTS_SQLITE = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        subject, people, public_text, internal_text,
        content='search_document', content_rowid='ticket_id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS search_document_ai AFTER INSERT ON search_document BEGIN
        INSERT INTO search_fts(rowid, subject, people, public_text, internal_text)
        VALUES (new.ticket_id, new.subject, new.people, new.public_text, new.internal_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_document_ad AFTER DELETE ON search_document BEGIN
        INSERT INTO search_fts(search_fts, rowid, subject, people, public_text, internal_text)
        VALUES ('delete', old.ticket_id, old.subject, old.people, old.public_text,
                old.internal_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_document_au AFTER UPDATE ON search_document BEGIN
        INSERT INTO search_fts(search_fts, rowid, subject, people, public_text, internal_text)
        VALUES ('delete', old.ticket_id, old.subject, old.people, old.public_text,
                old.internal_text);
        INSERT INTO search_fts(rowid, subject, people, public_text, internal_text)
        VALUES (new.ticket_id, new.subject, new.people, new.public_text, new.internal_text);
    END""",
]

DOCUMENTS_SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS search_document_au",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TABLE IF EXISTS search_fts",
]

DOCUMENTS_POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION helpline_search (COPY = pg_catalog.english)",
    """ALTER TEXT SEARCH CONFIGURATION helpline_search
        ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem""",
    """ALTER TABLE search_document ADD COLUMN vec tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('helpline_search'::regconfig,
                              replace(subject, '<', '< ')), 'A')
        || setweight(to_tsvector('helpline_search'::regconfig,
                                 replace(people, '<', '< ')), 'B')
        || setweight(to_tsvector('helpline_search'::regconfig,
                                 replace(public_text, '<', '< ')), 'C')
        || setweight(to_tsvector('helpline_search'::regconfig,
                                 replace(internal_text, '<', '< ')), 'D')
    ) STORED""",
    "CREATE INDEX search_document_vec ON search_document USING gin (vec)",
]

DOCUMENTS_POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS search_document_vec",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS vec",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS helpline_search",
]

CUSTOMERS_SQLITE = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_customer_fts USING fts5(
        name, email, phone, content='accounts_customer', content_rowid='id',
        tokenize='trigram')""",
    """CREATE TRIGGER IF NOT EXISTS search_customer_ai AFTER INSERT ON accounts_customer BEGIN
        INSERT INTO search_customer_fts(rowid, name, email, phone)
        VALUES (new.id, new.name, new.email, new.phone);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_customer_ad AFTER DELETE ON accounts_customer BEGIN
        INSERT INTO search_customer_fts(search_customer_fts, rowid, name, email, phone)
        VALUES ('delete', old.id, old.name, old.email, old.phone);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_customer_au AFTER UPDATE OF name, email, phone
        ON accounts_customer BEGIN
        INSERT INTO search_customer_fts(search_customer_fts, rowid, name, email, phone)
        VALUES ('delete', old.id, old.name, old.email, old.phone);
        INSERT INTO search_customer_fts(rowid, name, email, phone)
        VALUES (new.id, new.name, new.email, new.phone);
    END""",
    "INSERT INTO search_customer_fts(search_customer_fts) VALUES ('rebuild')",
]

CUSTOMERS_SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS search_customer_au",
    "DROP TRIGGER IF EXISTS search_customer_ad",
    "DROP TRIGGER IF EXISTS search_customer_ai",
    "DROP TABLE IF EXISTS search_customer_fts",
]

CUSTOMERS_POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """CREATE INDEX search_customer_trgm ON accounts_customer
        USING gin ((name || ' ' || email || ' ' || phone) gin_trgm_ops)""",
]

CUSTOMERS_POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS search_customer_trgm",
]

INSTALL = {
    "documents": {"sqlite": DOCUMENTS_SQLITE, "postgresql": DOCUMENTS_POSTGRESQL},
    "customers": {"sqlite": CUSTOMERS_SQLITE, "postgresql": CUSTOMERS_POSTGRESQL},
}
UNINSTALL = {
    "documents": {"sqlite": DOCUMENTS_SQLITE_REVERSE, "postgresql": DOCUMENTS_POSTGRESQL_REVERSE},
    "customers": {"sqlite": CUSTOMERS_SQLITE_REVERSE, "postgresql": CUSTOMERS_POSTGRESQL_REVERSE},
}
# The FTS5 table each part's triggers feed.
FTS_TABLES = {"documents": "search_fts", "customers": "search_customer_fts"}


def runner(statements: dict[str, dict[str, list[str]]], part: str) -> Any:
    """A RunPython function running `part`'s statements for the database at hand."""

    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements[part].get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


def repair(connection: Any) -> None:
    """Create the SQLite triggers a table remake dropped (a no-op when all are
    there, and on PostgreSQL)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master")
        tables = {row[0] for row in cursor.fetchall()}
        for part, fts in FTS_TABLES.items():
            if fts not in tables:
                continue  # not migrated this far yet
            for sql in INSTALL[part]["sqlite"]:
                if sql.lstrip().startswith("CREATE TRIGGER"):
                    cursor.execute(sql)
