"""The one-line help of each lazily loaded top-level command, so that `prm-sync --help` lists
the commands without importing their modules (each would pull in the store, the ORM and Alembic).

Keep each entry equal to its command's first help sentence: tests/unit/cli/test_startup_imports.py
compares the root help rendered from here with the one rendered from the commands themselves. A
command missing here still shows (its module is imported for it).
"""

from __future__ import annotations

SHORT_HELP: dict[str, str] = {
    "init": "Write config.yaml, the default mapping and their JSON Schemas into DIRECTORY; create the store.",
    "check": "Validate config.yaml and the mapping it names; exit 2 and list every problem if wrong.",
    "crm": "The CRM itself: prepare it for the mapping (`crm setup`).",
    "db": "Store maintenance.",
    "demo": "Run prm-sync end to end offline: an emulated CRM, a store, a two-way sync, a scorecard.",
    "partners": "The partner registry: add, list, show, lifecycle, tiers, territories, contracts.",
    "leads": "Deal registration: partners register customers; conflicts are flagged; channel managers decide.",
    "commissions": "Commission lines from closed-won partner deals: calculate, review, approve, pay, export.",
    "funds": "Market development funds: budgets, partners' fund requests and claims, spend and ROI.",
    "report": "Reports for channel managers.",
    "sync": "Sync the store with the CRM, both ways.",
    "status": "Last runs, cursors, pending pushes, quarantined records and open conflicts, per entity.",
    "errors": "Quarantined records: `errors` lists them, `errors retry` retries them.",
    "conflicts": "Fields both sides changed, parked by the `manual` policy.",
    "sandbox": "Serve an emulated CRM until Ctrl-C; prints how to point prm-sync at it.",
    "mappings": "The field mapping: its JSON Schema (for editors) and its effective content.",
    "schedule": "Run the syncs of config.schedule on their cron times until stopped.",
    "notify": "Partner notifications: deliver pending emails, list the outbox, preview a template.",
}
