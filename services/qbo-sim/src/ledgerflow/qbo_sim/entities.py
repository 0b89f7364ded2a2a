"""Entity rules: required fields, references, totals, balances, links, numbers and versions.

Every rule answers with the error code QuickBooks Online gives for it (see errors.py).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ledgerflow.qbo_sim import forms
from ledgerflow.qbo_sim.company import HOME_CURRENCY, Company, round_money
from ledgerflow.qbo_sim.errors import (
    QboFault,
    business_rule,
    duplicate_doc_number,
    duplicate_name,
    inactive_reference,
    invalid_reference,
    object_not_found,
    required_missing,
    stale_object,
    string_length,
    unknown_property,
    unsupported,
)
from ledgerflow.qbo_sim.schema import check_properties
from ledgerflow.qbo_sim.tax import tax_detail

DOC_NUMBER_LIMIT = 21
ZERO = Decimal(0)
_DELETED = re.compile(r"(.*) \(deleted(?:-\d+)?\)")

# URL resource name -> entity name, as in /v3/company/{realm}/{resource}.
RESOURCES: dict[str, str] = {
    "customer": "Customer",
    "vendor": "Vendor",
    "item": "Item",
    "account": "Account",
    "taxcode": "TaxCode",
    "class": "Class",
    "department": "Department",
    "invoice": "Invoice",
    "salesreceipt": "SalesReceipt",
    "estimate": "Estimate",
    "creditmemo": "CreditMemo",
    "refundreceipt": "RefundReceipt",
    "payment": "Payment",
    "purchaseorder": "PurchaseOrder",
    "bill": "Bill",
}
NAME_LISTS = ("Customer", "Vendor")
# Lists whose inactive records a plain query leaves out and whose deactivation frees the name.
DEACTIVATED_NAMES = {"Customer": "DisplayName", "Vendor": "DisplayName", "Item": "Name", "Account": "Name",
                     "Class": "Name", "Department": "Name"}  # fmt: skip
CLASSIFICATIONS = ("Class", "Department")  # Department is what the QuickBooks Online UI calls a location
SALES_FORMS = ("Invoice", "SalesReceipt", "Estimate", "CreditMemo", "RefundReceipt")
TRANSACTIONS = (*SALES_FORMS, "Payment", "PurchaseOrder", "Bill")
TXN_TYPE_LABELS = {
    "Invoice": "Invoice",
    "SalesReceipt": "Sales Receipt",
    "Estimate": "Estimate",
    "CreditMemo": "Credit Memo",
    "RefundReceipt": "Refund Receipt",
    "PurchaseOrder": "Purchase Order",
    "Bill": "Bill",
}
ITEM_TYPES = ("Inventory", "NonInventory", "Service", "Group", "Category")
ITEM_ACCOUNTS = ("IncomeAccountRef", "ExpenseAccountRef")
INVENTORY_REQUIRED = ("QtyOnHand", "InvStartDate", "AssetAccountRef", "IncomeAccountRef", "ExpenseAccountRef")
READ_ONLY = ("TotalAmt", "Balance", "HomeTotalAmt", "HomeBalance", "UnappliedAmt", "RemainingCredit", "MetaData",
             "domain", "status")  # fmt: skip


@dataclass(frozen=True)
class Rules:
    """Behaviours the sources leave open, as settings."""

    estimate_closed_status: str = "Closed"
    purchase_order_needs_ap_account: bool = True
    # Whether QuickBooks takes back the LineEx it put on a payment's lines, in an update (D16): "accept" or
    # "refuse" (2010 naming LineEx).
    line_ex_on_update: str = "accept"
    # Whether a query on a field Intuit's reference does not list as filterable is refused (4001), as
    # integrators report; the fault text was not captured (D13).
    filterable_fields_only: bool = True
    # Intuit's own samples query ``from estimate``; older notes say entity names are case-sensitive (D10):
    # "insensitive" or "sensitive" (4001).
    query_entity_case: str = "insensitive"

    def __post_init__(self) -> None:
        choices = {"line_ex_on_update": ("accept", "refuse"), "query_entity_case": ("insensitive", "sensitive")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}")

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Rules:
        known = {f.name for f in dataclass_fields(cls)}
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown rules: {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        return cls(**body)

    @classmethod
    def parse(cls, spec: str | None) -> Rules:
        """``line_ex_on_update=refuse,filterable_fields_only=false`` (``ledgerflow sim --rules``)."""
        values: dict[str, Any] = {}
        for part in (spec or "").split(","):
            if not part.strip():
                continue
            key, _, raw = part.strip().partition("=")
            values[key] = {"true": True, "false": False}.get(raw.lower(), raw)
        return cls.from_dict(values)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Books:
    """The operations of the v3 API on one company."""

    def __init__(self, company: Company, rules: Rules | None = None, hidden: frozenset[str] = frozenset()) -> None:
        self.company = company
        self.rules = rules or Rules()
        # Records created earlier in the same batch: its items cannot see each other's results.
        self.hidden = hidden

    # ---- create -------------------------------------------------------------------------------

    def create(self, entity: str, body: dict[str, Any], *, allow_duplicate: bool = False) -> dict[str, Any]:
        if entity == "TaxCode":
            raise unsupported("/taxcode (create)")
        check_properties(entity, body)
        fields = self._validated(entity, body, existing=None, allow_duplicate=allow_duplicate)
        record = self.company.store(entity, fields)
        self._after_write(entity, record, previous=None)
        return record

    # ---- update (full or sparse) --------------------------------------------------------------

    def update(self, entity: str, body: dict[str, Any], *, allow_duplicate: bool = False) -> dict[str, Any]:
        check_properties(entity, body)
        record = self._current(entity, body)
        lines = [line for line in body.get("Line") or [] if isinstance(line, dict)]
        if entity == "Payment" and self.rules.line_ex_on_update == "refuse" and any("LineEx" in x for x in lines):
            raise unknown_property("LineEx", ["Amount", "LinkedTxn"])
        previous = dict(record)
        # A sparse update changes only the fields sent; a full update replaces the writable fields.
        merged = (
            {**_writable(entity, record), **_writable(entity, body)}
            if body.get("sparse") is True
            else _writable(entity, body)
        )
        if body.get("sparse") is True and "TxnTaxDetail" not in body:
            merged.pop("TxnTaxDetail", None)  # computed again, unless the client states the tax
        _rename_on_deactivation(self.company, entity, record, merged)
        fields = self._validated(entity, merged, existing=record, allow_duplicate=allow_duplicate)
        kept: dict[str, Any] = {k: record[k] for k in ("Id", "SyncToken", "MetaData", "domain") if k in record}
        if {**fields, **kept, "sparse": False} == record:
            return record  # nothing changed: QuickBooks keeps the SyncToken and the time of the last change
        record.clear()
        # Always false in answers, even to a sparse update (recorded).
        record.update({**fields, **kept, "sparse": False})
        Company.touch(record)
        self.company.reindex(entity, record, previous)
        self._after_write(entity, record, previous=previous)
        return record

    # ---- delete and void ----------------------------------------------------------------------

    def delete(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        if entity not in TRANSACTIONS:
            raise unsupported(f"/{entity.lower()}?operation=delete (make a name-list entity inactive instead)")
        record = self._current(entity, body)
        if entity == "Invoice" and self.company.payments_by_invoice.get(record["Id"]):
            raise business_rule("This transaction has payments applied to it; delete the payments first.")
        self.company.remove(entity, record)
        if entity == "Payment":
            self._unapply(record["Id"])
        return {"Id": record["Id"], "status": "Deleted", "domain": "QBO"}

    def void(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        if entity not in ("Invoice", "Payment", "SalesReceipt"):
            raise unsupported(f"/{entity.lower()} (void)")
        record = self._current(entity, body)
        if entity == "Invoice" and self.company.payments_by_invoice.get(record["Id"]):
            raise business_rule("This invoice has payments applied to it; void or delete the payments first.")
        if entity == "Payment":
            self._unapply(record["Id"])
            record["UnappliedAmt"] = ZERO
            record["Line"] = []
        for line in record.get("Line", []):
            line["Amount"] = ZERO
        record["TotalAmt"] = ZERO
        if "Balance" in record:
            record["Balance"] = ZERO
        record["PrivateNote"] = "Voided"
        self.company.voided.add(record["Id"])
        Company.touch(record)
        return record

    # ---- validation ---------------------------------------------------------------------------

    def _current(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("Id"):
            raise required_missing("Id")
        record = self.company.get(entity, str(body["Id"]))
        if record is None:
            raise object_not_found(entity, str(body["Id"]))
        if body.get("SyncToken") is None:
            raise required_missing("SyncToken")
        if str(body["SyncToken"]) != record["SyncToken"]:
            raise stale_object()
        return record

    def _validated(
        self, entity: str, body: dict[str, Any], *, existing: dict[str, Any] | None, allow_duplicate: bool
    ) -> dict[str, Any]:
        if entity in NAME_LISTS:
            return self._name_list(entity, body, existing)
        if entity == "Item":
            return self._item(body, existing)
        if entity == "Account":
            return self._account(body, existing)
        if entity in CLASSIFICATIONS:
            return self._classification(entity, body, existing)
        if entity in SALES_FORMS:
            return self._sales_form(entity, body, existing, allow_duplicate)
        if entity == "Payment":
            return self._payment(body, existing)
        if entity == "PurchaseOrder":
            return self._purchase_order(body, existing, allow_duplicate)
        if entity == "Bill":
            return self._bill(body, existing)
        raise unsupported(f"/{entity.lower()}")

    def _ref(self, body: dict[str, Any], name: str, entity: str, *, required: bool) -> str | None:
        ref = body.get(name)
        if not isinstance(ref, dict) or not ref.get("value"):
            if required:
                raise required_missing(name)
            return None
        value = str(ref["value"])
        record = self.company.get(entity, value)
        if record is None or value in self.hidden:
            raise invalid_reference(name, entity, value)
        if not record.get("Active", True):
            raise inactive_reference(entity, value)
        return value

    def _unique_name(self, entities: tuple[str, ...], field: str, name: str, existing: dict[str, Any] | None) -> None:
        own = existing["Id"] if existing else None
        for other in entities:
            if any(r["Id"] != own for r in self.company.find(other, field, name)):
                raise duplicate_name(name)

    def _name_list(self, entity: str, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        name = body.get("DisplayName") or " ".join(
            str(body[p]) for p in ("GivenName", "MiddleName", "FamilyName") if body.get(p)
        )
        if not name:
            raise QboFault("6080", "No Name Provided", "Please provide a name (DisplayName or GivenName/FamilyName).")
        self._unique_name(NAME_LISTS, "DisplayName", name, existing)
        currency = (
            _currency(body)
            if "CurrencyRef" in body
            else (existing or {}).get("CurrencyRef", {}).get("value", HOME_CURRENCY)
        )
        self._check_currency_allowed(currency)
        changed = existing is not None and currency != existing.get("CurrencyRef", {}).get("value", currency)
        if existing is not None and changed and self._has_transactions(entity, existing["Id"]):
            raise business_rule("You can't change the currency of a customer or vendor that has transactions.")
        fields = {**body, "DisplayName": name, "Active": body.get("Active", True), "Balance": ZERO,
                  "CurrencyRef": forms.currency_ref(currency), "FullyQualifiedName": name,
                  "PrintOnCheckName": body.get("PrintOnCheckName", name)}  # fmt: skip
        if entity == "Customer":
            fields.update({"Taxable": body.get("Taxable", True), "Job": body.get("Job", False),
                           "BillWithParent": body.get("BillWithParent", False), "BalanceWithJobs": ZERO,
                           "PreferredDeliveryMethod": body.get("PreferredDeliveryMethod", "Print")})  # fmt: skip
        return fields

    def _check_currency_allowed(self, currency: str) -> None:
        if currency != HOME_CURRENCY and not self.company.preferences.multi_currency:
            raise business_rule(f"Multicurrency is off in this company: {currency} cannot be used.")

    def _has_transactions(self, entity: str, record_id: str) -> bool:
        field = "CustomerRef" if entity == "Customer" else "VendorRef"
        return any(
            (r.get(field) or {}).get("value") == record_id for t in TRANSACTIONS for r in self.company.table(t).values()
        )

    def _check_customer_currency(self, customer: str | None, currency: str) -> None:
        """A customer has one currency, and its transactions are in it."""
        self._check_currency_allowed(currency)
        if customer is None:
            return
        record = self.company.get("Customer", customer)
        own = ((record or {}).get("CurrencyRef") or {}).get("value", HOME_CURRENCY)
        if own != currency:
            raise business_rule(
                f"The transaction's currency ({currency}) must be the customer's currency ({own}). A customer "
                "has one currency: use a customer of that currency."
            )

    def _item(self, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        name = body.get("Name")
        if not name:
            raise required_missing("Name")
        self._unique_name(("Item",), "Name", name, existing)
        item_type = body.get("Type")
        if item_type is None:
            raise required_missing("Type")  # required since minorversion 4
        if item_type not in ITEM_TYPES:
            raise QboFault("2170", "Invalid Enumeration", f"Type: {item_type}", element="Type")
        if existing is not None and existing.get("TrackQtyOnHand") and body.get("TrackQtyOnHand") is False:
            raise business_rule("TrackQtyOnHand cannot be turned off once it is on.")
        if item_type == "Inventory":
            for field in ("TrackQtyOnHand", *INVENTORY_REQUIRED):
                if body.get(field) is None:
                    raise required_missing(field)
        if item_type in ("NonInventory", "Service") and not any(_has_ref(body, ref) for ref in ITEM_ACCOUNTS):
            raise QboFault(
                "2020",
                "Required param missing, need to supply the required value for the API",
                "Required parameter ExpenseAccountRef or IncomeAccountRef is missing in the request",
                element="IncomeAccountRef",
            )
        for ref in ("AssetAccountRef", "IncomeAccountRef", "ExpenseAccountRef"):
            self._ref(body, ref, "Account", required=False)
        self._ref(body, "PrefVendorRef", "Vendor", required=False)
        fields = {**body, "Type": item_type, "FullyQualifiedName": name, "Active": body.get("Active", True)}
        if body.get("PurchaseCost") is not None:
            fields["PurchaseCost"] = _money(body["PurchaseCost"], "PurchaseCost")
        return fields

    def _account(self, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        for field in ("Name", "AccountType"):
            if not body.get(field):
                raise required_missing(field)
        self._unique_name(("Account",), "Name", body["Name"], existing)
        return {**body, "FullyQualifiedName": body["Name"], "Active": body.get("Active", True)}

    def _classification(self, entity: str, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        if not body.get("Name"):
            raise required_missing("Name")
        self._unique_name((entity,), "Name", body["Name"], existing)
        return {**body, "FullyQualifiedName": body["Name"], "Active": body.get("Active", True)}

    def _classified(self, body: dict[str, Any]) -> None:
        """A transaction's class, location, receivable and deposit accounts must exist when given."""
        self._ref(body, "ClassRef", "Class", required=False)
        self._ref(body, "DepartmentRef", "Department", required=False)
        self._ref(body, "ARAccountRef", "Account", required=False)
        self._ref(body, "DepositToAccountRef", "Account", required=False)

    def _sales_form(
        self, entity: str, body: dict[str, Any], existing: dict[str, Any] | None, allow_duplicate: bool
    ) -> dict[str, Any]:
        currency = _currency(body)
        customer = self._ref(body, "CustomerRef", "Customer", required=entity in ("Invoice", "Estimate", "CreditMemo"))
        self._check_customer_currency(customer, currency)
        if entity == "RefundReceipt":
            self._ref(body, "DepositToAccountRef", "Account", required=True)
        self._classified(body)
        lines, net = self._sales_lines(body.get("Line"), currency, (existing or {}).get("Line") or [])
        customer_record = self.company.get("Customer", customer) if customer else None
        taxable = bool((customer_record or {}).get("Taxable", True))
        taxed = tax_detail(lines, self.company.preferences.sales_tax_rate, taxable, body.get("TxnTaxDetail"), currency)
        total = round_money(net + taxed["TotalTax"], currency)
        fields = {**body, "Line": [*forms.sales_lines(self.company, lines), forms.subtotal_line(lines)],
                  "TotalAmt": total, "CurrencyRef": forms.currency_ref(currency), "TxnTaxDetail": taxed,
                  "CustomerRef": forms.named(self.company, body.get("CustomerRef"), "Customer", "DisplayName"),
                  "ApplyTaxAfterDiscount": False, "PrintStatus": body.get("PrintStatus", "NotSet"),
                  "EmailStatus": body.get("EmailStatus", "NotSet")}  # fmt: skip
        if fields["CustomerRef"] is None:
            del fields["CustomerRef"]
        fields.setdefault("TxnDate", _today())
        if entity == "Invoice":
            fields.setdefault("DueDate", fields["TxnDate"])
        if entity == "SalesReceipt" and not _has_ref(body, "DepositToAccountRef"):
            deposit = forms.default_deposit(self.company)
            if deposit is not None:
                fields["DepositToAccountRef"] = deposit
        if currency != HOME_CURRENCY:
            rate = _money(body.get("ExchangeRate", 1), "ExchangeRate")
            fields["ExchangeRate"] = rate
            fields["HomeTotalAmt"] = round_money(total * rate, HOME_CURRENCY)
        number = self._doc_number(entity, body, existing, allow_duplicate, self.company.preferences.custom_txn_numbers)
        if number is not None:
            fields["DocNumber"] = number
        client_links = [link for link in body.get("LinkedTxn") or [] if link.get("TxnType") == "Estimate"]
        if entity == "Invoice" and existing is None:
            for link in client_links:
                self._check_estimate_link(str(link.get("TxnId")), customer)
        if entity == "Invoice":
            applied = self._applied_to(existing["Id"]) if existing else ZERO
            if applied > total:
                raise business_rule(f"The invoice total {total} is less than the {applied} already paid on it.")
            fields["Balance"] = total - applied
            if currency != HOME_CURRENCY:
                fields["HomeBalance"] = round_money(fields["Balance"] * fields["ExchangeRate"], HOME_CURRENCY)
            payment_links = [link for link in (existing or {}).get("LinkedTxn", []) if link.get("TxnType") == "Payment"]
            fields["LinkedTxn"] = [*client_links, *payment_links]
        elif entity == "Estimate":
            fields["TxnStatus"] = body.get("TxnStatus") or (existing or {}).get("TxnStatus") or "Pending"
            fields["LinkedTxn"] = (existing or {}).get("LinkedTxn", [])
        elif entity == "CreditMemo":
            fields["Balance"] = fields["RemainingCredit"] = total
        else:
            fields["Balance"] = ZERO
        return fields

    def _sales_lines(
        self, lines: Any, currency: str, existing: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], Decimal]:
        if not isinstance(lines, list) or not forms.without_subtotals(lines):
            raise required_missing("Line")
        total = ZERO
        stored = []
        # A line sent again with its Id keeps it; a new line takes the next id after the document's last.
        known = {str(line["Id"]) for line in existing if line.get("Id")}
        next_id = max((int(i) for i in known if i.isdigit()), default=0) + 1
        for number, line in enumerate(forms.without_subtotals(lines), start=1):
            detail_type = line.get("DetailType")
            amount = round_money(_money(line.get("Amount", 0), "Line.Amount"), currency)
            if detail_type == "SalesItemLineDetail":
                detail = line.get("SalesItemLineDetail") or {}
                self._ref(detail, "ItemRef", "Item", required=True)
                self._ref(detail, "ClassRef", "Class", required=False)
                _check_amount(detail, amount, currency)
                _check_tax_code(detail)
                total += amount
            elif detail_type == "DiscountLineDetail":
                detail = line.get("DiscountLineDetail") or {}
                self._ref(detail, "ClassRef", "Class", required=False)
                _check_tax_code(detail)
                total -= amount
            elif detail_type != "DescriptionOnly":
                raise QboFault("2170", "Invalid Enumeration", f"DetailType: {detail_type}", element="DetailType")
            line_id = str(line.get("Id") or "")
            if line_id not in known:
                line_id, next_id = str(next_id), next_id + 1
            stored.append({**line, "Id": line_id, "LineNum": number, "Amount": amount})
        return stored, round_money(total, currency)

    def _doc_number(
        self, entity: str, body: dict[str, Any], existing: dict[str, Any] | None, allow_duplicate: bool, custom: bool
    ) -> str | None:
        number = body.get("DocNumber")
        if number is None or number == "":
            if existing is not None:
                return existing.get("DocNumber")
            if custom:
                return None  # custom numbers on and none sent: the document has no number
            return _next_in_sequence(self.company.last_doc_number.get(entity))
        number = str(number)
        if len(number) > DOC_NUMBER_LIMIT:
            raise string_length("DocNumber", DOC_NUMBER_LIMIT, len(number))
        own = existing["Id"] if existing else None
        if not allow_duplicate:
            for other in self.company.find(entity, "DocNumber", number):
                if other["Id"] != own:
                    raise duplicate_doc_number(number, TXN_TYPE_LABELS.get(entity, entity), other["Id"])
        return number

    def _check_estimate_link(self, estimate_id: str, customer: str | None) -> None:
        estimate = self.company.get("Estimate", estimate_id)
        if estimate is None or estimate_id in self.hidden:
            raise invalid_reference("LinkedTxn", "Estimate", estimate_id)
        if customer is not None and estimate["CustomerRef"]["value"] != customer:
            raise QboFault("620", "Transaction can not be linked", "The estimate belongs to another customer.")
        if any(link.get("TxnType") == "Invoice" for link in estimate.get("LinkedTxn", [])):
            raise QboFault(
                "620",
                "Transaction can not be linked",
                f"Only one link can be made to an Estimate; estimate {estimate_id} is already linked to an invoice.",
            )

    def _payment(self, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        customer = self._ref(body, "CustomerRef", "Customer", required=True)
        self._classified(body)
        if body.get("TotalAmt") is None:
            raise required_missing("TotalAmt")
        currency = _currency(body)
        self._check_customer_currency(customer, currency)
        total = round_money(_money(body["TotalAmt"], "TotalAmt"), currency)
        own = self.company.applications.get(existing["Id"], {}) if existing else {}
        applied = ZERO
        lines = []
        for line in body.get("Line") or []:
            amount = round_money(_money(line.get("Amount", 0), "Line.Amount"), currency)
            for link in line.get("LinkedTxn") or []:
                if link.get("TxnType") != "Invoice":
                    continue
                invoice = self.company.get("Invoice", str(link.get("TxnId")))
                if invoice is None or invoice["Id"] in self.hidden:
                    raise invalid_reference("LinkedTxn", "Invoice", str(link.get("TxnId")))
                if invoice["CustomerRef"]["value"] != customer:
                    raise QboFault("620", "Transaction can not be linked", "The invoice belongs to another customer.")
                due = invoice["Balance"] + own.get(invoice["Id"], ZERO)
                if amount > due:
                    raise business_rule(f"The payment amount {amount} is more than the amount due {due}.")
                applied += amount
                line = {**line, "LineEx": forms.line_ex(invoice)}
            lines.append({**line, "Amount": amount})
        if applied > total:
            raise business_rule(f"The amount applied to invoices ({applied}) exceeds the payment total ({total}).")
        fields = {**body, "Line": lines, "TotalAmt": total, "UnappliedAmt": total - applied,
                  "CurrencyRef": forms.currency_ref(currency), "TxnDate": body.get("TxnDate") or _today(),
                  "CustomerRef": forms.named(self.company, body["CustomerRef"], "Customer", "DisplayName"),
                  "ProcessPayment": body.get("ProcessPayment", False)}  # fmt: skip
        if not _has_ref(body, "DepositToAccountRef"):
            deposit = forms.default_deposit(self.company)
            if deposit is not None:
                fields["DepositToAccountRef"] = deposit
        return fields

    def _purchase_order(
        self, body: dict[str, Any], existing: dict[str, Any] | None, allow_duplicate: bool
    ) -> dict[str, Any]:
        currency = _currency(body)
        self._ref(body, "VendorRef", "Vendor", required=True)
        self._ref(body, "APAccountRef", "Account", required=self.rules.purchase_order_needs_ap_account)
        stored, total = self._expense_lines(body.get("Line"), currency)
        fields = {**body, "Line": stored, "TotalAmt": total, "CurrencyRef": {"value": currency},
                  "POStatus": body.get("POStatus") or (existing or {}).get("POStatus") or "Open"}  # fmt: skip
        if existing is not None:
            fields["LinkedTxn"] = existing.get("LinkedTxn", [])  # the bills linked to it are QuickBooks' to keep
        fields.setdefault("TxnDate", _today())
        custom = self.company.preferences.purchase_custom_txn_numbers
        number = self._doc_number("PurchaseOrder", body, existing, allow_duplicate, custom)
        if number is not None:
            fields["DocNumber"] = number
        return fields

    def _expense_lines(self, lines: Any, currency: str) -> tuple[list[dict[str, Any]], Decimal]:
        """Purchase lines: an item (quantity x rate) or an expense account."""
        if not isinstance(lines, list) or not lines:
            raise required_missing("Line")
        total = ZERO
        stored = []
        for index, line in enumerate(lines, start=1):
            amount = round_money(_money(line.get("Amount", 0), "Line.Amount"), currency)
            detail_type = line.get("DetailType")
            if detail_type == "ItemBasedExpenseLineDetail":
                detail = line.get("ItemBasedExpenseLineDetail") or {}
                self._ref(detail, "ItemRef", "Item", required=True)
                _check_amount(detail, amount, currency)
            elif detail_type == "AccountBasedExpenseLineDetail":
                self._ref(line.get("AccountBasedExpenseLineDetail") or {}, "AccountRef", "Account", required=True)
            else:
                raise QboFault("2170", "Invalid Enumeration", f"DetailType: {detail_type}", element="DetailType")
            total += amount
            stored.append({**line, "Id": str(index), "LineNum": index, "Amount": amount})
        return stored, round_money(total, currency)

    def _bill(self, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        """A vendor's bill; its lines may link the purchase orders they bill (``LinkedTxn`` of type PurchaseOrder),
        which must be open, the same vendor's and in the same currency."""
        currency = _currency(body)
        vendor = self._ref(body, "VendorRef", "Vendor", required=True)
        self._ref(body, "APAccountRef", "Account", required=False)
        stored, total = self._expense_lines(body.get("Line"), currency)
        linked = {str(link.get("TxnId")) for line in stored for link in line.get("LinkedTxn") or []
                  if isinstance(link, dict)}  # fmt: skip
        for line in stored:
            for link in line.get("LinkedTxn") or []:
                if not isinstance(link, dict) or link.get("TxnType") != "PurchaseOrder":
                    raise QboFault("2170", "Invalid Enumeration", f"LinkedTxn.TxnType: {link!r}", element="TxnType")
        previously = {str(link["TxnId"]) for link in (existing or {}).get("LinkedTxn", [])}
        for po_id in sorted(linked - previously):
            self._check_purchase_order_link(po_id, vendor, currency)
        number = body.get("DocNumber")
        if number is not None and len(str(number)) > DOC_NUMBER_LIMIT:
            raise QboFault("6000", "A business validation error has occurred while processing your request",
                           f"String length is either shorter or longer than supported by specification. Min:0 Max:"
                           f"{DOC_NUMBER_LIMIT} supported. Supplied length:{len(str(number))}",
                           element="DocNumber")  # fmt: skip
        # Bill payments are not simulated: a bill's balance is its total. QuickBooks lists the purchase orders a
        # bill's lines link at the bill's own LinkedTxn as well.
        links = [{"TxnId": po_id, "TxnType": "PurchaseOrder"} for po_id in sorted(linked)]
        return {**body, "Line": stored, "TotalAmt": total, "Balance": total, "CurrencyRef": {"value": currency},
                "TxnDate": body.get("TxnDate") or _today(), "LinkedTxn": links}  # fmt: skip

    def _check_purchase_order_link(self, po_id: str, vendor: str | None, currency: str) -> None:
        po = self.company.get("PurchaseOrder", po_id)
        if po is None:
            raise object_not_found("PurchaseOrder", po_id)
        if po["VendorRef"]["value"] != vendor:
            raise QboFault("620", "Transaction can not be linked", "The purchase order belongs to another vendor.")
        if po["CurrencyRef"]["value"] != currency:
            raise QboFault("620", "Transaction can not be linked", "The purchase order is in another currency.")
        if po.get("POStatus") == "Closed":
            raise QboFault("620", "Transaction can not be linked", f"Purchase order {po_id} is closed.")

    def _bill_purchase_orders(self, bill: dict[str, Any]) -> None:
        """A bill linked to a purchase order is listed on it, and the purchase order closes once every item line
        is billed in full, as QuickBooks does."""
        for link in bill.get("LinkedTxn", []):
            po = self.company.table("PurchaseOrder").get(str(link["TxnId"]))
            if po is None:
                continue
            entry = {"TxnId": bill["Id"], "TxnType": "Bill"}
            if entry not in po.get("LinkedTxn", []):
                po["LinkedTxn"] = [*po.get("LinkedTxn", []), entry]
            if self._fully_billed(po):
                po["POStatus"] = "Closed"
            Company.touch(po)

    def _fully_billed(self, po: dict[str, Any]) -> bool:
        billed: dict[str, Decimal] = {}
        for link in po.get("LinkedTxn", []):
            bill = self.company.get("Bill", str(link["TxnId"])) if link.get("TxnType") == "Bill" else None
            for line in (bill or {}).get("Line", []):
                detail = line.get("ItemBasedExpenseLineDetail")
                if detail and any(str(t.get("TxnId")) == po["Id"] for t in line.get("LinkedTxn") or []):
                    item = detail["ItemRef"]["value"]
                    billed[item] = billed.get(item, ZERO) + _money(detail.get("Qty", 1), "Qty")
        ordered: dict[str, Decimal] = {}
        for line in po.get("Line", []):
            detail = line.get("ItemBasedExpenseLineDetail")
            if detail:
                item = detail["ItemRef"]["value"]
                ordered[item] = ordered.get(item, ZERO) + _money(detail.get("Qty", 1), "Qty")
        return bool(ordered) and all(billed.get(item, ZERO) >= qty for item, qty in ordered.items())

    # ---- effects on other documents -----------------------------------------------------------

    def _after_write(self, entity: str, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
        numbered = entity in SALES_FORMS or entity == "PurchaseOrder"
        if (
            numbered
            and record.get("DocNumber")
            and (previous is None or previous.get("DocNumber") != record["DocNumber"])
        ):
            self.company.last_doc_number[entity] = record["DocNumber"]
        if entity == "Invoice" and previous is None:
            for link in record.get("LinkedTxn", []):
                if link.get("TxnType") == "Estimate":
                    self._close_estimate(str(link["TxnId"]), record["Id"])
        if entity == "Payment":
            self._unapply(record["Id"])
            self._apply(record)
        if entity == "Bill":
            self._bill_purchase_orders(record)

    def _close_estimate(self, estimate_id: str, invoice_id: str) -> None:
        estimate = self.company.table("Estimate")[estimate_id]
        estimate["LinkedTxn"] = [*estimate.get("LinkedTxn", []), {"TxnId": invoice_id, "TxnType": "Invoice"}]
        estimate["TxnStatus"] = self.rules.estimate_closed_status
        Company.touch(estimate)

    def _apply(self, payment: dict[str, Any]) -> None:
        applications: dict[str, Decimal] = {}
        for line in payment.get("Line", []):
            for link in line.get("LinkedTxn") or []:
                if link.get("TxnType") == "Invoice":
                    invoice_id = str(link["TxnId"])
                    applications[invoice_id] = applications.get(invoice_id, ZERO) + line["Amount"]
        self.company.applications[payment["Id"]] = applications
        for invoice_id in applications:
            self.company.payments_by_invoice[invoice_id].add(payment["Id"])
            self._refresh_invoice(invoice_id)

    def _unapply(self, payment_id: str) -> None:
        for invoice_id in self.company.applications.pop(payment_id, {}):
            self.company.payments_by_invoice[invoice_id].discard(payment_id)
            self._refresh_invoice(invoice_id)

    def _applied_to(self, invoice_id: str) -> Decimal:
        return sum(
            (self.company.applications[p].get(invoice_id, ZERO) for p in self.company.payments_by_invoice[invoice_id]),
            ZERO,
        )

    def _refresh_invoice(self, invoice_id: str) -> None:
        invoice = self.company.get("Invoice", invoice_id)
        if invoice is None:
            return
        invoice["Balance"] = invoice["TotalAmt"] - self._applied_to(invoice_id)
        estimates = [link for link in invoice.get("LinkedTxn", []) if link.get("TxnType") != "Payment"]
        payments = [{"TxnId": p, "TxnType": "Payment"} for p in sorted(self.company.payments_by_invoice[invoice_id])]
        invoice["LinkedTxn"] = estimates + payments
        Company.touch(invoice)


def _writable(entity: str, body: dict[str, Any]) -> dict[str, Any]:
    # A payment's total is what the customer paid: an input, where a sales form's total is computed.
    read_only = tuple(f for f in READ_ONLY if not (entity == "Payment" and f == "TotalAmt"))
    return {k: v for k, v in body.items() if k not in (*read_only, "Id", "SyncToken", "sparse")}


def _has_ref(body: dict[str, Any], name: str) -> bool:
    ref = body.get(name)
    return isinstance(ref, dict) and bool(ref.get("value"))


def _rename_on_deactivation(company: Company, entity: str, record: dict[str, Any], merged: dict[str, Any]) -> None:
    """Making a name-list record inactive renames it "<name> (deleted)", which frees the name (recorded);
    making it active again gives it back its name, if nobody took it meanwhile."""
    field = DEACTIVATED_NAMES.get(entity)
    if field is None:
        return
    was_active, active = record.get("Active", True), merged.get("Active", True)
    name = str(merged.get(field) or record.get(field) or "")
    if was_active and not active:
        renamed, suffix = f"{name} (deleted)", 1
        while company.find(entity, field, renamed):
            renamed, suffix = f"{name} (deleted-{suffix})", suffix + 1
        merged[field] = renamed
        if "FullyQualifiedName" in merged:
            merged["FullyQualifiedName"] = renamed
    elif not was_active and active and name == record.get(field):
        merged[field] = _undeleted(name)


def _undeleted(name: str) -> str:
    match = _DELETED.fullmatch(name)
    return match.group(1) if match else name


def _money(value: Any, element: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise QboFault("2010", "Invalid or unsupported property", f"{element}: {value!r}", element=element)
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise QboFault("2010", "Invalid or unsupported property", f"{element}: {value!r}", element=element) from None
    if not number.is_finite():
        raise QboFault("2010", "Invalid or unsupported property", f"{element}: {value!r}", element=element)
    return number


def _currency(body: dict[str, Any]) -> str:
    ref = body.get("CurrencyRef")
    return str(ref.get("value") or HOME_CURRENCY).upper() if isinstance(ref, dict) else HOME_CURRENCY


def _check_amount(detail: dict[str, Any], amount: Decimal, currency: str) -> None:
    qty, price = detail.get("Qty"), detail.get("UnitPrice")
    if qty is None or price is None:
        return
    expected = round_money(_money(qty, "Qty") * _money(price, "UnitPrice"), currency)
    if expected != amount:
        raise QboFault(
            "6070",
            "Amount is not equal to UnitPrice * Qty",
            f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
        )


def _check_tax_code(detail: dict[str, Any]) -> None:
    code = (detail.get("TaxCodeRef") or {}).get("value")
    if code is not None and code not in ("TAX", "NON"):
        raise QboFault("6100", "Invalid line TaxCode", f"TaxCodeRef {code}: US companies use TAX or NON on lines.")


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _next_in_sequence(last: str | None) -> str:
    """Last number + 1, prefix included (``App_1000`` -> ``App_1001``), as QuickBooks does."""
    if not last:
        return "1001"
    digits = len(last) - len(last.rstrip("0123456789"))
    if digits == 0:
        return last + "1"
    head, tail = last[: len(last) - digits], last[len(last) - digits :]
    return head + str(int(tail) + 1).zfill(len(tail))
