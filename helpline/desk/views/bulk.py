"""Bulk actions from the queues (helpline.bulk): the queue's selection bar posts
here, and the agent lands on the job's page, which shows its progress while the
worker runs it and then every ticket's outcome.

- POST /desk/bulk/ makes the job: the ticked tickets (`t`, "id:version"), or with
  `scope=matching` every ticket of the queue (`queue` and its filters). Input the
  action cannot use is shown again on a page of its own with the selection kept
  (status 400), so nothing typed is lost and it works without script.
- GET /desk/bulk/<id>/ is the job's page; with htmx, only its progress (polled).
- GET /desk/bulk/matching/ counts "all matching" for the selection bar (htmx).
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from helpline.bulk import runner, selection
from helpline.bulk.actions import ACTIONS, BadBulkInput, check, offered, summary
from helpline.bulk.models import BulkItem, BulkJob, Outcome
from helpline.desk.views.common import filter_options
from helpline.tickets import queues
from helpline.web.auth import agent_required, current_agent
from helpline.web.links import desk_back

# Refusals listed per page of a job's result (the tickets done: a count, and a
# page of them on request).
RESULT_PAGE = 100
# The inputs of the selection bar (desk/_bulk_fields.html), kept if refused.
TYPED = (
    "agent",
    "team",
    "department",
    "status",
    "priority",
    "note_text",
    "resolve_text",
    "reason",
    "into",
)


@agent_required
@require_POST
def bulk_start(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    post = request.POST
    action = post.get("action", "")
    values = {name: post.get(name, "") for name in TYPED}
    # One text per action that takes one (each box has its own label).
    values["text"] = values["resolve_text"] if action == "resolve" else values["note_text"]
    back = desk_back(request, post.get("back", ""))
    targets: list[selection.Target] = []
    left_out = 0
    try:
        # The action's input first: a refused action costs no selection.
        job_params = check(action, values, agent)
        targets, left_out, _everything, _queue, _params = selection.from_post(agent, post)
        job = runner.start(agent, action, job_params, targets, back_url=back)
    except (BadBulkInput, runner.TooMany) as problem:
        if not targets:  # refused before the selection was read: read it for the page
            with contextlib.suppress(BadBulkInput):
                targets, left_out, *_rest = selection.from_post(agent, post)
        queue, params = selection.bar_query(post)
        return render(
            request,
            "desk/bulk_form.html",
            {
                "nav": "queues",
                "error": getattr(problem, "message", str(problem)),
                "field": getattr(problem, "field", None),
                "targets": targets,
                "left_out": left_out,
                "left_out_message": selection.left_out_text(left_out) if left_out else "",
                "matching": post.get("scope") == "matching",
                "queue": queue,
                "params": params,
                "back": back,
                "typed": values,
                "action": action,
                "actions": offered(agent),
                "options": filter_options(agent),
            },
            status=400,
        )
    if left_out:
        messages.warning(request, selection.left_out_text(left_out))
    return redirect("desk:bulk_job", pk=job.pk)


def _job(request: HttpRequest, pk: int) -> BulkJob:
    """The agent's own job; 404 for any other (the same as none)."""
    job = BulkJob.objects.filter(pk=pk, agent=current_agent(request)).first()
    if job is None:
        raise Http404("No such bulk action")
    return job


@agent_required
@require_safe
def bulk_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    context: dict[str, Any] = {"nav": "queues", "job": job, "spec": ACTIONS.get(job.action)}
    if request.htmx and not job.finished:  # type: ignore[attr-defined]
        return render(request, "desk/_bulk_progress.html", context)
    if job.finished or request.htmx:  # type: ignore[attr-defined]
        refused = BulkItem.objects.filter(job=job, outcome=Outcome.REFUSED).order_by("position")
        page = Paginator(refused, RESULT_PAGE).get_page(request.GET.get("page"))
        context["refused"] = page
        done = list(
            BulkItem.objects.filter(job=job, outcome=Outcome.DONE)
            .order_by("position")
            .values_list("number", flat=True)[:RESULT_PAGE]
        )
        context |= {
            "done_items": done,
            "more_done": job.done - len(done),
            "summary": summary(job.action, job.done, job.refused),
            "took": (
                round((job.finished_at - job.started_at).total_seconds())
                if job.started_at and job.finished_at
                else None
            ),
        }
    template = "desk/_bulk_progress.html" if request.htmx else "desk/bulk_job.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@agent_required
@require_safe
def bulk_matching(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    queue = request.GET.get("queue", "open")
    params = queues.filter_params(request.GET)
    try:
        count = selection.count_matching(agent, queue, params)
    except queues.BadQueueInput as bad:
        return HttpResponse(bad.message, status=400, content_type="text/plain; charset=utf-8")
    return render(
        request, "desk/_bulk_matching.html", {"count": count, "max": settings.HELPLINE_BULK_MAX}
    )
