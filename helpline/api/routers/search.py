"""Searching tickets through the API: `GET /api/v1/search?q=...`, with the desk's
syntax (helpline.search.query), and `q=` on the ticket list (routers.tickets).

An agent's token searches what that agent may see, notes included; a key
without an agent (the API channel) searches every ticket's public thread, as it
reads them. A search that cannot run is a 422 whose message says why.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from helpline.api.common import caller_of, ticket_out
from helpline.api.inputs import BadInput
from helpline.api.models import Scope
from helpline.api.schemas import Cursor, ErrorOut, TicketOut
from helpline.api.security import keys
from helpline.search.query import MAX_CHARS, BadSearch
from helpline.search.service import MAX_PAGE_SIZE, Results, search

router = Router(tags=["search"])
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}

SearchText = Annotated[str, Field(min_length=1, max_length=MAX_CHARS)]


class SearchFilters(Schema):
    q: SearchText = Field(
        description="Words, “quoted phrases”, -excluded words, a (partial) ticket number, "
        "and filters such as status:open assignee:me created:>2026-01-01 (see the desk's "
        "search page for all of them)."
    )
    order: Literal["relevance", "newest"] = "relevance"
    cursor: Cursor | None = Field(None, description="`next_cursor` from the previous page.")
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 25


class SearchHit(Schema):
    ticket: TicketOut
    snippet_html: str | None = Field(
        description="Where the thread matched, HTML-escaped, the words in <mark>; null when "
        "only the subject or the people matched, and for a search by number or by filters."
    )
    in_note: bool = Field(description="The snippet is from an internal note (agents only).")
    subject_html: str | None = Field(
        description="The subject, HTML-escaped, the words found in it in <mark>; null when "
        "it holds none."
    )


class SearchPage(Schema):
    items: list[SearchHit]
    next_cursor: str | None
    counts: dict[str, int] = Field(description="Matching tickets by state (open, closed).")
    counts_capped: bool = Field(
        description="More tickets match than were counted: the counts are a lower bound."
    )
    ranked_newest_only: bool = Field(
        description="More tickets match than best match ranks: it ranked the newest "
        "matching tickets (order=newest pages through all of them)."
    )
    words_as_starts: bool = Field(
        description="No ticket held the words as typed: these tickets hold words that start "
        "with the last one (`lap` for `laptop`, `ken@exa` for an address), newest first."
    )
    by_number: bool = Field(
        description="The search was a number: these are the tickets whose number starts so, "
        "in number order. False for a number no ticket's starts with: it was searched as a word."
    )


def run(request: HttpRequest, typed: str, **kwargs: Any) -> Results:
    """The search as this caller may see it; BadSearch as a 422 about `q`."""
    caller = caller_of(request)
    who: dict[str, Any] = {"agent": caller.agent} if caller.agent else {"channel": True}
    try:
        return search(typed, **who, **kwargs)
    except BadSearch as bad:
        raise BadInput(f"{bad.field}: {bad.message}", bad.field) from None


@router.get(
    "/search", response={200: SearchPage, **ERRORS}, auth=keys(Scope.READ), summary="Search"
)
def search_tickets(request: HttpRequest, filters: Query[SearchFilters]) -> dict[str, Any]:
    """Tickets that match the search, best match (or newest) first, one page at a
    time, with where each matched."""
    results = run(
        request,
        filters.q,
        order=filters.order,
        cursor=filters.cursor or "",
        limit=filters.limit,
    )
    return {
        "items": [
            {
                "ticket": ticket_out(hit.ticket),
                "snippet_html": str(hit.snippet) if hit.snippet is not None else None,
                "in_note": hit.in_note,
                "subject_html": str(hit.subject) if hit.subject is not None else None,
            }
            for hit in results.hits
        ],
        "next_cursor": results.next_cursor,
        "counts": results.counts,
        "counts_capped": results.counts_capped,
        "ranked_newest_only": results.windowed,
        "words_as_starts": results.prefixed,
        "by_number": results.by_number,
    }
