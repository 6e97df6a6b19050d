"""/healthz and /readyz: JSON for load balancers and monitoring, no sign-in.

- /healthz (liveness): the process answers requests. No database query, so a
  database outage does not make a supervisor restart healthy web processes.
- /readyz (readiness): the database answers, a worker is running, mail goes out
  and the quarantine is looked after (helpline.ops.health). 200 when every check
  passes, 503 otherwise; the body names each check with its value either way.

Neither is ever cached (a stale "ok" from a proxy would hide an outage), and both
take GET and HEAD only.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.log import log_response
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from helpline.lib.access import public
from helpline.ops import health


@public
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@public
@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = health.readiness()
    failing = [check.name for check in checks if not check.ok]
    response = JsonResponse(
        {
            "status": "not ready" if failing else "ready",
            "checks": {check.name: check.as_json() for check in checks},
        },
        status=503 if failing else 200,
    )
    if failing:
        # One WARNING naming what fails. Django would log every 503 as an ERROR
        # (a mail to ADMINS and a Sentry event per monitoring probe).
        log_response(
            "Not ready: %s",
            ", ".join(failing),
            response=response,
            request=request,
            level="warning",
        )
    return response
