"""HubSpot keeps one contact per email address: a partner contact whose person already exists in
HubSpot (a customer contact, a newsletter subscriber) is adopted, never created a second time.

Before creating contacts, the connector reads the pushed emails with a batch read by the `email`
id property (one call per 100 emails). A contact found that carries no PRM key (or this one) is
updated by its id instead: it gets the key, the mapping's constants and fields, and the partner
association is added beside the associations it already has (none of them is removed). A contact
found that already is another PRM contact is refused: one HubSpot contact cannot be two PRM rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from connectors.hubspot.client import HubSpotClient
from prm_sync.connector import PushRecord

CONTACTS = "contacts"
EMAIL = "email"
READ_BATCH = 100


@dataclass
class Adoption:
    """What the email look-up found: record index -> CRM id to update, or -> why it is refused."""

    adopt: dict[int, str] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)


def find_existing_contacts(client: HubSpotClient, key_name: str, records: Sequence[tuple[int, PushRecord]],
                           ) -> Adoption:
    """For records to create (no crm_id) that carry an email: the existing contacts to adopt."""
    wanted: dict[str, list[int]] = {}
    for index, record in records:
        email = record.fields.get(EMAIL)
        if record.crm_id is None and isinstance(email, str) and email.strip():
            wanted.setdefault(email.strip().lower(), []).append(index)
    found: dict[str, tuple[str, str | None]] = {}
    emails = list(wanted)
    for start in range(0, len(emails), READ_BATCH):
        body = {"idProperty": EMAIL, "properties": [EMAIL, key_name],
                "inputs": [{"id": email} for email in emails[start:start + READ_BATCH]]}
        answer = client.call(client.batch_api.read_with_http_info, CONTACTS, body) or {}
        for row in answer.get("results") or []:
            properties = row.get("properties") or {}
            email = str(properties.get(EMAIL) or "").strip().lower()
            found[email] = (str(row["id"]), properties.get(key_name) or None)
    adoption = Adoption()
    by_index = dict(records)
    for email, indexes in wanted.items():
        if email not in found:
            continue
        crm_id, holder = found[email]
        for position, index in enumerate(indexes):
            key = by_index[index].key
            if holder not in (None, key):
                adoption.refused[index] = (f"HubSpot contact {crm_id} with email {email} is already the PRM "
                                           f"contact {holder}; HubSpot keeps one contact per email")
            elif position > 0:
                adoption.refused[index] = (f"email {email}: another PRM contact in this push has it; HubSpot "
                                           "keeps one contact per email")
            else:
                adoption.adopt[index] = crm_id
    return adoption
