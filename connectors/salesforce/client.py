"""One simple-salesforce client per connector: HTTP session, login, budget, retries, re-login.

Every SDK call goes through `SalesforceClient.call(fn)`, which checks the daily budget first,
counts the call, classifies SDK exceptions (connectors.salesforce.errors) and runs inside the one
retry policy. Authentication:

- session id + instance URL: no login; an expired session (401) is CrmUnavailable.
- username/password(+security token) via SOAP, or OAuth JWT bearer (consumer key + private key
  file): we log in ourselves (`SalesforceLogin`) and hand the SDK a session id, so that an
  expired session is re-logged in exactly ONCE per failed call (the SDK's own loop would try up
  to three times and not at all for Bulk 2.0); a second 401 is CrmUnavailable.

CA handling: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE beat `session.verify`, so with a
`ca_bundle` configured the session pins it after the environment is merged (proxies and
no_proxy from the environment keep working).

Timeouts: simple-salesforce sends every request (REST, Bulk 2.0, login) through the session we
hand it and sets no timeout of its own, so the session gives each request the configured connect
and read timeouts, cut to what is left of the run's deadline (prm_sync.connector.deadline).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import requests
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import SalesforceExpiredSession

from connectors.salesforce.budget import Budget
from connectors.salesforce.errors import classify
from connectors.salesforce.settings import SalesforceSettings
from connectors.transport_errors import Endpoint
from prm_sync.connector import CrmUnavailable, RetryPolicy, TransientCrmError, call_timeouts

T = TypeVar("T")
log = logging.getLogger(__name__)


class TimedSession(requests.Session):
    """A requests session that gives every request (connect, read) timeouts; without them a
    Salesforce that accepts the connection and never answers keeps a run waiting forever."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = call_timeouts(self.connect_timeout_s, self.read_timeout_s)
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]  # requests accepts bytes URLs; its stubs say str


class PinnedCaSession(TimedSession):
    """A requests session whose `verify` (a CA bundle path) wins over REQUESTS_CA_BUNDLE."""

    def __init__(self, ca_bundle: str) -> None:
        super().__init__()
        self.ca_bundle = ca_bundle
        self.verify = ca_bundle

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
                                   ) -> dict[str, Any]:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None or verify is True:
            settings["verify"] = self.ca_bundle
        return settings


def make_http_session(settings: SalesforceSettings) -> requests.Session:
    session = PinnedCaSession(settings.ca_bundle) if settings.ca_bundle else TimedSession()
    session.connect_timeout_s = settings.connect_timeout_seconds
    session.read_timeout_s = settings.read_timeout_seconds
    return session


def _instance(url: str) -> str:
    return url.split("://", 1)[-1].rstrip("/")


class SalesforceClient:
    def __init__(self, settings: SalesforceSettings, budget: Budget, retry: RetryPolicy,
                 http: requests.Session | None = None) -> None:
        self.settings = settings
        self.budget = budget
        self.retry = retry
        self.http = http if http is not None else make_http_session(settings)
        self.logins = 0
        url = settings.instance_url or f"https://{settings.domain}.salesforce.com"
        self.endpoint = Endpoint("Salesforce", url, settings.ca_bundle, "crm.salesforce.ca_bundle")
        self._sf: Salesforce | None = None
        self._last_usage: Mapping[str, Any] | None = None

    @property
    def login_based(self) -> bool:
        return self.settings.session_id is None

    # ----- connecting ---------------------------------------------------------------------
    def _login(self) -> tuple[str, str]:
        s = self.settings
        self.logins += 1
        if s.consumer_key is not None:
            return SalesforceLogin(username=s.username, consumer_key=s.consumer_key,
                                   privatekey_file=s.private_key_file, domain=s.domain,
                                   sf_version=s.api_version, session=self.http)
        return SalesforceLogin(username=s.username, password=s.password,
                               security_token=s.security_token or "", domain=s.domain,
                               sf_version=s.api_version, session=self.http)

    def _connect(self, fresh_login: bool = False) -> Salesforce:
        if self._sf is not None and not fresh_login:
            return self._sf
        s = self.settings
        if self.login_based:
            session_id, instance = self._login()
        else:
            session_id, instance = str(s.session_id), _instance(str(s.instance_url))
        self._sf = Salesforce(session_id=session_id, instance=instance, session=self.http,
                              version=s.api_version, parse_float=Decimal)
        self._last_usage = self._sf.api_usage
        return self._sf

    # ----- calling ------------------------------------------------------------------------
    def call(self, fn: Callable[[Salesforce], T], cost: int = 1) -> T:
        """Run one SDK call (`cost` HTTP calls) with budget check, classification and retries."""
        try:
            return self.retry.call(lambda: self._attempt(fn, cost))
        except TransientCrmError as exc:
            raise CrmUnavailable(f"Salesforce unreachable after {self.retry.attempts} attempts: {exc}") from exc

    def _attempt(self, fn: Callable[[Salesforce], T], cost: int) -> T:
        self.budget.check(cost)
        try:
            sf = self._connect()
            self.budget.count(cost)
            try:
                result = fn(sf)
            except SalesforceExpiredSession:
                if not self.login_based:
                    raise
                log.info("Salesforce session expired; logging in again (once)")
                sf = self._connect(fresh_login=True)
                self.budget.before_call(cost)
                result = fn(sf)
        except Exception as exc:
            mapped = classify(exc, self.endpoint)
            if mapped is None or mapped is exc:
                raise
            raise mapped from exc
        self._take_usage_reading()
        return result

    def _take_usage_reading(self) -> None:
        if self._sf is not None and self._sf.api_usage is not self._last_usage:
            self._last_usage = self._sf.api_usage
            self.budget.read(self._sf.api_usage)

    def close(self) -> None:
        self.http.close()
        self._sf = None
