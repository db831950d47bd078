"""The Standard Webhooks scheme, as pure functions."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from services.ingest.signatures import SignatureError, decode_secret, parse_secrets, sign, verify
from shared.errors import ConfigError
from tests.unit.ingest.conftest import OLD_SECRET, OTHER_SECRET, SECRET

NOW = 1_770_000_000
BODY = b'{"id":"a","title":"x"}'
KEYS = (decode_secret(SECRET),)


def headers(**kw):
    return sign(kw.pop("secret", SECRET), kw.pop("msg_id", "msg_1"),
                kw.pop("timestamp", NOW), kw.pop("body", BODY))


def test_valid_signature_is_accepted() -> None:
    signed = verify(headers(), BODY, KEYS, NOW)
    assert (signed.msg_id, signed.timestamp) == ("msg_1", NOW)


def test_signature_matches_the_specification_by_hand() -> None:
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, b"msg_1." + str(NOW).encode() + b"." + BODY, hashlib.sha256).digest()
    assert headers()["webhook-signature"] == "v1," + base64.b64encode(digest).decode()


def test_wrong_secret_is_refused() -> None:
    with pytest.raises(SignatureError) as err:
        verify(headers(secret=OTHER_SECRET), BODY, KEYS, NOW)
    assert err.value.code == "invalid_signature"


def test_rotated_secret_both_old_and_new_are_accepted() -> None:
    keys = (decode_secret(SECRET), decode_secret(OLD_SECRET))
    verify(headers(secret=OLD_SECRET), BODY, keys, NOW)
    verify(headers(secret=SECRET), BODY, keys, NOW)


def test_one_valid_among_several_signatures_is_enough() -> None:
    h = headers()
    h["webhook-signature"] = "v1,AAAA " + h["webhook-signature"] + " v2,zzz"
    verify(h, BODY, KEYS, NOW)


def test_tampered_body_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify(headers(), BODY.replace(b"x", b"y"), KEYS, NOW)


def test_tampered_msg_id_is_refused() -> None:
    h = headers()
    h["webhook-id"] = "msg_2"
    with pytest.raises(SignatureError):
        verify(h, BODY, KEYS, NOW)


@pytest.mark.parametrize("skew", [301, -301, 10_000])
def test_timestamp_out_of_tolerance_is_refused(skew: int) -> None:
    with pytest.raises(SignatureError) as err:
        verify(headers(timestamp=NOW + skew), BODY, KEYS, NOW)
    assert err.value.code == "timestamp_out_of_tolerance"


def test_timestamp_within_tolerance_is_accepted() -> None:
    verify(headers(timestamp=NOW - 299), BODY, KEYS, NOW)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_is_refused(missing: str) -> None:
    h = headers()
    del h[missing]
    with pytest.raises(SignatureError) as err:
        verify(h, BODY, KEYS, NOW)
    assert err.value.code == "missing_signature"


def test_non_numeric_timestamp_is_refused() -> None:
    h = headers()
    h["webhook-timestamp"] = "1e9"
    with pytest.raises(SignatureError) as err:
        verify(h, BODY, KEYS, NOW)
    assert err.value.code == "invalid_timestamp"


def test_unknown_publisher_has_no_keys_and_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify(headers(), BODY, (), NOW)


def test_secrets_setting_groups_rotation_pairs() -> None:
    parsed = parse_secrets(f"ville={SECRET}, ville={OLD_SECRET},metropole={OTHER_SECRET}")
    assert len(parsed["ville"]) == 2 and len(parsed["metropole"]) == 1


@pytest.mark.parametrize("raw", ["ville=secret", "ville=whsec_%%%", "=whsec_AAAA", "ville"])
def test_malformed_secrets_setting_is_a_config_error(raw: str) -> None:
    with pytest.raises(ConfigError):
        parse_secrets(raw)
