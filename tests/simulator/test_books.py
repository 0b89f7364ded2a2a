"""The books dump: what a bookkeeper reconciles, over the admin API and ``ledgerflow books``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ledgerflow.cli.main import app
from tests.simulator.conftest import ADMIN_TOKEN, Qbo, SimServer, invoice_body, payment_body


async def test_books_list_documents_with_numbers_totals_balances_links_and_status(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    invoice = (await qbo.create("invoice", invoice_body(customer, item)))["Invoice"]
    payment = await qbo.create("payment", payment_body(customer, invoice["Id"], 40) | {"PaymentRefNum": "ch_1"})
    books = await qbo.books()
    assert books["customers"] == 1
    first, second = books["documents"]
    assert (first["type"], first["doc_number"], first["total"], first["balance"], first["customer"]) == (
        "Invoice", "1001", 40, 0, "Jane Cooper",
    )  # fmt: skip
    assert first["linked"] == [f"Payment:{payment['Payment']['Id']}"]
    assert (second["type"], second["reference"], second["linked"]) == ("Payment", "ch_1", [])


async def test_ledgerflow_books_prints_them(qbo: Qbo, sim_server: SimServer) -> None:
    customer, item = await qbo.customer_and_item()
    await qbo.create("invoice", invoice_body(customer, item))
    admin = ["--admin-token", ADMIN_TOKEN]
    result = CliRunner().invoke(app, ["books", "--tenant", qbo.realm, "--sim", sim_server.url, *admin, "--json"])
    assert result.exit_code == 0, result.output
    assert [d["doc_number"] for d in json.loads(result.stdout)["documents"]] == ["1001"]
    table = CliRunner().invoke(app, ["books", "--tenant", qbo.realm, "--sim", sim_server.url, *admin])
    assert "1001" in table.stdout and "Invoice" in table.stdout


async def test_ledgerflow_books_prints_names_as_written_never_as_markup(qbo: Qbo, sim_server: SimServer) -> None:
    customer, item = await qbo.customer_and_item(name="[/bold] [link=http://evil.example]Jane[/link]")
    await qbo.create("invoice", invoice_body(customer, item))
    result = CliRunner().invoke(
        app, ["books", "--tenant", qbo.realm, "--sim", sim_server.url, "--admin-token", ADMIN_TOKEN]
    )
    assert result.exit_code == 0, result.output
    assert "[/bold]" in result.stdout and "[link=http://evil" in result.stdout  # shown, not interpreted


async def test_ledgerflow_books_with_a_wrong_admin_token_says_so_in_one_line(sim_server: SimServer) -> None:
    result = CliRunner().invoke(
        app, ["books", "--tenant", "acme", "--sim", sim_server.url, "--admin-token", "wrong-token"]
    )
    assert result.exit_code != 0
    assert "401" in result.output and "Traceback" not in result.output
