"""A PDF attachment's previews on the portal: its first page small (the ticket
page's thumbnail), and a page showing its first pages large (helpline.tickets.previews
draws them). The signed-in customer's and the signed link's, each reached
exactly as the file's download is (`_owned` or `_signed`, then `public_file`):
whoever may not download the file gets the same answer here.

The pictures are drawn after the database is asked, outside any transaction.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from helpline.lib.access import customer_only, signed_link
from helpline.portal.views import Access, _owned, _sign_in_to_see, _signed, public_file
from helpline.tickets import previews

# Shown in place of a thumbnail for a file that gets no preview.
NO_THUMBNAIL = "helpline/document.svg"


def _thumbnail(access: Access, attachment_id: int) -> HttpResponseBase:
    picture = previews.thumbnail(public_file(access, attachment_id))
    if picture is None:
        return redirect(static(NO_THUMBNAIL))
    return previews.png_response(picture)


def _pages(request: HttpRequest, access: Access, attachment_id: int) -> HttpResponse:
    attachment = public_file(access, attachment_id)
    found = previews.pages(attachment)
    shown = [
        (n, access.url("file_page", attachment_id=attachment.pk, page=n), width, height)
        for n, (width, height) in enumerate(found.sizes if found else (), start=1)
    ]
    return render(
        request,
        "portal/attachment_pages.html",
        {
            "section": "my" if not access.token else "",
            "ticket": access.ticket,
            "attachment": attachment,
            "pages": found,
            "shown": shown,
            "file_url": access.url("file", attachment_id=attachment.pk),
            "ticket_url": access.url("ticket"),
        },
    )


def _page(access: Access, attachment_id: int, page: int) -> HttpResponse:
    picture = previews.page(public_file(access, attachment_id), page)
    if picture is None:
        raise Http404(_("No such page."))
    return previews.png_response(picture)


@customer_only(refuse=_sign_in_to_see)
@never_cache
@require_safe
def thumbnail(request: HttpRequest, number: str, attachment_id: int) -> HttpResponseBase:
    access = _owned(request, number)
    return access if isinstance(access, HttpResponse) else _thumbnail(access, attachment_id)


@customer_only(refuse=_sign_in_to_see)
@never_cache
@require_safe
def pages(request: HttpRequest, number: str, attachment_id: int) -> HttpResponse:
    access = _owned(request, number)
    return access if isinstance(access, HttpResponse) else _pages(request, access, attachment_id)


@customer_only(refuse=_sign_in_to_see)
@never_cache
@require_safe
def page(request: HttpRequest, number: str, attachment_id: int, page: int) -> HttpResponse:
    access = _owned(request, number)
    return access if isinstance(access, HttpResponse) else _page(access, attachment_id, page)


@signed_link
@never_cache
@require_safe
def signed_thumbnail(request: HttpRequest, token: str, attachment_id: int) -> HttpResponseBase:
    access = _signed(request, token)
    return access if isinstance(access, HttpResponse) else _thumbnail(access, attachment_id)


@signed_link
@never_cache
@require_safe
def signed_pages(request: HttpRequest, token: str, attachment_id: int) -> HttpResponse:
    access = _signed(request, token)
    return access if isinstance(access, HttpResponse) else _pages(request, access, attachment_id)


@signed_link
@never_cache
@require_safe
def signed_page(request: HttpRequest, token: str, attachment_id: int, page: int) -> HttpResponse:
    access = _signed(request, token)
    return access if isinstance(access, HttpResponse) else _page(access, attachment_id, page)
