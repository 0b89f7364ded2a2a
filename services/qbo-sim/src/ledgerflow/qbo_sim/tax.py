"""Sales tax as QuickBooks Online's automated sales tax computes it on a sales form.

A company with automated sales tax taxes the lines coded ``TAX`` for a taxable customer at the company's rate;
the tax is added to the form, so ``TotalAmt`` exceeds the sum of the lines (recorded: 582.50 + 46.60 = 629.10).
A client may instead state the tax itself (``TxnTaxDetail.TotalTax``), which QuickBooks then keeps.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerflow.qbo_sim.company import round_money

ZERO = Decimal(0)
TAX_RATE_ID = "1"  # the one rate a simulated company's automated sales tax uses


def taxable_base(lines: list[dict[str, Any]]) -> Decimal:
    """What the tax is computed on: the lines coded TAX (discounts are applied after tax, as QuickBooks'
    ``ApplyTaxAfterDiscount: false`` default says)."""
    return sum(
        (
            line["Amount"]
            for line in lines
            if line.get("DetailType") == "SalesItemLineDetail"
            and ((line.get("SalesItemLineDetail") or {}).get("TaxCodeRef") or {}).get("value") == "TAX"
        ),
        ZERO,
    )


def tax_detail(
    lines: list[dict[str, Any]], rate: Decimal | None, customer_taxable: bool, sent: Any, currency: str
) -> dict[str, Any]:
    """``TxnTaxDetail`` for a form: the tax the client stated, or the company's rate on the taxable lines."""
    stated = sent.get("TotalTax") if isinstance(sent, dict) else None
    base = taxable_base(lines) if customer_taxable else ZERO
    if stated is not None:
        total = round_money(Decimal(str(stated)), currency)
    elif rate is None or base == 0:
        return {"TotalTax": round_money(ZERO, currency)}
    else:
        total = round_money(base * rate / 100, currency)
    detail: dict[str, Any] = {"TotalTax": total}
    if rate is not None:
        detail["TxnTaxCodeRef"] = {"value": TAX_RATE_ID}
        detail["TaxLine"] = [
            {
                "Amount": total,
                "DetailType": "TaxLineDetail",
                "TaxLineDetail": {
                    "TaxRateRef": {"value": TAX_RATE_ID},
                    "PercentBased": True,
                    "TaxPercent": rate,
                    "NetAmountTaxable": round_money(base, currency),
                },
            }
        ]
    return detail
