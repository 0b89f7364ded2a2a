"""qbXML: requests built from ordered models (QuickBooks rejects a whole message set for one element out of
order), answers read with a hardened parser."""
