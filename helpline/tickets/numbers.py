"""What a ticket number looks like in a URL: `<ticket:number>` in the URL confs.

Numbers are drawn as six (or, when crowded, more) digits; numbers kept from an
osTicket import may carry letters and dashes. A path whose number holds anything
but letters, digits (of any script), underscores and dashes matches no ticket
page, so it is a 404 before a query is made: a NUL byte, which PostgreSQL refuses
in a query (DataError, a 500), never reaches the database. Neither a length limit
nor ASCII only: the desk's "go to ticket" box redirects any run of digits
(`str.isdigit`, so "١٢" too) to its page, where a number that cannot exist is a
plain 404. (The REST API is stricter, helpline/api/common.py, TICKET_NUMBER.)
"""

from __future__ import annotations

from django.urls import register_converter

NUMBER_PATTERN = r"[\w-]+"


class TicketNumberConverter:
    regex = NUMBER_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TicketNumberConverter, "ticket")
