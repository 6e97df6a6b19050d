"""The search index: one document per ticket, and the tickets waiting for theirs.

A `Document` holds a ticket's searchable text in four parts, so that ranking can
weigh a word in the subject above one deep in a thread, and a customer's search
can leave the internal notes out. The database indexes the text itself: on
SQLite an FTS5 table (`search_fts`) kept by triggers on this table, on
PostgreSQL a generated `tsvector` column (`vec`) with a GIN index; both are
created by migration 0001 for their database only, so the model knows neither
(see helpline.search.backends).

`Pending` is the queue of tickets whose document is stale: a change to a ticket's
text marks it in the change's own transaction (`staleness`), and the worker
rebuilds the document after the commit (`indexer`). States of a row:

    (no row) --change--> pending (claimed_at NULL) --worker claims--> claimed
    claimed --document written--> (no row)
    claimed --another change--> pending again (claimed_at NULL): indexed once more
    claimed --worker died--> reclaimed after CLAIM_SECONDS (indexer)
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from helpline.tickets.models import Ticket


class Document(models.Model):
    ticket = models.OneToOneField(
        Ticket,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="search_document",
        verbose_name=_("ticket"),
    )
    # The number and the subject: a hit here ranks first.
    subject = models.TextField(verbose_name=_("subject"))
    # The customer's name, addresses and organization, and the collaborators'.
    people = models.TextField(verbose_name=_("people"))
    # Messages and replies (what the customer sees), and their attachments' names.
    public_text = models.TextField(verbose_name=_("public text"))
    # Internal notes and their attachments' names: agents only.
    internal_text = models.TextField(verbose_name=_("internal text"))
    # Who may find it: tokens of the ticket's department, assignee, team and
    # customer (documents.scope_of). Indexed with the text, so that a search reads
    # only the matches its searcher may see (migration 0003).
    scope = models.TextField(default="", verbose_name=_("scope"))
    indexed_at = models.DateTimeField(verbose_name=_("indexed at"))

    class Meta:
        db_table = "search_document"
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return f"Search document of ticket {self.ticket_id}"


class Pending(models.Model):
    # No foreign key: marking a ticket must never wait on, or fail for, the ticket
    # row; a deleted ticket's mark is dropped by the indexer.
    ticket_id = models.BigIntegerField(primary_key=True, verbose_name=_("ticket"))
    marked_at = models.DateTimeField(verbose_name=_("marked at"))
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))

    class Meta:
        db_table = "search_pending"
        verbose_name = _("ticket waiting for indexing")
        verbose_name_plural = _("tickets waiting for indexing")
        indexes = [
            # The indexer's claim: the oldest unclaimed marks first.
            models.Index(fields=["claimed_at", "marked_at"], name="search_pending_claim"),
        ]

    def __str__(self) -> str:
        return f"Ticket {self.ticket_id} waiting for indexing"
