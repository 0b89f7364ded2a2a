"""ReceivePayment: Add (auto-apply, explicit applications, or unapplied) and Mod (re-applying the payment)."""

from __future__ import annotations

from lxml import etree

from ledgerflow.qbd_sim.company import ledger, linking, status
from ledgerflow.qbd_sim.company.context import Context, Result
from ledgerflow.qbd_sim.company.intake import Reader
from ledgerflow.qbd_sim.company.records import Application, Ref, Txn
from ledgerflow.qbd_sim.company.rets import txn_ret
from ledgerflow.qbd_sim.company.transactions import check_edition, open_for_edit, save_edit
from ledgerflow.qbd_sim.company.values import ZERO, money

_HEADER = (
    "TxnID",
    "EditSequence",
    "CustomerRef",
    "TxnDate",
    "RefNumber",
    "TotalAmount",
    "Memo",
    "IsAutoApply",
    "AppliedToTxnAdd",
    "AppliedToTxnMod",
)
_OVERPAID = "You cannot pay more than the amount due."


def _read_application(ctx: Context, element: etree._Element, payment: Txn, customer: Ref) -> Application:
    txn_element = element.find("TxnID")
    assert txn_element is not None
    txn_id = ctx.txn_ref(txn_element)
    target = ctx.store.txns.get(txn_id)
    if target is None or target.type != "Invoice" or target.entity != customer:
        raise status.not_found(txn_id)
    reader = Reader(ctx.store, element, "ReceivePayment")
    application = Application(
        txn_id,
        money(reader.decimal("PaymentAmount") or ZERO),
        money(reader.decimal("DiscountAmount") or ZERO),
        fields=reader.echo("TxnID", "PaymentAmount", "DiscountAmount", "SetCredit"),
    )
    for credit in element.findall("SetCredit"):
        application.credits.append(linking.read_credit(ctx, credit, customer, exclude=payment.txn_id))
    return application


def _check(ctx: Context, payment: Txn, applications: list[Application]) -> None:
    """Each invoice can take at most what it owes (apart from what this payment already gave it): 3210."""
    seen: set[str] = set()
    for application in applications:
        if application.txn_id in seen:
            raise status.save_error("ReceivePayment", f'The transaction "{application.txn_id}" is applied twice.')
        seen.add(application.txn_id)
        invoice = ctx.store.txns[application.txn_id]
        owed = ledger.balance(ctx.store, invoice)
        for previous in ctx.store.txns[payment.txn_id].applications if payment.txn_id in ctx.store.txns else []:
            if previous.txn_id == invoice.txn_id:
                owed += previous.amount + previous.discount + sum((a for _, a in previous.credits), ZERO)
        taking = application.amount + application.discount + sum((a for _, a in application.credits), ZERO)
        if taking > owed:
            raise status.invalid_value("PaymentAmount", f"{application.amount}", _OVERPAID)
    applied = sum((application.amount for application in applications), ZERO)
    if applied > payment.total_amount:
        raise status.invalid_value(
            "TotalAmount", f"{payment.total_amount}", "The amount applied is more than the amount of the payment."
        )


def _auto_apply(ctx: Context, payment: Txn, customer: Ref) -> list[Application]:
    """QuickBooks' choice: an invoice owing exactly the amount, otherwise the oldest invoices first."""
    open_invoices = [
        invoice
        for invoice in ctx.store.of_entity(customer.list_id, "Invoice")
        if ledger.balance(ctx.store, invoice) > 0
    ]
    open_invoices.sort(key=lambda invoice: invoice.txn_date)  # stable: creation order within a day
    exact = next((i for i in open_invoices if ledger.balance(ctx.store, i) == payment.total_amount), None)
    if exact is not None:
        return [Application(exact.txn_id, payment.total_amount)]
    left = payment.total_amount
    applications = []
    for invoice in open_invoices:
        if left <= 0:
            break
        amount = min(left, ledger.balance(ctx.store, invoice))
        applications.append(Application(invoice.txn_id, amount))
        left -= amount
    return applications


def add_payment(ctx: Context, body: etree._Element) -> Result:
    check_edition(ctx, "ReceivePayment")
    store = ctx.store
    reader = Reader(store, body, "ReceivePayment")
    customer = reader.ref("CustomerRef")
    assert customer is not None  # the schema requires it
    txn_date = reader.day("TxnDate") or ctx.today()
    ctx.check_closing_date("ReceivePayment", txn_date)
    if reader.has("RefNumber"):
        ref_number = reader.text("RefNumber") or None
    elif ctx.switches.auto_number and "ReceivePayment" in ctx.switches.auto_number_types:
        ref_number = store.auto_number("ReceivePayment")
    else:
        ref_number = None
    payment = store.new_txn(
        "ReceivePayment",
        customer,
        txn_date,
        ref_number=ref_number,
        memo=reader.text("Memo"),
        total_amount=money(reader.decimal("TotalAmount") or ZERO),
        fields=reader.echo(*_HEADER),
    )
    applications = [_read_application(ctx, e, payment, customer) for e in body.findall("AppliedToTxnAdd")]
    if not reader.has("TotalAmount"):
        payment.total_amount = sum((application.amount for application in applications), ZERO)
    if reader.flag("IsAutoApply"):
        applications = _auto_apply(ctx, payment, customer)
    _check(ctx, payment, applications)
    payment.applications = applications
    store.txns[payment.txn_id] = payment
    store.note_number("ReceivePayment", ref_number)
    store.index_applications(payment)
    return Result(rets=[txn_ret(store, ctx.switches, payment)], txn_id=payment.txn_id)


def modify_payment(ctx: Context, body: etree._Element) -> Result:
    payment = open_for_edit(ctx, body, "ReceivePayment")
    reader = Reader(ctx.store, body, "ReceivePayment")
    if reader.has("CustomerRef"):
        customer = reader.ref("CustomerRef")
        if customer != payment.entity and payment.applications and not body.findall("AppliedToTxnMod"):
            raise status.save_error("ReceivePayment", "The payment is applied to another customer's invoices.")
        payment.entity = customer
    if reader.has("TxnDate"):
        payment.txn_date = reader.day("TxnDate") or payment.txn_date
    if reader.has("RefNumber"):
        payment.ref_number = reader.text("RefNumber") or None
    if reader.has("Memo"):
        payment.memo = reader.text("Memo")
    if reader.has("TotalAmount"):
        payment.total_amount = money(reader.decimal("TotalAmount") or ZERO)
    payment.fields.update(reader.echo(*_HEADER))
    mods = body.findall("AppliedToTxnMod")
    if mods:
        assert payment.entity is not None
        current = {application.txn_id: application for application in payment.applications}
        listed = []
        for element in mods:
            application = _read_application(ctx, element, payment, payment.entity)
            if element.find("PaymentAmount") is None and application.txn_id in current:
                application.amount = current[application.txn_id].amount
            listed.append(application)
        names = {application.txn_id for application in listed}
        kept = (
            [a for a in payment.applications if a.txn_id not in names]
            if ctx.switches.payment_mod_keeps_unlisted
            else []
        )
        payment.applications = kept + listed
    _check(ctx, payment, payment.applications)
    save_edit(ctx, payment)
    return Result(rets=[txn_ret(ctx.store, ctx.switches, payment)], txn_id=payment.txn_id)
