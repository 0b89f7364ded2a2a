"""Queries: by ID, by name or number, by filters; ``MaxReturned``; iterators across requests."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from lxml import etree

from ledgerflow.qbd_sim.company import ledger, lists, status, values
from ledgerflow.qbd_sim.company.context import Context, Result, RetSpec
from ledgerflow.qbd_sim.company.records import Entry, Txn
from ledgerflow.qbd_sim.company.rets import txn_ret

T = TypeVar("T")

QUERY_TYPES = {
    "CustomerQueryRq": ("Customer",),
    "VendorQueryRq": ("Vendor",),
    "ItemQueryRq": ("ItemService", "ItemNonInventory", "ItemOtherCharge", "ItemInventory", "ItemSalesTax"),
    "AccountQueryRq": ("Account",),
}


# -- shared: by-ID answers and paging -----------------------------------------------------------------------------


def _by_keys(keys: list[str], lookup: Callable[[str], list[T]]) -> tuple[list[T], list[str]]:
    found: list[T] = []
    missing = []
    for key in keys:
        matches = lookup(key)
        if not matches:
            missing.append(key)
        found.extend(match for match in matches if all(match is not seen for seen in found))
    return found, missing


def _answer(
    ctx: Context,
    request: etree._Element,
    matches: Sequence[T],
    missing: list[str],
    ids: Callable[[T], str],
    render: Callable[[str], RetSpec | None],
) -> Result:
    """Status 1 for nothing, 500 for some of several keys missing, otherwise the page the iterator allows."""
    iterator = request.get("iterator")
    if iterator in ("Continue", "Stop"):
        return _continue(ctx, request, render)
    result = Result()
    pending = [ids(match) for match in matches]
    limit = request.findtext("MaxReturned")
    cap = values.to_int(limit, "MaxReturned") if limit is not None else None
    if iterator == "Start":
        iterator_id = "{" + str(uuid.uuid4()) + "}"
        page, rest = (pending[:cap], pending[cap:]) if cap is not None else (pending, [])
        if rest:
            ctx.iterators.open[iterator_id] = (str(request.tag), rest)
        result.attributes.update(retCount=str(len(page)), iteratorRemainingCount=str(len(rest)), iteratorID=iterator_id)
        pending = page
    elif cap is not None:
        pending = pending[:cap]
    result.rets = [spec for spec in map(render, pending) if spec is not None]
    if not result.rets:
        result.code, result.message = 1, status.NO_MATCH
    elif missing:
        result.code = 500
        result.message = (
            "The query request has not been fully completed. There was a required element "
            f'("{missing[0]}") that could not be found in QuickBooks.'
        )
    return result


def _continue(ctx: Context, request: etree._Element, render: Callable[[str], RetSpec | None]) -> Result:
    iterator_id = request.get("iteratorID") or ""
    opened = ctx.iterators.open.pop(iterator_id, None)
    if opened is None or opened[0] != request.tag:
        raise status.bad_iterator(iterator_id)
    result = Result()
    if request.get("iterator") == "Stop":
        result.attributes.update(retCount="0", iteratorRemainingCount="0", iteratorID=iterator_id)
        return result
    limit = request.findtext("MaxReturned")
    cap = values.to_int(limit, "MaxReturned") if limit is not None else len(opened[1])
    page, rest = opened[1][:cap], opened[1][cap:]
    if rest:
        ctx.iterators.open[iterator_id] = opened[0], rest
    result.rets = [spec for spec in map(render, page) if spec is not None]
    result.attributes.update(
        retCount=str(len(result.rets)), iteratorRemainingCount=str(len(rest)), iteratorID=iterator_id
    )
    if not result.rets:
        result.code, result.message = 1, status.NO_MATCH
    return result


def _match_text(criterion: str, value: str, wanted: str) -> bool:
    value, wanted = value.casefold(), wanted.casefold()
    if criterion == "StartsWith":
        return value.startswith(wanted)
    if criterion == "EndsWith":
        return value.endswith(wanted)
    return wanted in value


def _in_range(value: str, low: str | None, high: str | None) -> bool:
    def key(text: str) -> tuple[int, int, str]:
        return (0, int(text), "") if text.isdigit() else (1, 0, text.casefold())

    return (low is None or key(value) >= key(low)) and (high is None or key(value) <= key(high))


def _modified_range(ctx: Context, low: str | None, high: str | None) -> Callable[[datetime], bool]:
    now = ctx.store.now()
    start = values.to_datetime(low, "FromModifiedDate", end_of_day=False, tz_of=now) if low else None
    end = values.to_datetime(high, "ToModifiedDate", end_of_day=True, tz_of=now) if high else None
    if start and end and start > end:
        raise status.bad_date_range()
    return lambda stamp: (start is None or stamp >= start) and (end is None or stamp <= end)


# -- lists ----------------------------------------------------------------------------------------------------


def list_query(ctx: Context, request: etree._Element) -> Result:
    kinds = QUERY_TYPES[str(request.tag)]
    store = ctx.store
    entries = sorted(store.of_kind(*kinds), key=lambda entry: entry.full_name.casefold())
    list_ids = [element.text or "" for element in request.findall("ListID")]
    names = [element.text or "" for element in request.findall("FullName")]
    missing: list[str] = []
    if list_ids:
        matches, missing = _by_keys(list_ids, lambda key: [e for e in entries if e.list_id == key])
    elif names:
        matches, missing = _by_keys(names, lambda key: [e for e in entries if e.full_name.casefold() == key.casefold()])
    else:
        matches = [entry for entry in entries if _list_filters(ctx, request, entry)]

    def render(list_id: str) -> RetSpec | None:
        entry = store.entries.get(list_id)
        return lists.entry_ret(store, entry) if entry is not None else None

    return _answer(ctx, request, matches, missing, lambda entry: entry.list_id, render)


def _list_filters(ctx: Context, request: etree._Element, entry: Entry) -> bool:
    active = request.findtext("ActiveStatus") or "ActiveOnly"
    if (active == "ActiveOnly" and not entry.is_active) or (active == "InactiveOnly" and entry.is_active):
        return False
    modified = _modified_range(ctx, request.findtext("FromModifiedDate"), request.findtext("ToModifiedDate"))
    if not modified(entry.modified):
        return False
    name_filter = request.find("NameFilter")
    if name_filter is not None and not _match_text(
        name_filter.findtext("MatchCriterion") or "", entry.full_name, name_filter.findtext("Name") or ""
    ):
        return False
    name_range = request.find("NameRangeFilter")
    if name_range is not None and not _in_range(
        entry.full_name, name_range.findtext("FromName"), name_range.findtext("ToName")
    ):
        return False
    account_types = [element.text for element in request.findall("AccountType")]
    if account_types and entry.fields.get("AccountType") not in account_types:
        return False
    balance_filter = request.find("TotalBalanceFilter")
    if balance_filter is not None and entry.kind == "Customer":
        amount = values.to_decimal(balance_filter.findtext("Amount") or "", "Amount")
        balance = ledger.customer_balance(ctx.store, entry.list_id)
        return _compare(balance, balance_filter.findtext("Operator") or "Equal", amount)
    return True


def _compare(value: Decimal, operator: str, amount: Decimal) -> bool:
    return {
        "LessThan": value < amount,
        "LessThanEqual": value <= amount,
        "Equal": value == amount,
        "GreaterThan": value > amount,
        "GreaterThanEqual": value >= amount,
    }[operator]


# -- transactions -------------------------------------------------------------------------------------------------


def txn_query(ctx: Context, request: etree._Element, txn_type: str) -> Result:
    store = ctx.store
    candidates = [txn for txn in store.txns.values() if txn.type == txn_type]
    missing: list[str] = []
    txn_ids = [element.text or "" for element in request.findall("TxnID")]
    numbers = [element.text or "" for element in request.findall("RefNumber")]
    exact = [element.text or "" for element in request.findall("RefNumberCaseSensitive")]
    if txn_ids:
        matches, missing = _by_keys(txn_ids, lambda key: [t for t in candidates if t.txn_id == key])
    elif numbers:
        matches, missing = _by_keys(
            numbers, lambda key: [t for t in candidates if (t.ref_number or "").casefold() == key.casefold()]
        )
    elif exact:
        matches, missing = _by_keys(exact, lambda key: [t for t in candidates if t.ref_number == key])
    else:
        matches = [txn for txn in candidates if _txn_filters(ctx, request, txn)]
    lines = _flag(request, "IncludeLineItems")
    links = _flag(request, "IncludeLinkedTxns")

    def render(txn_id: str) -> RetSpec | None:
        txn = store.txns.get(txn_id)
        if txn is None:
            return None
        return txn_ret(store, ctx.switches, txn, lines=lines, links=links)

    return _answer(ctx, request, matches, missing, lambda txn: txn.txn_id, render)


def _flag(request: etree._Element, name: str) -> bool:
    value = request.findtext(name)
    return value is not None and values.to_bool(value, name)


def _txn_filters(ctx: Context, request: etree._Element, txn: Txn) -> bool:
    modified = request.find("ModifiedDateRangeFilter")
    if modified is not None:
        in_range = _modified_range(ctx, modified.findtext("FromModifiedDate"), modified.findtext("ToModifiedDate"))
        if not in_range(txn.modified):
            return False
    dates = request.find("TxnDateRangeFilter")
    if dates is not None and not _txn_date_in(ctx, dates, txn.txn_date):
        return False
    entity_filter = request.find("EntityFilter")
    if entity_filter is not None and not _entity_in(ctx, entity_filter, txn):
        return False
    number_filter = request.find("RefNumberFilter")
    if number_filter is not None and not _match_text(
        number_filter.findtext("MatchCriterion") or "", txn.ref_number or "", number_filter.findtext("RefNumber") or ""
    ):
        return False
    number_range = request.find("RefNumberRangeFilter")
    if number_range is not None and not _in_range(
        txn.ref_number or "", number_range.findtext("FromRefNumber"), number_range.findtext("ToRefNumber")
    ):
        return False
    paid = request.findtext("PaidStatus") or "All"
    if paid != "All":
        is_paid = ledger.balance(ctx.store, txn) == 0
        return is_paid == (paid == "PaidOnly")
    return True


def _entity_in(ctx: Context, entity_filter: etree._Element, txn: Txn) -> bool:
    if txn.entity is None:
        return False
    for element in entity_filter:
        wanted = element.text or ""
        if element.tag == "ListID" and txn.entity.list_id == wanted:
            return True
        if element.tag == "FullName" and txn.entity.full_name.casefold() == wanted.casefold():
            return True
        if element.tag == "ListIDWithChildren":
            parent = ctx.store.entries.get(wanted)
            wanted = parent.full_name if parent else "\0"
        if element.tag in ("ListIDWithChildren", "FullNameWithChildren"):
            name = txn.entity.full_name.casefold()
            if name == wanted.casefold() or name.startswith(f"{wanted.casefold()}:"):
                return True
    return False


def _txn_date_in(ctx: Context, dates: etree._Element, day: date) -> bool:
    macro = dates.findtext("DateMacro")
    if macro is not None:
        start, end = _macro_range(macro, ctx.today())
    else:
        low, high = dates.findtext("FromTxnDate"), dates.findtext("ToTxnDate")
        start = values.to_date(low, "FromTxnDate") if low else None
        end = values.to_date(high, "ToTxnDate") if high else None
        if start and end and start > end:
            raise status.bad_date_range()
    return (start is None or day >= start) and (end is None or day <= end)


def _macro_range(macro: str, today: date) -> tuple[date | None, date | None]:
    week = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    last_month_end = month - timedelta(days=1)
    year = today.replace(month=1, day=1)
    ranges: dict[str, tuple[date | None, date | None]] = {
        "All": (None, None),
        "Today": (today, today),
        "Yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "ThisWeek": (week, week + timedelta(days=6)),
        "ThisWeekToDate": (week, today),
        "LastWeek": (week - timedelta(days=7), week - timedelta(days=1)),
        "ThisMonth": (month, (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)),
        "ThisMonthToDate": (month, today),
        "LastMonth": (last_month_end.replace(day=1), last_month_end),
        "ThisCalendarYear": (year, today.replace(month=12, day=31)),
        "ThisCalendarYearToDate": (year, today),
        "LastCalendarYear": (year.replace(year=year.year - 1), year - timedelta(days=1)),
    }
    return ranges.get(macro, (None, None))
