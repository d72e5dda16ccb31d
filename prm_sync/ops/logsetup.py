"""Logging for the CLI and the daemon: text on a terminal, one JSON object per line otherwise.

Every line carries the run id of the invocation (or of the scheduled job) it belongs to, and
passes the redaction filter first: messages, arguments, extras and tracebacks are masked.

    -q     warnings and errors only (cron: silent on success)
    (none) prm-sync's own progress and outcomes (INFO)
    -v     + details and tracebacks (DEBUG for prm-sync, INFO for the scheduler library)
    -vv    + DEBUG from every library (HTTP clients, SDKs)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import traceback
import uuid
from contextvars import ContextVar
from typing import Any, TextIO

from prm_sync.ops.terminal_text import strip_controls
from prm_sync.util.redact import RedactingFilter, redact, redact_value

RUN_ID: ContextVar[str] = ContextVar("prm_sync_run_id", default="-")
OUR_LOGGERS = ("prm_sync", "connectors")
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "run_id", "_prm_redacted"}

_state: dict[str, Any] = {"format": None, "verbose": 0}


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def log_format() -> str | None:
    """The format chosen by the last `configure_logging` (None: logging not configured)."""
    return _state["format"]


class _RunIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "run_id"):
            record.run_id = RUN_ID.get()
        return True


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of the record (tests swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        return None


def _utc_time(record: logging.LogRecord) -> str:
    return dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, run_id, msg, extras, and exc when a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": _utc_time(record), "level": record.levelname.lower(), "logger": record.name,
            "run_id": getattr(record, "run_id", RUN_ID.get()), "msg": redact(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = redact_value(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exc"] = redact(record.exc_text)
        return json.dumps(payload, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(utc)s %(levelname)-7s [%(run_id)s] %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.utc = _utc_time(record)
        return strip_controls(redact(super().format(record)))  # a terminal shows it: no escape sequences


def configure_logging(fmt: str | None = None, verbose: int = 0, quiet: bool = False,
                      stream: TextIO | None = None) -> str:
    """Install prm-sync's handler on the root logger (replacing one installed before); return
    the format used. `fmt` None: text on a terminal, JSON otherwise."""
    out = stream or sys.stderr
    chosen = fmt or ("text" if _isatty(out) else "json")
    handler: logging.Handler = logging.StreamHandler(out) if stream is not None else _CurrentStderrHandler()
    handler.addFilter(_RunIdFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    handler._prm_sync = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_prm_sync", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    ours = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    root.setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(ours)
    logging.getLogger("apscheduler").setLevel(logging.INFO if verbose and not quiet else logging.WARNING)
    _state.update(format=chosen, verbose=verbose)
    return chosen


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def report_error(message: str, exc: BaseException | None = None, *, verbose: bool = False) -> None:
    """Tell the user what went wrong, redacted: a JSON log record when logging is JSON, else a
    plain line on stderr; with `verbose`, the traceback too."""
    shown = exc if verbose and exc is not None else None
    if log_format() == "json":
        logging.getLogger("prm_sync.cli").error(message, exc_info=shown)
        return
    sys.stderr.write(strip_controls(redact(message)) + "\n")
    if shown is not None:
        sys.stderr.write(strip_controls(redact("".join(traceback.format_exception(shown)))))
    sys.stderr.flush()
