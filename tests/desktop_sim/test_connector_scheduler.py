"""Auto-Run: applications run one at a time, every N seconds, as authenticate postpones and floors them."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from ledgerflow.qbd_sim.app import Simulator
from ledgerflow.qbd_sim.connector.log import Ending, SessionLog
from ledgerflow.qbd_sim.connector.qwc import parse_qwc
from ledgerflow.qbd_sim.connector.scheduler import Registration, Scheduler
from tests.desktop_sim.conftest import FAST, QbwcServer, invoice_add, new_company, qwc_text


def registration(name: str, every: float | None) -> Registration:
    qwc = parse_qwc(qwc_text(AppName=name, UserName=name))
    return Registration(qwc=qwc, password="pw", company=new_company(), company_name=name, every_seconds=every)


class Updates:
    """Stands in for a real update; records the order and whether two ever overlapped."""

    def __init__(self, *, postpone: int | None = None, floor: int | None = None, seconds: float = 0.02) -> None:
        self.order: list[str] = []
        self.running = 0
        self.overlapped = False
        self.postpone, self.floor, self.seconds = postpone, floor, seconds

    async def __call__(self, registration: Registration) -> SessionLog:
        self.running += 1
        self.overlapped |= self.running > 1
        self.order.append(registration.app_name)
        await asyncio.sleep(self.seconds)
        self.running -= 1
        log = SessionLog(registration.app_name, "u", "url", "path")
        log.postpone_seconds, log.min_run_every_seconds = self.postpone, self.floor
        log.end(Ending.COMPLETED, "OK")
        return log


async def until(condition, timeout: float = 3.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


async def test_due_applications_run_one_at_a_time_in_the_order_they_were_added() -> None:
    updates = Updates()
    scheduler = Scheduler(updates)
    for name in ("a", "b", "c"):
        scheduler.add(registration(name, 0.05))
    scheduler.start()
    try:
        await until(lambda: len(updates.order) >= 6)
    finally:
        await scheduler.stop()
    assert not updates.overlapped
    assert updates.order[:3] == ["a", "b", "c"]


async def test_update_selected_waits_for_the_running_update() -> None:
    updates = Updates(seconds=0.1)
    scheduler = Scheduler(updates)
    scheduler.add(registration("a", None))
    scheduler.add(registration("b", None))
    logs = await asyncio.gather(scheduler.run_now("a"), scheduler.run_now("b"))
    assert [log.app_name for log in logs] == ["a", "b"]
    assert not updates.overlapped
    assert len(scheduler.get("a").sessions) == 1


async def test_without_a_schedule_nothing_runs_by_itself() -> None:
    updates = Updates()
    scheduler = Scheduler(updates)
    scheduler.add(registration("a", None))
    scheduler.start()
    await asyncio.sleep(0.1)
    await scheduler.stop()
    assert updates.order == [] and scheduler.get("a").next_due is None


@pytest.mark.parametrize(("postpone", "floor", "wait"), [(30, None, 30.0), (None, 600, 600.0), (None, None, 60.0)])
async def test_authenticate_postpones_and_floors_the_next_run(postpone, floor, wait: float) -> None:
    now = [1000.0]
    scheduler = Scheduler(Updates(postpone=postpone, floor=floor), clock=lambda: now[0])
    scheduler.add(registration("a", 60))
    assert scheduler.get("a").next_due == 1060.0
    await scheduler.run_now("a")
    assert scheduler.get("a").next_due == 1000.0 + wait
    assert scheduler.get("a").interval() == max(60.0, floor or 0)


async def test_the_simulator_auto_runs_several_files_sequentially() -> None:
    server = QbwcServer(requests=[invoice_add("1001"), invoice_add("1002")], auth=["ticket-1", "none"])
    simulator = Simulator(every=0.05, settings=FAST, transport=httpx.ASGITransport(app=server.app()))
    for name in ("shop-a", "shop-b"):
        simulator.create_file(name)
        simulator.register(qwc_text(AppName=f"ledgerflow {name}", UserName=name), "pw", name)
    simulator.scheduler.start()
    try:
        await until(lambda: all(len(r.sessions) >= 2 for r in simulator.scheduler.all()))
    finally:
        await simulator.scheduler.stop()
    assert server.most_in_flight == 1
    users = [r.params["strUserName"] for r in server.of("authenticate")]
    assert users[:4] == ["shop-a", "shop-b", "shop-a", "shop-b"]
