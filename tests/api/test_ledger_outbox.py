"""The outbox: outcomes queue while the ledger is down and are recorded exactly once after."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from api.db.models import LetterOfCredit
from api.db.models_ledger import LedgerOutbox, LedgerTransaction
from api.routes.lifecycle import LedgerService, ensure_lc_on_ledger, ledger_service
from fabric.embedded import EmbeddedLedger
from fabric.ledger import LedgerUnavailable, Receipt
from fabric.outbox import Dispatcher
from tests.api.conftest import Api, pdf


class FlakyLedger(EmbeddedLedger):
    """The embedded ledger behind a switch, acting as a remote ledger (its own transactions):
    ``down`` refuses every write; ``lose_ack`` records the write, then fails as if the answer
    was lost on the way back (the case that makes a resend necessary)."""

    kind = "flaky"

    def __init__(self, inner: EmbeddedLedger) -> None:
        super().__init__(inner.db, inner.keys, inner.lifecycle)
        self.down = False
        self.lose_ack = 0
        self.calls = 0

    def _gate(self) -> None:
        self.calls += 1
        if self.down:
            raise LedgerUnavailable("connection refused (test)")

    def _after(self, receipt: Receipt) -> Receipt:
        if self.lose_ack:
            self.lose_ack -= 1
            raise LedgerUnavailable("deadline exceeded after the write (test)")
        return receipt

    def submit(self, msp: str, contract: str, entity_id: str, action: str, args: Mapping[str, str] | None = None,
               *, tx_id: str | None = None, session: Any = None) -> Receipt:
        self._gate()
        return self._after(super().submit(msp, contract, entity_id, action, args, tx_id=tx_id))

    def record_examination(self, msp: str, record: Mapping[str, Any], *, session: Any = None) -> Receipt:
        self._gate()
        return self._after(super().record_examination(msp, record))

    def decide(self, msp: str, presentation_id: str, decision: Mapping[str, str], *, session: Any = None) -> Receipt:
        self._gate()
        return self._after(super().decide(msp, presentation_id, decision))


def flaky(api: Api) -> tuple[FlakyLedger, LedgerService]:
    configured = ledger_service(api.ctx).ledger
    assert isinstance(configured, EmbeddedLedger)
    svc = ledger_service(api.ctx, ledger=FlakyLedger(configured))
    svc.dispatcher.base_delay = 0.0  # retry at once in tests; the back-off itself is tested below
    assert isinstance(svc.ledger, FlakyLedger)
    return svc.ledger, svc


def rows(api: Api) -> list[LedgerOutbox]:
    with api.ctx.db.read() as session:
        return list(session.scalars(select(LedgerOutbox).order_by(LedgerOutbox.seq)))


def ledger_transactions(api: Api, kind: str) -> int:
    with api.ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(LedgerTransaction)
                              .where(LedgerTransaction.kind == kind)) or 0


def test_outcomes_queue_while_ledger_is_down_and_are_recorded_once_after(api: Api) -> None:
    ledger, svc = flaky(api)
    ledger.down = True
    submitted = []
    for marker in ("DISCREPANT", "HOLD", "DISCREPANT again"):
        response = api.submit("corporate_admin", [("a.pdf", pdf(marker))])
        assert response.status_code == 202  # the API does not wait for the ledger
        submitted.append(response.json()["id"])
        status = api.client.get(f"/api/v1/presentations/{submitted[-1]}", headers=api.headers("bank_officer"))
        assert status.json()["status"] == "examined"  # the examination result committed regardless
    queued = rows(api)
    assert len(queued) == 6 and {r.status for r in queued} == {"pending"}
    assert {r.resource_id for r in queued if r.operation == "record"} == set(submitted)
    assert ledger_transactions(api, "record") == 0
    assert any(r.attempts > 0 and "connection refused" in (r.last_error or "") for r in queued)

    ledger.down = False
    ledger.lose_ack = 1  # the first write after the outage lands, but its answer is lost
    for _ in range(10):
        svc.dispatcher.dispatch_once()
    final = rows(api)
    assert [r.status for r in final].count("pending") == 0
    # the first two presentations are recorded (a discrepant credit may be presented again);
    # the third is refused by the lifecycle, with its exact message, as the credit is on hold
    assert [(r.operation, r.status) for r in final] == [("fire", "done"), ("record", "done")] * 2 + [
        ("fire", "rejected"), ("record", "rejected")]
    assert final[4].last_error == f"letter_of_credit {api.seed.lc_id} cannot present_documents from state hold"
    # exactly once: two present_documents and two records on the ledger, despite the resend
    assert ledger_transactions(api, "record") == 2
    with api.ctx.db.read() as session:
        presents = session.scalar(select(func.count()).select_from(LedgerTransaction)
                                  .where(LedgerTransaction.action == "present_documents"))
    assert presents == 2
    assert [ledger.get_examination(p)["outcome"] for p in submitted[:2]] == ["discrepant", "hold"]  # type: ignore[index]
    assert svc.ledger.verify().ok


def test_a_resent_row_is_a_replay_not_a_second_transaction(api: Api) -> None:
    ledger, svc = flaky(api)
    with api.ctx.db.read() as session:  # the seeded credit onto the ledger first
        lc = session.get(LetterOfCredit, api.seed.lc_id)
        assert lc is not None
        ensure_lc_on_ledger(session, ledger, lc)
    ledger.lose_ack = 2
    presentation_id = api.submit("corporate_admin", [("a.pdf", pdf("compliant"))]).json()["id"]
    for _ in range(6):
        svc.dispatcher.dispatch_once()
    done = rows(api)
    assert [(r.operation, r.status) for r in done] == [("fire", "done"), ("record", "done")]
    assert sum(r.attempts for r in done) == 4  # two rows, two answers lost: two resends
    assert ledger_transactions(api, "record") == 1 and ledger_transactions(api, "fire") == 3  # create, issue, present
    record = svc.ledger.get_examination(presentation_id)
    assert record is not None and record["outcome"] == "compliant"


def test_backoff_doubles_and_is_capped(api: Api) -> None:
    dispatcher = Dispatcher(api.ctx.db, ledger_service(api.ctx).ledger, base_delay=0.5, max_delay=60)
    assert [dispatcher.backoff(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert dispatcher.backoff(30) == 60


def test_head_of_queue_backing_off_holds_later_rows(api: Api) -> None:
    ledger, svc = flaky(api)
    svc.dispatcher.base_delay = 3600.0
    ledger.down = True
    api.submit("corporate_admin", [("a.pdf", pdf("compliant"))])
    ledger.down = False
    # the first row waits an hour; nothing behind it may overtake it
    assert svc.dispatcher.dispatch_once().sent == 0
    assert {r.status for r in rows(api)} == {"pending"}
