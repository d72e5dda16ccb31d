"""Notification templates: Jinja2, one file per kind and language with three blocks (subject,
text, html). The html block is rendered with autoescaping on (a partner named `<b>Acme</b>` shows
as text), subject and text without it. `notifications.templates_dir` overrides the shipped files
by name (`vi/registration_approved.j2`); a language without a template falls back to English.

Undefined variables are errors (StrictUndefined), so `prm-sync check` renders every template with
sample data and reports a typo as FILE:LINE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.debug import rewrite_traceback_stack

from prm_sync.domain.notifications import Kind
from prm_sync.errors import UsageError

SHIPPED = Path(__file__).resolve().parent.parent / "notify_templates"
SHIPPED_LANGUAGES = ("en", "vi")
FALLBACK_LANGUAGE = "en"
TEMPLATED_KINDS = tuple(Kind)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    language: str


class TemplateProblem(UsageError):
    """A template that does not render: where (FILE:LINE) and why."""


class Templates:
    def __init__(self, templates_dir: str | Path | None = None) -> None:
        paths = [str(templates_dir)] if templates_dir else []
        loader = ChoiceLoader([FileSystemLoader(p) for p in [*paths, str(SHIPPED)]])
        self.html = Environment(loader=loader, autoescape=True, undefined=StrictUndefined,
                                keep_trailing_newline=True)
        self.text = Environment(loader=loader, autoescape=False, undefined=StrictUndefined,
                                keep_trailing_newline=True)
        for env in (self.html, self.text):
            env.filters["money"] = _money

    def language_of(self, kind: str, language: str | None) -> str:
        wanted = (language or FALLBACK_LANGUAGE).lower()
        try:
            self.text.get_template(f"{wanted}/{kind}.j2")
            return wanted
        except TemplateNotFound:
            return FALLBACK_LANGUAGE

    def render(self, kind: str, language: str | None, context: Mapping[str, Any]) -> Rendered:
        lang = self.language_of(kind, language)
        name = f"{lang}/{kind}.j2"
        try:
            text_template = self.text.get_template(name)
            html_template = self.html.get_template(name)
            subject = " ".join(_block(text_template, "subject", context).split())
            text = _block(text_template, "text", context).strip() + "\n"
            html = _block(html_template, "html", context).strip() + "\n"
        except TemplateSyntaxError as exc:
            raise TemplateProblem(f"{exc.filename or name}:{exc.lineno}: {exc.message}") from None
        except TemplateError as exc:
            rewritten = rewrite_traceback_stack()  # template line numbers instead of compiled code's
            raise TemplateProblem(f"{_where(rewritten.__traceback__, name)}: {exc}") from None
        return Rendered(subject, text, html, lang)


def _block(template: Template, block: str, context: Mapping[str, Any]) -> str:
    render = template.blocks.get(block)
    if render is None:
        raise TemplateProblem(f"{template.filename}: no {{% block {block} %}}")
    return "".join(render(template.new_context(dict(context))))


def _where(tb: TracebackType | None, name: str) -> str:
    """FILE:LINE of the innermost template frame of a rendering error (Jinja maps it to the source)."""
    found = name
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def _money(value: Any, currency: str | None = None) -> str:
    return f"{value} {currency}".strip() if currency else str(value)


def sample_context(kind: str) -> dict[str, Any]:
    """Data every template must render with (check time), shaped as delivery builds it."""
    today = dt.date(2026, 7, 1)
    return {
        "kind": kind, "partner": {"name": "Công ty Ánh Dương", "id": "p-sample"},
        "recipient": {"name": "Nguyễn Thị Hồng", "email": "hong@example.com"},
        "registration_id": "r-sample", "company": "Globex GmbH", "status": "approved", "reason": "existing customer",
        "expires_on": "2026-09-29", "days_left": 7, "estimated_value": "50000.00", "currency": "EUR",
        "conflict_with": "Beta Partners (registration r-other)", "conflict_reason": "same_customer",
        "contract_id": "c-sample", "ends_on": "2026-12-31", "notice_deadline": "2026-10-31", "auto_renew": False,
        "certification": "Sales Professional", "holder": "Lê Văn Tám", "period": "2026-Q3",
        "totals": [{"currency": "EUR", "amount": "1250.00"}],
        "lines": [{"line_id": "l-sample", "deal": "Globex – Software", "kind": "commission", "status": "approved",
                   "rule": "standard / gold", "explanation": "10% of 12500.00 EUR", "currency": "EUR",
                   "amount": "1250.00"}], "today": today.isoformat(),
        "sections": {"waiting_approval": [], "expiring": [], "conflicts": [], "commissions_waiting": [],
                     "score_dropped": []},
    }


def templates_dir_of(templates_dir: str | None, base_dir: str | Path) -> Path | None:
    """`notifications.templates_dir`, relative to the config file's folder."""
    if not templates_dir:
        return None
    path = Path(templates_dir).expanduser()
    return path if path.is_absolute() else Path(base_dir) / path


def check_templates(templates_dir: str | Path | None) -> list[str]:
    """Render every kind in every shipped (and overriding) language with sample data: FILE:LINE problems."""
    templates = Templates(templates_dir)
    languages = set(SHIPPED_LANGUAGES)
    if templates_dir and Path(templates_dir).is_dir():
        languages |= {p.name for p in Path(templates_dir).iterdir() if p.is_dir()}
    problems = []
    for lang in sorted(languages):
        for kind in TEMPLATED_KINDS:
            try:
                templates.text.get_template(f"{lang}/{kind}.j2")
            except TemplateNotFound:
                if lang in SHIPPED_LANGUAGES:
                    problems.append(f"{lang}/{kind}.j2: missing template")
                continue
            except TemplateSyntaxError as exc:
                problems.append(f"{exc.filename}:{exc.lineno}: {exc.message}")
                continue
            try:
                templates.render(kind, lang, sample_context(kind))
            except TemplateProblem as exc:
                problems.append(str(exc))
    return problems
