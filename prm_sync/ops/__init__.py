"""Running prm-sync unattended: logs (with redaction), progress, metrics, alerts, the scheduler daemon.

Submodules are imported where they are used (the daemon pulls in APScheduler, metrics pull in
prometheus_client); importing this package loads nothing else.
"""
