"""Notifications: send, history, preferences, and the server-sent-event stream (TestClient streaming)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from tests.api.conftest import Api, pdf


def send(api: Api, user: str, **body: Any) -> Any:
    return api.client.post("/api/v1/notifications", headers=api.headers(user),
                           json={"subject": "Hello", "body": "Documents are on their way", **body})


def history(api: Api, user: str, query: str = "") -> list[dict[str, Any]]:
    response = api.client.get(f"/api/v1/notifications{query}", headers=api.headers(user))
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def read_stream(api: Api, user: str, query: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The events of one bounded stream, read line by line as they arrive."""
    events: list[dict[str, Any]] = []
    with api.client.stream("GET", f"/api/v1/notifications/stream{query}",
                           headers={**api.headers(user), **(headers or {})}) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        current: dict[str, Any] = {}
        for line in response.iter_lines():
            if line.startswith("id: "):
                current["id"] = line[4:]
            elif line.startswith("event: "):
                current["event"] = line[7:]
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
            elif line == "" and current:
                events.append(current)
                current = {}
    return events


def test_send_to_a_user_and_to_the_whole_organisation(api: Api) -> None:
    seed = api.seed
    with api.ctx.db.read() as session:
        from sqlalchemy import select

        from api.db.models import User
        officer_id = session.scalar(select(User.id).where(User.email == seed.users["bank_officer"]))
    direct = send(api, "bank_admin", recipient_user_id=officer_id, subject="For you")
    assert direct.status_code == 201, direct.text
    everyone = send(api, "bank_admin", subject="For all", category="lc")
    assert everyone.status_code == 201
    assert [n["subject"] for n in history(api, "bank_officer")] == ["For you", "For all"]
    # another user of the same organisation sees only the organisation-wide one
    assert [n["subject"] for n in history(api, "auditor")] == ["For all"]
    assert [n["subject"] for n in history(api, "bank_officer", "?category=lc")] == ["For all"]
    # nothing reaches another organisation
    assert history(api, "corporate_admin") == []


def test_history_is_paged_with_a_cursor(api: Api) -> None:
    for number in range(5):
        assert send(api, "corporate_admin", subject=f"n{number}").status_code == 201
    first = api.client.get("/api/v1/notifications?limit=2", headers=api.headers("corporate_user")).json()
    second = api.client.get(f"/api/v1/notifications?limit=2&cursor={first['next_cursor']}",
                            headers=api.headers("corporate_user")).json()
    third = api.client.get(f"/api/v1/notifications?limit=2&cursor={second['next_cursor']}",
                           headers=api.headers("corporate_user")).json()
    assert [n["subject"] for n in first["items"] + second["items"] + third["items"]] == [f"n{i}" for i in range(5)]
    assert third["next_cursor"] is None


def test_another_organisation_is_reached_only_through_a_shared_credit(api: Api) -> None:
    seed = api.seed
    no_lc = send(api, "corporate_admin", organization_id=seed.orgs["issuing"])
    assert no_lc.status_code == 422 and no_lc.json()["error"]["code"] == "lc_required"
    shared = send(api, "corporate_admin", organization_id=seed.orgs["issuing"], lc_id=seed.lc_id)
    assert shared.status_code == 201
    assert [n["subject"] for n in history(api, "bank_admin")] == ["Hello"]
    not_party = send(api, "corporate_admin", organization_id=seed.orgs["foreign_bank"], lc_id=seed.lc_id)
    assert not_party.status_code == 422 and not_party.json()["error"]["code"] == "recipient_not_party"
    foreign_lc = send(api, "corporate_admin", organization_id=seed.orgs["foreign_bank"], lc_id=seed.foreign_lc_id)
    assert foreign_lc.status_code == 404
    unknown_user = send(api, "corporate_admin", recipient_user_id="00000000-0000-0000-0000-000000000000")
    assert unknown_user.status_code == 404 and set(unknown_user.json()) == {"error"}


def test_examination_notifies_every_party(api: Api) -> None:
    api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT"))])
    for user in ("bank_admin", "corporate_user", "nominated_officer", "applicant_admin"):
        notes = history(api, user, "?category=examination")
        assert len(notes) == 1 and notes[0]["data"]["outcome"] == "discrepant", user
    assert history(api, "foreign_bank_admin") == []


def test_preferences_round_trip_and_validation(api: Api) -> None:
    headers = api.headers("corporate_user")
    assert api.client.get("/api/v1/notifications/preferences", headers=headers).json() == {
        "muted_categories": [], "stream_enabled": True}
    put = api.client.put("/api/v1/notifications/preferences", headers=headers,
                         json={"muted_categories": ["message", "lc"], "stream_enabled": True})
    assert put.status_code == 200 and put.json()["muted_categories"] == ["lc", "message"]
    assert api.client.get("/api/v1/notifications/preferences", headers=headers).json()["muted_categories"] == [
        "lc", "message"]
    bad = api.client.put("/api/v1/notifications/preferences", headers=headers, json={"muted_categories": ["spam"]})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"


def test_stream_replays_from_a_cursor_and_skips_muted_categories(api: Api) -> None:
    first = send(api, "corporate_admin", subject="one").json()
    send(api, "corporate_admin", subject="muted", category="lc")
    send(api, "corporate_admin", subject="three")
    api.client.put("/api/v1/notifications/preferences", headers=api.headers("corporate_user"),
                   json={"muted_categories": ["lc"]})
    events = read_stream(api, "corporate_user", f"?after={first['cursor']}&max_events=1")
    assert [(e["event"], e["data"]["subject"]) for e in events] == [("notification", "three")]
    # Last-Event-ID resumes the same way a browser's EventSource does after a reconnect
    again = read_stream(api, "corporate_user", "?max_events=2&timeout=0.5", headers={"Last-Event-ID": first["cursor"]})
    assert [e["data"]["subject"] for e in again] == ["three"]
    assert again[0]["id"] == history(api, "corporate_user")[2]["cursor"]


def test_stream_pushes_a_notification_sent_while_it_is_open(api: Api) -> None:
    hub = api.client.app.state.notifications  # type: ignore[attr-defined]
    received: list[list[dict[str, Any]]] = []
    reader = threading.Thread(target=lambda: received.append(
        read_stream(api, "corporate_user", "?max_events=1&timeout=30")))
    reader.start()
    deadline = time.monotonic() + 20
    while hub.subscribers == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert hub.subscribers == 1
    assert send(api, "corporate_admin", subject="live").status_code == 201
    reader.join(timeout=30)
    assert not reader.is_alive()
    assert [e["data"]["subject"] for e in received[0]] == ["live"]
    assert hub.subscribers == 0


def test_stream_can_be_turned_off_and_bad_cursor_is_a_400(api: Api) -> None:
    headers = api.headers("corporate_user")
    api.client.put("/api/v1/notifications/preferences", headers=headers, json={"stream_enabled": False})
    off = api.client.get("/api/v1/notifications/stream?max_events=1", headers=headers)
    assert off.status_code == 409 and off.json()["error"]["code"] == "stream_disabled"
    bad = api.client.get("/api/v1/notifications/stream?after=not-a-cursor", headers=api.headers("bank_admin"))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"


def test_stream_is_published_as_an_event_stream(api: Api) -> None:
    operation = api.client.get("/openapi.json").json()["paths"]["/api/v1/notifications/stream"]["get"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]
    assert operation["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
