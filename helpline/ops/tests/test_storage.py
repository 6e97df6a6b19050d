"""Attachments in an S3-compatible bucket: a real S3 endpoint (moto's server, on
the loopback, a free port) behind django-storages, switched on by environment
variables the way a deployment does."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from moto.server import ThreadedMotoServer

from helpline.conftest import World
from helpline.ops.storage import default_storage
from helpline.tickets import lifecycle
from helpline.tickets.models import Attachment

ROOT = Path(__file__).resolve().parents[3]
BUCKET = "helpline-attachments"


@pytest.fixture
def s3_env() -> Iterator[dict[str, str]]:
    """A running S3 endpoint with an empty bucket, and the variables that use it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = {
            "HELPLINE_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_S3_ADDRESSING_STYLE": "path",
            "AWS_ACCESS_KEY_ID": "helpline-test",
            "AWS_SECRET_ACCESS_KEY": "helpline-test-secret",
        }
        bucket(env).create_bucket(Bucket=BUCKET)
        yield env
    finally:
        server.stop()


def bucket(env: dict[str, str]) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=env["AWS_S3_ENDPOINT_URL"],
        region_name=env["AWS_S3_REGION_NAME"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture
def s3_storage(s3_env: dict[str, str], settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # boto3 reads the keys from the environment, as in a deployment.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, s3_env[name])
    settings.STORAGES = {**settings.STORAGES, "default": default_storage(s3_env)}


def keys(env: dict[str, str]) -> list[str]:
    listing = bucket(env).list_objects_v2(Bucket=BUCKET)
    return [item["Key"] for item in listing.get("Contents", [])]


def test_an_attachment_goes_to_the_bucket_and_comes_back_through_the_desk_with_its_checks(
    world: World, s3_env: dict[str, str], s3_storage: None, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # empty: whatever lands on disk shows
    body = b"<html><script>alert(1)</script> zz-s3-contents"
    ticket = world.open(uploads=[lifecycle.Upload("page.html", "text/html", body)])
    attachment = Attachment.objects.get(entry__ticket=ticket)

    [key] = keys(s3_env)
    assert key == attachment.file.name and key.startswith(f"attachments/{ticket.pk}/")
    assert not any(Path(settings.MEDIA_ROOT).rglob("*"))  # nothing on the disk
    url = reverse("desk:attachment", args=[ticket.number, attachment.pk])

    agent = Client()
    agent.force_login(world.agent.user)
    response: Any = agent.get(url)

    assert response.status_code == 200  # streamed by Django, not a redirect to the bucket
    assert b"".join(response.streaming_content) == body
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="page.html"'
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"

    # Another department's agent: the same 404 as on the disk.
    outsider = Client()
    outsider.force_login(world.other_agent.user)
    assert outsider.get(url).status_code == 404
    # The customer downloads it from the portal, from the bucket too.
    customer = Client()
    assert world.customer.user is not None
    customer.force_login(world.customer.user)
    mine: Any = customer.get(reverse("portal:file", args=[ticket.number, attachment.pk]))
    assert b"".join(mine.streaming_content) == body


def test_an_object_missing_from_the_bucket_is_a_404_not_a_500(
    world: World, s3_env: dict[str, str], s3_storage: None
) -> None:
    ticket = world.open(uploads=[lifecycle.Upload("log.txt", "text/plain", b"zz")])
    attachment = Attachment.objects.get(entry__ticket=ticket)
    bucket(s3_env).delete_object(Bucket=BUCKET, Key=attachment.file.name)
    agent = Client()
    agent.force_login(world.agent.user)

    response = agent.get(reverse("desk:attachment", args=[ticket.number, attachment.pk]))

    assert response.status_code == 404


def test_the_storage_is_chosen_by_environment_variables(tmp_path: Path) -> None:
    code = (
        "import django, json; django.setup();"
        "from django.core.files.storage import storages; d = storages['default'];"
        "print(json.dumps([type(d).__name__, d.bucket_name, d.endpoint_url, d.file_overwrite]))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HELPLINE_"))},
        "DJANGO_SETTINGS_MODULE": "helpline.settings",
        "HELPLINE_VAR_DIR": str(tmp_path),
        "HELPLINE_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": "tickets",
        "AWS_S3_ENDPOINT_URL": "https://s3.example.com",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    assert result.stdout.strip() == '["S3Storage", "tickets", "https://s3.example.com", false]'


def test_a_storage_switch_without_its_bucket_or_with_a_typo_is_refused_at_start() -> None:
    assert default_storage({})["BACKEND"].endswith("FileSystemStorage")
    assert default_storage({"HELPLINE_STORAGE": "Filesystem"})["BACKEND"].endswith(
        "FileSystemStorage"
    )
    with pytest.raises(ImproperlyConfigured, match="AWS_STORAGE_BUCKET_NAME"):
        default_storage({"HELPLINE_STORAGE": "s3"})
    with pytest.raises(ImproperlyConfigured, match="'s4'"):
        default_storage({"HELPLINE_STORAGE": "s4"})
