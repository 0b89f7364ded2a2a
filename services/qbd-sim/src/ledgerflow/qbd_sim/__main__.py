"""``python -m ledgerflow.qbd_sim --port 8010 --admin-token …``; ``ledgerflow desktop-sim`` takes the same options."""

from __future__ import annotations

import argparse

from ledgerflow.qbd_sim.server import ServerOptions, serve


def main() -> None:
    parser = argparse.ArgumentParser(description="QuickBooks Desktop simulator: company files and a Web Connector")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--admin-token", default=None, help="the admin API's token (header X-Ledgerflow-Admin)")
    parser.add_argument("--every", type=float, default=None, help="run each application every SECONDS (Auto-Run)")
    parser.add_argument("--auto-run", choices=("on", "off"), default="on", help="off: updates run only when asked")
    parser.add_argument("--edition", choices=("enterprise", "premier", "pro"), default="enterprise")
    parser.add_argument(
        "--faults",
        default=None,
        help="e.g. response_lost_after_save=next:1,cut_session_after=3,quickbooks_not_running=1,"
        "slow_file=200ms,http_timeout=30s,drop_rate=0.05,seed=7",
    )
    parser.add_argument("--noop-wait", type=float, default=5.0, help="seconds to pause after getLastError says NoOp")
    parser.add_argument("--qbxml-version", default="16.0", help="qbXMLMajorVers.qbXMLMinorVers sent to the server")
    args = parser.parse_args()
    serve(
        ServerOptions(
            host=args.host,
            port=args.port,
            admin_token=args.admin_token,
            every=args.every,
            auto_run=args.auto_run == "on",
            edition=args.edition,
            faults=args.faults,
            noop_wait=args.noop_wait,
            qbxml_version=args.qbxml_version,
        )
    )


if __name__ == "__main__":
    main()
