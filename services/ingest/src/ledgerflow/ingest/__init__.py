"""Ingest: reads raw channel orders from ``orders.raw`` and emits canonical order versions."""
