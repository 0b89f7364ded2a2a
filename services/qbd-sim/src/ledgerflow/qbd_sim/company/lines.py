"""One transaction line read from a request: item defaults (description, price or cost, tax code) and pricing."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from ledgerflow.qbd_sim.company import lists
from ledgerflow.qbd_sim.company.context import Context
from ledgerflow.qbd_sim.company.intake import Reader
from ledgerflow.qbd_sim.company.records import Line, Ref
from ledgerflow.qbd_sim.company.values import PRICE_PLACES, money

# Forms that buy: their lines default to the item's purchase cost and carry no sales tax code.
PURCHASES = ("PurchaseOrder", "ItemReceipt", "Bill")
# Forms whose item lines price by Cost where the others price by Rate.
COSTED = ("ItemReceipt", "Bill")
# Line fields the rules interpret; the rest of a line is echoed.
LINE_FIELDS = (
    "TxnLineID",
    "ItemRef",
    "Desc",
    "Quantity",
    "Rate",
    "Cost",
    "RatePercent",
    "Amount",
    "SalesTaxCodeRef",
    "IsManuallyClosed",
    "LinkToTxn",
    "DataExt",
)


def price_line(line: Line, *, item_rate: Decimal | None, amount: Decimal | None) -> None:
    """Amount wins when sent; otherwise Quantity x Rate (Rate from the item when absent), to the cent."""
    if line.rate is None and line.rate_percent is None and amount is None:
        line.rate = item_rate
    if amount is not None:
        line.amount = money(amount)
        if line.rate is None and line.quantity not in (None, Decimal(0)):
            assert line.quantity is not None
            line.rate = (amount / line.quantity).quantize(Decimal(1).scaleb(-PRICE_PLACES))
    elif line.rate is not None:
        quantity = line.quantity if line.quantity is not None else Decimal(1)
        line.amount = money(line.rate * quantity)
    else:
        line.amount = money(Decimal(0))


def read_line(ctx: Context, txn_type: str, element: etree._Element, *, line_id: str | None = None) -> Line:
    reader = Reader(ctx.store, element, f"{txn_type} line")
    line = Line(line_id or ctx.store.new_line_id(), item=reader.ref("ItemRef"))
    item = ctx.store.entries.get(line.item.list_id) if line.item else None
    purchase = txn_type in PURCHASES
    line.desc = (
        reader.text("Desc") if reader.has("Desc") else (lists.item_desc(item, purchase=purchase) if item else None)
    )
    line.quantity = reader.decimal("Quantity")
    line.rate = reader.decimal("Cost" if txn_type in COSTED else "Rate")
    line.rate_percent = reader.decimal("RatePercent")
    item_rate = None
    if item is not None:
        item_rate = lists.item_cost(item) if purchase else lists.item_price(item)
    price_line(line, item_rate=item_rate, amount=reader.decimal("Amount"))
    line.tax_code = reader.ref("SalesTaxCodeRef")
    if line.tax_code is None and item is not None and not purchase:
        code = item.fields.get("SalesTaxCodeRef")
        line.tax_code = code if isinstance(code, Ref) else None
    line.manually_closed = bool(reader.flag("IsManuallyClosed"))
    line.fields = reader.echo(*LINE_FIELDS)
    return line
