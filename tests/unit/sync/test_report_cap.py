"""The run report counts every change and remembers at most `keep_changes` of them (memory stays
flat on a first load of 100,000s); past the cap the pull makes no Change at all."""

from __future__ import annotations

from prm_sync.sync.report import Change, RunReport


def test_past_its_cap_a_report_counts_on_and_keeps_no_more_changes() -> None:
    report = RunReport(keep_changes=2)
    for i in range(3):
        assert report.keeps_changes == (i < 2)
        report.count("partner", "prm", "create", Change("partner", "prm", "create", f"p{i}"))
    assert report.counts["partner"]["prm"]["create"] == 3
    assert [c.key for c in report.changes] == ["p0", "p1"]
    assert not report.keeps_changes

