"""A stand-in for Teams' Bot Connector (and the sign-in and Graph reads around it), over real HTTP on 127.0.0.1.

It answers as the real services do, so the unmodified Agents SDK (its MSAL sign-in, its connector client, its
models) runs against it:
- the OAuth authority (`TEAMS_AUTH_URL`), over TLS with a certificate of its own (MSAL takes only https authorities;
  `ca_file` is the certificate to trust): tenant discovery and the client-credentials token endpoint, AADSTS errors;
- the OpenID metadata of the Bot Connector (`TEAMS_OPENID_URL`) and its signing keys, endorsed for `msteams`;
- the connector (`serviceUrl`): conversations create (a new post in a channel: `…;messageid=<root>`, or a 1:1
  chat), activities create / reply / update, team details and channels, members; the bearer token checked; a
  message over about 28 KB refused (413); per thread 7 sends a second, 8 per 2 s, 60 per 30 s, 1,800 an hour, else
  429 with `Retry-After`;
- Graph's channel messages and replies (what `ChannelMessage.Read.Group` lets the app read).

People reach the bot through `TeamsDriver` (in this module): their messages and clicks are activities POSTed to the
bot's /api/messages with a Bot Connector JWT signed RS256 by this stand-in's key, as the Bot Connector signs them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import re
import ssl
import tempfile
import threading
import time
import uuid
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from bot.sandbox.standins.server import QuietServer

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
CONNECTOR_SCOPE = "https://api.botframework.com/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
MAX_MESSAGE_BYTES = 28 * 1024
# Teams' per-bot, per-thread limits on sending and creating conversations, (sends, seconds): Microsoft Learn,
# "Optimize your bot with rate limiting in Teams" (microsoftteams/platform/bots/how-to/rate-limit), the per bot per
# thread table.
THREAD_LIMITS = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))
TOKEN_LIFETIME_SECONDS = 3599


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key, kid: str, endorsements=("msteams",)) -> dict:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "RSA",
        "use": "sig",
        "kid": kid,
        "x5t": kid,
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
        "endorsements": list(endorsements),
    }


def _self_signed(key) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bot-connector-standin")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


class _Error(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None, *, aad: bool = False):
        super().__init__(message)
        self.status, self.code, self.message, self.headers, self.aad = status, code, message, headers or {}, aad

    def body(self) -> dict:
        if self.aad:
            return {"error": self.code, "error_description": self.message, "error_codes": [int(self.message[6:13])]}
        return {"error": {"code": self.code, "message": self.message}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        fake: FakeBotConnector = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = fake._dispatch(self.command, self.path, raw, dict(self.headers.items()), tls=self.server.tls)
        if answer is None:  # dropped: the request may have been done, the answer is lost
            self.close_connection = True
            return
        status, body, headers = answer
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format, *args):
        pass


class _ThreadLimits:
    """Sliding windows of accepted sends per conversation; how long until the next one may go, 0 if it may now."""

    def __init__(self, limits=THREAD_LIMITS, clock=time.monotonic):
        self.limits, self.clock = limits, clock
        self._sent: dict[str, deque] = defaultdict(deque)

    def wait_for(self, key: str) -> float:
        now = self.clock()
        sent = self._sent[key]
        longest = max(seconds for _, seconds in self.limits)
        while sent and now - sent[0] >= longest:
            sent.popleft()
        wait = 0.0
        for count, seconds in self.limits:
            recent = [t for t in sent if now - t < seconds]
            if len(recent) >= count:
                wait = max(wait, recent[-count] + seconds - now)
        return wait

    def take(self, key: str) -> None:
        self._sent[key].append(self.clock())


class FakeBotConnector:
    """In-memory Teams (one tenant, one team with channels) with a control API (thread-safe) and HTTP fronts."""

    def __init__(
        self,
        *,
        app_id: str = "00000000-0000-4000-8000-00000000b07a",
        app_password: str = "test-app-password",
        tenant_id: str = "11111111-2222-4333-8444-555555555555",
        team_aad_group_id: str = "66666666-7777-4888-8999-000000000000",
        team_name: str = "Customer Care",
        channels=(("19:inbox0000@thread.tacv2", "Social inbox"), ("19:digest000@thread.tacv2", "Social digests")),
        bot_name: str = "Social Inbox",
        installed: bool = True,
        rate_limits: bool = True,
    ):
        self.app_id, self.app_password, self.tenant_id = app_id, app_password, tenant_id
        self.bot_id, self.bot_name = f"28:{app_id}", bot_name
        self.team_aad_group_id, self.team_name = team_aad_group_id, team_name
        self.team_id = channels[0][0]  # a team's id is its General (first) channel's
        self.channels = dict(channels)
        self.installed = installed
        self.rate_limits = rate_limits
        self.signing_key, self.kid = new_rsa_key(), uuid.uuid4().hex
        self.token_key, self.token_kid = new_rsa_key(), uuid.uuid4().hex
        self._tls_key = new_rsa_key()
        self.ca_file: str | None = None
        self.url = self.auth_url = self.service_url = self.openid_url = self.graph_url = None
        self.requests: list[dict] = []  # every request: method, path, status
        self.token_requests = 0
        self.throttled = 0
        self.drop_next: dict[str, int] = {}  # "create" | "send" | "update" -> answers to drop after doing the work
        self.latency = 0.0
        self._limits = _ThreadLimits()
        self._lock = threading.RLock()
        self._roots: dict[str, list[dict]] = defaultdict(list)  # channel -> its posts (activities), oldest first
        self._replies: dict[tuple[str, str], list[dict]] = defaultdict(list)  # (channel, root) -> replies
        self._chats: dict[str, list[dict]] = defaultdict(list)  # 1:1 conversation id -> messages
        self._chat_of: dict[str, str] = {}  # user id -> their 1:1 conversation with the bot
        self._users: dict[str, dict] = {}
        self._servers: list = []
        self._ids = int(time.time() * 1000)

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeBotConnector:
        plain = self._serve_on(tls=False)
        secure = self._serve_on(tls=True)
        self.url = f"http://127.0.0.1:{plain.server_address[1]}"
        self.service_url = f"{self.url}/teams/"
        self.openid_url = f"{self.url}/v1/.well-known/openidconfiguration"
        self.graph_url = f"{self.url}/graph"
        self.auth_url = f"https://127.0.0.1:{secure.server_address[1]}"
        return self

    def _serve_on(self, *, tls: bool):
        server = QuietServer(("127.0.0.1", 0), _Handler)
        server.fake, server.tls = self, tls
        if tls:
            folder = Path(tempfile.mkdtemp(prefix="bot-connector-"))
            cert = folder / "standin.pem"
            cert.write_bytes(_self_signed(self._tls_key))
            keyfile = folder / "standin.key"
            keyfile.write_bytes(
                self._tls_key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, keyfile)
            server.socket = context.wrap_socket(server.socket, server_side=True)
            self.ca_file = str(cert)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="fake-teams", daemon=True)
        thread.start()
        self._servers.append((server, thread))
        return server

    def stop(self) -> None:
        for server, thread in self._servers:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
        self._servers.clear()

    def __enter__(self) -> FakeBotConnector:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- control API: people and what Teams shows --------------------------------------------------

    def add_user(self, name: str, *, email: str | None = None) -> dict:
        with self._lock:
            aad = str(uuid.uuid5(uuid.NAMESPACE_DNS, name))
            user = {
                "id": f"29:1{hashlib.sha256(name.encode()).hexdigest()[:40]}",
                "name": name,
                "aadObjectId": aad,
                "email": email or f"{name.split()[0].lower()}@contoso.example",
                "userPrincipalName": email or f"{name.split()[0].lower()}@contoso.example",
                "tenantId": self.tenant_id,
                "userRole": "user",
            }
            self._users[user["id"]] = user
            return user

    def posts(self, channel: str) -> list[dict]:
        """The channel's posts (thread roots) as activities, oldest first."""
        with self._lock:
            return [dict(a) for a in self._roots[channel]]

    def post(self, channel: str, activity_id: str) -> dict | None:
        with self._lock:
            return next((dict(a) for a in self._roots[channel] if a["id"] == activity_id), None)

    def replies(self, channel: str, root: str) -> list[dict]:
        with self._lock:
            return [dict(a) for a in self._replies[(channel, root)]]

    def post_or_reply(self, root: str, activity_id: str) -> dict | None:
        """One activity of a thread (its root or a reply), as it is now."""
        with self._lock:
            for (_, thread_root), items in self._replies.items():
                if thread_root == root:
                    for a in items:
                        if a["id"] == activity_id:
                            return dict(a)
            for items in self._roots.values():
                for a in items:
                    if a["id"] == activity_id:
                        return dict(a)
        return None

    def private_chat(self, user_id: str) -> list[dict]:
        """What the bot said to one person in their 1:1 chat with it."""
        with self._lock:
            conversation = self._chat_of.get(user_id)
            return [dict(a) for a in self._chats.get(conversation, [])]

    def add_reply(self, channel: str, root: str, activity: dict) -> None:
        """A person's message, as the thread shows it (TeamsDriver adds what it sends)."""
        with self._lock:
            self._replies[(channel, root)].append(activity)

    def count(self, method: str, path_start: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r["method"] == method and r["path"].startswith(path_start))

    def new_id(self) -> str:
        with self._lock:
            self._ids = max(self._ids + 1, int(time.time() * 1000))
            return str(self._ids)

    # --- tokens ----------------------------------------------------------------------------------

    def connector_token(self, *, service_url: str | None = None, audience: str | None = None, **overrides) -> str:
        """A Bot Connector JWT for a request to the bot, as the Bot Connector signs it (overrides forge it)."""
        now = int(time.time())
        claims = {
            "iss": BOT_FRAMEWORK_ISSUER,
            "aud": audience or self.app_id,
            "serviceurl": service_url or self.service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + 3600,
        }
        key, kid = overrides.pop("key", self.signing_key), overrides.pop("kid", self.kid)
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid, "x5t": kid})

    def _issue(self, scope: str) -> str:
        now = int(time.time())
        claims = {
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "aud": scope.removesuffix("/.default"),
            "appid": self.app_id,
            "tid": self.tenant_id,
            "roles": ["ChannelMessage.Read.Group"] if scope == GRAPH_SCOPE else [],
            "nbf": now,
            "iat": now,
            "exp": now + TOKEN_LIFETIME_SECONDS,
        }
        return jwt.encode(claims, self.token_key, algorithm="RS256", headers={"kid": self.token_kid})

    def _bearer(self, headers: dict, audience: str) -> dict:
        value = headers.get("Authorization") or headers.get("authorization") or ""
        if not value.startswith("Bearer "):
            raise _Error(401, "Unauthorized", "Authorization has been denied for this request.")
        try:
            claims = jwt.decode(
                value[7:], self.token_key.public_key(), algorithms=["RS256"], audience=audience, leeway=0
            )
        except jwt.PyJWTError:
            raise _Error(401, "Unauthorized", "Authorization has been denied for this request.") from None
        if claims.get("appid") != self.app_id:
            raise _Error(401, "Unauthorized", "Authorization has been denied for this request.")
        return claims

    # --- HTTP ------------------------------------------------------------------------------------

    def _dispatch(self, method: str, target: str, raw: bytes, headers: dict, *, tls: bool):
        if self.latency:
            time.sleep(self.latency)
        parts = urlsplit(target)
        path, query = unquote(parts.path), parse_qs(parts.query)
        try:
            status, body, extra, drop = self._route(method, path, query, raw, headers, tls)
        except _Error as err:
            status, body, extra, drop = err.status, err.body(), err.headers, False
        with self._lock:
            self.requests.append({"method": method, "path": path, "status": status})
        return None if drop else (status, body, extra)

    def _route(self, method, path, query, raw, headers, tls):
        if tls:
            return self._login(method, path, raw)
        if method == "GET" and path == "/v1/.well-known/openidconfiguration":
            return 200, self.openid_metadata(), {}, False
        if method == "GET" and path == "/v1/.well-known/keys":
            return 200, {"keys": [public_jwk(self.signing_key, self.kid)]}, {}, False
        if path.startswith("/teams/"):
            self._bearer(headers, BOT_FRAMEWORK_ISSUER)
            return self._connector(method, path.removeprefix("/teams"), raw)
        if path.startswith("/graph/v1.0/"):
            self._bearer(headers, "https://graph.microsoft.com")
            return self._graph(method, path.removeprefix("/graph/v1.0"), query)
        raise _Error(404, "NotFound", f"No such resource: {path}")

    def openid_metadata(self) -> dict:
        return {
            "issuer": BOT_FRAMEWORK_ISSUER,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": f"{self.url}/v1/.well-known/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    # --- the OAuth authority ---------------------------------------------------------------------

    def _login(self, method, path, raw):
        match = re.fullmatch(r"/([^/]+)/(v2\.0/\.well-known/openid-configuration|oauth2/v2\.0/token)", path)
        if not match:
            raise _Error(404, "invalid_request", "AADSTS9000411: the request is not a known endpoint.", aad=True)
        tenant, what = match.groups()
        if tenant != self.tenant_id:
            raise _Error(
                400,
                "invalid_tenant",
                f"AADSTS9000201: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID.",
                aad=True,
            )
        base = f"{self.auth_url}/{tenant}"
        if what.startswith("v2.0"):
            return (
                200,
                {
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "issuer": f"{base}/v2.0",
                    "jwks_uri": f"{base}/discovery/v2.0/keys",
                    "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                },
                {},
                False,
            )
        if method != "POST":
            raise _Error(405, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests.", aad=True)
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        with self._lock:
            self.token_requests += 1
        if form.get("grant_type") != "client_credentials":
            raise _Error(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
        if form.get("client_id") != self.app_id:
            raise _Error(
                400,
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{form.get('client_id')}' was not found in the directory.",
                aad=True,
            )
        if form.get("client_secret") != self.app_password:
            raise _Error(
                401,
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the "
                "client secret value, not the client secret ID.",
                aad=True,
            )
        scope = form.get("scope", "")
        if scope not in (CONNECTOR_SCOPE, GRAPH_SCOPE):
            raise _Error(400, "invalid_scope", f"AADSTS70011: The provided scope '{scope}' is not valid.", aad=True)
        token = self._issue(scope)
        body = {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME_SECONDS, "access_token": token}
        return 200, body, {}, False

    # --- the connector ---------------------------------------------------------------------------

    def _json(self, raw: bytes) -> dict:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise _Error(400, "BadSyntax", "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise _Error(400, "BadSyntax", "The request body must be a JSON object.")
        return body

    def _check_size(self, raw: bytes) -> None:
        if len(raw) > MAX_MESSAGE_BYTES:
            raise _Error(413, "MessageSizeTooBig", "Message size too large. The maximum size is 28 KB.")

    def _check_card(self, activity: dict) -> None:
        for attachment in activity.get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                content = attachment.get("content") or {}
                version = str(content.get("version", ""))
                if content.get("type") != "AdaptiveCard" or version not in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5"):
                    raise _Error(400, "BadArgument", f"Unsupported Adaptive Card version {version!r} (Teams: ≤ 1.5).")

    def _throttle(self, key: str) -> None:
        if not self.rate_limits:
            return
        with self._lock:
            wait = self._limits.wait_for(key)
            if wait > 0:
                self.throttled += 1
                raise _Error(
                    429,
                    "Throttled",
                    "Too many requests to this conversation: retry after the time in Retry-After.",
                    {"Retry-After": str(max(1, round(wait + 0.4)))},
                )
            self._limits.take(key)

    def _drop(self, kind: str) -> bool:
        with self._lock:
            if self.drop_next.get(kind):
                self.drop_next[kind] -= 1
                return True
        return False

    def _stamp(self, activity: dict, conversation: str) -> dict:
        activity = dict(activity)
        activity["id"] = self.new_id()
        activity["conversation"] = {"id": conversation}
        activity["from"] = {"id": self.bot_id, "name": self.bot_name}
        activity["timestamp"] = dt.datetime.now(dt.UTC).isoformat()
        return activity

    def _connector(self, method, path, raw):
        if method == "POST" and path == "/v3/conversations":
            return self._create(raw)
        match = re.fullmatch(r"/v3/conversations/([^/]+)/activities(?:/([^/]+))?", path)
        if match and method == "POST":
            return self._send(match[1], raw)
        if match and method == "PUT" and match[2]:
            return self._update(match[1], match[2], raw)
        match = re.fullmatch(r"/v3/teams/([^/]+)(/conversations)?", path)
        if match and method == "GET":
            return self._team(match[1], bool(match[2]))
        match = re.fullmatch(r"/v3/conversations/([^/]+)/members/([^/]+)", path)
        if match and method == "GET":
            user = self._users.get(match[2]) or next(
                (u for u in self._users.values() if u["aadObjectId"] == match[2]), None
            )
            if user is None:
                raise _Error(404, "MemberNotFoundInConversation", "The member is not in the conversation.")
            return 200, user, {}, False
        raise _Error(404, "NotFound", f"No such resource: {method} {path}")

    def _create(self, raw):
        self._check_size(raw)
        body = self._json(raw)
        if body.get("tenantId") not in (None, self.tenant_id):
            raise _Error(403, "Forbidden", "The tenant is not the bot's.")
        if not self.installed:
            raise _Error(403, "BotNotInConversationRoster", "The bot is not part of the conversation roster.")
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        activity = body.get("activity")
        if channel:
            if channel not in self.channels:
                raise _Error(404, "ConversationNotFound", "Conversation not found.")
            if not isinstance(activity, dict):
                raise _Error(400, "BadArgument", "A new post in a channel needs an activity.")
            self._check_card(activity)
            self._throttle(channel)
            with self._lock:
                posted = self._stamp(activity, channel)
                posted["conversation"] = {"id": f"{channel};messageid={posted['id']}"}
                self._roots[channel].append(posted)
            if self._drop("create"):
                return 0, None, {}, True
            return 201, {"id": posted["conversation"]["id"], "activityId": posted["id"]}, {}, False
        members = body.get("members") or []
        if body.get("isGroup") or len(members) != 1 or members[0].get("id") not in self._users:
            raise _Error(400, "BadArgument", "A 1:1 conversation needs exactly one member of the tenant.")
        user = members[0]["id"]
        with self._lock:
            conversation = self._chat_of.setdefault(user, f"a:1{hashlib.sha256(user.encode()).hexdigest()[:30]}")
        return 201, {"id": conversation}, {}, False

    def _send(self, conversation: str, raw):
        self._check_size(raw)
        activity = self._json(raw)
        self._check_card(activity)
        if activity.get("type", "message") != "message":
            return 200, {"id": ""}, {}, False  # typing and the like: shown, not kept
        channel, _, root = conversation.partition(";messageid=")
        if root:
            if not any(a["id"] == root for a in self._roots.get(channel, [])):
                raise _Error(404, "ConversationNotFound", "Conversation not found.")
            self._throttle(conversation)
            with self._lock:
                posted = self._stamp(activity, conversation)
                posted["replyToId"] = root
                self._replies[(channel, root)].append(posted)
        elif conversation in self._chats or conversation in self._chat_of.values():
            self._throttle(conversation)
            with self._lock:
                posted = self._stamp(activity, conversation)
                self._chats[conversation].append(posted)
        elif channel in self.channels:
            # Sending to the channel itself starts a new post, as create conversation does.
            self._throttle(channel)
            with self._lock:
                posted = self._stamp(activity, channel)
                posted["conversation"] = {"id": f"{channel};messageid={posted['id']}"}
                self._roots[channel].append(posted)
        else:
            raise _Error(404, "ConversationNotFound", "Conversation not found.")
        if self._drop("send"):
            return 0, None, {}, True
        return 201, {"id": posted["id"]}, {}, False

    def _update(self, conversation: str, activity_id: str, raw):
        self._check_size(raw)
        activity = self._json(raw)
        self._check_card(activity)
        channel = conversation.partition(";messageid=")[0]
        with self._lock:
            found = [a for a in self._roots.get(channel, []) if a["id"] == activity_id]
            found += [
                a for (c, _), items in self._replies.items() if c == channel for a in items if a["id"] == activity_id
            ]
            found += [a for a in self._chats.get(conversation, []) if a["id"] == activity_id]
            mine = [a for a in found if a["from"]["id"] == self.bot_id]
            if not mine:
                raise _Error(404, "ActivityNotFoundInConversation", "The activity was not found in the conversation.")
            target = mine[0]
            for key in ("text", "attachments", "textFormat", "entities"):
                if key in activity:
                    target[key] = activity[key]
                else:
                    target.pop(key, None)
            target["lastModified"] = dt.datetime.now(dt.UTC).isoformat()
            target["edits"] = target.get("edits", 0) + 1
        if self._drop("update"):
            return 0, None, {}, True
        return 200, {"id": activity_id}, {}, False

    def _team(self, team: str, conversations: bool):
        if team != self.team_id and team not in self.channels:
            raise _Error(404, "NotFound", "The team was not found.")
        if not self.installed:
            raise _Error(403, "BotNotInConversationRoster", "The bot is not part of the conversation roster.")
        if team != self.team_id:  # a channel id that is not the General channel's names no team
            raise _Error(404, "NotFound", "The team was not found.")
        if conversations:
            listed = [{"id": cid, "name": None if cid == self.team_id else name} for cid, name in self.channels.items()]
            return 200, {"conversations": listed}, {}, False
        details = {"id": self.team_id, "name": self.team_name, "aadGroupId": self.team_aad_group_id}
        return 200, details, {}, False

    # --- Graph -----------------------------------------------------------------------------------

    def _graph(self, method, path, query):
        match = re.fullmatch(r"/teams/([^/]+)/channels/([^/]+)/messages(?:/([^/]+)/replies)?", path)
        if method != "GET" or not match:
            raise _Error(404, "NotFound", f"No such resource: {path}")
        group, channel, root = match.groups()
        if group != self.team_aad_group_id or channel not in self.channels:
            raise _Error(404, "NotFound", "The team or channel was not found.")
        with self._lock:
            items = self._replies[(channel, root)] if root else self._roots[channel]
            items = [self._graph_message(a) for a in reversed(items)]  # newest first, as Graph lists them
        top = min(int((query.get("$top") or ["20"])[0]), 50)
        skip = int((query.get("$skiptoken") or ["0"])[0])
        page = items[skip : skip + top]
        body = {"value": page}
        if skip + top < len(items):
            base = f"{self.graph_url}/v1.0{path}"
            body["@odata.nextLink"] = f"{base}?$top={top}&$skiptoken={skip + top}"
        return 200, body, {}, False

    def _graph_message(self, activity: dict) -> dict:
        sender = activity.get("from") or {}
        is_bot = sender.get("id") == self.bot_id
        return {
            "id": activity["id"],
            "replyToId": activity.get("replyToId"),
            "messageType": "message",
            "createdDateTime": activity.get("timestamp"),
            "from": {"application": {"id": self.app_id, "displayName": self.bot_name}, "user": None}
            if is_bot
            else {"user": {"id": sender.get("aadObjectId"), "displayName": sender.get("name")}, "application": None},
            "body": {"contentType": "html", "content": activity.get("text") or ""},
            "attachments": [
                {
                    "id": str(uuid.uuid4()),
                    "contentType": a.get("contentType"),
                    "content": json.dumps(a.get("content")),
                }
                for a in activity.get("attachments") or []
            ],
            "mentions": [],
        }


class TeamsDriver:
    """People in Teams: their messages and clicks reach the bot as the Bot Connector sends them (signed activities)."""

    def __init__(self, fake: FakeBotConnector, endpoint: str):
        import requests

        self.fake, self.endpoint = fake, endpoint
        self.http = requests.Session()

    def _base(self, user: dict, conversation: str, channel: str | None) -> dict:
        activity = {
            "channelId": "msteams",
            "serviceUrl": self.fake.service_url,
            "id": self.fake.new_id(),
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
            "from": {"id": user["id"], "name": user["name"], "aadObjectId": user["aadObjectId"]},
            "recipient": {"id": self.fake.bot_id, "name": self.fake.bot_name},
            "conversation": {"id": conversation, "tenantId": self.fake.tenant_id},
            "channelData": {"tenant": {"id": self.fake.tenant_id}},
            "locale": "en-US",
        }
        if channel:
            activity["conversation"].update(conversationType="channel", isGroup=True)
            activity["channelData"].update(
                team={"id": self.fake.team_id, "name": self.fake.team_name, "aadGroupId": self.fake.team_aad_group_id},
                channel={"id": channel, "name": self.fake.channels.get(channel)},
            )
        else:
            activity["conversation"].update(conversationType="personal")
        return activity

    def message(self, user: dict, text: str, *, channel: str, root: str, mention: bool = True) -> dict:
        """A thread reply (with the bot @mentioned, as Teams delivers it without RSC)."""
        activity = self._base(user, f"{channel};messageid={root}", channel)
        at = f"<at>{self.fake.bot_name}</at>"
        activity.update(type="message", textFormat="plain", replyToId=root, text=f"{at} {text}" if mention else text)
        if mention:
            activity["entities"] = [
                {"type": "mention", "text": at, "mentioned": {"id": self.fake.bot_id, "name": self.fake.bot_name}}
            ]
        self.fake.add_reply(channel, root, activity)
        return activity

    def personal_message(self, user: dict, text: str) -> dict:
        with self.fake._lock:
            conversation = self.fake._chat_of.setdefault(
                user["id"], f"a:1{hashlib.sha256(user['id'].encode()).hexdigest()[:30]}"
            )
        activity = self._base(user, conversation, None)
        activity.update(type="message", textFormat="plain", text=text)
        return activity

    def invoke(self, user: dict, card: dict, verb: str, data: dict, *, channel: str) -> dict:
        """A click on an Action.Execute button of a card the bot posted."""
        conversation = card["conversation"]["id"]
        activity = self._base(user, conversation, channel)
        activity.update(
            type="invoke",
            name="adaptiveCard/action",
            replyToId=card["id"],
            value={"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
        )
        return activity

    def send(self, activity: dict, *, token: str | None | bool = True, timeout: float = 30.0):
        """POST an activity to the bot; `token`: True signs it as the Bot Connector would, a string is sent as is,
        None sends no Authorization at all."""
        headers = {"Content-Type": "application/json"}
        if token is True:
            token = self.fake.connector_token(service_url=activity.get("serviceUrl"))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.post(self.endpoint, data=json.dumps(activity), headers=headers, timeout=timeout)

    def say(self, user: dict, text: str, *, channel: str, root: str, mention: bool = True):
        return self.send(self.message(user, text, channel=channel, root=root, mention=mention))

    def click(self, user: dict, card: dict, verb: str, *, channel: str):
        data = _button_data(card, verb)
        return self.send(self.invoke(user, card, verb, data, channel=channel))


def _button_data(card: dict, verb: str) -> dict:
    """The data of the card's Action.Execute button with this verb (as Teams sends it back on a click)."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and node.get("verb") == verb:
                return node.get("data") or {}
            for value in node.values():
                found = walk(value)
                if found is not None:
                    return found
        elif isinstance(node, list):
            for value in node:
                found = walk(value)
                if found is not None:
                    return found
        return None

    found = walk(card.get("attachments") or [])
    if found is None:
        raise AssertionError(f"the card has no {verb!r} button")
    return found
