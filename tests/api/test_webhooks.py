"""Webhooks against a real HTTP receiver on 127.0.0.1 (a thread): signature, retries, records."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from api.webhooks import (
    SIGNATURE_HEADER,
    SignatureError,
    announce_examination,
    signature_header,
    verify_signature,
)
from tests.api.conftest import Api, pdf


class Receiver:
    """Answers each POST with the next scripted status (the last one repeats) and keeps what came."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                receiver.received.append({"headers": dict(self.headers), "body": body, "status": status})
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/blocktrade"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory() -> Iterator[Callable[[list[int]], Receiver]]:
    made: list[Receiver] = []

    def make(statuses: list[int]) -> Receiver:
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def hooks_api(api: Api) -> Api:
    config = api.client.app.state.webhooks.config  # type: ignore[attr-defined]
    config.allow_private_addresses = True  # the receiver is on loopback
    config.backoff_seconds = 0.05
    config.poll_seconds = 0.05
    return api


def register(api: Api, user: str, url: str) -> dict[str, Any]:
    response = api.client.post("/api/v1/webhooks", headers=api.headers(user), json={"url": url})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def wait_for(condition: Callable[[], Any], what: str, limit: float = 20.0) -> Any:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"gave up waiting for {what}")


def deliveries(api: Api, user: str, webhook_id: str) -> list[dict[str, Any]]:
    response = api.client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=api.headers(user))
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def finished(api: Api, user: str, webhook_id: str) -> list[dict[str, Any]] | None:
    rows = deliveries(api, user, webhook_id)
    return rows if rows and all(r["status"] in ("delivered", "failed") for r in rows) else None


def test_examination_completed_is_posted_signed_to_every_party(hooks_api: Api, receiver_factory: Any) -> None:
    bank, beneficiary = receiver_factory([200]), receiver_factory([204])
    bank_hook = register(hooks_api, "bank_admin", bank.url)
    beneficiary_hook = register(hooks_api, "corporate_admin", beneficiary.url)
    assert bank_hook["secret"].startswith("whsec_") and bank_hook["secret"] != beneficiary_hook["secret"]
    listed = hooks_api.client.get("/api/v1/webhooks", headers=hooks_api.headers("bank_admin")).json()["items"]
    assert [w["id"] for w in listed] == [bank_hook["id"]] and "secret" not in listed[0]

    submitted = hooks_api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT"))]).json()
    rows = wait_for(lambda: finished(hooks_api, "bank_admin", bank_hook["id"]), "the bank's delivery")
    assert [(r["status"], r["attempts"], r["last_status_code"]) for r in rows] == [("delivered", 1, 200)]
    wait_for(lambda: finished(hooks_api, "corporate_admin", beneficiary_hook["id"]), "the beneficiary's delivery")

    for receiver, hook in ((bank, bank_hook), (beneficiary, beneficiary_hook)):
        assert len(receiver.received) == 1
        got = receiver.received[0]
        verify_signature(hook["secret"], got["headers"][SIGNATURE_HEADER], got["body"])
        event = json.loads(got["body"])
        assert event["type"] == "examination.completed" == got["headers"]["BlockTrade-Event"]
        assert event["id"] == got["headers"]["BlockTrade-Event-Id"] == rows[0]["event_id"]
        assert event["data"]["presentation_id"] == submitted["id"]
        assert event["data"]["outcome"] == "discrepant" and event["data"]["discrepancies"] == 1
        with pytest.raises(SignatureError, match="does not match"):
            verify_signature(bank_hook["secret"] if hook is beneficiary_hook else beneficiary_hook["secret"],
                             got["headers"][SIGNATURE_HEADER], got["body"])


def test_receiver_failing_twice_gets_the_event_delivered_once(hooks_api: Api, receiver_factory: Any) -> None:
    receiver = receiver_factory([503, 500, 200])
    hook = register(hooks_api, "bank_admin", receiver.url)
    hooks_api.submit("corporate_admin", [("a.pdf", pdf("clean"))])
    rows = wait_for(lambda: finished(hooks_api, "bank_admin", hook["id"]), "delivery after retries")
    assert len(rows) == 1
    assert (rows[0]["status"], rows[0]["attempts"], rows[0]["last_error"]) == ("delivered", 3, None)
    assert [r["status"] for r in receiver.received] == [503, 500, 200]
    # one event, retried: the same id and body each time, each attempt freshly and validly signed
    assert len({r["headers"]["BlockTrade-Event-Id"] for r in receiver.received}) == 1
    assert len({r["body"] for r in receiver.received}) == 1
    for got in receiver.received:
        verify_signature(hook["secret"], got["headers"][SIGNATURE_HEADER], got["body"])
    assert sum(1 for r in receiver.received if 200 <= r["status"] < 300) == 1


def test_delivery_gives_up_after_max_attempts_with_the_last_error(
        api_factory: Any, receiver_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOCKTRADE_WEBHOOK_MAX_ATTEMPTS", "2")
    api = api_factory()
    config = api.client.app.state.webhooks.config
    config.allow_private_addresses, config.backoff_seconds, config.poll_seconds = True, 0.05, 0.05
    receiver = receiver_factory([500])
    hook = register(api, "bank_admin", receiver.url)
    api.submit("corporate_admin", [("a.pdf", pdf("clean"))])
    rows = wait_for(lambda: finished(api, "bank_admin", hook["id"]), "the delivery to fail")
    assert (rows[0]["status"], rows[0]["attempts"], rows[0]["last_status_code"]) == ("failed", 2, 500)
    assert rows[0]["last_error"].startswith("HTTP 500")
    assert len(receiver.received) == 2


def test_unreachable_receiver_is_retried_and_recorded(hooks_api: Api, receiver_factory: Any) -> None:
    receiver = receiver_factory([200])
    url = receiver.url
    receiver.close()  # nothing listens on the port any more
    hook = register(hooks_api, "bank_admin", url)
    hooks_api.submit("corporate_admin", [("a.pdf", pdf("clean"))])
    rows = wait_for(lambda: [r for r in deliveries(hooks_api, "bank_admin", hook["id"]) if r["attempts"] >= 2],
                    "two attempts")
    assert rows[0]["status"] in ("pending", "sending", "failed")
    assert rows[0]["last_status_code"] is None and "Connect" in rows[0]["last_error"]


def test_a_rerun_announcement_adds_no_second_delivery(hooks_api: Api, receiver_factory: Any) -> None:
    hook = register(hooks_api, "bank_admin", receiver_factory([200]).url)
    submitted = hooks_api.submit("corporate_admin", [("a.pdf", pdf("clean"))]).json()
    wait_for(lambda: finished(hooks_api, "bank_admin", hook["id"]), "the first delivery")
    with hooks_api.ctx.db.write() as session:
        announce_examination(session, submitted["id"], max_attempts=3)
    assert len(deliveries(hooks_api, "bank_admin", hook["id"])) == 1


def test_disabled_webhook_gets_nothing(hooks_api: Api, receiver_factory: Any) -> None:
    receiver = receiver_factory([200])
    hook = register(hooks_api, "bank_admin", receiver.url)
    disabled = hooks_api.client.delete(f"/api/v1/webhooks/{hook['id']}", headers=hooks_api.headers("bank_admin"))
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    hooks_api.submit("corporate_admin", [("a.pdf", pdf("clean"))])
    assert deliveries(hooks_api, "bank_admin", hook["id"]) == []
    assert receiver.received == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/hook",
                                 "http://[::1]/hook", "http://user:pw@example.com/hook",
                                 # found by schemathesis: a netloc urlsplit cannot parse was a 500
                                 "http://00[", "http://example.com:99999/x"])
def test_private_or_credentialed_urls_are_refused_by_default(api: Api, url: str) -> None:
    response = api.client.post("/api/v1/webhooks", headers=api.headers("bank_admin"), json={"url": url})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_webhook_url"


def test_bad_scheme_is_a_validation_error(api: Api) -> None:
    response = api.client.post("/api/v1/webhooks", headers=api.headers("bank_admin"),
                               json={"url": "ftp://example.com/x"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error"


def test_signature_rules_for_receivers() -> None:
    body = b'{"id":"e1"}'
    now = 1_764_265_200
    header = signature_header("whsec_test", body, timestamp=now)
    assert verify_signature("whsec_test", header, body, now=now + 10) == now
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature("whsec_test", header, body + b" ", now=now)
    with pytest.raises(SignatureError, match="away from now"):
        verify_signature("whsec_test", header, body, now=now + 301)
    with pytest.raises(SignatureError, match="missing"):
        verify_signature("whsec_test", None, body)
    with pytest.raises(SignatureError, match="not t="):
        verify_signature("whsec_test", "v1=abc", body)


def test_openapi_tells_receivers_how_to_verify(api: Api) -> None:
    operation = api.client.get("/openapi.json").json()["paths"]["/api/v1/webhooks"]["post"]
    assert "HMAC-SHA256(secret, t + '.' + raw body)" in operation["description"]
    assert "BlockTrade-Event-Id" in operation["description"]
