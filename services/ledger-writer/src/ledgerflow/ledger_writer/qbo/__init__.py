"""QuickBooks Online Accounting API v3 adapter."""
