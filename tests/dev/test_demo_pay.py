"""The demo's pay step: which pay year it deposits for, its files written once, and the
summary it prints (statistics published and suppressed, with reasons) read from the marts."""

from __future__ import annotations

from datetime import UTC, datetime

from councilbench.dev import demo_pay
from pay_warehouse import Post, build_pay, deposit
from warehouse_copy import warehouse_copy


def test_the_demo_deposits_for_the_pay_year_the_dag_is_due_for():
    assert demo_pay.pay_year_due(datetime(2026, 12, 2, tzinfo=UTC)) == "2026-27"
    assert demo_pay.pay_year_due(datetime(2026, 3, 31, tzinfo=UTC)) == "2025-26"


def test_deposits_are_written_once_with_their_faults(tmp_path):
    assert demo_pay.write_deposits(tmp_path, "2025-26") == 33
    assert demo_pay.write_deposits(tmp_path, "2025-26") == 0  # the same files: kept
    assert (tmp_path / "sandwell" / "pay-2025-26.csv").read_text().splitlines()[0].lower().count("ni") >= 1


def test_the_summary_counts_published_and_suppressed_statistics(reference_template, capsys):
    with warehouse_copy(reference_template, "demo_pay") as wh:
        posts = [Post("accountant", 40_000 + 500 * i) for i in range(3)]
        for code in ("E08000025", "E08000026", "E08000027", "E08000028", "E08000029", "E08000030"):
            deposit(wh, code, posts)
        deposit(wh, "E08000031", [Post("planning_officer", 35_000)])
        build_pay(wh)
        summary = demo_pay.pay_summary(wh, "2025-26")
    assert summary["loaded"] == 7 and summary["posts"] == 19 and summary["rejected"] == []
    assert summary["published"] > 0 and summary["suppressed"] > 0
    assert all("fewer than" in reason or "%" in reason for reason, _ in summary["reasons"])
    demo_pay.print_pay(summary)
    assert "statistics published" in capsys.readouterr().out
