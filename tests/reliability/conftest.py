"""Reliability suite fixtures and its summary line (counts of what the tests really ran)."""

from __future__ import annotations

import pytest

from tests.reliability.ledger import Ledger, ledger_of


@pytest.fixture
def ledger(request: pytest.FixtureRequest) -> Ledger:
    return ledger_of(request.config)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    book = ledger_of(config)
    if not book.empty:
        terminalreporter.write_sep("-", "reliability summary")
        terminalreporter.write_line(book.line())
