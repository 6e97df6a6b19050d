"""The access matrix: every route of the site, requested by every kind of person,
answers as the table below declares.

Rows are the cases of the route catalog (routes.py): one URL pattern with its
arguments filled in one way ("the Support ticket", "the note's file", "a forged
link"), requested with GET and with POST (an empty POST: it reaches the gate and
the form, and changes nothing). Columns are the roles, in the order of `ROLES`:

    anonymous · customer (Ken, owner of every ticket) · outsider (Olive, another
    customer) · other_department (Bob, agent of Sales) · agent (Alice, Support) ·
    supervisor (Sam, Support) · admin (Ada)

An answer is a status code, or a redirect to a named page (`DESK` is the desk's
sign-in, `PORTAL` the portal's, `ADMIN` the admin's). 400 on a desk action means
the gate let the request through and the form or the lifecycle refused it (the
page is shown again with the reason): an agent may not set a due date, a
supervisor may.

Account links (registration confirmation, password reset) are credentials by
themselves, whoever holds them: a valid one sends anybody on to its set-password
page (Django moves the token into the session, out of the URL), which then
answers only the session that followed that link, and only for that account; a
forged or expired link, a desk link for a customer or a portal link for an
agent, and a confirmation link of an active account all answer 404. No link
signs anybody in.

The Django admin's routes follow one rule (nobody but an administrator gets
past its sign-in; administrators get every page but those its ModelAdmins
switch off, declared in `ADMIN_REFUSED`), and the API's one more: a session
never authenticates the API, every route answers 401 JSON to every web role
(the API's scope matrix, keys and tokens, is helpline/api/tests/).

A URL pattern with no row here fails `test_every_url_pattern_has_a_row`, so a
new route cannot ship unchecked.

A status code proves the gate, not what an open page shows: every 2xx answer
(a page, a CSV, a JSON list, a file) is also searched for the content canaries
of the scene (canaries.py) that its role may not see on that case, and the
pages in `POSITIVE` must show the canaries their reader may see, so the search
is known to look at a real list. The API's GET routes get the same search with
each agent's own token (`test_the_api_shows_each_agent_token_only_its_departments_tickets`).
Each area prints what it checked ("access matrix, desk: ... answers ...").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from helpline.conftest import World
from helpline.desk.views.tasks import ACTIONS as TASK_ACTIONS
from helpline.desk.views.ticket import ACTIONS
from helpline.lib.access import Audience, routes
from helpline.tests.security.canaries import CANARIES, KEN_NAME, OLIVE_NAME, forbidden, found
from helpline.tests.security.routes import (
    ROLES,
    SET_PASSWORD,
    WEB,
    Case,
    Scene,
    Sessions,
    account_uid,
    admin_cases,
    api_cases,
    build_scene,
    pattern_key,
)


@dataclass(frozen=True)
class Redirect:
    """A 302 to a page, named or computed from the scene."""

    to: str | Callable[[Scene], str]

    def path(self, scene: Scene) -> str:
        return self.to(scene) if callable(self.to) else reverse(self.to)

    def __repr__(self) -> str:
        return f"→{self.to if isinstance(self.to, str) else 'page'}"


@dataclass(frozen=True)
class Json:
    """A JSON error `{detail, field}` with this status."""

    status: int

    def __repr__(self) -> str:
        return f"{self.status} JSON"


Expected = int | Redirect | Json | None  # None: not requested
Row = tuple[Expected, ...]

DESK = Redirect("desk:login")
PORTAL = Redirect("portal:login")
ADMIN = Redirect("admin:login")
MY = Redirect("portal:my_tickets")
HOME = Redirect("portal:home")
OPEN = Redirect("portal:open")
TICKET = Redirect(lambda s: reverse("desk:ticket", args=[s.support.number]))
# The old "go to ticket" box searches; a whole number the agent may see opens it.
SALES_TICKET = Redirect(lambda s: reverse("desk:ticket", args=[s.sales.number]))
SEARCH = Redirect("desk:search")
RATE_PAGE = Redirect(lambda s: reverse("feedback:rate", args=[s.rating]))
TWO_FACTOR = Redirect("desk:two_factor")
PROFILE = Redirect("desk:profile")
CANNED = Redirect("desk:canned")
QUEUES = Redirect("desk:dashboard")
UNASSIGNED = Redirect(lambda s: reverse("desk:queue", args=["unassigned"]))


def set_password(name: str, user: str) -> Redirect:
    """Where a valid account link sends its holder: its set-password page."""

    def path(scene: Scene) -> str:
        uidb64 = account_uid(getattr(scene, user))
        return reverse(name, kwargs={"uidb64": uidb64, "token": SET_PASSWORD})

    return Redirect(path)


def row(*answers: Expected) -> Row:
    assert len(answers) == len(ROLES)
    return answers


def everyone(answer: Expected) -> Row:
    return (answer,) * len(ROLES)


AGENTS_ONLY = row(DESK, DESK, DESK, 200, 200, 200, 200)
SUPPORT_ONLY = row(DESK, DESK, DESK, 404, 200, 200, 200)
SALES_ONLY = row(DESK, DESK, DESK, 200, 404, 404, 200)
NO_AGENT = row(DESK, DESK, DESK, 404, 404, 404, 404)
# A method a desk or reports page does not take (GET to an action, POST to a list).
NOT_POSTED = row(DESK, DESK, DESK, 405, 405, 405, 405)
KEN_ONLY = row(404, 200, 404, 404, 404, 404, 404)
# The wrong method on a customer's page: only customers get past @customer_only to learn it.
CUSTOMERS_405 = row(404, 405, 405, 404, 404, 404, 404)
NOBODY = everyone(404)


def get_and_post(case_id: str, answers: Row) -> dict[tuple[str, str], Row]:
    return {(case_id, "GET"): answers, (case_id, "POST"): answers}


def account_link(name: str, user: str, stranger: str) -> dict[tuple[str, str], Row]:
    """The rows of an account link's variants (routes.py, `account_links`): the
    link of an account the page does not serve leads nowhere."""
    return {
        **get_and_post(f"{name}[valid]", everyone(set_password(name, user))),
        # The new password's form; an empty one is shown again.
        **get_and_post(f"{name}[link followed]", everyone(200)),
        **get_and_post(f"{name}[forged]", NOBODY),
        **get_and_post(f"{name}[expired]", NOBODY),
        **get_and_post(f"{name}[{stranger}]", NOBODY),
    }


# Every ticket action but the due date, sent empty: the form refuses it.
ACTIONS_EMPTY: dict[tuple[str, str], Row] = {
    key: answers
    for name in ACTIONS
    if name != "due"
    for key, answers in {
        (f"desk:action[support, {name}]", "GET"): NOT_POSTED,
        (f"desk:action[support, {name}]", "POST"): row(DESK, DESK, DESK, 404, 400, 400, 400),
    }.items()
}

#                                 anonymous customer outsider other_dept agent  supervisor admin
TABLE: dict[tuple[str, str], Row] = {
    # --- desk: agents only; each sees their departments' tickets; admins all
    ("desk:dashboard", "GET"): AGENTS_ONLY,
    ("desk:dashboard", "POST"): NOT_POSTED,
    ("desk:login", "GET"): everyone(200),
    ("desk:login", "POST"): everyone(200),  # an empty form: shown again
    ("desk:logout", "GET"): everyone(405),
    ("desk:logout", "POST"): everyone(DESK),
    # The code step shows only after the password step, in that session.
    ("desk:login_code[after the password step]", "GET"): everyone(200),
    ("desk:login_code[after the password step]", "POST"): everyone(200),  # no code: asked again
    ("desk:login_code[no password step]", "GET"): everyone(DESK),
    ("desk:login_code[no password step]", "POST"): everyone(DESK),
    ("desk:password_reset", "GET"): everyone(200),
    ("desk:password_reset", "POST"): everyone(200),  # an empty form: shown again
    ("desk:password_reset_sent", "GET"): everyone(200),
    ("desk:password_reset_sent", "POST"): everyone(405),
    **account_link("desk:password_reset_confirm", "reset_agent", "a customer's link"),
    **get_and_post("desk:password_reset_confirm[another agent's set-password page]", NOBODY),
    # Each agent's own two-factor sign-in; none of the roles is enrolled, so new
    # recovery codes and turning it off send back to the page.
    ("desk:two_factor", "GET"): AGENTS_ONLY,
    # Nobody but an agent learns even which methods a desk page takes
    # (DefaultDenyMiddleware enforces the agent declaration before the view runs).
    ("desk:two_factor", "POST"): NOT_POSTED,
    ("desk:two_factor_start", "GET"): NOT_POSTED,
    ("desk:two_factor_start", "POST"): row(DESK, DESK, DESK, *(TWO_FACTOR,) * 4),
    ("desk:two_factor_confirm[nothing started]", "GET"): NOT_POSTED,
    ("desk:two_factor_confirm[nothing started]", "POST"): row(DESK, DESK, DESK, 400, 400, 400, 400),
    ("desk:two_factor_confirm[after start]", "GET"): NOT_POSTED,
    ("desk:two_factor_confirm[after start]", "POST"): row(DESK, DESK, DESK, 400, 400, 400, 400),
    ("desk:two_factor_codes", "GET"): row(DESK, DESK, DESK, *(TWO_FACTOR,) * 4),
    ("desk:two_factor_codes", "POST"): row(DESK, DESK, DESK, *(TWO_FACTOR,) * 4),
    ("desk:two_factor_disable", "GET"): row(DESK, DESK, DESK, *(TWO_FACTOR,) * 4),
    ("desk:two_factor_disable", "POST"): row(DESK, DESK, DESK, *(TWO_FACTOR,) * 4),
    # Each agent's own profile; an empty form means "the browser's language".
    ("desk:profile", "GET"): AGENTS_ONLY,
    ("desk:profile", "POST"): row(DESK, DESK, DESK, *(PROFILE,) * 4),
    ("desk:away", "GET"): NOT_POSTED,  # POST only
    # The empty POST has no `away`: the profile page again, saying what is missing.
    ("desk:away", "POST"): row(DESK, DESK, DESK, 400, 400, 400, 400),
    ("desk:queue[open]", "GET"): AGENTS_ONLY,
    ("desk:queue[open]", "POST"): NOT_POSTED,
    ("desk:queue[closed]", "GET"): AGENTS_ONLY,
    ("desk:queue[closed]", "POST"): NOT_POSTED,
    ("desk:queue[no such queue]", "GET"): NO_AGENT,
    ("desk:queue[no such queue]", "POST"): NOT_POSTED,
    ("desk:jump", "GET"): row(DESK, DESK, DESK, SEARCH, SEARCH, SEARCH, SEARCH),
    ("desk:jump", "POST"): NOT_POSTED,
    ("desk:next_ticket", "GET"): NOT_POSTED,  # POST only
    # Without the button's `take` (the matrix's empty POST) nobody is given a
    # ticket: the agent is sent to the unassigned queue.
    ("desk:next_ticket", "POST"): row(DESK, DESK, DESK, *(UNASSIGNED,) * 4),
    ("desk:bulk_start", "GET"): NOT_POSTED,  # POST only
    ("desk:bulk_start", "POST"): row(DESK, DESK, DESK, 400, 400, 400, 400),
    ("desk:bulk_matching", "GET"): AGENTS_ONLY,
    ("desk:bulk_matching", "POST"): NOT_POSTED,
    ("desk:bulk_job[Alice's]", "GET"): row(DESK, DESK, DESK, 404, 200, 404, 404),
    ("desk:bulk_job[Alice's]", "POST"): NOT_POSTED,
    # The Support ticket's number: its page for who may see it, else no results.
    ("desk:search", "GET"): row(DESK, DESK, DESK, 200, TICKET, TICKET, TICKET),
    ("desk:search", "POST"): NOT_POSTED,
    ("desk:search_suggest", "GET"): AGENTS_ONLY,
    ("desk:search_suggest", "POST"): NOT_POSTED,
    ("desk:customer_lookup", "GET"): AGENTS_ONLY,
    ("desk:customer_lookup", "POST"): NOT_POSTED,
    ("desk:new_ticket", "GET"): AGENTS_ONLY,
    ("desk:new_ticket", "POST"): row(DESK, DESK, DESK, 400, 400, 400, 400),
    ("desk:ticket[support]", "GET"): SUPPORT_ONLY,
    ("desk:ticket[support]", "POST"): NOT_POSTED,
    ("desk:ticket[sales]", "GET"): SALES_ONLY,
    ("desk:ticket[sales]", "POST"): NOT_POSTED,
    ("desk:ticket[missing]", "GET"): NO_AGENT,
    ("desk:ticket[missing]", "POST"): NOT_POSTED,
    ("desk:attachment[support, customer's file]", "GET"): SUPPORT_ONLY,
    ("desk:attachment[support, customer's file]", "POST"): NOT_POSTED,
    ("desk:attachment[support, note's file]", "GET"): SUPPORT_ONLY,
    ("desk:attachment[support, note's file]", "POST"): NOT_POSTED,
    ("desk:attachment[support, a Sales file]", "GET"): NO_AGENT,
    ("desk:attachment[support, a Sales file]", "POST"): NOT_POSTED,
    ("desk:attachment[sales, its file]", "GET"): SALES_ONLY,
    ("desk:attachment[sales, its file]", "POST"): NOT_POSTED,
    ("desk:attachment[support, missing file]", "GET"): NO_AGENT,
    ("desk:attachment[support, missing file]", "POST"): NOT_POSTED,
    # A PDF's previews (its thumbnail, its viewer, the viewer's pages): the
    # download's gate; a page past the document's end is no page.
    ("desk:attachment_thumbnail[support, customer's PDF]", "GET"): SUPPORT_ONLY,
    ("desk:attachment_thumbnail[support, customer's PDF]", "POST"): NOT_POSTED,
    ("desk:attachment_thumbnail[support, note's PDF]", "GET"): SUPPORT_ONLY,
    ("desk:attachment_thumbnail[support, note's PDF]", "POST"): NOT_POSTED,
    ("desk:attachment_thumbnail[support, a Sales file]", "GET"): NO_AGENT,
    ("desk:attachment_thumbnail[support, a Sales file]", "POST"): NOT_POSTED,
    ("desk:attachment_pages[support, customer's PDF]", "GET"): SUPPORT_ONLY,
    ("desk:attachment_pages[support, customer's PDF]", "POST"): NOT_POSTED,
    ("desk:attachment_pages[support, note's PDF]", "GET"): SUPPORT_ONLY,
    ("desk:attachment_pages[support, note's PDF]", "POST"): NOT_POSTED,
    ("desk:attachment_pages[support, a Sales file]", "GET"): NO_AGENT,
    ("desk:attachment_pages[support, a Sales file]", "POST"): NOT_POSTED,
    ("desk:attachment_page[support, customer's PDF, page 1]", "GET"): SUPPORT_ONLY,
    ("desk:attachment_page[support, customer's PDF, page 1]", "POST"): NOT_POSTED,
    ("desk:attachment_page[support, customer's PDF, no such page]", "GET"): NO_AGENT,
    ("desk:attachment_page[support, customer's PDF, no such page]", "POST"): NOT_POSTED,
    ("desk:attachment_page[support, a Sales file, page 1]", "GET"): NO_AGENT,
    ("desk:attachment_page[support, a Sales file, page 1]", "POST"): NOT_POSTED,
    **ACTIONS_EMPTY,
    # Presence: any agent who sees the ticket; a draft: who may write it there
    # (an empty one is no draft: nothing is kept).
    ("desk:presence[support]", "GET"): NOT_POSTED,
    ("desk:presence[support]", "POST"): SUPPORT_ONLY,
    ("desk:presence[sales]", "GET"): NOT_POSTED,
    ("desk:presence[sales]", "POST"): SALES_ONLY,
    ("desk:draft[support, reply]", "GET"): NOT_POSTED,
    ("desk:draft[support, reply]", "POST"): SUPPORT_ONLY,
    ("desk:draft[support, note]", "GET"): NOT_POSTED,
    ("desk:draft[support, note]", "POST"): SUPPORT_ONLY,
    ("desk:draft[sales, reply]", "GET"): NOT_POSTED,
    ("desk:draft[sales, reply]", "POST"): SALES_ONLY,
    ("desk:draft[support, no such kind]", "GET"): NOT_POSTED,
    ("desk:draft[support, no such kind]", "POST"): NO_AGENT,
    # "I'm on it": its box is a part of the ticket page (a plain GET goes to the
    # page); a POST without a known action is no action.
    ("desk:on_it[support]", "GET"): row(DESK, DESK, DESK, 404, TICKET, TICKET, TICKET),
    ("desk:on_it[support]", "POST"): NO_AGENT,
    ("desk:on_it[sales]", "GET"): row(DESK, DESK, DESK, SALES_TICKET, 404, 404, SALES_TICKET),
    ("desk:on_it[sales]", "POST"): NO_AGENT,
    # Merging, linking, splitting: the merge's preview (a page without a number
    # typed) for who sees the ticket; an empty change is refused (a merge with no
    # ticket to keep, an undo of a ticket that is not merged).
    ("desk:merge_preview[support]", "GET"): SUPPORT_ONLY,
    ("desk:merge_preview[support]", "POST"): NOT_POSTED,
    ("desk:merge_preview[sales]", "GET"): SALES_ONLY,
    ("desk:merge_preview[sales]", "POST"): NOT_POSTED,
    ("desk:merge[support]", "GET"): NOT_POSTED,
    ("desk:merge[support]", "POST"): row(DESK, DESK, DESK, 404, 400, 400, 400),
    ("desk:unmerge[support]", "GET"): NOT_POSTED,
    ("desk:unmerge[support]", "POST"): row(DESK, DESK, DESK, 404, 400, 400, 400),
    ("desk:link[support]", "GET"): NOT_POSTED,
    ("desk:link[support]", "POST"): row(DESK, DESK, DESK, 404, 400, 400, 400),
    ("desk:unlink[support]", "GET"): NOT_POSTED,
    ("desk:unlink[support]", "POST"): row(DESK, DESK, DESK, 404, 400, 400, 400),
    ("desk:split[support]", "GET"): NOT_POSTED,
    ("desk:split[support]", "POST"): row(DESK, DESK, DESK, 404, 400, 400, 400),
    ("desk:canned_pick[support]", "GET"): SUPPORT_ONLY,
    ("desk:canned_pick[support]", "POST"): NOT_POSTED,
    ("desk:canned_pick[sales]", "GET"): SALES_ONLY,
    ("desk:canned_pick[sales]", "POST"): NOT_POSTED,
    # Every agent keeps replies of their own (an empty form is shown again).
    ("desk:canned", "GET"): AGENTS_ONLY,
    ("desk:canned", "POST"): NOT_POSTED,
    ("desk:canned_new", "GET"): AGENTS_ONLY,
    ("desk:canned_new", "POST"): row(DESK, DESK, DESK, 400, 400, 400, 400),
    ("desk:canned_edit[support shared]", "GET"): row(DESK, DESK, DESK, 404, 404, 200, 200),
    ("desk:canned_edit[support shared]", "POST"): row(DESK, DESK, DESK, 404, 404, 400, 400),
    ("desk:canned_edit[alice's own]", "GET"): row(DESK, DESK, DESK, 404, 200, 404, 404),
    ("desk:canned_edit[alice's own]", "POST"): row(DESK, DESK, DESK, 404, 400, 404, 404),
    ("desk:canned_delete[support shared]", "GET"): NOT_POSTED,
    ("desk:canned_delete[support shared]", "POST"): row(DESK, DESK, DESK, 404, 404, CANNED, CANNED),
    ("desk:canned_delete[alice's own]", "GET"): NOT_POSTED,
    ("desk:canned_delete[alice's own]", "POST"): row(DESK, DESK, DESK, 404, CANNED, 404, 404),
    # Saved views: a shared one for the department's agents (and administrators),
    # changed by its supervisors; one's own for oneself alone. An empty form is
    # shown again.
    ("desk:view[support shared]", "GET"): SUPPORT_ONLY,
    ("desk:view[support shared]", "POST"): NOT_POSTED,
    ("desk:view[alice's own]", "GET"): row(DESK, DESK, DESK, 404, 200, 404, 404),
    ("desk:view[alice's own]", "POST"): NOT_POSTED,
    ("desk:views", "GET"): AGENTS_ONLY,
    ("desk:views", "POST"): NOT_POSTED,
    ("desk:view_counts", "GET"): AGENTS_ONLY,
    ("desk:view_counts", "POST"): NOT_POSTED,
    ("desk:view_new", "GET"): AGENTS_ONLY,
    ("desk:view_new", "POST"): row(DESK, DESK, DESK, 400, 400, 400, 400),
    ("desk:view_edit[support shared]", "GET"): row(DESK, DESK, DESK, 404, 404, 200, 200),
    ("desk:view_edit[support shared]", "POST"): row(DESK, DESK, DESK, 404, 404, 400, 400),
    ("desk:view_edit[alice's own]", "GET"): row(DESK, DESK, DESK, 404, 200, 404, 404),
    ("desk:view_edit[alice's own]", "POST"): row(DESK, DESK, DESK, 404, 400, 404, 404),
    ("desk:view_delete[support shared]", "GET"): NOT_POSTED,
    ("desk:view_delete[support shared]", "POST"): row(DESK, DESK, DESK, 404, 404, QUEUES, QUEUES),
    ("desk:view_delete[alice's own]", "GET"): NOT_POSTED,
    ("desk:view_delete[alice's own]", "POST"): row(DESK, DESK, DESK, 404, QUEUES, 404, 404),
    # Tasks inside tickets: each agent's own list and count; a ticket's new task
    # for who may see the ticket; a task for who may see its ticket or works it
    # (the Support task is Alice's). An empty form is shown again.
    ("desk:my_tasks", "GET"): AGENTS_ONLY,
    ("desk:my_tasks", "POST"): NOT_POSTED,
    ("desk:my_tasks_count", "GET"): AGENTS_ONLY,
    ("desk:my_tasks_count", "POST"): NOT_POSTED,
    ("desk:new_task[support]", "GET"): SUPPORT_ONLY,
    ("desk:new_task[support]", "POST"): row(DESK, DESK, DESK, 404, 400, 400, 400),
    ("desk:new_task[sales]", "GET"): SALES_ONLY,
    ("desk:new_task[sales]", "POST"): row(DESK, DESK, DESK, 400, 404, 404, 400),
    ("desk:task[support]", "GET"): SUPPORT_ONLY,
    ("desk:task[support]", "POST"): NOT_POSTED,
    ("desk:task[sales]", "GET"): SALES_ONLY,
    ("desk:task[sales]", "POST"): NOT_POSTED,
    ("desk:task[missing]", "GET"): NO_AGENT,
    ("desk:task[missing]", "POST"): NOT_POSTED,
    **{
        (f"desk:task_action[support, {name}]", method): answers
        for name in TASK_ACTIONS
        for method, answers in (
            ("GET", NOT_POSTED),
            ("POST", row(DESK, DESK, DESK, 404, 400, 400, 400)),
        )
    },
    ("desk:task_action[support, no such action]", "GET"): NOT_POSTED,
    ("desk:task_action[support, no such action]", "POST"): NO_AGENT,
    ("desk:action[support, due]", "GET"): NOT_POSTED,
    ("desk:action[support, due]", "POST"): row(DESK, DESK, DESK, 404, 400, TICKET, TICKET),
    ("desk:action[sales, reply]", "GET"): NOT_POSTED,
    ("desk:action[sales, reply]", "POST"): row(DESK, DESK, DESK, 400, 404, 404, 400),
    ("desk:action[support, no such action]", "GET"): NOT_POSTED,
    ("desk:action[support, no such action]", "POST"): NO_AGENT,
    # --- reports: agents only (what each sees inside is helpline/reports/tests/)
    ("reports:page", "GET"): AGENTS_ONLY,
    ("reports:page", "POST"): NOT_POSTED,
    ("reports:data", "GET"): AGENTS_ONLY,
    ("reports:data", "POST"): NOT_POSTED,
    ("reports:export", "GET"): AGENTS_ONLY,
    ("reports:export", "POST"): NOT_POSTED,
    ("reports:queue_export[open]", "GET"): AGENTS_ONLY,
    ("reports:queue_export[open]", "POST"): NOT_POSTED,
    ("reports:queue_export[no such queue]", "GET"): NO_AGENT,
    ("reports:queue_export[no such queue]", "POST"): NOT_POSTED,
    ("reports:search_export", "GET"): AGENTS_ONLY,
    ("reports:search_export", "POST"): NOT_POSTED,
    ("reports:selection_export", "GET"): NOT_POSTED,  # POST only
    ("reports:selection_export", "POST"): row(DESK, DESK, DESK, 400, 400, 400, 400),
    # --- rating links: the signed link is the credential, whoever holds it
    ("feedback:rate[valid]", "GET"): everyone(200),
    ("feedback:rate[valid]", "POST"): everyone(200),  # no score chosen: asked again
    ("feedback:rate[forged]", "GET"): NOBODY,
    ("feedback:rate[forged]", "POST"): NOBODY,
    ("feedback:rate[expired]", "GET"): everyone(410),
    ("feedback:rate[expired]", "POST"): everyone(410),
    ("feedback:thanks[valid]", "GET"): everyone(RATE_PAGE),  # not rated yet
    ("feedback:thanks[valid]", "POST"): everyone(405),
    ("feedback:thanks[forged]", "GET"): NOBODY,
    ("feedback:thanks[forged]", "POST"): everyone(405),
    # --- health endpoints: anybody (the scene's worker has just beaten: ready)
    ("ops:healthz", "GET"): everyone(200),
    ("ops:healthz", "POST"): everyone(405),
    ("ops:readyz", "GET"): everyone(200),
    ("ops:readyz", "POST"): everyone(405),
    # --- i18n: the JavaScript catalog and the language choice, for everyone
    ("jsi18n", "GET"): everyone(200),
    ("jsi18n", "POST"): everyone(405),
    ("choose_language", "GET"): everyone(405),
    ("choose_language", "POST"): everyone(HOME),  # none chosen: back to the browser's
    # --- portal: public pages; a customer's own tickets; signed links
    ("portal:home", "GET"): everyone(200),
    ("portal:home", "POST"): everyone(405),
    ("portal:open", "GET"): everyone(200),
    ("portal:open", "POST"): everyone(200),  # an empty form: shown again
    ("portal:thanks", "GET"): everyone(OPEN),  # nothing opened in this session
    ("portal:thanks", "POST"): everyone(405),
    ("portal:status", "GET"): everyone(200),
    ("portal:status", "POST"): everyone(200),
    ("portal:register", "GET"): row(200, MY, MY, 200, 200, 200, 200),
    ("portal:register", "POST"): row(200, MY, MY, 200, 200, 200, 200),
    **account_link("portal:confirm", "pending", "an active account"),
    ("portal:login", "GET"): row(200, MY, MY, 200, 200, 200, 200),
    ("portal:login", "POST"): everyone(200),
    ("portal:logout", "GET"): everyone(405),
    ("portal:logout", "POST"): everyone(HOME),
    ("portal:password_reset", "GET"): everyone(200),
    ("portal:password_reset", "POST"): everyone(200),  # an empty form: shown again
    ("portal:password_reset_sent", "GET"): everyone(200),
    ("portal:password_reset_sent", "POST"): everyone(405),
    **account_link("portal:password_reset_confirm", "reset_customer", "an agent's link"),
    ("portal:my_tickets", "GET"): row(PORTAL, 200, 200, PORTAL, PORTAL, PORTAL, PORTAL),
    ("portal:my_tickets", "POST"): row(PORTAL, 405, 405, PORTAL, PORTAL, PORTAL, PORTAL),
    ("portal:ticket[support]", "GET"): KEN_ONLY,
    ("portal:ticket[support]", "POST"): CUSTOMERS_405,
    ("portal:ticket[missing]", "GET"): NOBODY,
    ("portal:ticket[missing]", "POST"): CUSTOMERS_405,
    ("portal:reply[support]", "GET"): CUSTOMERS_405,
    ("portal:reply[support]", "POST"): KEN_ONLY,  # an empty reply: shown again
    # The people in copy: the ticket's customer only (an empty form: shown again).
    ("portal:people[support]", "GET"): CUSTOMERS_405,
    ("portal:people[support]", "POST"): row(404, 400, 404, 404, 404, 404, 404),
    ("portal:file[support, customer's file]", "GET"): KEN_ONLY,
    ("portal:file[support, customer's file]", "POST"): CUSTOMERS_405,
    ("portal:file[support, note's file]", "GET"): NOBODY,
    ("portal:file[support, note's file]", "POST"): CUSTOMERS_405,
    ("portal:file[support, a Sales file]", "GET"): NOBODY,
    ("portal:file[support, a Sales file]", "POST"): CUSTOMERS_405,
    ("portal:file_thumbnail[support, customer's PDF]", "GET"): KEN_ONLY,
    ("portal:file_thumbnail[support, customer's PDF]", "POST"): CUSTOMERS_405,
    ("portal:file_thumbnail[support, note's PDF]", "GET"): NOBODY,
    ("portal:file_thumbnail[support, note's PDF]", "POST"): CUSTOMERS_405,
    ("portal:file_pages[support, customer's PDF]", "GET"): KEN_ONLY,
    ("portal:file_pages[support, customer's PDF]", "POST"): CUSTOMERS_405,
    ("portal:file_pages[support, note's PDF]", "GET"): NOBODY,
    ("portal:file_pages[support, note's PDF]", "POST"): CUSTOMERS_405,
    ("portal:file_page[support, customer's PDF, page 1]", "GET"): KEN_ONLY,
    ("portal:file_page[support, customer's PDF, page 1]", "POST"): CUSTOMERS_405,
    ("portal:file_page[support, note's PDF, page 1]", "GET"): NOBODY,
    ("portal:file_page[support, note's PDF, page 1]", "POST"): CUSTOMERS_405,
    ("portal:signed_ticket[valid]", "GET"): everyone(200),
    ("portal:signed_ticket[valid]", "POST"): everyone(405),
    ("portal:signed_ticket[forged]", "GET"): NOBODY,
    ("portal:signed_ticket[forged]", "POST"): everyone(405),
    ("portal:signed_ticket[expired]", "GET"): everyone(410),
    ("portal:signed_ticket[expired]", "POST"): everyone(405),
    ("portal:signed_reply[valid]", "GET"): everyone(405),
    ("portal:signed_reply[valid]", "POST"): everyone(200),  # an empty reply: shown again
    ("portal:signed_reply[forged]", "GET"): everyone(405),
    ("portal:signed_reply[forged]", "POST"): NOBODY,
    ("portal:signed_people[valid]", "GET"): everyone(405),
    ("portal:signed_people[valid]", "POST"): everyone(400),
    ("portal:signed_people[forged]", "GET"): everyone(405),
    ("portal:signed_people[forged]", "POST"): NOBODY,
    ("portal:signed_file[customer's file]", "GET"): everyone(200),
    ("portal:signed_file[customer's file]", "POST"): everyone(405),
    ("portal:signed_file[note's file]", "GET"): NOBODY,
    ("portal:signed_file[note's file]", "POST"): everyone(405),
    ("portal:signed_file_thumbnail[customer's PDF]", "GET"): everyone(200),
    ("portal:signed_file_thumbnail[customer's PDF]", "POST"): everyone(405),
    ("portal:signed_file_thumbnail[note's PDF]", "GET"): NOBODY,
    ("portal:signed_file_thumbnail[note's PDF]", "POST"): everyone(405),
    ("portal:signed_file_pages[customer's PDF]", "GET"): everyone(200),
    ("portal:signed_file_pages[customer's PDF]", "POST"): everyone(405),
    ("portal:signed_file_pages[note's PDF]", "GET"): NOBODY,
    ("portal:signed_file_pages[note's PDF]", "POST"): everyone(405),
    ("portal:signed_file_page[customer's PDF, page 1]", "GET"): everyone(200),
    ("portal:signed_file_page[customer's PDF, page 1]", "POST"): everyone(405),
    ("portal:signed_file_page[note's PDF, page 1]", "GET"): NOBODY,
    ("portal:signed_file_page[note's PDF, page 1]", "POST"): everyone(405),
}  # fmt: skip

# --- the Django admin: only administrators get past its sign-in --------------------------

ADMIN_ONLY = row(ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, 200)
# POSTs as an administrator would change the configuration: not sent (None).
ADMIN_POST = row(ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, None)
ADMIN_SITE: dict[tuple[str, str], Row] = {
    ("admin:index", "GET"): ADMIN_ONLY,
    # No sign-in form of its own: the desk's (two-factor, throttling) for everyone.
    # Agents who are not administrators are told so (403), not sent to sign in.
    ("admin:login", "GET"): row(DESK, DESK, DESK, 403, 403, 403, DESK),
    ("admin:login", "POST"): row(DESK, DESK, DESK, 403, 403, 403, DESK),
    ("admin:logout", "GET"): row(*(Redirect("admin:index"),) * 6, 405),
    ("admin:logout", "POST"): row(*(Redirect("admin:index"),) * 6, 200),
    ("admin:password_change", "GET"): ADMIN_ONLY,
    ("admin:password_change_done", "GET"): ADMIN_ONLY,
    ("admin:autocomplete", "GET"): row(*(ADMIN,) * 6, 403),  # no field named
    ("admin:jsi18n", "GET"): ADMIN_ONLY,
    ("admin:auth_user_password_change[Alice]", "GET"): ADMIN_ONLY,
    ("admin:view_on_site[a ticket's customer]", "GET"): row(*(ADMIN,) * 6, 404),  # no public page
    ("admin:app_list[tickets]", "GET"): ADMIN_ONLY,
    ("admin/(?P<url>.*)$[no such page]", "GET"): row(*(ADMIN,) * 6, 404),
    ("admin:intake_quarantinedmessage_download[first]", "GET"): ADMIN_ONLY,
    # Nobody reads an agent's authenticator secret (OTP_ADMIN_HIDE_SENSITIVE_DATA).
    ("admin:otp_totp_totpdevice_config[first]", "GET"): row(*(ADMIN,) * 6, 403),
    ("admin:otp_totp_totpdevice_qrcode[first]", "GET"): row(*(ADMIN,) * 6, 403),
}
# Pages a ModelAdmin switches off: log and ledger rows are written by the
# system, never added by hand; task results are never deleted by hand.
ADMIN_REFUSED = {
    "admin:axes_accessattempt_add",
    "admin:axes_accesslog_add",
    "admin:axes_accessfailurelog_add",
    "admin:django_tasks_database_dbtaskresult_add",
    "admin:django_tasks_database_dbtaskresult_delete",
    "admin:intake_processedmessage_add",
    "admin:intake_processedmessage_delete",
    "admin:intake_quarantinedmessage_add",
    "admin:notify_outboundmessage_add",
}


def _change_page(case: Case, scene: Scene) -> str:
    return case.path(scene) + "change/"


def admin_table() -> dict[tuple[str, str], Row]:
    table = dict(ADMIN_SITE)
    for case in admin_cases():
        if (case.id, "GET") in ADMIN_SITE:
            continue
        if case.variant:  # `<object_id>/`: on to the change page
            to_change = Redirect(partial(_change_page, case))
            table[(case.id, "GET")] = row(*(ADMIN,) * 6, to_change)
        else:
            table[(case.id, "GET")] = row(*(ADMIN,) * 6, 403 if case.id in ADMIN_REFUSED else 200)
    for key in [k for k in table if k[1] == "GET"]:
        table.setdefault((key[0], "POST"), ADMIN_POST)
    return table


# --- the API: a session is no credential -------------------------------------------------

API_PAGES: dict[tuple[str, str], Row] = {
    ("api:openapi-json", "GET"): everyone(200),
    ("api:openapi-json", "POST"): everyone(Json(405)),
    ("api:openapi-view", "GET"): everyone(200),
    ("api:openapi-view", "POST"): everyone(Json(405)),
    ("api:api-root", "GET"): NOBODY,
    ("api:api-root", "POST"): NOBODY,
    (r"api/^(?P<rest>[\s\S]*)$[no such endpoint]", "GET"): everyone(Json(404)),
    (r"api/^(?P<rest>[\s\S]*)$[no such endpoint]", "POST"): everyone(Json(404)),
}


def api_table() -> dict[tuple[str, str], Row]:
    table = dict(API_PAGES)
    for case in api_cases():
        if case.pattern == "osticket-create":  # plain-text answers, as osTicket's
            table[(case.id, "POST")] = everyone(401)
            table[(case.id, "GET")] = everyone(405)
        elif (case.id, "GET") not in API_PAGES:
            for method in ("GET", "POST"):
                table[(case.id, method)] = everyone(Json(401) if method in case.methods else 405)
    return table


# --- positive controls: what a 2xx page must show (canaries.py) -------------------------

SUBJECTS = {
    key: f"zz{key}subj" for key in ("support", "sales", "olive", "resolved")
}  # the subject canary of each ticket of the scene
SUPPORT_LIST = (SUBJECTS["support"], KEN_NAME)
SALES_LIST = (SUBJECTS["sales"], SUBJECTS["olive"], OLIVE_NAME)
EVERY_LIST = (*SUPPORT_LIST, *SALES_LIST)


def whole_ticket(key: str) -> tuple[str, ...]:
    return (SUBJECTS[key], f"zz{key}msg", f"zz{key}note", KEN_NAME, "ken@example.com")


Key = tuple[str, str, str]  # (case, method, role)


def shown(case_id: str, method: str, **by_role: tuple[str, ...]) -> dict[Key, tuple[str, ...]]:
    return {(case_id, method, role): texts for role, texts in by_role.items()}


# Pages that must show what their reader may see, so that the search for the
# canaries a reader may not see is known to look at a real list, page or file
# (a page that shows nothing would pass it too).
POSITIVE: dict[Key, tuple[str, ...]] = {
    **shown(
        "desk:dashboard",
        "GET",
        agent=SUPPORT_LIST,
        supervisor=SUPPORT_LIST,
        other_department=SALES_LIST,
        admin=EVERY_LIST,
    ),
    **shown(
        "desk:queue[open]",
        "GET",
        agent=SUPPORT_LIST,
        supervisor=SUPPORT_LIST,
        other_department=SALES_LIST,
        admin=EVERY_LIST,
    ),
    **shown("desk:queue[closed]", "GET", agent=(SUBJECTS["resolved"],)),
    # Each agent's own tasks (internal: the canary of the ticket's note), with
    # their ticket's subject.
    **shown("desk:my_tasks", "GET", agent=("zzsupportnote", SUBJECTS["support"])),
    **shown("desk:my_tasks", "GET", other_department=("zzsalesnote", SUBJECTS["sales"])),
    **shown("desk:task[support]", "GET", supervisor=("zzsupportnote", SUBJECTS["support"])),
    **shown(
        "desk:ticket[support]",
        "GET",
        agent=whole_ticket("support"),
        supervisor=whole_ticket("support"),
        admin=whole_ticket("support"),
    ),
    **shown(
        "desk:ticket[sales]",
        "GET",
        other_department=whole_ticket("sales"),
        admin=whole_ticket("sales"),
    ),
    # The queue as CSV: the rows of each agent's departments, names and addresses.
    **shown(
        "reports:queue_export[open]",
        "GET",
        agent=(*SUPPORT_LIST, "ken@example.com"),
        other_department=(*SALES_LIST, "olive@example.org"),
        admin=(*EVERY_LIST, "ken@example.com", "olive@example.org"),
    ),
    # The search as CSV (searched by the Support ticket's number).
    **shown(
        "reports:search_export",
        "GET",
        agent=(SUBJECTS["support"], "ken@example.com"),
        admin=(SUBJECTS["support"], "ken@example.com"),
    ),
    **shown(
        "portal:my_tickets",
        "GET",
        customer=(SUBJECTS["support"], SUBJECTS["sales"], SUBJECTS["resolved"]),
        outsider=(SUBJECTS["olive"],),
    ),
    **shown("portal:ticket[support]", "GET", customer=(SUBJECTS["support"], "zzsupportmsg")),
    # Files: the canary of the entry each is on.
    **shown("desk:attachment[support, note's file]", "GET", agent=("zzsupportnote",)),
    **shown("desk:attachment[sales, its file]", "GET", other_department=("zzsalesmsg",)),
    **shown("portal:file[support, customer's file]", "GET", customer=("zzsupportmsg",)),
    **shown(
        "portal:signed_file[customer's file]",
        "GET",
        **{role: ("zzsupportmsg",) for role in ROLES},
    ),
    **shown(
        "portal:signed_ticket[valid]",
        "GET",
        **{role: (SUBJECTS["support"], "zzsupportmsg", KEN_NAME) for role in ROLES},
    ),
    **shown("feedback:rate[valid]", "GET", **{role: (SUBJECTS["resolved"],) for role in ROLES}),
    **shown("admin:notify_outboundmessage_changelist", "GET", admin=(*EVERY_LIST,)),
    **shown("admin:accounts_customer_changelist", "GET", admin=(KEN_NAME, OLIVE_NAME)),
}

CASES: dict[str, Case] = {c.id: c for c in [*WEB, *admin_cases(), *api_cases()]}
FULL_TABLE = {**TABLE, **admin_table(), **api_table()}


def report(request: pytest.FixtureRequest, line: str) -> None:
    """A line in pytest's output, past its capturing (the matrix's figures)."""
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is None or reporter is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(f"access matrix, {line}")


# --- running it --------------------------------------------------------------------------


@pytest.fixture
def scene(world: World, settings: Any, tmp_path: Any) -> Scene:
    settings.MEDIA_ROOT = tmp_path
    return build_scene(world)


def matches(expected: Expected, response: Any, scene: Scene) -> bool:
    if isinstance(expected, Redirect):
        location = response.get("Location", "")
        return response.status_code == 302 and urlsplit(location).path == expected.path(scene)
    if isinstance(expected, Json):
        if response.status_code != expected.status:
            return False
        body = response.json() if "json" in response.get("Content-Type", "") else {}
        return isinstance(body, dict) and "detail" in body and "field" in body
    return response.status_code == expected


def answer(response: HttpResponse) -> str:
    if response.status_code in (301, 302):
        return f"{response.status_code} → {urlsplit(response['Location']).path}"
    return f"{response.status_code} {response.get('Content-Type', '')}"


def body_of(response: Any) -> str:
    """The whole answer as text: a page, a CSV or a JSON list streamed, a file."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


@dataclass
class Figures:
    """What one run checked (printed, and quoted in docs/security/access.md)."""

    answers: int = 0  # (case, method) x role requests compared with the table
    bodies: int = 0  # 2xx answers searched for canaries
    canary_checks: int = 0  # (2xx answer, canary the role may not see) pairs
    positive_checks: int = 0  # (answer, canary that must be there) pairs

    def __str__(self) -> str:
        return (
            f"{self.answers} answers (case x method x role) checked, {self.bodies} 2xx bodies "
            f"searched: {self.canary_checks} forbidden-canary checks, "
            f"{self.positive_checks} positive controls"
        )


def run(scene: Scene, keys: list[tuple[str, str]]) -> tuple[list[str], Figures]:
    """Every (case, method) in `keys` as every role: the mismatches (a wrong
    answer, a canary the role may not see in a 2xx body, a positive control
    missing) and what was checked."""
    sessions = Sessions(scene)
    wrong: list[str] = []
    figures = Figures()
    for case_id, method in keys:
        case = CASES[case_id]
        for role, expected in zip(ROLES, FULL_TABLE[(case_id, method)], strict=True):
            if expected is None:
                continue
            response = sessions.request(role, case, method)
            figures.answers += 1
            where = f"{method} {case_id} as {role}"
            if not matches(expected, response, scene):
                wrong.append(f"{where}: expected {expected!r}, got {answer(response)}")
            if not 200 <= response.status_code < 300:
                continue
            body = body_of(response)
            figures.bodies += 1
            barred = forbidden(role, case_id)
            figures.canary_checks += len(barred)
            wrong += [f"{where} leaks {canary}" for canary in found(body, barred)]
            must = [c for c in CANARIES if c.text in POSITIVE.get((case_id, method, role), ())]
            figures.positive_checks += len(must)
            present = found(body, must)
            wrong += [f"{where} lacks {canary}" for canary in must if canary not in present]
    return wrong, figures


AREAS = {
    "ops": lambda key: key.startswith("ops:"),
    "desk": lambda key: key.startswith("desk:"),
    "reports": lambda key: key.startswith("reports:"),
    "feedback": lambda key: key.startswith("feedback:"),
    "portal": lambda key: key.startswith("portal:"),
    "admin": lambda key: key.startswith("admin"),
    "api": lambda key: key.startswith(("api", "osticket")),
}


@pytest.mark.parametrize("area", AREAS)
def test_every_route_answers_every_role_as_the_table_declares(
    area: str, scene: Scene, request: pytest.FixtureRequest
) -> None:
    keys = [key for key in FULL_TABLE if AREAS[area](key[0])]

    wrong, figures = run(scene, keys)

    report(request, f"{area}: {figures}")
    assert figures.answers > 0
    assert wrong == [], f"{len(wrong)} problems in {figures}:\n" + "\n".join(wrong)


# --- the table covers the site, and agrees with the declarations -------------------------


def test_every_url_pattern_has_a_row() -> None:
    """A new route fails here until it has cases in routes.py and rows above."""
    covered = {CASES[case_id].pattern for case_id, _ in FULL_TABLE}
    missing = [str(r) for r in routes() if pattern_key(r.route, r.name) not in covered]

    assert missing == [], "Routes without a row in the access matrix:\n" + "\n".join(missing)


def test_every_case_has_a_row_for_get_and_post() -> None:
    without = [
        f"{case_id} {method}"
        for case_id in CASES
        for method in ("GET", "POST")
        if (case_id, method) not in FULL_TABLE
    ]

    assert without == []


# Pages inside a guarded part of the site that are open to all by nature.
OPEN_BY_NATURE = {"admin:login", "api:openapi-json", "api:openapi-view"}


def test_the_table_never_lets_a_stranger_into_a_page_declared_for_others() -> None:
    """The declarations (helpline/lib/access.py) and the table tell one story: no
    anonymous visitor reaches an agent's or a customer's page, no customer an
    agent's page, no agent a customer's."""
    audiences = {pattern_key(r.route, r.name): r.audience for r in routes()}
    barred = {
        Audience.AGENT: {"anonymous", "customer", "outsider"},
        Audience.CUSTOMER: {"anonymous", "other_department", "agent", "supervisor", "admin"},
        Audience.ADMIN_SITE: {"anonymous", "customer", "outsider", "other_department", "agent"},
        Audience.API: set(ROLES),
    }
    leaks = [
        f"{method} {case_id} lets {role} in"
        for (case_id, method), answers in FULL_TABLE.items()
        for role, expected in zip(ROLES, answers, strict=True)
        if role in barred.get(audiences[CASES[case_id].pattern] or Audience.PUBLIC, set())
        and expected == 200
        and CASES[case_id].pattern not in OPEN_BY_NATURE
    ]

    assert leaks == []


def test_the_scene_has_a_row_of_every_model_the_admin_shows(scene: Scene) -> None:
    """Else that model's change, delete and history pages would answer "no such
    object" instead of rendering: add a maker to `ADMIN_ROWS` in routes.py."""
    from django.contrib import admin

    empty = [m._meta.label for m in admin.site._registry if not m._default_manager.exists()]

    assert empty == []


# --- the canaries are there to be found ---------------------------------------------------


def test_every_positive_control_is_a_page_the_matrix_opens() -> None:
    """A control on a page the matrix does not request, or does not expect to
    open, would never run."""
    never = [
        f"{method} {case_id} as {role}"
        for case_id, method, role in POSITIVE
        if FULL_TABLE.get((case_id, method), everyone(None))[ROLES.index(role)] != 200
    ]

    assert never == []


def test_the_scene_holds_every_canary_where_it_belongs(scene: Scene) -> None:
    """Each canary is written into the scene's tickets, thread and customers, so
    a page that lists them can show it."""
    from helpline.accounts.models import Customer
    from helpline.tickets.models import Entry, Ticket

    stored = " ".join(
        [
            *Ticket.objects.values_list("subject", flat=True),
            *Entry.objects.values_list("body", flat=True),
            *Customer.objects.values_list("name", flat=True),
            *Customer.objects.values_list("email", flat=True),
        ]
    )

    assert found(stored, list(CANARIES)) == list(CANARIES)


# --- the API's lists, read with each agent's own token -----------------------------------

API_READERS = ("other_department", "agent", "supervisor", "admin")
# What each agent's token must list (the ticket lists: both names ninja gives them).
API_POSITIVE: dict[tuple[str, str], tuple[str, ...]] = {
    **{
        (case_id, role): texts
        for case_id in ("api:tickets", "api:list_tickets")
        for role, texts in {
            "other_department": (SUBJECTS["sales"], SUBJECTS["olive"]),
            "agent": (SUBJECTS["support"],),
            "supervisor": (SUBJECTS["support"],),
            "admin": (SUBJECTS["support"], SUBJECTS["sales"], SUBJECTS["olive"]),
        }.items()
    },
    ("api:read_thread", "agent"): ("zzsupportmsg",),
    ("api:read_ticket", "agent"): (SUBJECTS["support"],),
}


def test_the_api_shows_each_agent_token_only_its_departments_tickets(
    scene: Scene, request: pytest.FixtureRequest
) -> None:
    """Every GET route of the REST API (lists, a ticket, its thread, a file,
    reports, reference data) with the token of each agent role: no 2xx JSON
    answer carries a canary of another department's tickets, and the ticket
    lists carry each agent's own."""
    from helpline.api.tests.conftest import make_token

    tokens = {
        role: make_token(getattr(scene.world, person))
        for role, person in (
            ("other_department", "other_agent"),
            ("agent", "agent"),
            ("supervisor", "supervisor"),
            ("admin", "admin"),
        )
    }
    client = Client()
    wrong: list[str] = []
    figures = Figures()
    for case in api_cases():
        if "GET" not in case.methods or case.pattern.startswith(("osticket", "api/")):
            continue
        for role in API_READERS:
            response = client.get(case.path(scene), HTTP_AUTHORIZATION=f"Bearer {tokens[role]}")
            figures.answers += 1
            where = f"GET {case.id} with {role}'s token"
            if not 200 <= response.status_code < 300:
                continue
            body = body_of(response)
            figures.bodies += 1
            barred = forbidden(role, case.id)
            figures.canary_checks += len(barred)
            wrong += [f"{where} leaks {canary}" for canary in found(body, barred)]
            must = [c for c in CANARIES if c.text in API_POSITIVE.get((case.id, role), ())]
            figures.positive_checks += len(must)
            present = found(body, must)
            wrong += [f"{where} lacks {canary}" for canary in must if canary not in present]

    report(request, f"api with agent tokens: {figures}")
    assert figures.positive_checks > 0
    assert wrong == [], f"{len(wrong)} problems in {figures}:\n" + "\n".join(wrong)
