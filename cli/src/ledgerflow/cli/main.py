"""ledgerflow: the local stack, publishing, preview, the demo, the simulator and the services."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from ledgerflow.cli.console_commands import console_app
from ledgerflow.cli.desktop_commands import desktop_app
from ledgerflow.cli.local_services import SIM_ADMIN_TOKEN
from ledgerflow.cli.names import checked_name
from ledgerflow.contracts import BooksTarget, Channel, PurchaseOrderSystem, TransactionMode
from ledgerflow.runtime.errors import StageError
from ledgerflow.runtime.telemetry import trace_id_of

if TYPE_CHECKING:
    from pydantic import SecretStr

    from ledgerflow.cli.reconcile import Reconciliation
    from ledgerflow.contracts import RawOrderEnvelope, RawPurchaseOrderEnvelope
    from ledgerflow.devstack.stack import Stack
    from ledgerflow.ledger_writer.targets.qbo.credentials.cipher import TokenCipher

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False)
dev_app = typer.Typer(no_args_is_help=True, help="The local stack: a real Kafka broker (KRaft) and PostgreSQL.")
schemas_app = typer.Typer(no_args_is_help=True, help="JSON Schema of every message.")
config_app = typer.Typer(no_args_is_help=True, help="Connection settings (stored and versioned by the planner).")
refdata_app = typer.Typer(no_args_is_help=True, help="The tenant's items and vendors as the books hold them.")
app.add_typer(dev_app, name="dev")
app.add_typer(schemas_app, name="schemas")
app.add_typer(config_app, name="config")
app.add_typer(refdata_app, name="refdata")
tokens_app = typer.Typer(
    no_args_is_help=True, help="QuickBooks Online OAuth credentials per company, stored encrypted by the writer."
)
app.add_typer(tokens_app, name="tokens")
queues_app = typer.Typer(
    help="Each company's queue in the ledger-writer: what waits, its age, its rate, and pauses.",
    invoke_without_command=True,
)
app.add_typer(queues_app, name="queues")
app.add_typer(desktop_app, name="desktop")
app.add_typer(console_app, name="console")

# Tables stay readable in CI logs and pipes, where no terminal width is known.

# Orders, names and errors come from outside: never read as markup (a customer named "[/bold]" or "[link=...]"),
# so styles are given as styles, not in the text.
console = Console(width=None if sys.stdout.isatty() else 120, markup=False)
err_console = Console(stderr=True, markup=False)
MAX_SHOWN = 200  # characters of one value shown: a 1 MB order number is data, not something to lay out


def _shown(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + f"... ({len(text):,} characters)"


HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Stack folder (default: $LEDGERFLOW_HOME or ./.ledgerflow).")
]


class Service(StrEnum):
    INGEST = "ingest"
    PLANNER = "planner"
    NUMBERING = "numbering"
    LEDGER_WRITER = "ledger-writer"


def _stack(home: Path | None) -> Stack:
    from ledgerflow.devstack.stack import Stack, default_home

    return Stack(home.resolve() if home else default_home())


@dev_app.command("up")
def dev_up(
    home: HomeOption = None,
    kafka_nodes: Annotated[int, typer.Option(help="1 (combined broker+controller) or 3 nodes.")] = 1,
    partitions: Annotated[int, typer.Option(help="Partitions per topic.")] = 6,
    observe: Annotated[
        bool, typer.Option("--observe", help="Also Jaeger (traces; built with Go the first time) and Prometheus.")
    ] = False,
) -> None:
    """Start Kafka and PostgreSQL (fetching Kafka's jars with mvn the first time) and create the topics."""
    if kafka_nodes not in (1, 3):
        raise typer.BadParameter("--kafka-nodes must be 1 or 3")
    from ledgerflow.devstack.errors import StackError

    stack = _stack(home)
    if observe:
        console.print("Starting Jaeger and Prometheus too (Jaeger is built from its Go module the first time: minutes)")
    try:
        state = stack.up(kafka_nodes=kafka_nodes, partitions=partitions, observe=observe)
    except StackError as exc:
        err_console.print(f"error: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    console.print("Local stack is up. Point the services at it with:")
    for key, value in state.service_env().items():
        console.print(f"  export {key}={value}", highlight=False)
    if state.observe is not None:
        console.print(f"Traces: {state.observe.trace_ui_url}/search", highlight=False)
        console.print(f"Dashboard: {state.observe.prometheus_url}/consoles/ledgerflow.html", highlight=False)


@dev_app.command("down")
def dev_down(home: HomeOption = None) -> None:
    """Stop the services started here, Kafka, PostgreSQL, Jaeger and Prometheus; data stays for the next ``dev up``."""
    from ledgerflow.cli.local_services import stop_local_services

    stack = _stack(home)
    stop_local_services(stack.home)
    stack.down()
    console.print("Local stack stopped.")


@dev_app.command("reset")
def dev_reset(home: HomeOption = None) -> None:
    """Stop the stack and delete its data (the jar cache stays)."""
    _stack(home).reset()
    console.print("Local stack data removed.")


@dev_app.command("status")
def dev_status(home: HomeOption = None) -> None:
    """Show what runs and where."""
    for key, value in _stack(home).status().items():
        console.print(f"{key:>24}: {value}", highlight=False)


def _bootstrap(bootstrap: str | None, home: Path | None) -> str:
    if bootstrap:
        return bootstrap
    if env := os.environ.get("LEDGERFLOW_KAFKA_BOOTSTRAP_SERVERS"):
        return env
    state = _stack(home).load()
    if state is None:
        err_console.print("No Kafka to publish to: pass --bootstrap, set LEDGERFLOW_KAFKA_BOOTSTRAP_SERVERS "
                          "or run `ledgerflow dev up`.")  # fmt: skip
        raise typer.Exit(2)
    return state.bootstrap_servers


class Kind(StrEnum):
    """What a file holds: a channel's order, or a purchase order of a system that makes its own."""

    ORDER = "order"
    PURCHASE_ORDER = "purchase_order"


def source_of(kind: Kind, channel: str) -> Channel | PurchaseOrderSystem:
    """``--channel`` names a sales channel for orders and an ordering system for purchase orders."""
    choices: type[Channel] | type[PurchaseOrderSystem] = Channel if kind is Kind.ORDER else PurchaseOrderSystem
    try:
        return choices(channel)
    except ValueError:
        what = "channel" if kind is Kind.ORDER else "purchase-order system"
        known = ", ".join(c.value for c in choices)
        message = f"{channel!r} is not a {what} ledgerflow reads ({known})"
        raise typer.BadParameter(message, param_hint="--channel") from None


@app.command()
def publish(
    files: Annotated[list[Path], typer.Argument(help="Order (or purchase order) JSON files, one each.")],
    tenant: Annotated[str, typer.Option(callback=checked_name, help="Tenant the orders belong to.")],
    connection: Annotated[
        str, typer.Option(callback=checked_name, help="The tenant's connection (channel store -> books).")
    ],
    channel: Annotated[
        str, typer.Option(help="Channel whose format the files are in; for purchase orders, the system's name.")
    ],
    kind: Annotated[Kind, typer.Option(help="order, or purchase_order (onto purchase_orders.raw).")] = Kind.ORDER,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap servers.")] = None,
    replay: Annotated[bool, typer.Option(help="Send again after a fix, even if the order has not changed.")] = False,
    home: HomeOption = None,
) -> None:
    """Publish raw order envelopes onto ``orders.raw`` (purchase orders onto ``purchase_orders.raw``), keyed by
    tenant."""
    from ledgerflow.cli.preview import PreviewInputError, load_payload
    from ledgerflow.cli.publishing import (
        MessageTooLarge,
        OrderToPublish,
        PurchaseOrderToPublish,
        publish_orders,
        publish_purchase_orders,
        topic_of,
    )

    source = source_of(kind, channel)
    placed: list[tuple[RawOrderEnvelope | RawPurchaseOrderEnvelope, int, int, str | None]]
    try:
        payloads = [load_payload(f) for f in files]
    except PreviewInputError as exc:
        err_console.print(f"error: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    trace_ui = _trace_ui(home)
    try:
        if isinstance(source, PurchaseOrderSystem):
            purchase_orders = [PurchaseOrderToPublish(tenant, connection, source, p, replay) for p in payloads]
            placed = [
                (p.envelope, p.partition, p.offset, p.traceparent)
                for p in asyncio.run(publish_purchase_orders(_bootstrap(bootstrap, home), purchase_orders))
            ]
        else:
            orders = [OrderToPublish(tenant, connection, source, p, replay) for p in payloads]
            placed = [
                (p.envelope, p.partition, p.offset, p.traceparent)
                for p in asyncio.run(publish_orders(_bootstrap(bootstrap, home), orders))
            ]
    except MessageTooLarge as exc:
        err_console.print(f"error: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    for file, (message, partition, offset, traceparent) in zip(files, placed, strict=True):
        console.print(
            f"{file}: message {message.meta.message_id} -> {topic_of(message)}[{partition}]@{offset}", highlight=False
        )
        if trace_ui and (trace_id := trace_id_of(traceparent)):
            console.print(f"  trace: {trace_ui}/trace/{trace_id}", highlight=False)


def _trace_ui(home: Path | None) -> str | None:
    """The trace UI's address (``LEDGERFLOW_TRACE_UI_URL``, else the local stack's Jaeger); with the local stack's,
    this process exports its spans there too, so that an order's trace starts where it is published."""
    if configured := os.environ.get("LEDGERFLOW_TRACE_UI_URL"):
        return configured.rstrip("/")
    state = _stack(home).load()
    if state is None or state.observe is None:
        return None
    for key, value in state.service_env().items():
        if key.startswith("OTEL_"):
            os.environ.setdefault(key, value)
    return state.observe.trace_ui_url


@app.command()
def poll(
    tenant: Annotated[str, typer.Option(callback=checked_name, help="The tenant the purchase orders belong to.")],
    connection: Annotated[str, typer.Option(callback=checked_name, help="The tenant's purchase-order connection.")],
    system: Annotated[
        PurchaseOrderSystem, typer.Option(help="The system to poll (its credentials in the environment).")
    ],
    every: Annotated[float, typer.Option(help="Seconds between rounds; 0 polls once.", min=0)] = 0,
    database_url: Annotated[str | None, typer.Option(help="PostgreSQL URL (the poller's position).")] = None,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap servers.")] = None,
    home: HomeOption = None,
) -> None:
    """Poll a system without webhooks: what changed since the last round and every purchase order still open,
    onto ``purchase_orders.raw``; the position is kept in PostgreSQL."""
    import httpx

    from ledgerflow.cli.polling import poll_once
    from ledgerflow.ingest.polling.sources import PollError, source_for

    database, servers = _database_url(database_url, home), _bootstrap(bootstrap, home)

    async def rounds() -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            source = source_for(system, http)
            while True:
                done = await poll_once(source, system, tenant, connection, database, servers, datetime.now(UTC).date())
                console.print(f"{system.value} {connection}: {done.read} purchase orders read, {done.still_open} "
                              f"still open; position {done.position.cursor}", highlight=False)  # fmt: skip
                if not every:
                    return
                await asyncio.sleep(every)

    try:
        asyncio.run(rounds())
    except PollError as exc:
        err_console.print(f"error: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


@app.command()
def preview(
    file: Annotated[Path | None, typer.Argument(help="A channel order (or purchase order) JSON file.")] = None,
    channel: Annotated[
        str | None, typer.Option(help="Channel whose format the file is in; for purchase orders, the system's name.")
    ] = None,
    kind: Annotated[Kind, typer.Option(help="order, or purchase_order (a system's own purchase order).")] = Kind.ORDER,
    sample: Annotated[str | None, typer.Option(help="A bundled sample order by name, instead of a file.")] = None,
    mode: Annotated[TransactionMode | None, typer.Option(help="Transaction mode (overrides the connection's).")] = None,
    target: Annotated[
        BooksTarget | None, typer.Option(help="The books (overrides the connection's): Desktop's numbers are shorter.")
    ] = None,
    all_modes: Annotated[bool, typer.Option("--all-modes", help="The documents of every mode, M1 to M7.")] = False,
    connection: Annotated[Path | None, typer.Option(help="Connection settings YAML (mode, prefix, items).")] = None,
    items: Annotated[
        Path | None, typer.Option(help="Items with preferred vendor and purchase cost (YAML list), for M6.")
    ] = None,
    rules: Annotated[
        Path | None, typer.Option(help="Rules to run first: a `config apply` file or a YAML list of rules.")
    ] = None,
    tenant: Annotated[
        str | None, typer.Option(callback=checked_name, help="Whose rules, when the --rules file has several tenants.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Dry run: what documents an order would become (rules, normalize, plan, number; nothing is posted)."""
    from ledgerflow.cli.preview import PreviewInputError, load_connection, load_items, load_payload, load_rules
    from ledgerflow.cli.preview import preview as run_preview
    from ledgerflow.cli.samples import sample_items_path, sample_named, sample_orders

    if kind is Kind.PURCHASE_ORDER:
        _preview_purchase_order(file, channel, connection, target, as_json)
        return
    source = None if channel is None else source_of(Kind.ORDER, channel)
    assert source is None or isinstance(source, Channel)
    try:
        if sample is not None:
            found = sample_named(sample)
            if found is None:
                names = ", ".join(s.path.stem for s in sample_orders())
                raise PreviewInputError(f"no sample named {sample!r}; the samples are: {names}")
            payload, source, items = found.payload(), Channel(found.channel), items or sample_items_path()
        elif file is not None and source is not None:
            payload = load_payload(file)
        else:
            raise PreviewInputError("give an order file and its --channel, or --sample NAME")
        settings = load_connection(connection)
        if target is not None:
            settings = settings.model_copy(update={"target": target})
        if rules is not None:
            settings = settings.model_copy(update={"rules": [*settings.rules, *load_rules(rules, tenant)]})
        catalog = load_items(items) if items is not None else None
        modes = list(TransactionMode) if all_modes else [mode or settings.mode]
        results = [run_preview(source, payload, settings.model_copy(update={"mode": m}), catalog) for m in modes]
    except PreviewInputError as exc:
        err_console.print(f"error: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except StageError as err:
        err_console.print(f"error: {err.detail.code}: {err.detail.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    bodies = [result.as_dict() for result in results]
    if as_json:
        sys.stdout.write(json.dumps(bodies if all_modes else bodies[0], indent=2) + "\n")
    else:
        for index, body in enumerate(bodies):
            _print_preview(body, canonical=index == 0, mode_heading=all_modes)
    if not all_modes and bodies[0]["errors"]:
        raise typer.Exit(1)


def _preview_purchase_order(
    file: Path | None, channel: str | None, connection: Path | None, target: BooksTarget | None, as_json: bool
) -> None:
    """A system's purchase order: normalized, then the documents its connection would post, nothing posted."""
    from ledgerflow.cli.preview import PreviewInputError, load_connection, load_payload, preview_purchase_order

    if file is None or channel is None:
        err_console.print("error: give a purchase order file and its --channel (the system)", highlight=False)
        raise typer.Exit(2)
    system = source_of(Kind.PURCHASE_ORDER, channel)
    assert isinstance(system, PurchaseOrderSystem)
    try:
        settings = load_connection(connection)
        if target is not None:
            settings = settings.model_copy(update={"target": target})
        body = preview_purchase_order(system, load_payload(file), settings).as_dict()
    except PreviewInputError as exc:
        err_console.print(f"error: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except StageError as err:
        err_console.print(f"error: {err.detail.code}: {err.detail.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if as_json:
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
    else:
        po = body["purchase_order"]
        console.print(
            Text.assemble((f"{po['system']} purchase order {_shown(po['number'])}", "bold"),
                          f" to {_shown(po['vendor'])}, {po['date']}, {po['status']}; "
                          f"receipts: {body['receipt_policy']} on {body['target']}"),
            highlight=False,
        )  # fmt: skip
        for warning in po["warnings"]:
            console.print(f"warning: {_shown(warning)}", highlight=False)
        _print_documents(body)
    if body["errors"]:
        raise typer.Exit(1)


def _print_preview(body: dict[str, object], *, canonical: bool = True, mode_heading: bool = False) -> None:

    if mode_heading:
        console.rule(f"mode: {body['mode']}")
    if canonical:
        _print_rules(body)
        _print_canonical(body)
    _print_documents(body)


def _print_rules(body: dict[str, object]) -> None:
    """The rules that fired and what each changed; the order before them, when they changed it."""
    from rich.table import Table

    ruled = body["rules"]
    assert isinstance(ruled, dict)
    if not ruled["fired"]:
        return
    table = Table(title="Rules that fired (top to bottom)")
    for column in ("#", "rule", "changes (before -> after)"):
        table.add_column(column)
    for rule in ruled["fired"]:
        table.add_row(str(rule["position"]), rule["rule"], "\n".join(rule["changes"]) or "no change")
    console.print(table)
    if ruled["not_imported"]:
        console.print(Text.assemble(("not imported", "bold"), f": {_shown(ruled['not_imported'])}"), highlight=False)
    if ruled["before"] is not None:
        _print_canonical({**body, "canonical": ruled["before"]}, title="Canonical order before the rules")
        console.print("After the rules:", style="bold")


def _print_canonical(body: dict[str, object], title: str = "Canonical order") -> None:
    from rich.table import Table

    canonical = body["canonical"]
    assert isinstance(canonical, dict)
    customer = canonical["customer"] or {}
    name = " ".join(customer.get(p) or "" for p in ("first_name", "last_name")).strip() or customer.get("company")
    heading = f"{canonical['channel']} order {_shown(canonical['order_number'])}"
    console.print(
        Text.assemble((heading, "bold"), f" {canonical['channel_total']} {canonical['currency']} "
                      f"({canonical['payment_state']}, {_shown(name or customer.get('email') or 'guest')})"),
        highlight=False,
    )  # fmt: skip
    lines = Table(title=title)
    for column in ("line", "sku", "title", "quantity", "unit_price", "discount", "tax"):
        lines.add_column(column)
    for line in canonical["lines"]:
        lines.add_row(*(_shown(line[c]) for c in ("line_id", "sku", "title", "quantity", "unit_price", "discount",
                        "tax")))  # fmt: skip
    for shipping in canonical["shipping_lines"]:
        lines.add_row("shipping", "", _shown(shipping["title"]), "1", shipping["amount"], shipping["discount"],
                      shipping["tax"])  # fmt: skip
    for fee in canonical["fees"]:
        lines.add_row("fee", "", _shown(fee["title"]), "1", fee["amount"], "", fee["tax"])
    console.print(lines)
    taxes = ", ".join(f"{t['title']} {t['amount']}" for t in canonical["tax_lines"]) or "none"
    paid = ", ".join(f"{p['amount']} by {p['method'] or p['tender']}" for p in canonical["payments"]) or "nothing"
    console.print(f"tax: {taxes}; paid: {paid}; tax included in prices: {canonical['taxes_included']}")


def _posted_as(doc: dict[str, str]) -> str:
    """The books' own name for the document, where it is not ledgerflow's (an estimate for a sales order)."""
    books = doc.get("books_document") or ""
    return "" if books.lower() == doc["type"].replace("_", "") else f" (posted as {books})"


def _print_documents(body: dict[str, object]) -> None:
    from rich.table import Table

    for doc in body["documents"]:  # type: ignore[attr-defined]
        # Set by rules: shown only when set, so that an order without rules reads as before.
        settings = ", ".join(f"{label} {doc[key]}" for key, label in (("class", "class"), ("location", "location"),
                             ("deposit_account", "deposit to"), ("receivable_account", "receivable"))
                             if doc.get(key))  # fmt: skip
        settings = f" ({settings})" if settings else ""
        if doc.get("action") == "close":
            console.print(f"{doc['type']}: closed in the books{settings}", highlight=False)
            continue
        if not doc["lines"]:
            applied = ", ".join(doc["applies_to"]) or "nothing (unapplied credit)"
            console.print(
                f"{doc['type']} {doc['total']} {doc['currency']} applied to {applied}{settings}", highlight=False
            )
            if doc.get("sales_tax"):
                console.print(f"  sales tax ({doc['sales_tax']['mode']}): {doc['sales_tax']['note']}", highlight=False)
            continue
        vendor = f" to {doc['vendor']}" if doc["vendor"] else ""
        linked = f", linked to {', '.join(doc['applies_to'])}" if doc["applies_to"] else ""
        table = Table(
            title=_shown(
                f"{doc['type']} {doc['number'] or ''}{vendor} total {doc['total']} {doc['currency']}{linked}"
                f"{_posted_as(doc)}"
            )
            + settings
        )
        columns = ["kind", "item", "description", "quantity", "unit_price", "amount"]
        columns += [c for c in ("class", "tax_code") if any(line.get(c) for line in doc["lines"])]
        for column in columns:
            table.add_column(column)
        for line in doc["lines"]:
            table.add_row(*(_shown(line[c] or "") for c in columns))
        console.print(table)
        if doc.get("sales_tax"):
            console.print(
                f"sales tax ({doc['sales_tax']['mode']}): {_shown(doc['sales_tax']['note'])}", highlight=False
            )
    for error in body["errors"]:  # type: ignore[attr-defined]
        err_console.print(Text.assemble((error["code"], "red"), f": {_shown(error['message'])}"), highlight=False)


@app.command()
def demo(
    home: HomeOption = None,
    observe: Annotated[
        bool,
        typer.Option("--observe", help="Also Jaeger and Prometheus, and leave it all running to look at afterwards."),
    ] = False,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep",
            help="Leave the stack, the services and the console running afterwards; prints the "
            "console's address and a one-time sign-in link (stop: ledgerflow dev down).",
        ),
    ] = False,
) -> None:
    """Start everything, publish the sample orders, show what was posted, stop everything (unless --keep)."""
    from ledgerflow.cli.demo import run_demo
    from ledgerflow.devstack.errors import StackError
    from ledgerflow.devstack.stack import default_cache, default_home

    base = home.resolve() if home else default_home()
    try:
        result = run_demo(base / "demo", default_cache(base), console, observe=observe, keep=keep)
    except StackError as exc:
        err_console.print(f"error: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    raise typer.Exit(1 if result.failed else 0)


class LimitsChoice(StrEnum):
    QBO = "qbo"
    OFF = "off"


@app.command()
def sim(
    host: str = "127.0.0.1",
    port: int = 8000,
    token: Annotated[str | None, typer.Option(help="Development bearer token accepted for any realm.")] = None,
    limits: Annotated[LimitsChoice, typer.Option(help="qbo: 500 requests/min and 10 in flight per realm.")] = (
        LimitsChoice.QBO
    ),
    faults: Annotated[
        str | None, typer.Option(help="e.g. latency=20ms,error_rate=0.05,timeout_rate=0.01,drop_rate=0.1")
    ] = None,
    access_token_seconds: Annotated[float, typer.Option(help="Access-token lifetime.")] = 3600.0,
    refresh_token_seconds: Annotated[float, typer.Option(help="Refresh-token lifetime.")] = 100 * 24 * 3600.0,
    custom_txn_numbers: Annotated[bool, typer.Option(help="SalesFormsPrefs.CustomTxnNumbers of new companies.")] = True,
    retry_after: Annotated[int | None, typer.Option(help="Send Retry-After (seconds) with every 429.")] = None,
    admin_token: Annotated[
        str | None,
        typer.Option(
            help="Token of the admin API (faults, limits, books), sent as X-Ledgerflow-Admin; "
            "without it the admin API is off.",
            envvar="LEDGERFLOW_SIM_ADMIN_TOKEN",
        ),
    ] = None,
    rules: Annotated[
        str | None, typer.Option(help="Switches where QuickBooks' behaviour is unknown, e.g. line_ex_on_update=refuse")
    ] = None,
    sales_tax_rate: Annotated[
        str | None, typer.Option(help="New companies use automated sales tax at this rate (percent).")
    ] = None,
    multi_currency: Annotated[bool, typer.Option(help="Multicurrency on in new companies.")] = True,
) -> None:
    """Serve the QuickBooks Online simulator over HTTP."""
    from ledgerflow.qbo_sim.server import ServerOptions, serve

    serve(
        ServerOptions(
            host=host,
            port=port,
            token=token,
            limits=limits.value,
            faults=faults,
            access_token_seconds=access_token_seconds,
            refresh_token_seconds=refresh_token_seconds,
            custom_txn_numbers=custom_txn_numbers,
            retry_after=retry_after,
            admin_token=admin_token,
            rules=rules,
            sales_tax_rate=sales_tax_rate,
            multi_currency=multi_currency,
        )
    )


def _has_documents(response: object) -> bool:
    import httpx

    assert isinstance(response, httpx.Response)
    return response.status_code == 200 and bool(response.json().get("documents"))


class Edition(StrEnum):
    ENTERPRISE = "enterprise"
    PREMIER = "premier"
    PRO = "pro"


@app.command("desktop-sim")
def desktop_sim(
    host: str = "127.0.0.1",
    port: int = 8010,
    every: Annotated[
        float | None, typer.Option(help="Run each application every SECONDS (default: each .qwc's own schedule).")
    ] = None,
    auto_run: Annotated[bool, typer.Option(help="Off: updates run only when asked through the admin API.")] = True,
    edition: Annotated[Edition, typer.Option(help="Edition of new company files (sales orders need premier+).")] = (
        Edition.ENTERPRISE
    ),
    faults: Annotated[
        str | None,
        typer.Option(
            help="e.g. response_lost_after_save=next:1,cut_session_after=3,quickbooks_not_running=1,slow_file=200ms"
        ),
    ] = None,
    noop_wait: Annotated[float, typer.Option(help="Seconds the Web Connector pauses after a NoOp.")] = 5.0,
    admin_token: Annotated[
        str | None,
        typer.Option(
            help="Token of the admin API (company files, connectors, faults, books), sent as X-Ledgerflow-Admin; "
            "without it the admin API is off.",
            envvar="LEDGERFLOW_SIM_ADMIN_TOKEN",
        ),
    ] = None,
) -> None:
    """Serve the QuickBooks Desktop simulator: company files in memory, and a Web Connector that polls ledgerflow."""
    from ledgerflow.qbd_sim.server import ServerOptions as DesktopOptions
    from ledgerflow.qbd_sim.server import serve as serve_desktop

    serve_desktop(
        DesktopOptions(host=host, port=port, admin_token=admin_token, every=every, auto_run=auto_run,
                       edition=edition.value, faults=faults, noop_wait=noop_wait)
    )  # fmt: skip


@app.command()
def books(
    tenant: Annotated[str, typer.Option(callback=checked_name, help="Tenant (realm) whose books to show.")],
    sim_url: Annotated[str, typer.Option("--sim", help="QuickBooks Online simulator base URL.")] = (
        "http://127.0.0.1:8000"
    ),
    desktop_sim_url: Annotated[str, typer.Option("--desktop-sim", help="QuickBooks Desktop simulator base URL.")] = (
        "http://127.0.0.1:8010"
    ),
    target: Annotated[
        BooksTarget | None, typer.Option(help="Whose books: Online or Desktop (default: Online, else Desktop).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    admin_token: Annotated[
        str, typer.Option(help="The simulators' admin token.", envvar="LEDGERFLOW_SIM_ADMIN_TOKEN")
    ] = SIM_ADMIN_TOKEN,
) -> None:
    """A company's documents in the simulator: numbers, totals, balances, links and status.

    A Desktop company file is named after its tenant in the Desktop simulator.
    """
    import httpx
    from rich.table import Table

    from ledgerflow.qbo_sim.app import ADMIN_HEADER

    places = {
        BooksTarget.QUICKBOOKS_ONLINE: f"{sim_url.rstrip('/')}/admin/realms/{tenant}/books",
        BooksTarget.QUICKBOOKS_DESKTOP: f"{desktop_sim_url.rstrip('/')}/admin/company-files/{tenant}/books",
    }
    tried = [target] if target is not None else list(places)
    response = None
    for which in tried:
        try:
            found = httpx.get(places[which], headers={ADMIN_HEADER: admin_token}, timeout=10)
        except httpx.HTTPError as exc:
            if response is None and which is tried[-1]:
                err_console.print(f"error: cannot reach the simulator at {places[which]}: {exc}", highlight=False)
                raise typer.Exit(2) from None
            continue
        # Without --target: the Online company unless it holds nothing and a Desktop company file exists.
        if response is None or (found.status_code == 200 and not _has_documents(response)):
            response = found
        if _has_documents(response):
            break
    assert response is not None
    if response.status_code != 200:
        err_console.print(f"error: the simulator answered {response.status_code}: {response.text[:200]}",
                          highlight=False)  # fmt: skip
        raise typer.Exit(2)
    body = response.json()
    if as_json:
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        return
    table = Table(title=f"Books of {tenant}")
    columns = ("type", "id", "doc_number", "date", "customer", "total", "balance", "status", "linked", "memo")
    for column in columns:
        table.add_column("customer / vendor" if column == "customer" else column)
    for doc in body["documents"]:
        # Purchase orders, item receipts and bills name a vendor where sales forms name a customer.
        shown = {**doc, "customer": doc.get("customer") or doc.get("vendor")}
        table.add_row(*(_shown(shown.get(c)) if shown.get(c) not in (None, []) else "" for c in columns))
    console.print(table)


@app.command()
def webhooks(host: str = "127.0.0.1", port: int = 8080) -> None:
    """Receive signed Shopify and WooCommerce webhooks and publish them to orders.raw.

    Connections and their secrets come from LEDGERFLOW_WEBHOOK_CONNECTIONS (JSON), Kafka from
    LEDGERFLOW_KAFKA_BOOTSTRAP_SERVERS.
    """
    from ledgerflow.ingest.webhooks import serve

    serve(host, port)


# Run by hand, each service answers its health and metrics on loopback and a port of its own (the webhook receiver
# keeps 8080), so that the four can run side by side; LEDGERFLOW_HTTP_HOST and LEDGERFLOW_HTTP_PORT still decide.
LOCAL_HTTP_PORTS = {"ingest": 8081, "planner": 8082, "numbering": 8083, "ledger-writer": 8084}


@app.command()
def run(service: Service) -> None:
    """Run one service in the foreground (configured by LEDGERFLOW_* variables); health and metrics on
    127.0.0.1:8081 (ingest), 8082 (planner), 8083 (numbering) or 8084 (ledger-writer) unless set."""
    import importlib

    from ledgerflow.runtime.service import run as run_app

    os.environ.setdefault("LEDGERFLOW_HTTP_HOST", "127.0.0.1")
    os.environ.setdefault("LEDGERFLOW_HTTP_PORT", str(LOCAL_HTTP_PORTS[service.value]))
    module = importlib.import_module(f"ledgerflow.{service.value.replace('-', '_')}.app")
    run_app(module.create_service())


def _database_url(database_url: str | None, home: Path | None) -> str:
    if database_url:
        return database_url
    if env := os.environ.get("LEDGERFLOW_DATABASE_URL"):
        return env
    state = _stack(home).load()
    if state is None:
        err_console.print("No database: pass --database-url, set LEDGERFLOW_DATABASE_URL or run `ledgerflow dev up`.")
        raise typer.Exit(2)
    return state.database_url


@config_app.command("apply")
def config_apply(
    file: Annotated[
        Path, typer.Argument(help="YAML: one connection, a list, or {connections: [...], rules: {tenant: [...]}}.")
    ],
    database_url: Annotated[str | None, typer.Option(help="PostgreSQL URL (default: the running stack's).")] = None,
    home: HomeOption = None,
) -> None:
    """Validate connection settings and rules (every problem is listed) and store a new version of each changed
    connection and of each tenant's rule set."""
    from ledgerflow.cli.configuration import apply_file
    from ledgerflow.planner.connections import ConfigError

    try:
        applied = asyncio.run(apply_file(file, _database_url(database_url, home)))
    except ConfigError as exc:
        err_console.print(f"error: settings in {file} are not valid:\n{exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    for settings, version in applied.connections:
        console.print(f"{settings.tenant}/{settings.connection}: version {version} ({settings.mode.value})",
                      highlight=False)  # fmt: skip
    for rule_set, version in applied.rule_sets:
        console.print(f"{rule_set.tenant} rules: version {version} ({len(rule_set.rules)} rules)", highlight=False)


@app.command()
def resync(
    tenant: Annotated[str, typer.Option(callback=checked_name, help="The tenant whose orders to plan again.")],
    order: Annotated[str | None, typer.Option(help="One order, by its number in the channel.")] = None,
    date_from: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First order date.")
    ] = None,
    date_to: Annotated[datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last order date.")] = None,
    connection: Annotated[
        str | None, typer.Option(callback=checked_name, help="Only this connection (default: all).")
    ] = None,
    delete: Annotated[
        bool, typer.Option(help="Delete-and-resync: forget what was planned (its documents were deleted in the books).")
    ] = False,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap servers.")] = None,
    home: HomeOption = None,
) -> None:
    """Plan orders again from their latest version (L3): what is missing in the books is posted, nothing twice."""
    from pydantic import ValidationError

    from ledgerflow.cli.publishing import publish_request, resync_request
    from ledgerflow.contracts import Topic

    try:
        request = resync_request(
            tenant,
            connection=connection,
            order_number=order,
            ordered_from=date_from.date() if date_from else None,
            ordered_to=date_to.date() if date_to else None,
            delete=delete,
            requested_by=os.environ.get("USER"),
        )
    except ValidationError as exc:
        err_console.print(f"error: {exc.errors()[0]['msg']}", highlight=False)
        raise typer.Exit(2) from None
    partition, offset = asyncio.run(publish_request(_bootstrap(bootstrap, home), Topic.RESYNC, request))
    console.print(f"resync {request.meta.message_id} -> {Topic.RESYNC.value}[{partition}]@{offset}", highlight=False)


@app.command()
def reconcile(
    tenant: Annotated[str, typer.Option(callback=checked_name, help="The tenant whose books to reconcile.")],
    books_url: Annotated[
        str | None, typer.Option("--books", help="QuickBooks API base URL (default: LEDGERFLOW_QBO_BASE_URL).")
    ] = None,
    database_url: Annotated[str | None, typer.Option(help="PostgreSQL URL (default: the running stack's).")] = None,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap servers (for the dead letters).")] = None,
    stuck_after: Annotated[float, typer.Option(help="Seconds after which a document not yet posted is stuck.")] = 60,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    home: HomeOption = None,
) -> None:
    """Every expected document in the books exactly once, amounts and balances right, each dead letter with its
    reason, nothing stuck. Reads the services' tables (read-only), the books and the dead-letter topics."""
    from datetime import timedelta

    from ledgerflow.cli.reconcile import reconcile_tenant
    from ledgerflow.cli.reconcile_report import print_report, report_json
    from ledgerflow.ledger_writer.settings import WriterSettings
    from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient

    writer = WriterSettings()
    url = _database_url(database_url, home)
    brokers = _bootstrap(bootstrap, home)

    async def run() -> Reconciliation:
        client = QuickBooksClient(books_url or writer.qbo.base_url, writer.qbo.token.get_secret_value())
        try:
            return await reconcile_tenant(
                tenant,
                database_url=url,
                bootstrap_servers=brokers,
                client=client,
                realm=writer.realm_for(tenant),
                stuck_after=timedelta(seconds=stuck_after),
            )
        finally:
            await client.aclose()

    result = asyncio.run(run())
    if as_json:
        sys.stdout.write(report_json(result) + "\n")
    else:
        print_report(result, console, _trace_ui(home))
    raise typer.Exit(0 if result.ok else 1)


@refdata_app.command("sync")
def refdata_sync(
    tenant: Annotated[str, typer.Option(callback=checked_name, help="The tenant whose books to read.")],
    target: Annotated[BooksTarget, typer.Option(help="The tenant's books: Online, or a Desktop company file.")] = (
        BooksTarget.QUICKBOOKS_ONLINE
    ),
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap servers.")] = None,
    home: HomeOption = None,
) -> None:
    """Ask the writer to read the tenant's items and vendors from the books and hand them to the planner."""
    import uuid

    from ledgerflow.cli.publishing import publish_request
    from ledgerflow.contracts import MessageMeta, ReferenceSyncRequest, Topic

    message_id = uuid.uuid4()
    meta = MessageMeta(tenant_id=tenant, message_id=message_id, correlation_id=message_id)
    request = ReferenceSyncRequest(meta=meta, target=target)
    topic = Topic.REFERENCE_REQUESTS
    partition, offset = asyncio.run(publish_request(_bootstrap(bootstrap, home), topic, request))
    console.print(f"reference sync {message_id} -> {topic.value}[{partition}]@{offset}", highlight=False)


DatabaseUrlOption = Annotated[str | None, typer.Option(help="PostgreSQL URL (default: the running stack's).")]


def _token_cipher() -> TokenCipher:
    from ledgerflow.ledger_writer.settings import TokenKeySettings
    from ledgerflow.ledger_writer.targets.qbo.credentials.cipher import TokenCipher, TokenKeyError

    key = TokenKeySettings().key
    if key is None:
        err_console.print("error: set LEDGERFLOW_TOKEN_KEY to the writers' key (`ledgerflow tokens key` makes one).")
        raise typer.Exit(2)
    try:
        return TokenCipher(key)
    except TokenKeyError as exc:
        err_console.print(f"error: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _read_refresh_token(path: Path | None) -> SecretStr:
    from pydantic import SecretStr

    if path is not None and str(path) != "-":
        text = path.read_text()
    elif sys.stdin.isatty():
        text = typer.prompt("Refresh token", hide_input=True)
    else:
        text = sys.stdin.read()
    if not text.strip():
        err_console.print("error: no refresh token given")
        raise typer.Exit(2)
    return SecretStr(text.strip())


@tokens_app.command("key")
def tokens_key() -> None:
    """Print a new encryption key for LEDGERFLOW_TOKEN_KEY (put it in the Secret, never in a file in git)."""
    from ledgerflow.ledger_writer.targets.qbo.credentials.cipher import new_key

    sys.stdout.write(new_key() + "\n")


@tokens_app.command("store")
def tokens_store(
    tenant: Annotated[str, typer.Option(callback=checked_name, help="Tenant whose company this is.")],
    realm: Annotated[
        str | None, typer.Option(help="QuickBooks company (realm) id; default: the tenant's, as the writer maps it.")
    ] = None,
    refresh_token_file: Annotated[
        Path | None, typer.Option(help="File holding the refresh token; '-' or absent: standard input.")
    ] = None,
    database_url: DatabaseUrlOption = None,
    home: HomeOption = None,
) -> None:
    """Encrypt a company's OAuth refresh token (from connecting it) and store it for the writers.

    The key comes from LEDGERFLOW_TOKEN_KEY, as the writers read it. It replaces what was stored for the company.
    """
    from ledgerflow.cli.credentials import store_refresh_token
    from ledgerflow.ledger_writer.settings import WriterSettings

    cipher = _token_cipher()
    company = realm or WriterSettings().realm_for(tenant)
    token = _read_refresh_token(refresh_token_file)
    url = _database_url(database_url, home)
    asyncio.run(store_refresh_token(url, cipher, tenant_id=tenant, realm=company, refresh_token=token))
    console.print(f"{tenant}: refresh token of company {company} stored, encrypted", highlight=False)


@tokens_app.command("rekey")
def tokens_rekey(database_url: DatabaseUrlOption = None, home: HomeOption = None) -> None:
    """Encrypt every stored token again with the first key of LEDGERFLOW_TOKEN_KEY, so the others can be retired."""
    from ledgerflow.cli.credentials import reencrypt
    from ledgerflow.ledger_writer.targets.qbo.credentials.cipher import TokenKeyError

    cipher = _token_cipher()
    try:
        count = asyncio.run(reencrypt(_database_url(database_url, home), cipher))
    except TokenKeyError as exc:
        err_console.print(f"error: {exc}; nothing was changed", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"{count} companies re-encrypted with the first key", highlight=False)


@tokens_app.command("list")
def tokens_list(database_url: DatabaseUrlOption = None, home: HomeOption = None) -> None:
    """Companies with stored credentials: when their tokens expire, and whether a refresh token was refused."""
    from rich.table import Table

    from ledgerflow.cli.credentials import stored_companies

    table = Table(title="Stored QuickBooks Online credentials")
    for column in ("tenant", "realm", "access token expires", "refresh token expires", "refused", "updated"):
        table.add_column(column)
    for company in asyncio.run(stored_companies(_database_url(database_url, home))):
        table.add_row(company.tenant_id, company.realm, _when(company.access_expires_at),
                      _when(company.refresh_expires_at), company.refused or "", _when(company.updated_at))  # fmt: skip
    console.print(table)


@queues_app.callback()
def queues_list(
    ctx: typer.Context,
    tenant: Annotated[
        str | None, typer.Option(callback=checked_name, help="Only this tenant's companies (listed even when idle).")
    ] = None,
    pool: Annotated[str | None, typer.Option(help="Only this writer pool's companies.")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Idle companies too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per company, in a list.")] = False,
    database_url: DatabaseUrlOption = None,
    home: HomeOption = None,
) -> None:
    """Companies with queued commands or paused, deepest first: queued, oldest, rate used against the limit,
    throttles, the writer draining each; a paused company with its reason and the fix."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from ledgerflow.cli import queues

    url = _database_url(database_url, home)
    found = asyncio.run(queues.company_queues(url, tenant=tenant, writer_pool=pool, everything=everything))
    if as_json:
        print(json.dumps([queues.as_json(q) for q in found], indent=2))
        return
    table = Table(title="Company queues")
    for column in ("tenant", "company", "pool", "queued", "oldest", "retrying", "rate/min", "throttled", "status",
                   "writer"):  # fmt: skip
        table.add_column(column)
    for q in found:
        rate = f"{q.used_last_minute}/{q.limit_per_minute}" if q.limit_per_minute else ""
        table.add_row(q.tenant_id, q.company_id, q.writer_pool, str(q.depth), queues.age(q.oldest_seconds),
                      str(q.retrying or ""), rate, str(q.throttled or ""), queues.status(q), q.owner or "")  # fmt: skip
    console.print(table)
    for q in found:
        if q.paused is not None:
            console.print(f"{q.tenant_id} ({q.company_id}) paused: {q.paused.message}\n  fix: {q.paused.fix}",
                          highlight=False, soft_wrap=True)  # fmt: skip
        elif q.last_error:
            console.print(f"{q.tenant_id} ({q.company_id}) retrying: {q.last_error}", highlight=False, soft_wrap=True)


@queues_app.command("pause")
def queues_pause(
    tenant: Annotated[str, typer.Option(callback=checked_name, help="Tenant whose companies stop being drained.")],
    reason: Annotated[str, typer.Option(help="Why, for whoever looks at the queue next.")] = "no reason given",
    database_url: DatabaseUrlOption = None,
    home: HomeOption = None,
) -> None:
    """Stop posting a tenant's documents: its commands keep being queued, nothing is sent until it is resumed."""
    from ledgerflow.cli import queues

    paused = asyncio.run(queues.pause(_database_url(database_url, home), tenant, reason))
    if not paused:
        err_console.print(f"{tenant}: no running company queue to pause", highlight=False)
        raise typer.Exit(1)
    console.print(f"{tenant}: paused {', '.join(paused)}", highlight=False)


@queues_app.command("resume")
def queues_resume(
    tenant: Annotated[
        str, typer.Option(callback=checked_name, help="Tenant whose paused companies are drained again.")
    ],
    database_url: DatabaseUrlOption = None,
    home: HomeOption = None,
) -> None:
    """Drain a paused tenant's companies again (after its credentials are fixed), waiting commands first."""
    from ledgerflow.cli import queues

    resumed = asyncio.run(queues.resume(_database_url(database_url, home), tenant))
    if not resumed:
        err_console.print(f"{tenant}: no paused company queue", highlight=False)
        raise typer.Exit(1)
    console.print(f"{tenant}: resumed {', '.join(resumed)}", highlight=False)


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else ""


@schemas_app.command("asyncapi")
def schemas_asyncapi(directory: Annotated[Path, typer.Argument()] = Path("docs/asyncapi")) -> None:
    """Write the AsyncAPI document of every service, generated from its FastStream app."""
    from ledgerflow.cli.asyncapi import write_documents

    for path in write_documents(directory):
        console.print(str(path), highlight=False)


@schemas_app.command("export")
def schemas_export(directory: Annotated[Path, typer.Argument()] = Path("docs/schemas")) -> None:
    """Write the JSON Schema of every message model, and of the custom-store order format."""
    from ledgerflow.contracts.schemas import export_json_schemas
    from ledgerflow.ingest.normalizers.custom import CustomStoreOrder

    custom = directory / "custom_store_order.schema.json"
    custom.write_text(json.dumps(CustomStoreOrder.model_json_schema(), indent=2, sort_keys=True) + "\n")
    for path in [*export_json_schemas(directory), custom]:
        console.print(str(path), highlight=False)


def main() -> None:
    """The ``ledgerflow`` command: what goes wrong is said in one line (the traceback with LEDGERFLOW_DEBUG=1)."""
    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:
        if os.environ.get("LEDGERFLOW_DEBUG"):
            raise
        err_console.print(f"error: {one_line(exc)}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None


def one_line(exc: BaseException) -> str:
    """What failed, and where to look, without a traceback."""
    text = " ".join(str(exc).split())[:300] or type(exc).__name__
    if isinstance(exc, ConnectionRefusedError | OSError) and "connect" in text.lower():
        return f"{text} (is the database or Kafka running? `ledgerflow dev status` shows the local stack)"
    if isinstance(exc, RecursionError):
        return "the input nests too deeply to be read"
    if isinstance(exc, UnicodeError):
        return f"the input holds text that cannot be encoded: {text}"
    return f"{type(exc).__name__}: {text}"
