"""POST /signin with bodies the page never sends: one clear refusal, no 500."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from warroom.serve.app import ServeConfig, make_app

ORIGIN = "http://127.0.0.1:8040"


@pytest.fixture
async def client(store, clock, playbook, db_path, caplog):
    config = ServeConfig(
        db=db_path, public_url=ORIGIN, clock=clock, spare=False, playbook_data=playbook
    )
    client = TestClient(TestServer(make_app(config, store)))
    await client.start_server()
    yield client
    await client.close()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=zz", b"garbage"),
        ("application/x-www-form-urlencoded; charset=bogus", b"token=%ff%fe"),
    ],
)
async def test_an_unreadable_signin_form_is_a_400_without_a_traceback(
    client, caplog, content_type, body
):
    response = await client.post(
        "/signin", data=body, headers={"Origin": ORIGIN, "Content-Type": content_type}
    )
    assert response.status == 400
    assert "Set-Cookie" not in response.headers
    assert "Traceback" not in caplog.text


async def test_a_json_signin_is_refused_like_a_wrong_token(client):
    response = await client.post("/signin", json={"token": "x" * 43}, headers={"Origin": ORIGIN})
    assert response.status == 403
