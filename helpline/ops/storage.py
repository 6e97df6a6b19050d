"""Where uploaded files (attachments) are kept: settings.STORAGES["default"] from
the environment.

- HELPLINE_STORAGE unset or `filesystem`: files under MEDIA_ROOT (var/media).
- HELPLINE_STORAGE=s3: an S3-compatible bucket through django-storages (the
  `helpline[s3]` extra), for several web servers without a shared disk:
  AWS_STORAGE_BUCKET_NAME (required), AWS_S3_ENDPOINT_URL (MinIO, Ceph, Garage,
  another provider; unset: Amazon S3), AWS_S3_REGION_NAME, AWS_S3_ADDRESSING_STYLE
  (`path` for most self-hosted servers), AWS_LOCATION (a key prefix), and the
  keys as boto3 reads them (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, or an
  instance role).

Objects are as private as the bucket, never overwritten, and always served through Helpline's own
download views (permission checks, `Content-Disposition: attachment`, a sandbox
CSP), never by a link to the bucket: every code path goes through Django's
storage API (`FieldFile.save` / `.open`), never a file system path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

FILESYSTEM = {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def default_storage(environ: Mapping[str, str]) -> dict[str, Any]:
    kind = environ.get("HELPLINE_STORAGE", "").strip().lower() or "filesystem"
    if kind == "filesystem":
        return dict(FILESYSTEM)
    if kind != "s3":
        raise ImproperlyConfigured(
            f"HELPLINE_STORAGE={kind!r}: use 'filesystem' (the default) or 's3'."
        )
    bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        raise ImproperlyConfigured("HELPLINE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL") or None,
        "region_name": environ.get("AWS_S3_REGION_NAME") or None,
        "addressing_style": environ.get("AWS_S3_ADDRESSING_STYLE") or None,
        "location": environ.get("AWS_LOCATION", ""),
        # No ACL header: objects get the bucket's own (private) policy, and buckets
        # with ACLs switched off (the default on Amazon S3 today) accept them.
        "default_acl": None,
        # A stored name is never reused for another file.
        "file_overwrite": False,
        "querystring_auth": True,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
