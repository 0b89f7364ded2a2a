"""Pollers for the purchase-order systems that send no webhooks: each round reads what changed since the position
kept in PostgreSQL, re-reads every purchase order still open (a date window misses late receipts), and publishes
each onto purchase_orders.raw; ingest drops what has not changed."""
