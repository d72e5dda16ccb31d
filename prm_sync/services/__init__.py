"""Use cases: short verbs that load, call the domain, and commit (the CLI calls these)."""
