from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from concierge.api.identity.telegram_auth import InvalidInitData, validate_init_data
from concierge.api.identity.tokens import InvalidToken, TokenIssuer

BOT_TOKEN = "7000000001:SandboxTokenForLocalDevelopment0000"
USER = {"id": 4242, "first_name": "Ann", "language_code": "en"}
NOW = 1_800_000_000


def signed(fields: dict[str, str], token: str = BOT_TOKEN) -> str:
    """initData signed the way Telegram does it (written from the documentation)."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def launch_fields(**changes: str) -> dict[str, str]:
    fields = {"user": json.dumps(USER), "auth_date": str(NOW), "query_id": "AAH1"}
    return {**fields, **changes}


class TestHmac:
    def test_accepts_a_fresh_signed_launch(self) -> None:
        launch = validate_init_data(signed(launch_fields()), BOT_TOKEN, now=NOW + 10)
        assert launch.telegram_id == 4242
        assert launch.user["first_name"] == "Ann"

    def test_unknown_fields_are_fine(self) -> None:
        init = signed(launch_fields(chat_instance="-1", some_future_field="x"))
        assert validate_init_data(init, BOT_TOKEN, now=NOW).telegram_id == 4242

    @pytest.mark.parametrize(
        "init_data",
        [
            signed(launch_fields(), token="7000000001:AnotherBotsTokenEntirely0000000000"),
            signed(launch_fields()).replace("Ann", "Eve"),
            urlencode(launch_fields()),  # no hash at all
            signed(launch_fields()) + "&extra=1",
            "",
            "%%%not a query",
            signed(launch_fields()) + "&user=x",
            "a=\x00",
            "x=" + "a" * 9000,
        ],
    )
    def test_refuses_forged_or_malformed(self, init_data: str) -> None:
        with pytest.raises(InvalidInitData):
            validate_init_data(init_data, BOT_TOKEN, now=NOW)

    def test_refuses_stale_and_future(self) -> None:
        init = signed(launch_fields())
        with pytest.raises(InvalidInitData, match="too old"):
            validate_init_data(init, BOT_TOKEN, now=NOW + 3601)
        with pytest.raises(InvalidInitData, match="future"):
            validate_init_data(init, BOT_TOKEN, now=NOW - 61)
        assert validate_init_data(init, BOT_TOKEN, now=NOW - 59).telegram_id == 4242

    def test_refuses_a_launch_without_a_user(self) -> None:
        fields = launch_fields()
        del fields["user"]
        with pytest.raises(InvalidInitData, match="user"):
            validate_init_data(signed(fields), BOT_TOKEN, now=NOW)


class TestEd25519:
    def test_accepts_a_third_party_signature(self) -> None:
        private = Ed25519PrivateKey.generate()
        public_hex = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
        fields = launch_fields()
        check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
        message = f"7000000001:WebAppData\n{check}".encode()
        signature = base64.urlsafe_b64encode(private.sign(message)).decode().rstrip("=")
        init = urlencode({**fields, "signature": signature, "hash": "0" * 64})
        launch = validate_init_data(init, BOT_TOKEN, now=NOW, public_key_hex=public_hex)
        assert launch.telegram_id == 4242
        with pytest.raises(InvalidInitData):  # the same signature for another bot id
            validate_init_data(init, "7000000009:x", now=NOW, public_key_hex=public_hex)


SECRET = "s" * 40


class TestTokens:
    def test_round_trip(self) -> None:
        issuer = TokenIssuer(SECRET)
        issued = issuer.issue(4242)
        assert issued.expires_in == 900
        assert issuer.verify(issued.access_token) == 4242

    def test_lifetime_is_capped_at_15_minutes(self) -> None:
        assert TokenIssuer(SECRET, lifetime_s=86_400).issue(1).expires_in == 900

    def test_refuses_expired_tampered_and_foreign_tokens(self) -> None:
        issuer = TokenIssuer(SECRET)
        expired = issuer.issue(1, now=time.time() - 3600).access_token
        good = issuer.issue(1).access_token
        tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
        foreign = TokenIssuer("t" * 40).issue(1).access_token
        claims = {"sub": "1", "iat": int(time.time()), "exp": int(time.time()) + 60,
                  "iss": "concierge-api", "aud": "concierge-webapp"}  # fmt: skip
        unsigned = jwt.encode(claims, None, algorithm="none")
        other_audience = jwt.encode({**claims, "aud": "other"}, SECRET, algorithm="HS256")
        no_expiry = jwt.encode(
            {k: v for k, v in claims.items() if k != "exp"}, SECRET, algorithm="HS256"
        )
        for token in (expired, tampered, foreign, unsigned, other_audience, no_expiry, "x.y.z", ""):
            with pytest.raises(InvalidToken):
                issuer.verify(token)

    def test_refuses_a_short_secret(self) -> None:
        with pytest.raises(ValueError, match="32 bytes"):
            TokenIssuer("short")
