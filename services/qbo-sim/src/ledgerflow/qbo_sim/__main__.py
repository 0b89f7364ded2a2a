"""``python -m ledgerflow.qbo_sim --port 8000``; ``ledgerflow sim`` takes the same options."""

from __future__ import annotations

import argparse

from ledgerflow.qbo_sim.server import ServerOptions, serve


def main() -> None:
    parser = argparse.ArgumentParser(description="QuickBooks Online v3 simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--token", default=None, help="development bearer token accepted for any realm")
    parser.add_argument("--admin-token", default=None, help="the admin API's token (header X-Ledgerflow-Admin)")
    parser.add_argument("--limits", choices=("qbo", "off"), default="qbo")
    parser.add_argument("--faults", default=None, help="e.g. latency=20ms,error_rate=0.05,drop_rate=0.1")
    parser.add_argument("--access-token-seconds", type=float, default=3600.0)
    parser.add_argument("--refresh-token-seconds", type=float, default=100 * 24 * 3600.0)
    parser.add_argument("--custom-txn-numbers", choices=("on", "off"), default="on")
    parser.add_argument("--rules", default=None, help="switches, e.g. line_ex_on_update=refuse (docs/simulator.md)")
    parser.add_argument("--sales-tax-rate", default=None, help="new companies use automated sales tax at this %%")
    parser.add_argument("--multi-currency", choices=("on", "off"), default="on")
    parser.add_argument("--retry-after", type=int, default=None, help="send Retry-After with every 429")
    args = parser.parse_args()
    serve(
        ServerOptions(
            host=args.host,
            port=args.port,
            token=args.token,
            limits=args.limits,
            faults=args.faults,
            access_token_seconds=args.access_token_seconds,
            refresh_token_seconds=args.refresh_token_seconds,
            custom_txn_numbers=args.custom_txn_numbers == "on",
            retry_after=args.retry_after,
            admin_token=args.admin_token,
            rules=args.rules,
            sales_tax_rate=args.sales_tax_rate,
            multi_currency=args.multi_currency == "on",
        )
    )


if __name__ == "__main__":
    main()
