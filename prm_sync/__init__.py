"""prm-sync: a PRM layer synced both ways with Salesforce or HubSpot."""
