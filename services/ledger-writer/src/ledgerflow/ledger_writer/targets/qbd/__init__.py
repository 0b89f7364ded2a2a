"""QuickBooks Desktop as a target: documents become qbXML requests that the Web Connector fetches and answers."""

from ledgerflow.ledger_writer.targets.qbd.registry import DDL as REGISTRY_DDL
from ledgerflow.ledger_writer.targets.qbd.sessions import DDL as SESSIONS_DDL
from ledgerflow.ledger_writer.targets.qbd.wire import DDL as WIRE_DDL

# The target's own tables, in the writer's schema: company files, Web Connector sessions, requests and answers.
DDL = (*REGISTRY_DDL, *SESSIONS_DDL, *WIRE_DDL)

__all__ = ["DDL"]
