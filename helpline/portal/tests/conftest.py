"""Helpers for the portal's tests: stored files go to a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from helpline.conftest import World
from helpline.tickets.models import TopicField


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def ticket_form(world: World, **overrides: Any) -> dict[str, Any]:
    """What a guest types into the "Open a New Ticket" form."""
    data: dict[str, Any] = {
        "name": "Grace Guest",
        "email": "grace@example.net",
        "phone": "",
        "topic": str(world.topic.pk),
        "subject": "Scanner jams",
        "description": "The scanner jams on every page.\n\nSince Monday.",
    }
    data.update(overrides)
    return data


def upload(name: str = "screenshot.png", content: bytes = b"\x89PNG fake") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def asset_tag_question(world: World, *, required: bool = True) -> TopicField:
    return TopicField.objects.create(
        topic=world.topic,
        key="asset_tag",
        label="Asset tag",
        required=required,
        help_text="The number on the sticker.",
    )
