"""Who may post to /api/messages: the Bot Connector, for this app, in this tenant.

The token is checked by the Agents SDK's own JwtTokenValidator (PyJWT, RS256 only, the audience against the app id,
the issuer against an allow-list, 300 s of clock skew at most, tid bound to an Entra issuer). One seam is ours: the
SDK picks its keys URL from the token's issuer among Microsoft's hosts, while the keys here come from the `jwks_uri`
of TEAMS_OPENID_URL (Microsoft's own by default, a stand-in's in tests), read with `requests` (so REQUESTS_CA_BUNDLE
applies) and kept until a token names a key they lack (then read again, at most once a minute).

What the SDK does not check and the Bot Connector's protocol asks for: the key must be endorsed for the activity's
channel (`msteams`), the token's `serviceurl` must be the activity's serviceUrl, and the activity must come from
this tenant (TEAMS_TENANT_ID): a token for this app relayed with another tenant's activity is wrongly addressed.
"""

import asyncio
import logging
import threading
import time
from dataclasses import dataclass

import jwt
import requests
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration, ClaimsIdentity
from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import JwtTokenValidator

log = logging.getLogger(__name__)

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
KEYS_REFRESH_AT_MOST_EVERY_SECONDS = 60.0
KEYS_TTL_SECONDS = 24 * 3600.0  # the Bot Connector's keys roll about every few weeks; re-read daily anyway


class Refused(Exception):
    """The request is not the Bot Connector's for this app: answered 401 (or 400 for a malformed activity)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


class OpenIdKeys:
    """The signing keys of TEAMS_OPENID_URL's `jwks_uri`, with their endorsements, refreshed on an unknown kid."""

    def __init__(self, openid_url: str, *, timeout: float = 10.0):
        self.openid_url, self.timeout = openid_url, timeout
        self._keys: dict[str, tuple[jwt.PyJWK, frozenset[str]]] = {}
        self._read_at = 0.0
        self._lock = threading.Lock()

    def _read(self) -> None:
        metadata = requests.get(self.openid_url, timeout=self.timeout)
        metadata.raise_for_status()
        jwks_uri = metadata.json()["jwks_uri"]
        keys = requests.get(jwks_uri, timeout=self.timeout)
        keys.raise_for_status()
        found = {}
        for entry in keys.json().get("keys", []):
            if entry.get("kty") != "RSA" or not entry.get("kid"):
                continue
            found[entry["kid"]] = (jwt.PyJWK(entry, algorithm="RS256"), frozenset(entry.get("endorsements") or ()))
        self._keys, self._read_at = found, time.monotonic()

    def key(self, kid: str) -> tuple[jwt.PyJWK, frozenset[str]]:
        with self._lock:
            age = time.monotonic() - self._read_at
            if (kid not in self._keys and age > KEYS_REFRESH_AT_MOST_EVERY_SECONDS) or age > KEYS_TTL_SECONDS:
                try:
                    self._read()
                except (requests.RequestException, ValueError, KeyError, jwt.PyJWTError) as err:
                    log.warning("the Bot Connector's keys could not be read from TEAMS_OPENID_URL: %s", err)
                    if not self._keys:
                        raise Refused(401, "the signing keys could not be read") from None
            if kid not in self._keys:
                raise Refused(401, "the token is signed with a key the Bot Connector does not publish")
            return self._keys[kid]


class _KeysFromOpenIdMetadata:
    """The SDK validator's key source, replaced: the key named by the token's kid among TEAMS_OPENID_URL's."""

    def __init__(self, keys: OpenIdKeys):
        self.keys = keys

    async def get_signing_key(self, jwks_uri: str, header: dict) -> jwt.PyJWK:
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise ValueError("the token names no key")
        key, _ = await asyncio.to_thread(self.keys.key, kid)
        return key


@dataclass(frozen=True)
class InboundAuth:
    app_id: str
    tenant_id: str
    keys: OpenIdKeys

    def configuration(self) -> AgentAuthConfiguration:
        return AgentAuthConfiguration(
            client_id=self.app_id,
            tenant_id=self.tenant_id,
            issuers=[BOT_FRAMEWORK_ISSUER],
            validate_issuer=True,
        )

    async def check(self, authorization: str | None, activity: dict) -> ClaimsIdentity:
        """The claims of a request whose token and activity are the Bot Connector's for this app; else Refused."""
        if not authorization:
            raise Refused(401, "no Authorization header")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token or " " in token.strip():
            raise Refused(401, "the Authorization header is not a bearer token")
        token = token.strip()
        validator = JwtTokenValidator(self.configuration())
        validator._jwk_client_manager = _KeysFromOpenIdMetadata(self.keys)
        try:
            header = jwt.get_unverified_header(token)
            claims = await validator.validate_token(token)
        except Refused:
            raise
        except (jwt.PyJWTError, ValueError) as err:
            raise Refused(401, f"the token was refused ({type(err).__name__})") from None
        if not isinstance(claims.claims.get("exp"), int | float):
            raise Refused(401, "the token has no expiry")
        if header.get("alg") != "RS256":
            raise Refused(401, "the token is not signed with RS256")
        _, endorsements = await asyncio.to_thread(self.keys.key, header.get("kid"))
        channel = activity.get("channelId")
        if endorsements and channel not in endorsements:
            raise Refused(401, f"the signing key is not endorsed for channel {channel!r}")
        service_url = claims.get_claim_value("serviceurl")
        if service_url and service_url.rstrip("/") != str(activity.get("serviceUrl") or "").rstrip("/"):
            raise Refused(401, "the token was issued for another serviceUrl")
        if tenant_of(activity) != self.tenant_id:
            raise Refused(401, "the activity comes from another tenant than TEAMS_TENANT_ID")
        return claims


def tenant_of(activity: dict) -> str | None:
    tenant = ((activity.get("channelData") or {}).get("tenant") or {}).get("id")
    return tenant or (activity.get("conversation") or {}).get("tenantId")
