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

Each document's scope (who may find it, migration 0003) is indexed with it: a
fifth FTS5 column that no search word may match (backends.sqlite), and on
PostgreSQL a tsvector of its own ('simple': no stemming) with a GIN index.

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

# The FTS5 table's columns: the text parts (migration 0001), then the scope
# (0003), which the triggers must copy as well.
TEXT_COLUMNS = ("subject", "people", "public_text", "internal_text")
COLUMNS = (*TEXT_COLUMNS, "scope")


def _documents_sqlite(columns: tuple[str, ...]) -> list[str]:
    """The FTS5 table over search_document with these columns, and its triggers."""
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    # Our own column names only: no value is ever spliced into these statements.
    delete = (
        f"INSERT INTO search_fts(search_fts, rowid, {names}) "  # noqa: S608
        f"VALUES ('delete', old.ticket_id, {old});"
    )
    insert = f"INSERT INTO search_fts(rowid, {names}) VALUES (new.ticket_id, {new});"  # noqa: S608
    return [
        f"""CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
            {names}, content='search_document', content_rowid='ticket_id',
            tokenize='porter unicode61 remove_diacritics 2')""",
        f"""CREATE TRIGGER IF NOT EXISTS search_document_ai AFTER INSERT ON search_document BEGIN
            {insert}
        END""",
        f"""CREATE TRIGGER IF NOT EXISTS search_document_ad AFTER DELETE ON search_document BEGIN
            {delete}
        END""",
        f"""CREATE TRIGGER IF NOT EXISTS search_document_au AFTER UPDATE ON search_document BEGIN
            {delete}
            {insert}
        END""",
    ]


DOCUMENTS_SQLITE = _documents_sqlite(TEXT_COLUMNS)

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

# Migration 0003: each document's scope, the tokens of who may find it
# (documents.scope_of), filled from the tickets, then indexed with the text: the
# FTS5 table is made again with a fifth column (a virtual table takes no new
# column); PostgreSQL indexes it as a tsvector of its own, with no stemming.
SCOPE_OF_TICKET = (
    "'d' || t.department_id || coalesce(' a' || t.assignee_id, '')"
    " || coalesce(' t' || t.team_id, '') || ' c' || t.customer_id"
)
# Our own SQL, no value in it.
FILL_SCOPE = {
    "sqlite": f"UPDATE search_document SET scope = (SELECT {SCOPE_OF_TICKET} "  # noqa: S608
    "FROM tickets_ticket t WHERE t.id = search_document.ticket_id)",
    "postgresql": f"UPDATE search_document SET scope = {SCOPE_OF_TICKET} "  # noqa: S608
    "FROM tickets_ticket t WHERE t.id = search_document.ticket_id",
}
_ADD_SCOPE = "ALTER TABLE search_document ADD COLUMN scope text NOT NULL DEFAULT ''"
SCOPE_SQLITE = [
    *DOCUMENTS_SQLITE_REVERSE,
    _ADD_SCOPE,
    FILL_SCOPE["sqlite"],
    *_documents_sqlite(COLUMNS),
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]
SCOPE_SQLITE_REVERSE = [
    *DOCUMENTS_SQLITE_REVERSE,
    "ALTER TABLE search_document DROP COLUMN scope",
    *DOCUMENTS_SQLITE,
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]
SCOPE_POSTGRESQL = [
    _ADD_SCOPE,
    FILL_SCOPE["postgresql"],
    """ALTER TABLE search_document ADD COLUMN scope_vec tsvector
        GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, scope)) STORED""",
    "CREATE INDEX search_document_scope ON search_document USING gin (scope_vec)",
]
SCOPE_POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS search_document_scope",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS scope_vec",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS scope",
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
    "scope": {"sqlite": SCOPE_SQLITE, "postgresql": SCOPE_POSTGRESQL},
}
UNINSTALL = {
    "documents": {"sqlite": DOCUMENTS_SQLITE_REVERSE, "postgresql": DOCUMENTS_POSTGRESQL_REVERSE},
    "customers": {"sqlite": CUSTOMERS_SQLITE_REVERSE, "postgresql": CUSTOMERS_POSTGRESQL_REVERSE},
    "scope": {"sqlite": SCOPE_SQLITE_REVERSE, "postgresql": SCOPE_POSTGRESQL_REVERSE},
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
    there, and on PostgreSQL), for the columns the FTS5 tables have now."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master")
        tables = {row[0] for row in cursor.fetchall()}
        for part, fts in FTS_TABLES.items():
            if fts not in tables:
                continue  # not migrated this far yet
            statements = INSTALL[part]["sqlite"]
            if part == "documents":
                cursor.execute("SELECT name FROM pragma_table_info('search_fts')")
                columns = tuple(row[0] for row in cursor.fetchall())
                statements = _documents_sqlite(columns)
            for sql in statements:
                if sql.lstrip().startswith("CREATE TRIGGER"):
                    cursor.execute(sql)
