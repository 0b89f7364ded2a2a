"""``python -m ledgerflow.qbo_sim --port 8000``; ``ledgerflow sim`` does the same."""

from __future__ import annotations

import argparse

import uvicorn

from ledgerflow.qbo_sim.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description="QuickBooks Online v3 simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--token", default=None, help="Bearer token accepted for any realm")
    args = parser.parse_args()
    uvicorn.run(create_app(token=args.token), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
