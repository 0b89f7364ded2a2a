"""A transaction's Ret: stored fields plus everything QuickBooks computes (totals, balances, links, status)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerflow.qbd_sim.company import ledger
from ledgerflow.qbd_sim.company.context import RetSpec
from ledgerflow.qbd_sim.company.records import Line, Txn
from ledgerflow.qbd_sim.company.render import Nested
from ledgerflow.qbd_sim.company.settings import Switches
from ledgerflow.qbd_sim.company.store import Store
from ledgerflow.qbd_sim.company.values import money

VENDOR_FORMS = ("PurchaseOrder", *ledger.RECEIVING)


def _link(link: ledger.Link) -> Nested:
    return Nested(
        "LinkedTxn",
        {
            "TxnID": link.txn_id,
            "TxnType": link.txn_type,
            "TxnDate": link.txn_date,
            "RefNumber": link.ref_number,
            "LinkType": link.link_type,
            "Amount": link.amount,
        },
    )


def _currency(store: Store, switches: Switches, txn: Txn, amount: Decimal) -> dict[str, Any]:
    if not switches.multicurrency:
        return {}
    entity = store.entries.get(txn.entity.list_id) if txn.entity else None
    currency = entity.fields.get("CurrencyRef") if entity else None
    rate = txn.fields.get("ExchangeRate") or Decimal(1)
    home = money(amount * rate)
    return {
        "CurrencyRef": currency,
        "ExchangeRate": rate,
        "TotalAmountInHomeCurrency": home,
        "BalanceRemainingInHomeCurrency": home,
        "CreditRemainingInHomeCurrency": home,
    }


def _line(store: Store, switches: Switches, txn: Txn, line: Line) -> Nested:
    values: dict[str, Any] = {
        **line.fields,
        "TxnLineID": line.line_id,
        "ItemRef": line.item,
        "Desc": line.desc,
        "Quantity": line.quantity,
        "Rate": line.rate,
        "RatePercent": line.rate_percent,
        "Amount": line.amount,
        "SalesTaxCodeRef": line.tax_code,
    }
    if txn.type == "SalesOrder":
        values["Invoiced"] = ledger.invoiced(store, txn, line)
        values["IsManuallyClosed"] = line.manually_closed
    if txn.type == "PurchaseOrder":
        billed = ledger.received(store, txn, line, types=("Bill",))
        values.update(
            ReceivedQuantity=ledger.received(store, txn, line),
            UnbilledQuantity=max(ledger.ordered(line) - billed, Decimal(0)),
            IsBilled=billed >= ledger.ordered(line),
            IsManuallyClosed=line.manually_closed,
        )
    if txn.type in ledger.RECEIVING:
        values["Cost"] = line.rate
        return Nested("ItemLineRet", values)
    return Nested(f"{txn.type}LineRet", values)


def txn_ret(store: Store, switches: Switches, txn: Txn, *, lines: bool = True, links: bool = True) -> RetSpec:
    entity_field = "VendorRef" if txn.type in VENDOR_FORMS else "CustomerRef"
    values: dict[str, Any] = {
        **txn.fields,
        "TxnID": txn.txn_id,
        "TimeCreated": txn.created,
        "TimeModified": txn.modified,
        "EditSequence": txn.edit_sequence,
        "TxnNumber": txn.txn_number,
        entity_field: txn.entity,
        "TxnDate": txn.txn_date,
        "RefNumber": txn.ref_number,
        "Memo": txn.memo,
    }
    total = ledger.total(store, txn)
    if txn.type == "ReceivePayment":
        values.update(TotalAmount=total, UnusedPayment=ledger.unused_payment(txn), UnusedCredits=Decimal(0))
        values["AppliedToTxnRet"] = [_application(store, txn, a) for a in txn.applications]
        values.update(_currency(store, switches, txn, total))
        return RetSpec("ReceivePaymentRet", "ReceivePaymentRet", values)
    if txn.type in ledger.RECEIVING:
        return _receiving_ret(store, switches, txn, values, lines=lines, links=links)
    if txn.type != "PurchaseOrder":
        values.update(
            Subtotal=ledger.subtotal(txn),
            ItemSalesTaxRef=txn.tax_item,
            SalesTaxPercentage=txn.tax_rate,
            SalesTaxTotal=ledger.sales_tax(store, txn),
        )
    values.update(_currency(store, switches, txn, total))
    if txn.type == "Invoice":
        owed = ledger.balance(store, txn)
        values.update(AppliedAmount=-ledger.reductions(store, txn), BalanceRemaining=owed, IsPaid=owed == 0)
        if switches.multicurrency:
            values["BalanceRemainingInHomeCurrency"] = owed * (txn.fields.get("ExchangeRate") or Decimal(1))
    else:
        values["TotalAmount"] = total
    if txn.type == "CreditMemo":
        values["CreditRemaining"] = ledger.credit_remaining(store, txn)
    if txn.type == "SalesOrder":
        values.update(IsManuallyClosed=txn.manually_closed, IsFullyInvoiced=ledger.fully_invoiced(store, switches, txn))
    if txn.type == "PurchaseOrder":
        values.update(IsManuallyClosed=txn.manually_closed, IsFullyReceived=ledger.fully_received(store, txn))
    if links:
        values["LinkedTxn"] = [_link(link) for link in ledger.linked_txns(store, txn)]
    if lines:
        values[f"{txn.type}LineRet"] = [_line(store, switches, txn, line) for line in txn.lines]
    return RetSpec(f"{txn.type}Ret", f"{txn.type}Ret", values)


def _receiving_ret(
    store: Store, switches: Switches, txn: Txn, values: dict[str, Any], *, lines: bool, links: bool
) -> RetSpec:
    """An item receipt or a bill: a total (a bill's is what is due, nothing being paid here), its lines by cost."""
    total = ledger.total(store, txn)
    if txn.type == "Bill":
        values.update(AmountDue=total, IsPaid=total == 0, OpenAmount=total)
    else:
        values["TotalAmount"] = total
    values.update(_currency(store, switches, txn, total))
    if links:
        values["LinkedTxn"] = [_link(link) for link in ledger.linked_txns(store, txn)]
    if lines:
        values["ItemLineRet"] = [_line(store, switches, txn, line) for line in txn.lines]
    return RetSpec(f"{txn.type}Ret", f"{txn.type}Ret", values)


def _application(store: Store, payment: Txn, application: Any) -> Nested:
    target = store.txns.get(application.txn_id)
    values: dict[str, Any] = {
        **application.fields,
        "TxnID": application.txn_id,
        "TxnType": target.type if target else "Invoice",
        "TxnDate": target.txn_date if target else None,
        "RefNumber": target.ref_number if target else None,
        "BalanceRemaining": ledger.balance(store, target) if target else None,
        "Amount": application.amount,
        "DiscountAmount": application.discount or None,
    }
    credits = []
    for credit_id, amount in application.credits:
        credit = store.txns.get(credit_id)
        if credit is not None:
            credits.append(
                _link(ledger.Link(credit.txn_id, credit.type, credit.txn_date, credit.ref_number, "AMTTYPE", -amount))
            )
    values["LinkedTxn"] = credits
    return Nested("AppliedToTxnRet", values)
