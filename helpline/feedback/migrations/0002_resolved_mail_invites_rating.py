"""The resolution mail invites the customer to rate the answer.

New installs get the new text from the built-in templates (notify's data
migration reads the files). Installs made before have `resolved` template rows
holding the old built-in text: those that nobody edited get the new text; a body an
administrator changed is left alone (they can add the links themselves: the
variable is `rating_links.good`, `.okay`, `.bad`, or use the admin's "Restore the
built-in text" action).
"""

from django.db import migrations

# The built-in bodies before this change, word for word.
OLD_TEXT = (
    "{{ marker }}\n\nHello {{ recipient.name }},\n\nticket #{{ ticket.number }} "
    "({{ ticket.subject }}) has been resolved.\n\n{{ message.text }}\n\n"
    "{{ message.author }}\n\nIf this did not solve the problem, reply to this mail and "
    "the ticket will be\nreopened.{% if link %} See the ticket online: {{ link }}"
    "{% endif %}\n"
)
OLD_HTML = (
    '<p style="color:#64748b;font-size:12px">{{ marker }}</p>\n'
    "<p>Hello {{ recipient.name }},</p>\n"
    "<p>ticket <strong>#{{ ticket.number }}</strong> ({{ ticket.subject }}) has been "
    "resolved.</p>\n{{ message.html }}\n<p>{{ message.author }}</p>\n"
    "<p>If this did not solve the problem, reply to this mail and the ticket will be\n"
    'reopened.{% if link %} <a href="{{ link }}">See the ticket online</a>.{% endif %}</p>\n'
)


def _same(stored: str, text: str) -> bool:
    """Equal but for line endings and trailing blank space (the admin's textarea
    sends CRLF)."""

    def norm(value: str) -> str:
        return "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").split("\n")).strip()

    return norm(stored) == norm(text)


def _swap(apps, *, old_text: str, old_html: str, new_text: str, new_html: str) -> None:
    MailTemplate = apps.get_model("notify", "MailTemplate")
    for row in MailTemplate.objects.filter(key="resolved"):
        changed = []
        if _same(row.text_body, old_text):
            row.text_body = new_text
            changed.append("text_body")
        if _same(row.html_body, old_html):
            row.html_body = new_html
            changed.append("html_body")
        if changed:
            row.save(update_fields=changed)


def forwards(apps, schema_editor):
    from helpline.notify.rendering import default_source

    new = default_source("resolved")
    _swap(apps, old_text=OLD_TEXT, old_html=OLD_HTML, new_text=new.text, new_html=new.html)


def backwards(apps, schema_editor):
    from helpline.notify.rendering import default_source

    new = default_source("resolved")
    _swap(apps, old_text=new.text, old_html=new.html, new_text=OLD_TEXT, new_html=OLD_HTML)


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0001_initial"),
        ("notify", "0003_sla_alerts"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
