"""QuickBooks Online ``Fault`` envelopes and the codes the simulator answers with."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any


def server_time() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="milliseconds")


class QboFault(Exception):
    """An error answered as ``{"Fault": {"Error": [...], "type": ...}}``; ``code`` is a string, as in QBO."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str = "",
        *,
        status: int = 400,
        element: str = "",
        fault_type: str = "ValidationFault",
        also: tuple[QboFault, ...] = (),
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = code
        self.message = message
        self.detail = detail
        self.status = status
        self.element = element
        self.fault_type = fault_type
        # QuickBooks reports every validation error of a request in one Fault (2050 and 2020 together).
        self.also = also

    def errors(self) -> list[QboFault]:
        return [self, *self.also]

    def body(self) -> dict[str, Any]:
        if self.status == 401:
            # Authentication failures come back in a different, lower-case envelope, with the keys of every
            # other answer set to null and the time in epoch milliseconds, as recorded from the sandbox.
            lower = {"message": self.message, "detail": self.detail, "code": self.code, "element": None}
            return {
                "warnings": None,
                "intuitObject": None,
                "fault": {"error": [lower], "type": self.fault_type},
                "report": None,
                "queryResponse": None,
                "batchItemResponse": [],
                "attachableResponse": [],
                "syncErrorResponse": None,
                "requestId": None,
                "time": int(time.time() * 1000),
                "status": None,
                "cdcresponse": [],
            }
        errors = [
            {"Message": e.message, "Detail": e.detail, "code": e.code, "element": e.element} for e in self.errors()
        ]
        return {"Fault": {"Error": errors, "type": self.fault_type}, "time": server_time()}


def combined(faults: list[QboFault]) -> QboFault:
    """Several validation errors of one request, as the one Fault QuickBooks answers with."""
    first, *rest = faults
    return QboFault(first.code, first.message, first.detail, status=first.status, element=first.element,
                    fault_type=first.fault_type, also=tuple(rest))  # fmt: skip


def required_missing(element: str) -> QboFault:
    return QboFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element=element,
    )


def object_not_found(entity: str, ref: str) -> QboFault:
    """A read, update or delete of an id that is not there (or was deleted)."""
    return QboFault(
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive or deleted. ({entity} Id={ref})",
    )


def inactive_reference(entity: str, ref: str) -> QboFault:
    """A reference to a record that exists but was made inactive."""
    return QboFault(
        "610",
        "Object Not Found",
        f"Something you're trying to use has been made inactive. Check the fields with accounts, customers, "
        f"items, vendors or employees. ({entity} Id={ref})",
    )


def invalid_reference(element: str, entity: str, ref: str) -> QboFault:
    """A reference to an id that never existed: 2500, not 610 (Intuit's error-code page)."""
    return QboFault(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {_reference_kind(entity)} element id {ref} not found",
        element=element,
    )


def _reference_kind(entity: str) -> str:
    return "Names" if entity in ("Customer", "Vendor", "Employee") else entity


def unknown_property(element: str, known: list[str]) -> QboFault:
    return QboFault(
        "2010",
        "Request has invalid or unsupported property",
        f'Property Name:Unrecognized field "{element}" specified is unsupported or invalid. Known properties: '
        + ", ".join(known),
        element=element,
    )


def string_length(element: str, limit: int, supplied: int) -> QboFault:
    return QboFault(
        "2050",
        "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. Min:0 Max:{limit} supported. "
        f"Supplied length:{supplied}",
        element=element,
    )


def invalid_query(detail: str) -> QboFault:
    return QboFault("4001", "Invalid query", f"QueryValidationError: {detail}")


def invalid_id(value: str) -> QboFault:
    return QboFault("2030", "Invalid ID", f"Id should be a valid number. Supplied value:{value}", element="Id")


def duplicate_name(name: str) -> QboFault:
    return QboFault(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Another customer, vendor or employee is already using this name "
        f"({name}). Please use a different name.",
    )


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QboFault:
    return QboFault(
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number has already been "
        f"used. DocNumber={doc_number} is assigned to TxnType={txn_type} with TxnId={txn_id}",
    )


def unsupported(path: str) -> QboFault:
    return QboFault(
        "500",
        "Unsupported Operation",
        f"Operation Could not find resource for relative : {path} is not supported.",
    )


def authentication_failed(detail: str = "Token invalid or expired") -> QboFault:
    return QboFault(
        "3200",
        "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        detail,
        status=401,
        fault_type="AUTHENTICATION",
    )


def business_rule(detail: str) -> QboFault:
    return QboFault("6000", "A business validation error has occurred while processing your request", detail)


def stale_object() -> QboFault:
    return QboFault(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and another user were working on this at the same time. They finished before "
        "you did, so your work was not saved.",
    )


def throttled() -> QboFault:
    return QboFault(
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.  Try again later",
        status=429,
        fault_type="SERVICE",
    )


def system_fault(status: int = 503) -> QboFault:
    return QboFault(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: the service is unavailable; resubmit the request.",
        status=status,
        fault_type="SystemFault",
    )


def authorization_failed(realm: str) -> QboFault:
    return QboFault(
        "120",
        "message=AuthorizationFailure; errorCode=000120; statusCode=401",
        f"This token does not give access to company {realm}",
        status=401,
        fault_type="AUTHENTICATION",
    )
