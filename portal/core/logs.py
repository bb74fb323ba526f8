"""What a log line knows about where it came from, and the JSON form of a line.

``LOG_FORMAT=json`` (settings.LOGGING) writes one JSON object per line: time, level, logger,
message, the traceback as a field when there is one, and the request id, user id, Celery task
id and grading run id when the line was written inside a request or a task. Those come from
context variables set by ``middleware.RequestContextMiddleware`` (request id, user id) and by
the Celery signal hooks in ``portal/celery.py`` (task id, run id): a thread or an asyncio task
sees only its own.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)
task_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_id", default=None)
run_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("run_id", default=None)

CONTEXT = {"request_id": request_id, "user_id": user_id, "task_id": task_id, "run_id": run_id}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line whatever the message or traceback holds."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, var in CONTEXT.items():
            value = var.get()
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # json.dumps escapes newlines inside strings; default=str for odd objects in messages.
        return json.dumps(line, ensure_ascii=False, default=str)
