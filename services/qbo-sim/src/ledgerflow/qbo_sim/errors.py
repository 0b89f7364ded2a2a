"""QuickBooks Online ``Fault`` envelopes and the codes the simulator answers with."""

from __future__ import annotations

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
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = code
        self.message = message
        self.detail = detail
        self.status = status
        self.element = element
        self.fault_type = fault_type

    def body(self) -> dict[str, Any]:
        if self.status == 401:
            # Authentication failures come back in a different, lower-case envelope.
            lower = {"message": self.message, "detail": self.detail, "code": self.code, "element": None}
            return {"warnings": None, "fault": {"error": [lower], "type": self.fault_type}, "time": server_time()}
        error = {"Message": self.message, "Detail": self.detail, "code": self.code, "element": self.element}
        return {"Fault": {"Error": [error], "type": self.fault_type}, "time": server_time()}


def required_missing(element: str) -> QboFault:
    return QboFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element=element,
    )


def object_not_found(entity: str, ref: str) -> QboFault:
    return QboFault(
        "610",
        "Object Not Found",
        f"Something you're trying to use has been made inactive. Check the fields with accounts, customers, "
        f"items, vendors or employees. ({entity} Id={ref})",
    )


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
        "The request limit for this company was reached; wait and retry.",
        status=429,
        fault_type="ThrottleExceeded",
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
