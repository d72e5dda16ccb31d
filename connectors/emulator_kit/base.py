"""WSGI base class and threaded server runner shared by the CRM emulators.

A subclass implements the CRM (``dispatch``, ``error_response``, ``endpoint_key``, ``dump``,
``load``, ``generate``); this class gives it request counting, fault injection, added latency,
the ``/__admin__/`` HTTP API and an in-process (optionally TLS) werkzeug server.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import socket
import ssl
import tempfile
import threading
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from connectors.emulator_kit.faults import Fault, FaultTable
from connectors.emulator_kit.tls import make_tls_material

ADMIN_PREFIX = "/__admin__/"
log = logging.getLogger(__name__)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (compact separators: the emulators serve big pages)."""
    return Response(
        json.dumps(body, separators=(",", ":")),
        status=status,
        headers=headers,
        content_type="application/json;charset=UTF-8",
    )


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log each request to stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            log.debug(message, *args)


class LoggedRequest(NamedTuple):
    """One API request as received (see ``Emulator.request_log``)."""

    method: str
    path: str
    query: str
    body: bytes


class DroppedConnection(ConnectionAbortedError):
    """Raised inside the app after the socket was shut down on purpose (a ``drop`` fault)."""


class Emulator:
    """Base of both CRM emulators. Thread-safe: state mutation happens under ``self.lock``."""

    name: str = "emulator"

    def __init__(self, *, tls: bool = False, tls_dir: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.counters: collections.Counter[str] = collections.Counter()
        self.faults = FaultTable()
        self.latency_s = 0.0
        self.base_url = ""
        self.tls = tls
        self._tls_dir = tls_dir
        self.server_pem: Path | None = None
        self.ca_path: Path | None = None
        self.unexpected_errors: list[str] = []
        #: Set to a list to record every API request (not admin ones), in arrival order.
        self.request_log: list[LoggedRequest] | None = None
        self._counter_lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    # ----- abstract, per CRM -------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        raise NotImplementedError

    def error_response(self, status: int, fault: Fault) -> Response:
        return json_response({"error": f"injected fault {status}"}, status)

    def endpoint_key(self, method: str, path: str) -> str:
        return f"{method} {path}"

    def dump(self) -> dict[str, Any]:
        raise NotImplementedError

    def load(self, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def generate(self, n: int, seed: int = 0) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Empty state. Default: ``load({})``, so ``load`` of an empty dict must empty it."""
        self.load({})

    def admin_route(self, request: Request, subpath: str) -> Response | None:
        """Hook for CRM-specific admin endpoints under ``/__admin__/``; None = not found."""
        return None

    # ----- Python API ---------------------------------------------------------------------
    def inject(self, fault: Fault) -> None:
        self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset_counters(self) -> None:
        with self._counter_lock:
            self.counters.clear()

    def calls(self, prefix: str = "") -> int:
        """Total counted calls whose endpoint key contains ``prefix`` (all calls when empty)."""
        with self._counter_lock:
            return sum(n for key, n in self.counters.items() if prefix in key)

    def set_latency(self, seconds: float) -> None:
        self.latency_s = max(0.0, float(seconds))

    # ----- WSGI ---------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path.startswith(ADMIN_PREFIX):
            response = self._admin(request)
        else:
            response = self._serve_api(request, environ)
        return response(environ, start_response)

    def _serve_api(self, request: Request, environ: dict[str, Any]) -> Response:
        key = self.endpoint_key(request.method, request.path)
        with self._counter_lock:
            self.counters[key] += 1
            if self.request_log is not None:
                self.request_log.append(LoggedRequest(
                    request.method, request.path, request.query_string.decode("latin-1"),
                    request.get_data(cache=True)))
        if self.latency_s:
            time.sleep(self.latency_s)
        fault = self.faults.take(request.method, request.path)
        if fault is not None and fault.when == "after":
            response = self._dispatch_safely(request)
            return self._apply_fault(fault, environ) or response
        if fault is not None:
            injected = self._apply_fault(fault, environ)
            if injected is not None:
                return injected
        return self._dispatch_safely(request)

    def _apply_fault(self, fault: Fault, environ: dict[str, Any]) -> Response | None:
        """The fault's effects, in order: callback, delay, dropped connection, error status."""
        if fault.on_hit is not None:
            fault.on_hit()
        if fault.delay_s:
            time.sleep(fault.delay_s)
        if fault.drop:
            self._drop_connection(environ)
        if fault.status is None:
            return None
        response = self.error_response(fault.status, fault)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    def _dispatch_safely(self, request: Request) -> Response:
        try:
            return self.dispatch(request)
        except Exception:
            text = traceback.format_exc()
            self.unexpected_errors.append(text)
            log.error(
                "emulator %s failed on %s %s\n%s", self.name, request.method, request.path, text
            )
            return json_response(
                [
                    {
                        "message": "emulator bug: " + text.splitlines()[-1],
                        "errorCode": "UNKNOWN_EXCEPTION",
                    }
                ],
                500,
            )

    @staticmethod
    def _drop_connection(environ: dict[str, Any]) -> None:
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        raise DroppedConnection("fault: connection dropped")

    # ----- admin API ----------------------------------------------------------------------
    def _admin(self, request: Request) -> Response:
        sub = request.path[len(ADMIN_PREFIX) :].strip("/")
        method = request.method
        try:
            body = request.get_json(silent=True) if request.data else None
            if (method, sub) == ("GET", "dump"):
                return json_response(self.dump())
            if (method, sub) == ("POST", "load"):
                self.load(body or {})
                return json_response({"ok": True})
            if (method, sub) == ("POST", "generate"):
                body = body or {}
                self.generate(int(body.get("n", 10)), int(body.get("seed", 0)))
                return json_response({"ok": True})
            if (method, sub) == ("GET", "counters"):
                with self._counter_lock:
                    return json_response(dict(self.counters))
            if (method, sub) == ("POST", "counters/reset"):
                self.reset_counters()
                return json_response({"ok": True})
            if sub == "faults":
                return self._admin_faults(method, body)
            if (method, sub) == ("POST", "latency"):
                self.set_latency(float((body or {}).get("seconds", 0)))
                return json_response({"ok": True})
            if (method, sub) == ("POST", "reset"):
                self.reset()
                return json_response({"ok": True})
            custom = self.admin_route(request, sub)
            if custom is not None:
                return custom
        except (ValueError, TypeError, KeyError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response({"error": f"no admin endpoint {method} {sub}"}, 404)

    def _admin_faults(self, method: str, body: Any) -> Response:
        if method == "GET":
            return json_response([f.to_json() for f in self.faults.active()])
        if method == "DELETE":
            self.clear_faults()
            return json_response({"ok": True})
        if method == "POST":
            items = body if isinstance(body, list) else [body or {}]
            for item in items:
                self.inject(Fault.from_json(item))
            return json_response({"ok": True, "added": len(items)})
        return json_response({"error": "method not allowed"}, 405)

    # ----- server -------------------------------------------------------------------------
    def _ssl_context(self) -> ssl.SSLContext:
        directory = self._tls_dir
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=f"{self.name}-tls-")
            directory = Path(self._tmp.name)
        self.server_pem, self.ca_path = make_tls_material(directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server_pem)
        return context

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on a background thread; returns the base URL (https:// when TLS is on)."""
        if self._server is not None:
            return self.base_url
        context = self._ssl_context() if self.tls else None
        self._server = make_server(
            host,
            port,
            self,
            threaded=True,
            request_handler=_QuietHandler,
            ssl_context=context,
        )
        self._server.daemon_threads = True
        bound_port = self._server.server_port
        scheme = "https" if self.tls else "http"
        shown_host = f"[{host}]" if ":" in host else host
        self.base_url = f"{scheme}://{shown_host}:{bound_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"{self.name}-emulator", daemon=True,
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def serve_forever(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start and block until interrupted (Ctrl-C), then stop."""
        self.start(host, port)
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout=0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
