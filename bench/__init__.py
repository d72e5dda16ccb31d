"""prm-sync benchmarks (issue 9): `python -m bench [--quick]` writes bench/RESULTS.md.

Layout: `serve` runs an emulated CRM in its own process; `worker` runs one measured sync (or the
bare-SDK baseline) in its own process and reports wall time, API calls and peak RSS; `scenarios`
drives both; `report` turns the samples into RESULTS.md; `emulators` times the emulators' own
serving (issue 3).
"""
