"""Plumbing every ledgerflow service shares; no business rules live here."""
