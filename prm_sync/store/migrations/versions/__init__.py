"""Schema revisions, oldest first. Linear history only."""
