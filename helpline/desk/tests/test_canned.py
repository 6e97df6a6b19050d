"""Canned replies in the desk: picked in the reply box with their variables filled
and their files, and kept on the desk's own page by those allowed to."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Agent, Department
from helpline.automation import canned
from helpline.automation.models import CannedAttachment, CannedReply
from helpline.conftest import World
from helpline.tickets.models import Attachment, Entry, Ticket

pytestmark = pytest.mark.django_db


def reply(
    title: str,
    body: str = "<p>Hello</p>",
    *,
    department: Department | None = None,
    owner: Agent | None = None,
    active: bool = True,
    files: dict[str, bytes] | None = None,
) -> CannedReply:
    made = CannedReply.objects.create(
        title=title, body_html=body, department=department, owner=owner, is_active=active
    )
    for name, content in (files or {}).items():
        stored = CannedAttachment(
            reply=made, filename=name, content_type="application/pdf", size=len(content)
        )
        stored.file.save(name, ContentFile(content), save=False)
        stored.save()
    return made


def signed_in(agent: Agent) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(agent.user)
    return client


def picks(client: Client, ticket: Ticket, typed: str = "") -> str:
    response = client.get(reverse("desk:canned_pick", args=[ticket.number]), {"canned_q": typed})
    assert response.status_code == 200
    return response.content.decode()


def titles(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'<span translate="no">([^<]+)</span>', html)]


# --- variables ------------------------------------------------------------------------


def test_it_fills_the_variables_from_the_ticket_and_the_agent(world: World) -> None:
    ticket = world.open()
    ticket.due_at = timezone.now() + timedelta(hours=5)
    world.agent.signature = "Alice, Support"
    context = canned.Context(ticket, world.agent)
    text = canned.fill(
        "Hi %{ticket.name.first} (%{recipient.name}, %{ticket.email}): #%{ticket.number} "
        "“%{ticket.subject}” in %{ticket.dept.name}/%{ticket.dept}, %{ticket.topic.name}. "
        "Due %{ticket.due_date}. %{recipient.ticket_link} -- %{staff.name.first} "
        "(%{staff.name}) %{signature}",
        context,
    )
    assert text.startswith("Hi Ken (Ken Adams, ken@example.com): #" + ticket.number)
    assert "“Printer on fire” in Support/Support, Printers." in text
    assert "Due " in text and "%{" not in text
    link = f"/tickets/{ticket.number}/ -- Alice (Alice Agent) "
    assert link in text and text.endswith(") ")  # the mail adds the signature itself


def test_it_leaves_a_variable_it_does_not_know_as_typed(world: World) -> None:
    context = canned.Context(world.open(), world.agent)
    typed = "%{company.name} %{ticket.number"
    assert canned.fill(typed, context) == typed
    assert canned.unknown_variables("%{a.b} %{ticket.number} %{a.b}") == ["%{a.b}"]


def test_a_ticket_without_topic_or_due_time_fills_those_with_nothing(world: World) -> None:
    ticket = world.open(topic=None, department=world.support, actor=world.agent)
    ticket.due_at = None  # the default plan gave it one
    context = canned.Context(ticket, world.agent)
    assert canned.fill("[%{ticket.topic.name}][%{ticket.due_date}]", context) == "[][]"


# --- the picker ------------------------------------------------------------------------


def test_the_picker_offers_shared_and_own_replies_of_the_ticket_department(world: World) -> None:
    ticket = world.open()
    reply("Everywhere")
    reply("Support only", department=world.support)
    reply("Sales only", department=world.sales)
    reply("Alice's own", owner=world.agent)
    reply("Sam's own", owner=world.supervisor)
    reply("Retired", active=False)
    listed = titles(picks(signed_in(world.agent), ticket))
    assert listed == ["Alice's own", "Everywhere", "Support only"]


def test_the_picker_narrows_by_title_and_fills_the_text_for_the_ticket(world: World) -> None:
    ticket = world.open()
    reply("Thanks", "<p>Hello %{ticket.name.first}, ticket #%{ticket.number}</p>")
    reply("Invoice copy")
    html = picks(signed_in(world.agent), ticket, "THAN")
    assert titles(html) == ["Thanks"]
    assert f'data-text="Hello Ken, ticket #{ticket.number}"' in html


def test_the_link_variable_is_the_portal_page_never_a_signed_link(world: World) -> None:
    """The reply's text goes to everybody in copy and stays in the thread: a signed
    link there would let any of them, or the agent, act as the customer."""
    ticket = world.open()
    reply("Link", "<p>%{recipient.ticket_link} %{ticket.link}</p>")
    html = picks(signed_in(world.agent), ticket)
    page = f"{settings.HELPLINE_BASE_URL}/tickets/{ticket.number}/"
    assert f'data-text="{page} {page}"' in html
    assert "/t/" not in html


def test_a_rule_sends_a_canned_reply_with_its_variables_filled(world: World) -> None:
    from helpline.automation.models import Action, Condition, Kind, Rule

    made = reply("Auto", "<p>Hi %{ticket.name.first} &amp; co, #%{ticket.number}%{staff.name}</p>")
    rule = Rule.objects.create(name="Greet", on_web=True)
    Condition.objects.create(rule=rule, field="subject", operator="contains", value="fire")
    Action.objects.create(rule=rule, kind=Kind.CANNED_REPLY, canned_reply=made)
    ticket = world.open()
    sent = Entry.objects.get(ticket=ticket, kind="reply")
    assert sent.body == f"<p>Hi Ken &amp; co, #{ticket.number}</p>"


def test_the_picker_says_so_when_nothing_matches(world: World) -> None:
    ticket = world.open()
    assert "No canned reply has this in its title." in picks(signed_in(world.agent), ticket, "zz")
    assert "No canned replies for this department yet." in picks(signed_in(world.agent), ticket)


def test_the_picker_is_refused_on_a_ticket_the_agent_cannot_see(world: World) -> None:
    ticket = world.open()
    response = signed_in(world.other_agent).get(reverse("desk:canned_pick", args=[ticket.number]))
    assert response.status_code == 404


def test_the_picker_costs_the_same_queries_for_one_reply_or_ten(
    world: World, django_assert_max_num_queries: object
) -> None:
    ticket = world.open()
    client = signed_in(world.agent)
    for n in range(10):
        reply(f"Reply {n}", files={f"f{n}.pdf": b"%PDF"})
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ten:
        picks(client, ticket)
    CannedReply.objects.exclude(title="Reply 0").delete()
    with CaptureQueriesContext(connection) as one:
        picks(client, ticket)
    assert len(ten) == len(one)


# --- sending a reply with a canned reply's files ---------------------------------------------


def send(client: Client, ticket: Ticket, body: str, files: list[int], **extra: object) -> object:
    ticket.refresh_from_db()
    data = {"body": body, "version": ticket.version, "canned_files": files, **extra}
    return client.post(reverse("desk:action", args=[ticket.number, "reply"]), data)


def test_a_reply_carries_the_files_of_the_canned_reply_picked(world: World) -> None:
    ticket = world.open()
    picked = reply("Manual", files={"manual.pdf": b"%PDF-1.4 manual"})
    file_id = picked.attachments.get().pk
    response = send(signed_in(world.agent), ticket, "See the manual.", [file_id])
    assert response.status_code == 302  # type: ignore[attr-defined]
    sent = Entry.objects.filter(ticket=ticket, kind="reply").get()
    stored = Attachment.objects.get(entry=sent)
    assert stored.filename == "manual.pdf"
    assert stored.file.read() == b"%PDF-1.4 manual"


@pytest.mark.parametrize("whose", ["another agent's own", "another department's", "inactive"])
def test_a_file_the_agent_may_not_pick_is_refused_and_the_text_kept(
    world: World, whose: str
) -> None:
    ticket = world.open()
    options: dict[str, dict[str, object]] = {
        "another agent's own": {"owner": world.supervisor},
        "another department's": {"department": world.sales},
        "inactive": {"active": False},
    }
    picked = reply("Secret", files={"secret.pdf": b"%PDF"}, **options[whose])  # type: ignore[arg-type]
    response = send(signed_in(world.agent), ticket, "My words", [picked.attachments.get().pk])
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = response.content.decode()  # type: ignore[attr-defined]
    assert "no longer available: pick the canned reply again" in page
    assert "My words" in page
    assert not Entry.objects.filter(ticket=ticket, kind="reply").exists()


def test_files_picked_and_uploaded_count_together_against_the_limit(
    world: World, settings: object
) -> None:
    settings.HELPLINE_MAX_ATTACHMENTS = 2  # type: ignore[attr-defined]
    ticket = world.open()
    picked = reply("Two", files={"a.pdf": b"%PDF a", "b.pdf": b"%PDF b"})
    ids = list(picked.attachments.values_list("pk", flat=True))
    upload = SimpleUploadedFile("c.txt", b"c", content_type="text/plain")
    response = send(signed_in(world.agent), ticket, "Three files", ids, attachments=[upload])
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = response.content.decode()  # type: ignore[attr-defined]
    assert "those of canned replies included" in page
    # The picked files stay in the form, with their names, for sending again.
    assert page.count('name="canned_files"') == 2 and "a.pdf" in page


@pytest.mark.parametrize("value", ["x", "0", str(2**40), "-3"])
def test_a_malformed_file_id_is_a_clear_400(world: World, value: str) -> None:
    ticket = world.open()
    response = send(signed_in(world.agent), ticket, "Text", [value])  # type: ignore[list-item]
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "Not a file that can be picked." in response.content.decode()  # type: ignore[attr-defined]


# --- the management page ----------------------------------------------------------------


def save(client: Client, pk: int | None = None, **fields: object) -> object:
    url = reverse("desk:canned_edit", args=[pk]) if pk else reverse("desk:canned_new")
    data = {"title": "Greeting", "body": "Hello %{ticket.name.first}", "is_active": "on"}
    data.update({k: v for k, v in fields.items()})  # type: ignore[misc]
    return client.post(url, data)


def test_an_agent_keeps_replies_of_their_own(world: World) -> None:
    response = save(signed_in(world.agent), shared="on", department=world.support.pk)
    assert response.status_code == 302  # type: ignore[attr-defined]
    made = CannedReply.objects.get()
    # No sharing for an agent: the box is not there, and "shared" sent anyway is ignored.
    assert made.owner == world.agent and made.department == world.support
    assert made.body_html == "<p>Hello %{ticket.name.first}</p>"


def test_an_agent_may_not_file_a_reply_under_another_department(world: World) -> None:
    response = save(signed_in(world.agent), department=world.sales.pk)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert not CannedReply.objects.exists()


def test_a_supervisor_shares_replies_in_the_departments_they_supervise(world: World) -> None:
    client = signed_in(world.supervisor)
    assert save(client, shared="on", department=world.support.pk).status_code == 302  # type: ignore[attr-defined]
    assert CannedReply.objects.get().owner is None
    refused = save(client, title="Other", shared="on", department="")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "one of the departments you supervise" in refused.content.decode()  # type: ignore[attr-defined]


def test_an_administrator_shares_replies_with_every_department(world: World) -> None:
    assert save(signed_in(world.admin), shared="on").status_code == 302  # type: ignore[attr-defined]
    made = CannedReply.objects.get()
    assert made.owner is None and made.department is None


def test_an_unknown_variable_is_refused_and_the_text_kept(world: World) -> None:
    response = save(signed_in(world.agent), body="Dear %{customer.nmae}, thanks")
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = response.content.decode()  # type: ignore[attr-defined]
    assert "Not a variable: %{customer.nmae}" in page
    assert "Dear %{customer.nmae}, thanks" in page


def test_titles_are_unique_among_shared_replies_and_among_each_agent_own(world: World) -> None:
    reply("Greeting", owner=world.agent)
    response = save(signed_in(world.agent))
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "You have a canned reply with this title." in response.content.decode()  # type: ignore[attr-defined]
    # Another agent's own of the same title is no clash.
    assert save(signed_in(world.supervisor)).status_code == 302  # type: ignore[attr-defined]
    reply("Shared one")
    clash = save(signed_in(world.admin), title="Shared one", shared="on")
    assert "A shared canned reply has this title." in clash.content.decode()  # type: ignore[attr-defined]


def test_editing_only_the_title_keeps_a_reply_written_as_html(world: World) -> None:
    made = reply("Steps", "<ol><li>Open</li><li>Click</li></ol>", owner=world.agent)
    client = signed_in(world.agent)
    page = client.get(reverse("desk:canned_edit", args=[made.pk])).content.decode()
    body = re.search(r"<textarea[^>]*>\s*(.*?)</textarea>", page, re.S)
    assert body is not None
    response = save(client, made.pk, title="Steps 2", body=body.group(1).strip())
    assert response.status_code == 302  # type: ignore[attr-defined]
    made.refresh_from_db()
    assert made.title == "Steps 2" and made.body_html == "<ol><li>Open</li><li>Click</li></ol>"


def test_files_are_added_and_removed_on_the_page(world: World) -> None:
    made = reply("With files", owner=world.agent, files={"old.pdf": b"%PDF old"})
    old = made.attachments.get()
    new = SimpleUploadedFile("new.pdf", b"%PDF new", content_type="application/pdf")
    client = signed_in(world.agent)
    response = save(client, made.pk, title="With files", remove=[old.pk], add_files=[new])
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert [f.filename for f in made.attachments.all()] == ["new.pdf"]


def test_a_file_of_a_refused_type_is_explained(world: World) -> None:
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = save(signed_in(world.agent), add_files=[bad])
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "files of type .exe are not accepted" in response.content.decode()  # type: ignore[attr-defined]
    assert not CannedReply.objects.exists()


def test_nobody_changes_or_deletes_a_reply_that_is_not_theirs_to_manage(world: World) -> None:
    own = reply("Sam's", owner=world.supervisor)
    sales = reply("Sales shared", department=world.sales)
    client = signed_in(world.agent)
    for target in (own, sales):
        assert client.get(reverse("desk:canned_edit", args=[target.pk])).status_code == 404
        delete = client.post(reverse("desk:canned_delete", args=[target.pk]))
        assert delete.status_code == 404
    assert CannedReply.objects.count() == 2
    # A supervisor of Support does not manage Sales' shared replies either.
    supervisor = signed_in(world.supervisor)
    assert supervisor.get(reverse("desk:canned_edit", args=[sales.pk])).status_code == 404


def test_deleting_a_reply_deletes_its_files(world: World) -> None:
    made = reply("Gone", owner=world.agent, files={"gone.pdf": b"%PDF"})
    stored = made.attachments.get().file
    storage, name = stored.storage, str(stored.name)
    client = signed_in(world.agent)
    with pytest.MonkeyPatch.context():
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(reverse("desk:canned_delete", args=[made.pk]))
    assert response.status_code == 302
    assert not CannedReply.objects.exists() and not storage.exists(name)


def test_the_list_shows_own_and_managed_replies(world: World) -> None:
    reply("Alice's", owner=world.agent)
    reply("Support shared", department=world.support)
    reply("Sam's", owner=world.supervisor)
    page = unescape(signed_in(world.agent).get(reverse("desk:canned")).content.decode())
    assert "Alice's" in page and "Sam's" not in page and "Support shared" not in page
    page = unescape(signed_in(world.supervisor).get(reverse("desk:canned")).content.decode())
    assert "Sam's" in page and "Support shared" in page and "Alice's" not in page


def test_a_picked_file_gone_from_storage_is_a_clear_400_and_the_text_kept(world: World) -> None:
    ticket = world.open()
    picked = reply("Manual", files={"manual.pdf": b"%PDF"})
    stored = picked.attachments.get()
    stored.file.storage.delete(str(stored.file.name))
    response = send(signed_in(world.agent), ticket, "See the manual.", [stored.pk])
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = response.content.decode()  # type: ignore[attr-defined]
    assert "“manual.pdf” of a canned reply cannot be read" in page
    assert "See the manual." in page


def test_the_picker_takes_a_nul_character_as_no_text(world: World) -> None:
    ticket = world.open()
    reply("Thanks")
    assert titles(picks(signed_in(world.agent), ticket, "Tha\x00nks")) == ["Thanks"]


def test_the_reply_draft_keeps_its_picked_files_and_shows_only_usable_ones(
    world: World,
) -> None:
    from helpline.desk.models import Draft

    shared = reply("Manual", files={"manual.pdf": b"%PDF"})
    private = reply("Sam's own", owner=world.supervisor, files={"sam.pdf": b"%PDF"})
    [manual] = shared.attachments.all()
    [sams] = private.attachments.all()
    ticket = world.open()
    alice = signed_in(world.agent)
    url = reverse("desk:draft", args=[ticket.number, "reply"])
    data = {"body": "See the manual.", "canned_files": [manual.pk, sams.pk]}
    assert alice.post(url, data).status_code == 200
    assert Draft.objects.get().canned_files == [manual.pk, sams.pk]  # ids, checked on use
    page = alice.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    chips = page.split('id="canned-files"')[1].split("</ul>")[0]
    assert "manual.pdf" in chips and "sam.pdf" not in chips  # Sam's are not Alice's
    # Nonsense ids keep none, and the text is still kept.
    assert alice.post(url, {"body": "Again.", "canned_files": ["x"]}).status_code == 200
    assert Draft.objects.get().canned_files == []
