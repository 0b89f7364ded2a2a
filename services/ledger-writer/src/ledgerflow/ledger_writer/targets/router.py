"""Both targets behind one: each command goes to the books its connection names; each company to its target."""

from __future__ import annotations

from ledgerflow.contracts import BooksTarget, MatchingPolicy
from ledgerflow.ledger_writer.books import Books, Company, RateState, ReferenceSnapshot, Target
from ledgerflow.ledger_writer.targets.qbd.registry import is_desktop


class Targets:
    name = "quickbooks"

    def __init__(self, online: Target, desktop: Target) -> None:
        self._online = online
        self._desktop = desktop

    def _of(self, company: Company) -> Target:
        return self._desktop if is_desktop(company.company_id) else self._online

    def company_of(self, tenant_id: str, books: BooksTarget = BooksTarget.QUICKBOOKS_ONLINE) -> Company:
        target = self._desktop if books is BooksTarget.QUICKBOOKS_DESKTOP else self._online
        return target.company_of(tenant_id, books)

    def calls_in(self, company: Company) -> bool:
        return self._of(company).calls_in(company)

    def books(self, company: Company, matching: MatchingPolicy, attempt: str) -> Books:
        return self._of(company).books(company, matching, attempt)

    def in_flight_limit(self, company: Company) -> int:
        return self._of(company).in_flight_limit(company)

    async def reference_data(self, company: Company) -> ReferenceSnapshot:
        return await self._of(company).reference_data(company)

    def rate_state(self, company: Company) -> RateState:
        return self._of(company).rate_state(company)

    def restore_rate(self, company: Company, state: RateState) -> None:
        self._of(company).restore_rate(company, state)

    async def aclose(self) -> None:
        await self._online.aclose()
        await self._desktop.aclose()
