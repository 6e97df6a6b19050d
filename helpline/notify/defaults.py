"""The mail templates every install starts with, as `MailTemplate` rows.

Used by the data migration (with its historical model) and by tests, whose
transactional runs empty every table, migration data included. Rows an
administrator already has are left as they are.
"""

from __future__ import annotations

from typing import Any

from helpline.notify.models import MailKind
from helpline.notify.rendering import default_source


def ensure_templates(model: Any = None) -> None:
    """Create the missing template rows from the built-in defaults."""
    if model is None:
        from helpline.notify.models import MailTemplate

        model = MailTemplate
    for kind in MailKind:
        source = default_source(kind.value)
        model.objects.get_or_create(
            key=kind.value,
            defaults={
                "subject": source.subject,
                "text_body": source.text,
                "html_body": source.html,
            },
        )
