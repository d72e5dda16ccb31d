"""HubSpot-style rate limits: a rolling 10-second window, a daily budget, a search limit.

Off by default in the sense of generous: the defaults are far above what tests send, yet the
``X-HubSpot-RateLimit-*`` headers are always present so a client can read its budget.
Times come from the emulator clock (epoch ms), so tests can step time.
"""

from __future__ import annotations

import math
import uuid
from collections import deque
from dataclasses import dataclass


@dataclass
class RateLimits:
    per_interval: int = 1_000_000     # requests per rolling interval (HubSpot: 100-190 / 10 s)
    interval_ms: int = 10_000
    daily: int = 100_000_000          # requests per day (HubSpot: 250,000-1,000,000)
    search_per_second: int = 1_000_000  # HubSpot: about 5 per second per token


@dataclass
class Verdict:
    headers: dict[str, str]
    refusal: dict[str, object] | None = None   # 429 body when refused
    retry_after_s: int = 0


class RateLimiter:
    def __init__(self, limits: RateLimits | None = None) -> None:
        self.limits = limits or RateLimits()
        self._window: deque[int] = deque()
        self._search_window: deque[int] = deque()
        self._day: int | None = None
        self._day_count = 0

    def configure(self, limits: RateLimits) -> None:
        self.limits = limits
        self._window.clear()
        self._search_window.clear()
        self._day, self._day_count = None, 0

    def check(self, now_ms: int, is_search: bool) -> Verdict:
        """Count one request (unless refused) and say whether it may proceed."""
        limits = self.limits
        day = now_ms // 86_400_000
        if day != self._day:
            self._day, self._day_count = day, 0
        window = self._window
        while window and window[0] <= now_ms - limits.interval_ms:
            window.popleft()
        searches = self._search_window
        while searches and searches[0] <= now_ms - 1000:
            searches.popleft()

        def headers(used: int, daily_used: int) -> dict[str, str]:
            return {
                "X-HubSpot-RateLimit-Max": str(limits.per_interval),
                "X-HubSpot-RateLimit-Remaining": str(max(limits.per_interval - used, 0)),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(limits.interval_ms),
                "X-HubSpot-RateLimit-Daily": str(limits.daily),
                "X-HubSpot-RateLimit-Daily-Remaining": str(max(limits.daily - daily_used, 0)),
            }

        if self._day_count >= limits.daily:
            wait = math.ceil((86_400_000 - now_ms % 86_400_000) / 1000)
            return self._refuse(headers(len(window), self._day_count), "DAILY",
                                "You have reached your daily limit.", wait)
        if len(window) >= limits.per_interval:
            wait = max(1, math.ceil((window[0] + limits.interval_ms - now_ms) / 1000))
            return self._refuse(headers(len(window), self._day_count), "TEN_SECONDLY_ROLLING",
                                "You have reached your ten_secondly_rolling limit.", wait)
        if is_search and len(searches) >= limits.search_per_second:
            wait = max(1, math.ceil((searches[0] + 1000 - now_ms) / 1000))
            return self._refuse(headers(len(window), self._day_count), "SECONDLY",
                                "You have reached your secondly limit.", wait)
        window.append(now_ms)
        if is_search:
            searches.append(now_ms)
        self._day_count += 1
        return Verdict(headers(len(window), self._day_count))

    @staticmethod
    def _refuse(headers: dict[str, str], policy: str, message: str, wait_s: int) -> Verdict:
        body: dict[str, object] = {
            "status": "error",
            "message": message,
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": policy,
            "category": "RATE_LIMITS",
            "context": {}, "links": {}, "errors": [],
        }
        headers = {**headers, "Retry-After": str(wait_s)}
        return Verdict(headers, body, wait_s)
