"""The error tree of prm-sync, written once, here, and the exit code each branch maps to.

    PrmSyncError                      what a user is told, never with a traceback
    ├── UsageError            exit 2  bad config, mapping or usage; carries every Problem found
    │   ├── ConfigError               config.yaml (file:line: path: message)
    │   └── MappingError              mappings/*.yaml (file:line: path: message)
    ├── CrmUnavailable        exit 3  CRM unreachable after retries, or authentication failed
    ├── RunDeadlineReached    exit 3  the run passed sync.max_run_seconds and stopped cleanly
    └── BudgetExhausted       exit 1  the daily API budget (ours or the CRM's) stops the run cleanly;
                                      the next run resumes

    CrmError                          raised by connectors, handled by the engine (never shown raw)
    ├── TransientCrmError             429 / 5xx / connection drop / timeout: retried by RetryPolicy;
    │                                 when the retries run out, the connector raises CrmUnavailable
    ├── MissingCrmField               the CRM lacks a field the mapping names (INVALID_FIELD,
    │                                 PROPERTY_DOESNT_EXIST): reported as a MappingError (exit 2) at
    │                                 the mapping's line, as `check --online` says it
    └── CrmRefusedMapping             the CRM refused a whole request built from the mapping (a
                                      malformed filter, a compound field in a Bulk query, a missing
                                      object, an upsert key that is not one): a MappingError
                                      (exit 2) at the entity, with the CRM's message

    StoreError (prm_sync.store.errors)  a store to create, upgrade or reach: exit 2
    └── LockHeld              exit 75 another prm-sync run holds the store's run lock
        └── LockBroken        exit 75 this run's lock was broken as stale: it may not commit

Connectors raise CrmUnavailable, BudgetExhausted, ConfigError and the CrmError branch; they import
them from `prm_sync.connector`. Anything else is an internal error (a bug, a full disk): exit 70
(EX_SOFTWARE), never 1, which means "record errors or conflicts".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

EXIT_OK = 0
EXIT_RECORD_ERRORS = 1
EXIT_USAGE = 2
EXIT_CRM_UNAVAILABLE = 3
EXIT_INTERNAL = 70      # EX_SOFTWARE: a bug, or the disk is full
EXIT_LOCKED = 75
EXIT_READER_GONE = 141  # 128 + SIGPIPE: the output's reader went away (`prm-sync ... | head`)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a user-edited file: where (file, line, dotted path) and what."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class PrmSyncError(Exception):
    """Base of every error prm-sync reports to a user (never with a traceback)."""

    exit_code = EXIT_USAGE


class UsageError(PrmSyncError):
    """Bad config, mapping or command-line usage. Holds every problem found, not only the first."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            self.problems: list[Problem] = []
            text = problems
        else:
            self.problems = sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.path))
            text = "\n".join(str(p) for p in self.problems)
        super().__init__(text)


class ConfigError(UsageError):
    """config.yaml is wrong."""


class MappingError(UsageError):
    """A mapping file is wrong."""


class CrmUnavailable(PrmSyncError):
    """The CRM cannot be reached, or refused our credentials."""

    exit_code = EXIT_CRM_UNAVAILABLE


class RunDeadlineReached(PrmSyncError):
    """The run passed its deadline (sync.max_run_seconds) and stopped; committed work is kept."""

    exit_code = EXIT_CRM_UNAVAILABLE


class BudgetExhausted(PrmSyncError):
    """The configured daily API budget (or the CRM's own limit) is used up; stop cleanly."""

    exit_code = EXIT_RECORD_ERRORS


class CrmError(Exception):
    """Base of errors raised by connectors."""


class TransientCrmError(CrmError):
    """Worth retrying: rate limited, server error, dropped connection, timeout."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class MissingCrmField(CrmError):
    """The CRM says a field the mapping names does not exist on `crm_object` (found mid-run)."""

    def __init__(self, message: str, *, crm_object: str = "", field: str = "") -> None:
        super().__init__(message)
        self.crm_object = crm_object
        self.field = field


class CrmRefusedMapping(CrmError):
    """The CRM refused, as a whole, a request built from the mapping (a malformed filter, a field it
    cannot read that way, an object it lacks, an upsert key that is not one): retrying cannot help,
    editing the mapping can. Reported as a MappingError (exit 2) at `entities.E.<key>` of the
    entity whose object is `crm_object`, with the CRM's own words."""

    def __init__(self, message: str, *, crm_object: str = "", key: str = "object") -> None:
        super().__init__(message)
        self.crm_object = crm_object
        self.key = key
