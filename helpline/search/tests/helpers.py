"""Helpers of the search tests."""

from __future__ import annotations

from helpline.accounts.models import Agent, Customer
from helpline.search import indexer
from helpline.search.service import search


def index() -> int:
    """Index what the changes so far marked, as the worker's task would after the
    commit (its function called here: the test transaction stays open)."""
    return indexer.index_pending(limit=100_000)


def numbers(
    typed: str, *, agent: Agent | None = None, customer: Customer | None = None, **kwargs: object
) -> list[str]:
    """The numbers of the tickets `typed` finds, in the order shown."""
    found = search(typed, agent=agent, customer=customer, **kwargs)  # type: ignore[arg-type]
    return [hit.ticket.number for hit in found.hits]
