"""Leaf utilities with no prm_sync dependency but errors: redaction of secrets, cron parsing."""
