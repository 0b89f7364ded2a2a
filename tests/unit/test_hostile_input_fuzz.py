"""Hostile and careless input, generated: the webhook receiver answers every signed body with a post or a 4xx and
its reason, never a 500; ``preview`` refuses what it cannot take in one line, never with a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ledgerflow.cli.main import app
from ledgerflow.contracts import Channel
from ledgerflow.ingest.webhooks import Envelope, WebhookConnection, WebhookSettings, create_webhook_app, signature_of

SECRET = "fuzz-secret-0123456789"
RECEIVER = WebhookSettings(
    connections={"shop": WebhookConnection(tenant="acme", channel=Channel.SHOPIFY, secret=SECRET)},
    max_body_bytes=64 * 1024,
)

# Scalars that break encoders and databases: NUL, lone surrogates, control characters, huge and tiny numbers.
text = st.text(alphabet=st.characters(codec=None, blacklist_categories=()), max_size=50) | st.sampled_from(
    ["\x00", "\ud800", "\x1b[31m", "[/bold]", "9" * 5000, "NaN", "-0", "1e309"]
)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
                      max_leaves=30)  # fmt: skip
order_like = st.fixed_dictionaries(
    {"id": scalars, "order_number": scalars, "currency": text, "total_price": scalars, "line_items": values},
    optional={"customer": values, "created_at": text, "note": text},
)


class Swallow:
    def __init__(self) -> None:
        self.published: list[Any] = []

    async def publish(self, envelope: Envelope) -> None:
        envelope.model_dump_json()  # what a real producer would send must be encodable
        self.published.append(envelope)


def _raw_bodies() -> st.SearchStrategy[bytes]:
    encoded = order_like.map(lambda order: json.dumps(order, ensure_ascii=False, allow_nan=True)
                             .encode("utf-8", errors="surrogatepass"))  # fmt: skip
    return encoded | st.binary(max_size=300) | st.sampled_from([b"[" * 400 + b"]" * 400, b'{"a": NaN}', b"\xff\xfe"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_raw_bodies())
async def test_the_receiver_answers_every_signed_body_with_a_post_or_a_reason(body: bytes) -> None:
    publisher = Swallow()
    receiver = create_webhook_app(RECEIVER, publisher)
    headers = {"X-Shopify-Hmac-SHA256": signature_of(SECRET, body), "X-Shopify-Webhook-Id": "fuzz"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver), base_url="http://r") as client:
        response = await client.post("/webhooks/shop/shopify", content=body, headers=headers)
    assert response.status_code in (202, 400, 413), (response.status_code, response.text)
    if response.status_code == 202:
        assert len(publisher.published) == 1
    else:
        assert response.json()["error"] and publisher.published == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(order=order_like)
def test_preview_takes_an_order_or_refuses_it_in_one_line(tmp_path: Path, order: dict[str, Any]) -> None:
    path = tmp_path / "order.json"
    path.write_bytes(json.dumps({"order": order}, allow_nan=True).encode("utf-8", errors="surrogatepass"))
    result = CliRunner().invoke(app, ["preview", "--channel", "shopify", str(path)])
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
