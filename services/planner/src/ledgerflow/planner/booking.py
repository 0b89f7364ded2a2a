"""A connection's accounts and tax codes (T1) on every plan; rules may set others per order or line after this."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ledgerflow.contracts import DocumentType, LineKind, PlannedDocument, PlannedLine
from ledgerflow.planner.modes import Plan


class Accounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    deposit: str | None = Field(
        default=None, description="Payments and sales receipts go to it (else Undeposited Funds)."
    )
    receivable: str | None = Field(default=None, description="Invoices post to it (else the books' default A/R).")


class TaxCodes(BaseModel):
    """QuickBooks tax codes by line: US companies use TAX and NON; others their own codes by name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    taxable: str | None = None
    non_taxable: str | None = None
    shipping: str | None = Field(default=None, description="Shipping lines (taxable in some states, not others).")


_DEPOSITED = (DocumentType.PAYMENT, DocumentType.SALES_RECEIPT)
_RECEIVABLE = (DocumentType.INVOICE, DocumentType.CREDIT_MEMO)
_SOLD = (LineKind.ITEM, LineKind.FEE)


def with_accounts_and_tax(plan: Plan, accounts: Accounts, tax: TaxCodes) -> Plan:
    if accounts == Accounts() and tax == TaxCodes():
        return plan
    return Plan(tuple(_document(d, accounts, tax) for d in plan.documents), plan.problems)


def _document(doc: PlannedDocument, accounts: Accounts, tax: TaxCodes) -> PlannedDocument:
    update: dict[str, object] = {}
    if doc.type in _DEPOSITED and doc.deposit_account is None and accounts.deposit:
        update["deposit_account"] = accounts.deposit
    if doc.type in _RECEIVABLE and doc.receivable_account is None and accounts.receivable:
        update["receivable_account"] = accounts.receivable
    if doc.type is not DocumentType.PURCHASE_ORDER and doc.lines:
        update["lines"] = tuple(_line(line, tax) for line in doc.lines)
    return doc.model_copy(update=update) if update else doc


def _line(line: PlannedLine, tax: TaxCodes) -> PlannedLine:
    if line.tax_code is not None:
        return line
    code = None
    if line.kind in _SOLD:
        code = tax.taxable if line.taxable else tax.non_taxable
    elif line.kind is LineKind.SHIPPING:
        code = tax.shipping
    return line if code is None else line.model_copy(update={"tax_code": code})
