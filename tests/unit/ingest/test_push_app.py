"""The push routes over loopback HTTP, with an in-memory bus: every refusal in the shape."""

from __future__ import annotations

import time

from services.ingest.signatures import sign
from shared.calls import CallMessage
from tests.unit.ingest.conftest import OLD_SECRET, OTHER_SECRET, SECRET, a_call, dumps, signed


async def error_of(resp) -> dict:
    body = await resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


async def test_signed_push_is_accepted_once_published(push) -> None:
    body = dumps(a_call())
    resp = await push.post(body, signed(body))
    assert resp.status == 202, await resp.text()
    assert (await resp.json())["accepted"] == 1
    [(subject, payload)] = push.bus.published
    assert subject == "maillage.calls.ville"
    assert CallMessage.from_json(payload).call.title == "Jardins partagés dans les quartiers"


async def test_push_signed_with_the_rotated_out_secret_is_accepted(push) -> None:
    body = dumps(a_call())
    assert (await push.post(body, signed(body, secret=OLD_SECRET))).status == 202


async def test_wrong_secret_is_401(push) -> None:
    body = dumps(a_call())
    resp = await push.post(body, signed(body, secret=OTHER_SECRET))
    assert resp.status == 401
    assert (await error_of(resp))["code"] == "invalid_signature"
    assert push.bus.published == []


async def test_tampered_body_is_401(push) -> None:
    body = dumps(a_call())
    resp = await push.post(body.replace(b"Jardins", b"Jardin$"), signed(body))
    assert resp.status == 401


async def test_timestamp_skew_is_401(push) -> None:
    body = dumps(a_call())
    resp = await push.post(body, signed(body, timestamp=int(time.time()) - 600))
    assert (await error_of(resp))["code"] == "timestamp_out_of_tolerance"


async def test_replayed_webhook_id_is_409(push) -> None:
    body = dumps(a_call())
    assert (await push.post(body, signed(body, msg_id="msg_r"))).status == 202
    resp = await push.post(body, signed(body, msg_id="msg_r"))
    assert resp.status == 409
    assert (await error_of(resp))["code"] == "replayed"
    assert len(push.bus.published) == 1


async def test_wrong_content_type_is_415(push) -> None:
    body = dumps(a_call())
    headers = signed(body)
    headers["Content-Type"] = "text/plain"
    assert (await push.post(body, headers)).status == 415


async def test_oversized_body_is_413(push) -> None:
    body = dumps(a_call(description="x" * 30_000))
    resp = await push.post(body, signed(body))
    assert resp.status == 413
    assert (await error_of(resp))["code"] == "payload_too_large"


async def test_validation_errors_are_422_with_field_paths(push) -> None:
    body = dumps({"calls": [a_call(), a_call(id="b", deadline="demain")]})
    resp = await push.post(body, signed(body))
    assert resp.status == 422
    error = await error_of(resp)
    assert error["details"]["errors"][0]["path"] == "calls[1].deadline"
    assert push.bus.published == []


async def test_invalid_json_is_400(push) -> None:
    body = b'{"id": '
    assert (await push.post(body, signed(body))).status == 400


async def test_json_nested_past_the_parser_s_depth_is_400_not_500(push) -> None:
    """A signed body of 5,000 nested arrays (10 KB) made json.loads raise RecursionError,
    which no handler expected: an internal error instead of the API's 400."""
    body = b"[" * 5000 + b"]" * 5000
    resp = await push.post(body, signed(body))
    assert resp.status == 400
    assert (await error_of(resp))["code"] == "invalid_json"


async def test_flooding_publisher_gets_429_with_retry_after(push) -> None:
    statuses = []
    for n in range(8):
        body = dumps(a_call())
        resp = await push.post(body, signed(body, msg_id=f"flood_{n}"))
        statuses.append(resp.status)
    assert statuses[:5] == [202] * 5 and 429 in statuses
    resp = await push.post(dumps(a_call()), signed(dumps(a_call()), msg_id="flood_x"))
    assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1


async def test_bus_without_puback_is_503_and_the_retry_is_not_a_replay(push) -> None:
    body = dumps(a_call())
    push.bus.fail = True
    assert (await push.post(body, signed(body, msg_id="msg_t"))).status == 503
    push.bus.fail = False
    assert (await push.post(body, signed(body, msg_id="msg_t"))).status == 202


async def test_delete_is_signed_over_its_method_and_path(push) -> None:
    path = "/v1/push/ville/calls/2026-jardins-001"
    headers = sign(SECRET, "msg_d", int(time.time()), f"DELETE {path}".encode())
    resp = await push.client.delete(path, headers=headers)
    assert resp.status == 202, await resp.text()
    message = CallMessage.from_json(push.bus.published[0][1])
    assert message.kind == "retract"


async def test_delete_signed_over_the_empty_body_is_401_and_says_what_to_sign(push) -> None:
    path = "/v1/push/ville/calls/2026-jardins-001"
    resp = await push.client.delete(path, headers=sign(SECRET, "msg_e", int(time.time()), b""))
    assert resp.status == 401
    assert (await error_of(resp))["details"] == {"signed_payload": f"DELETE {path}"}
    assert push.bus.published == []


async def test_path_is_signed_as_sent_percent_encoding_included(push) -> None:
    path = "/v1/push/ville/calls/appel%20n%C2%B01"
    headers = sign(SECRET, "msg_p", int(time.time()), f"DELETE {path}".encode())
    resp = await push.client.delete(path, headers=headers)
    assert resp.status == 202, await resp.text()
    assert (await resp.json())["id"] == "appel n°1"


async def test_delete_without_signature_is_401(push) -> None:
    resp = await push.client.delete("/v1/push/ville/calls/2026-jardins-001")
    assert resp.status == 401
