"""Alembic migrations of the prm-sync store (a package so that wheels ship env.py)."""
