"""The built-in templates fit the columns they are stored in (the data migrations
copy them into MailTemplate rows; PostgreSQL refuses a longer subject)."""

from __future__ import annotations

from helpline.notify.models import MailKind, MailTemplate
from helpline.notify.rendering import default_source


def test_every_built_in_subject_fits_its_column() -> None:
    limit = MailTemplate._meta.get_field("subject").max_length
    assert limit is not None

    too_long = [k.value for k in MailKind if len(default_source(k.value).subject) > limit]

    assert too_long == []
