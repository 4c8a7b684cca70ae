"""The published OpenAPI: money as a patterned string, the error body documented, ops endpoints."""

from __future__ import annotations

from tests.api.conftest import Api


def test_money_is_a_string_with_a_pattern(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    amount = schema["components"]["schemas"]["LcCreate"]["properties"]["amount"]
    assert amount["type"] == "string" and amount["pattern"].startswith("^")
    assert "anyOf" not in amount


def test_every_versioned_route_is_under_api_v1(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    assert {"/health", "/ready", "/metrics"} <= set(paths)
    assert all(p.startswith("/api/v1/") for p in paths if p not in ("/health", "/ready", "/metrics"))
    assert "/api/v1/presentations/{presentation_id}/report" in paths


def test_ready_and_metrics(api: Api) -> None:
    assert api.client.get("/ready").json()["status"] == "ready"
    api.client.get("/health")
    metrics = api.client.get("/metrics").text
    assert 'blocktrade_http_requests_total{method="GET",route="/health",status="200"}' in metrics
