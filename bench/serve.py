"""An emulated CRM in its own process, driven over stdin/stdout with one JSON object a line.

    python -m bench.serve salesforce|hubspot PARTNERS REGISTRATIONS DEALS
    -> {"base_url": ..., "env": {...}, "settings": {...}, "generate_s": ...}
    <- {"cmd": "touch", "fraction": 0.01}   -> {"changed": n}
    <- {"cmd": "counts"}                     -> {"counts": {endpoint: calls}} (and resets them)
    EOF on stdin stops it.

Its CPU and memory are not counted as prm-sync's (the machine's cores are shared, though).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from bench.dataset import fill, touch


def main(argv: list[str]) -> None:
    crm, partners, registrations, deals = argv[0], *(int(a) for a in argv[1:4])
    with tempfile.TemporaryDirectory(prefix="bench-tls-") as tls_dir:
        started = time.perf_counter()
        if crm == "salesforce":
            from connectors.salesforce.emulator import SalesforceEmulator

            emulator = SalesforceEmulator(tls_dir=Path(tls_dir), daily_api_limit=10_000_000)
            token = emulator.session_id
            env = {"SF_SESSION_ID": token}
        else:
            from connectors.hubspot.emulator import HubSpotEmulator

            token = "pat-bench"
            emulator = HubSpotEmulator(token=token)
            env = {"HUBSPOT_ACCESS_TOKEN": token}
        fill(emulator, partners, registrations, deals)
        generated = time.perf_counter() - started
        url = emulator.start()
        settings = ({"instance_url": url, "session_id": "${SF_SESSION_ID}", "ca_bundle": str(emulator.ca_path)}
                    if crm == "salesforce" else {"access_token": "${HUBSPOT_ACCESS_TOKEN}", "base_url": url})
        _say({"base_url": url, "env": env, "settings": settings, "token": token, "generate_s": generated,
              "ca_path": str(getattr(emulator, "ca_path", "") or "")})
        try:
            for line in sys.stdin:
                command = json.loads(line)
                if command["cmd"] == "touch":
                    _say({"changed": touch(emulator, float(command["fraction"]))})
                elif command["cmd"] == "counts":
                    with emulator.lock:
                        counts = dict(emulator.counters)
                        emulator.reset_counters()
                    _say({"counts": counts})
        finally:
            emulator.stop()


def _say(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
