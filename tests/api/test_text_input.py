"""Text PostgreSQL cannot store (NUL) is refused up front as bad input, not as an outage."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.app import ClientFactory, settings_for


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/v1/ask", {"json": {"question": "沈塘桥\x00的信息"}}),
        ("GET", "/v1/ask", {"params": {"question": "沈塘桥\x00"}}),
        ("POST", "/v1/examples", {"json": {"question": "站\x00", "sql": "SELECT 1"}}),
        ("POST", "/v1/examples", {"json": {"question": "站", "sql": "SELECT 1", "note": "\x00"}}),
        ("GET", "/v1/examples", {"params": {"q": "a\x00b"}}),
        ("POST", "/v1/feedback", {"json": {"request_id": "ab\x00", "verdict": "up"}}),
        ("POST", "/v1/feedback", {"json": {"request_id": "ab cd", "verdict": "up"}}),
        (
            "POST",
            "/v1/feedback",
            {"json": {"request_id": "abc", "verdict": "down", "corrected_sql": "SELECT\x001"}},
        ),
    ],
)
async def test_nul_and_malformed_ids_are_422(
    demo_db: str, make_client: ClientFactory, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    async with make_client(settings_for(demo_db)) as client:
        response = await client.request(method, path, **kwargs)
    assert response.status_code == 422, response.text
