"""CRM connectors: one package per CRM, each implementing prm_sync\x27s Connector protocol."""
