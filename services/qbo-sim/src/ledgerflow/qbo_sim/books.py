"""A company's documents as a bookkeeper reconciles them: numbers, totals, balances, links, status."""

from __future__ import annotations

from typing import Any

from ledgerflow.qbo_sim.company import Company
from ledgerflow.qbo_sim.entities import TRANSACTIONS


def dump(company: Company) -> dict[str, Any]:
    documents = []
    for entity in TRANSACTIONS:
        for record in company.table(entity).values():
            documents.append(
                {
                    "type": entity,
                    "id": record["Id"],
                    "doc_number": record.get("DocNumber"),
                    "date": record.get("TxnDate"),
                    "customer": _ref_name(company, record.get("CustomerRef"), "Customer"),
                    "vendor": _ref_name(company, record.get("VendorRef"), "Vendor"),
                    "currency": (record.get("CurrencyRef") or {}).get("value"),
                    "total": record.get("TotalAmt"),
                    "balance": record.get("Balance", record.get("UnappliedAmt")),
                    "status": "Voided"
                    if record["Id"] in company.voided
                    else record.get("TxnStatus") or record.get("POStatus"),
                    "memo": record.get("PrivateNote"),
                    "reference": record.get("PaymentRefNum"),
                    "linked": [f"{link['TxnType']}:{link['TxnId']}" for link in record.get("LinkedTxn", [])],
                }
            )
    documents.sort(key=lambda d: int(d["id"]))
    return {
        "realm": company.realm_id,
        "custom_txn_numbers": company.preferences.custom_txn_numbers,
        "customers": len(company.table("Customer")),
        "vendors": len(company.table("Vendor")),
        "items": len(company.table("Item")),
        "documents": documents,
    }


def _ref_name(company: Company, ref: Any, entity: str) -> str | None:
    if not isinstance(ref, dict) or not ref.get("value"):
        return None
    record = company.get(entity, str(ref["value"]))
    return None if record is None else str(record.get("DisplayName"))
