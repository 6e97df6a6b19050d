"""The small web kit the channels share.

The customer portal, the agent desk, the reports and the rating pages are
channels: each translates requests into lifecycle calls and renders the result,
and none imports another (the import-linter contract in pyproject.toml; the
layers are in docs/decisions.md). What they all need on the web side sits here, one layer
below them and above the core, so it is written once:

- `auth`: who is asking. `agent_required` (the desk's and the reports' pages,
  and their access declaration for helpline/lib/access.py), `current_agent`, and
  `current_customer` (the portal's and the rating page's signed-in customer);
- `widgets`: the file input that takes several files at once;
- `passwords`: the password reset pages of the portal and the desk.

Lower layers hold the rest of the kit, so that accounts and the mail can use it
too: signed tokens in helpline/lib/tokens.py (the links themselves beside the
ticket domain, helpline/tickets/links.py, since the outbox mails them), the rate
limit decorator and the 429 page in helpline/lib/ratelimit.py, and the route declarations in
helpline/lib/access.py.

This package imports no channel and no Helpline app above helpline.notify.
"""
