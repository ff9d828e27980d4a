"""JSON logs carrying the request id of the request being served."""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid

from pythonjsonlogger.json import JsonFormatter

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
service_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("service", default=None)


# Query-string and JSON credentials of the outbound channels (WeCom ``corpsecret``,
# ``access_token``, a robot's ``key``) and anything else named like a secret.
_SECRET = re.compile(
    r"(?i)\b(key|access_token|corpsecret|secret|password|passwd|token|authorization)"
    r"(=|\"?\s*:\s*\"?)(?:bearer\s+)?[^&\s\"',;)]+"
)
# Client libraries that log whole request URLs (with their query strings) at INFO/DEBUG.
CLIENT_LOGGERS = ("httpx", "httpcore", "urllib3", "hpack", "h2", "websockets.client", "nats")


def scrub_secrets(text: str) -> str:
    """``text`` with the value of every credential-looking parameter replaced by ``***``."""
    return _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


_REQUEST_ID = re.compile(r"\A[A-Za-z0-9._:\-]+\Z")


def accepted_request_id(given: str | None, max_length: int = 128) -> str:
    """The client's request id when it is short and plain, else a new one (it is logged and
    stored in the hash-chained audit rows, so nothing unbounded or odd gets in)."""
    if given and len(given) <= max_length and _REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex


class _ScrubFilter(logging.Filter):
    """Removes credentials from every record's message and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub_secrets(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[0] is not None:
            # formatted once here so the traceback's text is scrubbed as well
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = scrub_secrets(text), None
        return True


class _ContextFilter(logging.Filter):
    def __init__(self, service: str | None) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.service = service_var.get() or self.service
        return True


def configure_logging(
    level: str = "INFO", json_output: bool = True, service: str | None = None
) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter(service))
    handler.addFilter(_ScrubFilter())
    if json_output:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(service)s",
                rename_fields={"levelname": "level", "asctime": "time"},
                json_ensure_ascii=False,
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", *CLIENT_LOGGERS):
        logging.getLogger(noisy).setLevel(logging.WARNING)
