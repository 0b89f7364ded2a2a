"""The ``ledgerflow`` command."""
