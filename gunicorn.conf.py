"""Gunicorn settings for Helpline (`gunicorn -c gunicorn.conf.py`; `make run` uses it).

Environment: PORT (default 8000), BIND (default 127.0.0.1:$PORT; set 0.0.0.0:8000
behind a proxy or in a container), WEB_CONCURRENCY (worker processes, default one
per core, between 2 and 4), LOG_FORMAT (json: one JSON object per log line),
LOG_LEVEL. Command-line flags override anything here.
"""

import os
import sys

# This file's directory, so the project's modules import before gunicorn's chdir.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from helpline.ops.logs import gunicorn_logging

wsgi_app = "helpline.wsgi:application"

bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", 0)) or min(4, max(2, os.cpu_count() or 1))
# Sync workers: every request is short (lists are one indexed query); slow work
# goes to the background worker.
worker_class = "sync"
timeout = 30
graceful_timeout = 10
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200

accesslog = "-"  # stdout
errorlog = "-"  # stderr
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Its lines in Helpline's shape: time, level, logger; JSON with LOG_FORMAT=json.
logconfig_dict = gunicorn_logging()

# Gunicorn 25+ opens a control socket in ~/.gunicorn by default; several servers
# on one machine (tests, benchmarks, `make run`) would fight over it.
control_socket_disable = True
