"""What differs between company files: the edition, and the behaviours the sources disagree on (switches)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Edition(StrEnum):
    PRO = "pro"
    PREMIER = "premier"
    ENTERPRISE = "enterprise"


# The sales forms QuickBooks numbers from its "next number" (payments carry the customer's check number instead).
AUTO_NUMBERED = frozenset({"SalesOrder", "Invoice", "SalesReceipt", "CreditMemo", "Estimate", "PurchaseOrder"})


@dataclass
class Switches:
    """The reference's unverified points (§7), each a switch so a test can pin the behaviour it relies on."""

    # A transaction Add without RefNumber gets last+1 of its type (False: it stays blank, as Conductor reports).
    auto_number: bool = True
    # Which types auto_number applies to.
    auto_number_types: frozenset[str] = AUTO_NUMBERED
    # ReceivePaymentMod: applications not listed in AppliedToTxnMod are kept (False: removed).
    payment_mod_keeps_unlisted: bool = False
    # TxnDel of an invoice gives its quantities back to the sales order it billed (the SO re-opens).
    delete_invoice_reopens_sales_order: bool = True
    # SalesOrderMod with any line Mod deletes the lines not listed (as documented for InvoiceMod).
    so_line_mods_delete_unlisted: bool = True
    # SDK error recovery: newMessageSetID stores the responses, oldMessageSetID replays them.
    error_recovery: bool = False
    # Multicurrency preference: off, CurrencyRef/ExchangeRate are refused with 3250.
    multicurrency: bool = False
    # Sales orders preference (Premier/Enterprise); off, SalesOrderAdd is refused like on Pro.
    sales_orders_enabled: bool = True
    # The status for SalesOrderAdd on Pro: 3250 (feature not available) or 1030 (request not supported).
    pro_sales_order_code: int = 3250
    # Intuit's sample marks LinkToTxnID as no macro field; integrators link a same-set SalesOrderAdd anyway.
    macro_in_link_to_txn_id: bool = True
    # ":" is the FullName separator; a list name containing it is refused unless this is on.
    names_may_contain_colon: bool = False
    # Connex's quirk: an SO that carries its sales tax as a line item is never closed by invoicing.
    tax_line_keeps_sales_order_open: bool = False
    # Transaction types whose Add is refused with 3250 regardless of edition (e.g. Estimates turned off).
    disabled_types: frozenset[str] = field(default_factory=frozenset)
