"""gunicorn settings for the portal's web process, every value from a ``GUNICORN_*`` variable.

    gunicorn -c deploy/gunicorn.conf.py portal.wsgi

``runportal`` stays the laptop runner; this is the production web tier, behind a reverse
proxy or load balancer that terminates TLS. Liveness is ``/healthz``, readiness ``/readyz``.

Request bodies: gunicorn has no body-size limit of its own. Large bodies are refused by the
proxy (nginx ``client_max_body_size``, which also buffers slow uploads away from the sync
workers) and by the portal's ``RequestSizeLimitMiddleware`` (``MAX_REQUEST_BYTES``, a 413
page before the body is read); see docs/intake.md. Here only the request line and headers
are limited.
"""

from __future__ import annotations

import os

from portal.core.env import envint, envstr


def _cpus() -> int:
    """CPUs this process may use (a container's cpuset, not the whole host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# 0.0.0.0 because the web process runs in a container or behind a proxy on another host.
bind = envstr("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: each serves one request at a time; the usual 2 x CPUs + 1.
workers = envint("GUNICORN_WORKERS", 2 * _cpus() + 1)
threads = envint("GUNICORN_THREADS", 1)
# A request taking longer than this kills its worker (grading runs in Celery, never here).
timeout = envint("GUNICORN_TIMEOUT", 60)
# On SIGTERM (a deploy), requests in flight get this long to finish.
graceful_timeout = envint("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Seconds an idle keep-alive connection stays open. Sync workers close every connection
# after its response; this applies with GUNICORN_THREADS > 1 (the gthread worker).
keepalive = envint("GUNICORN_KEEPALIVE", 5)
limit_request_line = envint("GUNICORN_LIMIT_REQUEST_LINE", 8190)
limit_request_fields = envint("GUNICORN_LIMIT_REQUEST_FIELDS", 100)
limit_request_field_size = envint("GUNICORN_LIMIT_REQUEST_FIELD_SIZE", 8190)
# Proxies whose X-Forwarded-* headers are trusted (the scheme behind TLS termination).
forwarded_allow_ips = envstr("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Access log on stdout, error log on stderr (the container's log driver collects both).
accesslog = envstr("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = envstr("GUNICORN_LOG_LEVEL", "info")
# Client (and the address the proxy forwarded), request, status, bytes, milliseconds,
# referrer, user agent, and the portal's request id (also in its JSON log lines).
access_log_format = (
    '%(h)s fwd=%({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(M)sms '
    '"%(f)s" "%(a)s" request_id=%({x-request-id}o)s'
)
