"""Ledger-writer: posts numbered documents to the books and reports what was posted."""
