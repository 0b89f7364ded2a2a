"""The simulator's admin API: company files, the applications added to the Web Connector, and faults.

QuickBooks Desktop has no HTTP API of its own, so everything here is the tester's side of the machine: create
and seed company files, add .qwc files as the user would, press "Update Selected", key documents in by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ledgerflow.qbd_sim.company import CompanyFile, Edition, Switches
from ledgerflow.qbd_sim.connector.log import SessionLog
from ledgerflow.qbd_sim.connector.qwc import ADD_FAILED, QwcError, parse_qwc
from ledgerflow.qbd_sim.connector.scheduler import AlreadyAdded, Registration, Scheduler
from ledgerflow.qbd_sim.connector.session import ConnectorSettings, run_update
from ledgerflow.qbd_sim.faults import FaultPlan

COMPANY_FILES = "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\"
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")
ADMIN_HEADER = "X-Ledgerflow-Admin"
DEFAULT_SESSIONS = 10
SEEDS = ("items", "vendors", "customers")


class AdminError(Exception):
    def __init__(self, status: int, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.status = status
        self.body = {"error": error, **extra}


class Simulator:
    """Company files, the Web Connector's registrations and its scheduler, and the faults it suffers."""

    def __init__(
        self,
        *,
        admin_token: str | None = None,
        edition: Edition = Edition.ENTERPRISE,
        faults: FaultPlan | None = None,
        every: float | None = None,
        auto_run: bool = True,
        settings: ConnectorSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if every is not None and every <= 0:
            raise ValueError("every must be a positive number of seconds")
        self.admin_token = admin_token
        self.edition = edition
        self.faults = faults or FaultPlan()
        self.every = every
        self.auto_run = auto_run
        self.settings = settings or ConnectorSettings()
        self.files: dict[str, CompanyFile] = {}
        self.scheduler = Scheduler(self._update)
        self._transport = transport  # tests route the connector to an in-process server

    def create_file(
        self,
        name: str,
        *,
        edition: Edition | None = None,
        switches: Switches | None = None,
        company_name: str | None = None,
    ) -> CompanyFile:
        if not _FILE_NAME.match(name):
            raise ValueError("a company file name is 1-64 letters, digits, spaces, '.', '_' or '-'")
        if name in self.files:
            raise FileExistsError(name)
        company = CompanyFile(
            f"{COMPANY_FILES}{name}.qbw", edition=edition or self.edition, switches=switches, company_name=company_name
        )
        self.files[name] = company
        return company

    def register(self, qwc_text: str, password: str, company_file: str, *, every: float | None = None) -> Registration:
        """What "Add an application" does: check the .qwc, stamp its FileID into the file, and list it."""
        qwc = parse_qwc(qwc_text)
        if qwc.qb_type != "QBFS":
            raise QwcError(ADD_FAILED, f"QBType {qwc.qb_type}: this simulator has QuickBooks financial files only.")
        if qwc.style != "Document":
            raise QwcError(ADD_FAILED, f"Style {qwc.style}: this simulator's Web Connector speaks Document style only.")
        company = self.files[company_file]
        if every is not None and every <= 0:
            raise ValueError("every must be a positive number of seconds")
        self.scheduler.check_new(qwc.app_name)
        company.stamp_file_id(qwc.owner_id, qwc.file_id)
        schedule = every or self.every or qwc.run_every_seconds
        registration = Registration(
            qwc=qwc,
            password=password,
            company=company,
            company_name=company_file,
            every_seconds=float(schedule) if schedule and self.auto_run else None,
        )
        self.scheduler.add(registration)
        return registration

    async def run_now(self, app_name: str) -> SessionLog:
        return await self.scheduler.run_now(app_name)

    async def _update(self, registration: Registration) -> SessionLog:
        # No httpx timeout: the session puts its own deadline on each call, as QBWC's client does.
        async with httpx.AsyncClient(transport=self._transport, timeout=None) as http:  # noqa: S113
            return await run_update(
                registration.qwc,
                registration.password,
                registration.company,
                http,
                faults=self.faults,
                settings=self.settings,
            )

    # ---- company files ------------------------------------------------------------------------

    async def admin_create_file(self, request: Request) -> Response:
        body = await _json_body(request)
        name = _text(body, "name")
        try:
            edition = Edition(body["edition"]) if body.get("edition") else None
            switches = Switches(**body["switches"]) if body.get("switches") else None
        except (TypeError, ValueError) as exc:
            raise AdminError(400, f"bad edition or switches: {exc}") from None
        try:
            company = self.create_file(name, edition=edition, switches=switches, company_name=body.get("company_name"))
        except FileExistsError:
            raise AdminError(409, f"a company file named {name!r} exists") from None
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        return json_response(self._file_summary(name, company), 201)

    async def admin_files(self, request: Request) -> Response:
        return json_response({"company_files": [self._file_summary(n, c) for n, c in self.files.items()]})

    def _file_summary(self, name: str, company: CompanyFile) -> dict[str, Any]:
        apps = [r.app_name for r in self.scheduler.all() if r.company is company]
        return {"name": name, "path": company.path, "edition": str(company.edition), "connectors": apps}

    async def admin_books(self, request: Request) -> Response:
        # The engine is locked while a message set runs; wait for it off the event loop.
        return json_response(await asyncio.to_thread(self._file(request).books))

    def admin_seed(self, kind: str) -> AdminHandler:
        async def seed(request: Request) -> Response:
            return await self._seed(request, kind)

        return seed

    async def _seed(self, request: Request, kind: str) -> Response:
        company = self._file(request)
        body = await _json_body(request)
        name = _text(body, "name")
        with _engine_errors():
            if kind == "items":
                added: Any = await asyncio.to_thread(
                    company.add_item,
                    name,
                    kind=str(body.get("kind") or "NonInventory"),
                    price=_money(body, "price"),
                    cost=_money(body, "cost"),
                    vendor=body.get("vendor"),
                )
            elif kind == "vendors":
                added = await asyncio.to_thread(company.add_vendor, name)
            else:
                added = await asyncio.to_thread(company.add_customer, name)
        return json_response(added if isinstance(added, dict) else {"name": name}, 201)

    async def admin_keyed(self, request: Request) -> Response:
        """A document the bookkeeper keyed into QuickBooks by hand, outside any integration."""
        company = self._file(request)
        body = await _json_body(request)
        amount = _money(body, "amount")
        if amount is None:
            raise AdminError(400, "amount is required")
        with _engine_errors():
            keyed = await asyncio.to_thread(
                company.key_by_hand,
                _text(body, "txn_type"),
                customer=_text(body, "customer"),
                amount=amount,
                ref_number=body.get("ref_number"),
                txn_date=_date(body, "txn_date"),
                memo=body.get("memo"),
            )
        return json_response(keyed, 201)

    async def admin_edit_transaction(self, request: Request) -> Response:
        """A person edits a document in QuickBooks: its EditSequence moves, so an integration's next Mod fails."""
        company = self._file(request)
        body = await _json_body(request)
        manually_closed = body.get("manually_closed")
        if manually_closed is not None and not isinstance(manually_closed, bool):
            raise AdminError(400, "manually_closed must be true or false")
        with _engine_errors():
            edited = await asyncio.to_thread(
                company.edit_by_hand,
                request.path_params["txn_type"],
                request.path_params["txn_id"],
                memo=body.get("memo"),
                ref_number=body.get("ref_number"),
                manually_closed=manually_closed,
            )
        return json_response(edited)

    async def admin_closing_date(self, request: Request) -> Response:
        company = self._file(request)
        body = await _json_body(request)
        if "closing_date" not in body:
            raise AdminError(400, 'closing_date is required (a date such as "2024-12-31", or null)')
        company.closing_date = _date(body, "closing_date")
        return json_response({"closing_date": company.closing_date})

    async def admin_delete_transaction(self, request: Request) -> Response:
        company = self._file(request)
        txn_type, txn_id = request.path_params["txn_type"], request.path_params["txn_id"]
        with _engine_errors():
            await asyncio.to_thread(company.delete_by_hand, txn_type, txn_id)
        return json_response({"deleted": {"txn_type": txn_type, "txn_id": txn_id}})

    def _file(self, request: Request) -> CompanyFile:
        name = request.path_params["name"]
        if name not in self.files:
            raise AdminError(404, f"no company file named {name!r}")
        return self.files[name]

    # ---- the Web Connector --------------------------------------------------------------------

    async def admin_register(self, request: Request) -> Response:
        body = await _json_body(request)
        qwc, password, company_file = _text(body, "qwc"), _text(body, "password"), _text(body, "company_file")
        every = body.get("every_seconds")
        if every is not None and (isinstance(every, bool) or not isinstance(every, int | float | Decimal)):
            raise AdminError(400, "every_seconds must be a number")
        if company_file not in self.files:
            raise AdminError(404, f"no company file named {company_file!r}")
        try:
            registration = self.register(qwc, password, company_file, every=float(every) if every else None)
        except QwcError as exc:
            raise AdminError(422, str(exc), code=exc.code, message=exc.message) from None
        except AlreadyAdded as exc:
            raise AdminError(409, str(exc)) from None
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        return json_response(registration.as_dict(self.scheduler.now()), 201)

    async def admin_connectors(self, request: Request) -> Response:
        now = self.scheduler.now()
        return json_response({"connectors": [r.as_dict(now) for r in self.scheduler.all()]})

    async def admin_run(self, request: Request) -> Response:
        session = await self.run_now(self._registration(request).app_name)
        return json_response(session.as_dict())

    async def admin_sessions(self, request: Request) -> Response:
        registration = self._registration(request)
        try:
            limit = int(request.query_params.get("limit", DEFAULT_SESSIONS))
        except ValueError:
            raise AdminError(400, "limit must be a whole number") from None
        return json_response({"sessions": [s.as_dict() for s in registration.recent(max(0, limit))]})

    async def admin_unregister(self, request: Request) -> Response:
        registration = self.scheduler.remove(self._registration(request).app_name)
        return json_response({"removed": registration.app_name})

    def _registration(self, request: Request) -> Registration:
        app_name = request.path_params["app_name"]
        try:
            return self.scheduler.get(app_name)
        except KeyError:
            raise AdminError(404, f"no application named {app_name!r}") from None

    async def admin_faults(self, request: Request) -> Response:
        if request.method == "PUT":
            try:
                # In place: an update running now meets the new faults too, as a real network would change under it.
                self.faults.replace_with(FaultPlan.from_dict(await _json_body(request, floats=False)))
            except (TypeError, ValueError) as exc:
                raise AdminError(400, str(exc)) from None
        return json_response(self.faults.as_dict())

    async def health(self, request: Request) -> Response:
        connectors = len(self.scheduler.all())
        return json_response({"status": "ok", "company_files": len(self.files), "connectors": connectors})


def _encode(value: Any) -> Any:
    # Amounts stay exact: QuickBooks writes them as decimal strings in qbXML too.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot encode {type(value).__name__}")


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, default=_encode), status_code=status, media_type="application/json")


async def _json_body(request: Request, *, floats: bool = True) -> dict[str, Any]:
    try:
        raw = await request.body()
        body = json.loads(raw, parse_float=Decimal) if floats else json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise AdminError(400, "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise AdminError(400, "the request body must be a JSON object")
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise AdminError(400, f"{name} is required (a non-empty string)")
    return value


def _money(body: dict[str, Any], name: str) -> Decimal | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise AdminError(400, f'{name} must be an amount such as "19.99"')
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise AdminError(400, f'{name} must be an amount such as "19.99"') from None


def _date(body: dict[str, Any], name: str) -> date | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise AdminError(400, f'{name} must be a date such as "2024-12-31"') from None


@contextlib.contextmanager
def _engine_errors() -> Iterator[None]:
    try:
        yield
    except KeyError as exc:
        raise AdminError(404, f"not found: {exc.args[0] if exc.args else exc}") from None
    except (TypeError, ValueError) as exc:
        raise AdminError(400, str(exc)) from None


async def _admin_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdminError)
    return json_response(exc.body, exc.status)


AdminHandler = Callable[[Request], Awaitable[Response]]


def _admin_only(sim: Simulator, handler: AdminHandler) -> AdminHandler:
    """Every admin route answers only its own token, as the Online simulator's does."""

    async def gated(request: Request) -> Response:
        if sim.admin_token is None:
            return json_response({"error": "the admin API is off: start the simulator with --admin-token"}, 403)
        given = request.headers.get(ADMIN_HEADER, "")
        if not hmac.compare_digest(given.encode(), sim.admin_token.encode()):
            return json_response({"error": f"missing or wrong {ADMIN_HEADER}"}, 401)
        return await handler(request)

    return gated


def create_app(simulator: Simulator | None = None) -> Starlette:
    sim = simulator or Simulator()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sim.scheduler.start()
        try:
            yield
        finally:
            await sim.scheduler.stop()

    def admin(path: str, handler: AdminHandler, *methods: str) -> Route:
        return Route(path, _admin_only(sim, handler), methods=list(methods))

    files = "/admin/company-files"
    connectors = "/admin/connectors"
    app = Starlette(
        routes=[
            admin(files, sim.admin_create_file, "POST"),
            admin(files, sim.admin_files, "GET"),
            admin(f"{files}/{{name}}/books", sim.admin_books, "GET"),
            *(admin(f"{files}/{{name}}/{kind}", sim.admin_seed(kind), "POST") for kind in SEEDS),
            admin(f"{files}/{{name}}/keyed", sim.admin_keyed, "POST"),
            admin(f"{files}/{{name}}/transactions/{{txn_type}}/{{txn_id}}", sim.admin_delete_transaction, "DELETE"),
            admin(f"{files}/{{name}}/transactions/{{txn_type}}/{{txn_id}}", sim.admin_edit_transaction, "PATCH"),
            admin(f"{files}/{{name}}/closing-date", sim.admin_closing_date, "PUT"),
            admin(connectors, sim.admin_register, "POST"),
            admin(connectors, sim.admin_connectors, "GET"),
            admin(f"{connectors}/{{app_name}}/run", sim.admin_run, "POST"),
            admin(f"{connectors}/{{app_name}}/sessions", sim.admin_sessions, "GET"),
            admin(f"{connectors}/{{app_name}}", sim.admin_unregister, "DELETE"),
            admin("/admin/faults", sim.admin_faults, "GET", "PUT"),
            Route("/health", sim.health, methods=["GET"]),
        ],
        exception_handlers={AdminError: _admin_error},
        lifespan=lifespan,
    )
    app.state.simulator = sim
    return app
