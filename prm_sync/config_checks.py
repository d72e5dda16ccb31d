"""Checks on config values that go beyond their type: transport security and the CA bundle file.

Kept apart from config.py (the schema) so that the rules read in one place:
- a CRM or webhook URL is https; plain http only to a loopback host (127.0.0.0/8, ::1,
  localhost: the local sandbox), since the token would otherwise travel in clear;
- `ca_bundle` is a path relative to the config file, to a readable regular file.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secure_url(value: str, secret: bool = False) -> str:
    """`value` if it is https, or http to a loopback host; ValueError (naming the rule) otherwise.

    An empty value passes (a `${VAR:-}` left empty is reported by the key's own rule)."""
    if not value:
        return value
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        raise ValueError("is not a URL" + (" (its value is not shown: it is a secret)" if secret else "")) from None
    scheme = parts.scheme.lower()
    if scheme == "https":
        return value
    shown = "" if secret else f" '{value}'"
    if scheme == "http":
        if is_loopback_host(host):
            return value
        raise ValueError(f"clear-text http{shown} is refused (credentials would travel unencrypted): use "
                         "https:// (http:// is allowed only to 127.0.0.1, ::1 or localhost, e.g. the sandbox)")
    raise ValueError(f"must be an https:// URL{shown}")


def resolve_ca_bundle(value: str | None, base_dir: Path) -> Path | None:
    """The CA bundle path (relative paths are relative to the config file); None when not set."""
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base_dir / path)


def ca_bundle_problem(path: Path) -> str | None:
    """Why `path` cannot serve as a CA bundle (None: it can)."""
    try:
        if not path.exists():
            return f"CA bundle {path} not found (a relative path is relative to the config file)"
        if not path.is_file():
            return f"CA bundle {path} is not a file"
        if not os.access(path, os.R_OK):
            return f"CA bundle {path} is not readable by this user"
        with path.open("rb") as stream:
            head = stream.read(1 << 20)
    except OSError as exc:
        return f"CA bundle {path} cannot be read: {exc.strerror}"
    if b"-----BEGIN CERTIFICATE-----" not in head:
        return f"CA bundle {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
    return None
