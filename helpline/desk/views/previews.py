"""A PDF attachment's previews on the desk: its first page small (the ticket
page's thumbnail), and a page showing its first pages large (helpline.tickets.previews
draws them). Each asks for the file exactly as its download does
(`get_attachment_for_agent`): who may not download it gets the same 404.

The pictures are drawn after the database is asked, outside any transaction.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe

from helpline.desk.views.common import get_attachment_for_agent
from helpline.tickets import previews
from helpline.web.auth import agent_required

# Shown in place of a thumbnail for a file that gets no preview.
NO_THUMBNAIL = "helpline/document.svg"


@agent_required
@require_safe
def thumbnail(request: HttpRequest, number: str, attachment_id: int) -> HttpResponseBase:
    attachment = get_attachment_for_agent(request, number, attachment_id)
    picture = previews.thumbnail(attachment)
    if picture is None:
        return redirect(static(NO_THUMBNAIL))
    return previews.png_response(picture)


@agent_required
@require_safe
def pages(request: HttpRequest, number: str, attachment_id: int) -> HttpResponse:
    attachment = get_attachment_for_agent(request, number, attachment_id)
    found = previews.pages(attachment)
    shown = [
        (n, reverse("desk:attachment_page", args=[number, attachment.pk, n]), width, height)
        for n, (width, height) in enumerate(found.sizes if found else (), start=1)
    ]
    return render(
        request,
        "desk/attachment_pages.html",
        {
            "ticket": attachment.entry.ticket,
            "attachment": attachment,
            "pages": found,
            "shown": shown,
            "file_url": reverse("desk:attachment", args=[number, attachment.pk]),
            "ticket_url": reverse("desk:ticket", args=[number]),
        },
    )


@agent_required
@require_safe
def page(request: HttpRequest, number: str, attachment_id: int, page: int) -> HttpResponse:
    attachment = get_attachment_for_agent(request, number, attachment_id)
    picture = previews.page(attachment, page)
    if picture is None:
        raise Http404("No such page")
    return previews.png_response(picture)
