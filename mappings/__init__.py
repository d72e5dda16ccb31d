"""Shipped default mappings (salesforce.yaml, hubspot.yaml), installed as package data."""
