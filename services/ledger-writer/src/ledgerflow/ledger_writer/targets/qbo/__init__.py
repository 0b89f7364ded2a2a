"""QuickBooks Online (Accounting API v3) as a target of the books interface."""

from ledgerflow.ledger_writer.targets.qbo.target import DDL, QuickBooksOnline

__all__ = ["DDL", "QuickBooksOnline"]
