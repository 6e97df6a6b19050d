"""A picture shown in a message's text is not listed again below the message
(issue 13's trial: a picture pasted into a desk reply showed in the text and a
second time as a file under it), on the desk's ticket page and on the portal's.
Other files, and a picture the text does not show, are still listed."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from helpline.conftest import World
from helpline.desk.tests.test_previews_browser import screenshot_png
from helpline.tickets import lifecycle
from helpline.tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db

PICTURE_ID = "0123456789abcdef01234567@helpline"


def replied_with_a_pasted_picture(world: World) -> Ticket:
    """Alice's reply: a pasted picture in its text, a log and a second picture
    attached below it."""
    ticket = world.open()
    lifecycle.reply(
        ticket,
        actor=world.agent,
        body_html=f'<div>Like this:</div><img src="cid:{PICTURE_ID}" alt="pasted.png">',
        uploads=[
            lifecycle.Upload("pasted.png", "image/png", screenshot_png(40, 30), PICTURE_ID),
            lifecycle.Upload("log.txt", "text/plain", b"boot log"),
            lifecycle.Upload("other.png", "image/png", screenshot_png(20, 20)),
        ],
    )
    return ticket


def listed(page: str) -> set[str]:
    """The file names in the lists of files under the thread's messages."""
    lists = "".join(re.findall(r'<ul class="attachments".*?</ul>', page, re.DOTALL))
    found = re.findall(r'<span translate="no">([^<]+)</span>|translate="no">([^<]+)</a>', lists)
    return {a or b for a, b in found}


def test_the_desk_lists_the_files_but_not_the_picture_shown_in_the_text(world: World) -> None:
    ticket = replied_with_a_pasted_picture(world)
    alice = Client(raise_request_exception=True)
    alice.force_login(world.agent.user)

    page = alice.get(reverse("desk:ticket", args=[ticket.number])).content.decode()

    pasted = Attachment.objects.get(content_id=PICTURE_ID)
    assert f'src="{reverse("desk:attachment", args=[ticket.number, pasted.pk])}?view=1"' in page
    assert listed(page) == {"log.txt", "other.png"}


def test_the_portal_lists_the_files_but_not_the_picture_shown_in_the_text(world: World) -> None:
    ticket = replied_with_a_pasted_picture(world)
    ken = Client(raise_request_exception=True)
    assert world.customer.user is not None
    ken.force_login(world.customer.user)

    page = ken.get(reverse("portal:ticket", args=[ticket.number])).content.decode()

    assert "Like this:" in page
    assert listed(page) == {"log.txt", "other.png"}


def test_a_message_whose_only_file_is_in_its_text_has_no_list_of_files(world: World) -> None:
    ticket = world.open()
    lifecycle.add_note(
        ticket,
        actor=world.agent,
        body_html=f'<img src="cid:{PICTURE_ID}" alt="pasted.png">',
        uploads=[lifecycle.Upload("pasted.png", "image/png", screenshot_png(8, 8), PICTURE_ID)],
    )
    alice = Client(raise_request_exception=True)
    alice.force_login(world.agent.user)

    page = alice.get(reverse("desk:ticket", args=[ticket.number])).content.decode()

    assert 'class="inline-image"' in page
    assert '<ul class="attachments"' not in page
