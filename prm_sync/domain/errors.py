"""The one error the pure rules raise: a request the rules refuse (services turn it into UsageError)."""

from __future__ import annotations


class RuleViolation(ValueError):
    """A transition, value or action that the PRM rules do not allow; the message says why."""
