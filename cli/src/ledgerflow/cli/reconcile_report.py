"""The reconciliation as people read it (a summary and the problems, as tables) and as JSON."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ledgerflow.cli.reconcile import Reconciliation

SHOWN_PROBLEMS = 50


def print_report(result: Reconciliation, console: Console, trace_ui: str | None = None) -> None:
    """The summary, the problems and, where a trace UI is known, the way to each dead letter's trace."""
    summary = Table(title=f"Reconciliation of {result.tenant}", show_header=False)
    summary.add_column("what")
    summary.add_column("count", justify="right")
    rows = [
        ("orders", result.orders, False),
        ("documents expected", result.expected_documents, False),
        ("in the books exactly once", result.posted, False),
        ("failed, with the reason", result.failed, False),
        ("missing from the books", result.missing, True),
        ("duplicates in the books", result.duplicates, True),
        ("wrong totals", result.wrong_amounts, True),
        ("wrong balances", result.wrong_balances, True),
        ("stuck", result.stuck, True),
        ("dead letters", result.dead_letters, False),
        ("dead letters without a reason", result.dead_letters_without_reason, True),
        ("in the books, not planned", result.unexplained, False),
    ]
    for label, count, bad in rows:
        summary.add_row(label, Text(str(count), style="red") if bad and count else str(count))
    console.print(summary)
    if result.dead_letter_reasons:
        reasons = ", ".join(f"{code} x{n}" for code, n in result.dead_letter_reasons.most_common())
        console.print(f"dead letters by reason: {reasons}", highlight=False)
    if result.problems:
        problems = Table(title="Problems")
        for column in ("kind", "order", "document", "detail"):
            problems.add_column(column, overflow="fold")
        for problem in result.problems[:SHOWN_PROBLEMS]:
            problems.add_row(problem.kind, problem.order, problem.document, problem.detail)
        console.print(problems)
        if len(result.problems) > SHOWN_PROBLEMS:
            console.print(f"... and {len(result.problems) - SHOWN_PROBLEMS} more (--json lists them all)")
    if trace_ui and result.dead_letter_traces:
        traces = Table(title="Dead letters and their traces")
        for column in ("stage", "reason", "trace"):
            traces.add_column(column, overflow="fold")
        for stage, code, trace_id in result.dead_letter_traces[:SHOWN_PROBLEMS]:
            traces.add_row(stage, code, f"{trace_ui}/trace/{trace_id}")
        console.print(traces)
    verdict = Text("books reconcile", style="green") if result.ok else Text("books do not reconcile", style="red")
    console.print(verdict)


def report_json(result: Reconciliation) -> str:
    return json.dumps(result.as_dict(), indent=2, default=str)
