"""The PRM's rules applied to stored rows: what the sync engine runs where CRM data meets them,
and what the use cases in prm_sync.services share with it. Below sync and services, above the store
and the pure domain rules it applies (prm_sync.domain)."""
