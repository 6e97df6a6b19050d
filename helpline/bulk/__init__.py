"""Bulk actions: one change applied to many tickets, ticket by ticket, through the lifecycle."""
