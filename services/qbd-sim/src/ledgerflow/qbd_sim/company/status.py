"""qbXML status codes and the texts QuickBooks puts in ``statusMessage``.

A request either succeeds (0, or 1 for an empty query), succeeds with a warning (5xx, data still returned), or
fails with an error and returns no data. Errors travel as ``QbError`` from deep inside a handler up to the
message-set runner, which turns them into the request's ``…Rs`` attributes.
"""

from __future__ import annotations

OK_MESSAGE = "Status OK"
PARSE_HRESULT = "0x80040400"
PARSE_MESSAGE = "QuickBooks found an error when parsing the provided XML text stream."


def severity(code: int) -> str:
    # Intuit's ranges: 0-499 Info, 500-999 Warn, everything from 1000 up is an error.
    if code < 500:
        return "Info"
    if code < 1000:
        return "Warn"
    return "Error"


class QbError(Exception):
    """A per-request status; the message set itself carries on (or stops, under stopOnError)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ParseFailure(Exception):
    """The whole message set is rejected before any request runs (HRESULT 0x80040400, empty response).

    ``detail`` says what was wrong, for the simulator's own diagnostics only: QuickBooks never tells.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


NO_MATCH = "A query request did not find a matching object in QuickBooks"
INTERNAL_ERROR = "There has been an internal error when processing the request."
NOT_PROCESSED = "The request has not been processed."


def request_id_invalid(request_id: str) -> QbError:
    return QbError(1060, f'The request ID "{request_id}" is invalid, possibly too long (max 50 characters).')


def bad_boolean(value: str, field: str) -> QbError:
    return QbError(3010, f'There was an error when converting the boolean value "{value}" in the field "{field}".')


def bad_date(value: str, field: str) -> QbError:
    return QbError(3020, f'There was an error when converting the date value "{value}" in the field "{field}".')


def bad_date_range() -> QbError:
    return QbError(3030, "Invalid date range: From date is greater than To date.")


def bad_amount(value: str, field: str) -> QbError:
    return QbError(3040, f'There was an error when converting the amount "{value}" in the field "{field}".')


def too_long(value: str, field: str) -> QbError:
    return QbError(3070, f'The string "{value}" in the field "{field}" is too long.')


def name_in_use(name: str) -> QbError:
    return QbError(3100, f'The name "{name}" of the list element is already in use.')


def not_found(object_id: str) -> QbError:
    return QbError(3120, f'Object "{object_id}" specified in the request cannot be found.')


def invalid_reference(kind: str, value: str, where: str) -> QbError:
    return QbError(3140, f'There is an invalid reference to QuickBooks {kind} "{value}" in the {where}.')


def missing_element(name: str) -> QbError:
    return QbError(3150, f'There is a missing element: "{name}".')


def before_closing_date(txn_type: str) -> QbError:
    return QbError(
        3171,
        f"An attempt was made to modify a {txn_type} with a date that is on or before the closing date of the "
        "company. If you are sure you really want to do this, please ask a user with Admin rights to remove the "
        "password for editing transactions on or before the closing date (this setting is in the Accounting "
        "Company Preferences).",
    )


def save_error(object_name: str, reason: str) -> QbError:
    return QbError(3180, f"There was an error when saving a {object_name}.  QuickBooks error message: {reason}")


def stale_edit_sequence(edit_sequence: str) -> QbError:
    return QbError(3200, f'The provided edit sequence "{edit_sequence}" is out-of-date.')


def invalid_value(field: str, value: str, reason: str) -> QbError:
    return QbError(3210, f'The "{field}" field has an invalid value "{value}".  QuickBooks error message: {reason}')


def feature_unavailable(code: int = 3250) -> QbError:
    return QbError(code, "This feature is not enabled or not available in this version of QuickBooks.")


def bad_iterator(iterator_id: str) -> QbError:
    return QbError(3391, f'The iteratorID "{iterator_id}" is not valid.')


def macro_not_defined(macro: str) -> QbError:
    return QbError(9100, f'The macro "{macro}" has not been defined in this message set.')


def macro_redefined(macro: str) -> QbError:
    return QbError(9101, f'The macro "{macro}" has already been defined in this message set.')


def macro_invalid(macro: str) -> QbError:
    return QbError(9102, f'The macro name "{macro}" is invalid.')


def cannot_link(txn_id: str) -> str:
    return f'Unable to link to transaction "{txn_id}" because it has already been closed.'
