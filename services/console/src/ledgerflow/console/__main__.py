"""``python -m ledgerflow.console``: the console, configured by ``LEDGERFLOW_CONSOLE_*`` variables."""

from ledgerflow.console.app import serve

serve()
