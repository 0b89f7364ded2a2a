"""One realm's books: its entities, preferences, replayable responses and document sequences."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

HOME_CURRENCY = "USD"
# ISO 4217 minor units where they are not 2 (the same table as ledgerflow's contracts, kept here so the
# simulator stays a package of its own that integrators can run without the rest of ledgerflow).
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "JOD": 3, "KWD": 3, "OMR": 3, "TND": 3}


# A new company's chart of accounts starts with these (deposit, payable and item accounts).
DEFAULT_ACCOUNTS = (
    ("Undeposited Funds", "Other Current Asset"),
    ("Checking", "Bank"),
    ("Accounts Receivable (A/R)", "Accounts Receivable"),
    ("Accounts Payable (A/P)", "Accounts Payable"),
    ("Sales of Product Income", "Income"),
    ("Cost of Goods Sold", "Cost of Goods Sold"),
    ("Inventory Asset", "Other Current Asset"),
)


INDEXED_FIELDS = ("DocNumber", "DisplayName", "Name")


def round_money(amount: Decimal, currency: str) -> Decimal:
    step = Decimal(1).scaleb(-_EXPONENTS.get(currency.upper(), 2))
    return amount.quantize(step, rounding=ROUND_HALF_UP)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Preferences:
    """``SalesFormsPrefs.CustomTxnNumbers`` and, separately, the purchase-side custom numbers."""

    custom_txn_numbers: bool = True
    purchase_custom_txn_numbers: bool = True
    sync_token: int = 0
    # Automated sales tax: the rate (percent) on lines coded TAX; None for a company that does not charge tax.
    sales_tax_rate: Decimal | None = None
    # Off in a new QuickBooks company; on in the simulator, as in the companies that sell in other currencies.
    multi_currency: bool = True

    def entity(self) -> dict[str, Any]:
        return {
            "Id": "1",
            "SyncToken": str(self.sync_token),
            "domain": "QBO",
            "SalesFormsPrefs": {"CustomTxnNumbers": self.custom_txn_numbers, "AllowEstimates": True},
            "OtherPrefs": {
                "NameValue": [
                    {
                        "Name": "VendorAndPurchasesPrefs.UseCustomTxnNumbers",
                        "Value": "true" if self.purchase_custom_txn_numbers else "false",
                    }
                ]
            },
            "CurrencyPrefs": {"HomeCurrency": {"value": HOME_CURRENCY}, "MultiCurrencyEnabled": self.multi_currency},
            "TaxPrefs": {
                "UsingSalesTax": self.sales_tax_rate is not None,
                "PartnerTaxEnabled": self.sales_tax_rate is not None,
            },
        }


@dataclass
class Company:
    realm_id: str
    preferences: Preferences = field(default_factory=Preferences)
    entities: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    responses: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    last_doc_number: dict[str, str] = field(default_factory=dict)
    # payment id -> {invoice id: amount applied}, and its reverse index, so that an invoice's balance is
    # recomputed from its own payments only
    applications: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    payments_by_invoice: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # (entity, field) -> value -> ids: numbers and names are looked up on every write and most queries
    _index: defaultdict[tuple[str, str], defaultdict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    # Voided documents: QuickBooks marks them only with the memo "Voided"; the books listing still says so.
    voided: set[str] = field(default_factory=set)
    _next_id: int = 1

    def __post_init__(self) -> None:
        # US companies use the pseudo tax codes TAX and NON on lines.
        for code, taxable in (("TAX", True), ("NON", False)):
            record = {"Id": code, "Name": code, "Taxable": taxable, "Active": True, "SyncToken": "0", "domain": "QBO"}
            self.table("TaxCode")[code] = record
            self.reindex("TaxCode", record, None)  # found by name, as QuickBooks finds them
        for name, account_type in DEFAULT_ACCOUNTS:
            self.store("Account", {"Name": name, "FullyQualifiedName": name, "AccountType": account_type,
                                   "Active": True})  # fmt: skip

    def table(self, entity: str) -> dict[str, dict[str, Any]]:
        return self.entities.setdefault(entity, {})

    def new_id(self) -> str:
        value = str(self._next_id)
        self._next_id += 1
        return value

    def get(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        return self.table(entity).get(str(entity_id))

    def store(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        stamp = now()
        record = {**body, "Id": self.new_id(), "SyncToken": "0", "domain": "QBO", "sparse": False}
        record["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
        self.table(entity)[record["Id"]] = record
        self.reindex(entity, record, None)
        return record

    def remove(self, entity: str, record: dict[str, Any]) -> None:
        del self.table(entity)[record["Id"]]
        self.reindex(entity, None, record)

    def reindex(self, entity: str, record: dict[str, Any] | None, previous: dict[str, Any] | None) -> None:
        for name in INDEXED_FIELDS:
            if previous is not None and previous.get(name) is not None:
                self._index[(entity, name)][str(previous[name])].discard(previous["Id"])
            if record is not None and record.get(name) is not None:
                self._index[(entity, name)][str(record[name])].add(record["Id"])

    def find(self, entity: str, name: str, value: str) -> list[dict[str, Any]]:
        """Records whose ``name`` equals ``value``, through the index (``name`` in INDEXED_FIELDS)."""
        table = self.table(entity)
        ids = sorted(self._index[(entity, name)].get(value, ()), key=lambda i: (len(i), i))  # numeric ids in order
        return [table[i] for i in ids if i in table]

    @staticmethod
    def touch(record: dict[str, Any]) -> None:
        record["SyncToken"] = str(int(record["SyncToken"]) + 1)
        record.setdefault("MetaData", {})["LastUpdatedTime"] = now()
