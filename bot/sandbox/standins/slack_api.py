"""A stand-in for Slack's Web API, served over real HTTP on 127.0.0.1.

It answers as Slack does (shapes, ``{"ok": false, "error": ...}`` with HTTP 200, 429 + ``Retry-After``) so the
unmodified ``slack_sdk.WebClient(base_url=fake.url)`` and Bolt can run against it. Optional per-channel rate
limiting and seeded fault injection let tests and benchmarks exercise the unhappy paths.
"""

from __future__ import annotations

import base64
import copy
import datetime
import json
import math
import mimetypes
import random
import re
import threading
import time
import uuid
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from bot.sandbox.standins import block_kit
from bot.sandbox.standins.server import QuietServer

BOT_ID = "BBOT"
MAX_TEXT = 40000
_DROP = object()  # answer: close the connection without writing a response
_USER_ID = re.compile(r"[UW][A-Z0-9_]+")


class ApiError(Exception):
    """A Slack error answer: ``{"ok": false, "error": error, **extra}``."""

    def __init__(self, error: str, **extra):
        super().__init__(error)
        self.error = error
        self.extra = extra


class _RateLimited(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


@dataclass
class FaultPlan:
    rate: float  # probability a call is faulted
    seed: int = 0
    kinds: tuple = ("429", "500", "drop", "drop_after")
    methods: tuple | None = None  # only these API methods (None = all but auth.test)
    retry_after: int = 1


def _truthy(value) -> bool:
    return value in (True, 1, "1", "true", "True")


def _json_param(value, error: str):
    """Form-encoded requests carry structured params as JSON strings, JSON requests as values."""
    if value is None or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise ApiError(error) from None


def _ts_key(ts) -> tuple[int, int]:
    sec, _, frac = str(ts).partition(".")
    return int(sec or 0), int((frac or "0")[:6].ljust(6, "0"))


def _is_reply(msg: dict) -> bool:
    return bool(msg.get("thread_ts")) and msg["thread_ts"] != msg["ts"]


def _in_history(msg: dict) -> bool:
    return not _is_reply(msg) or msg.get("subtype") == "thread_broadcast"


def _rich_text(text: str) -> list[dict]:
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return [{"type": "rich_text", "block_id": uuid.uuid4().hex[:5], "elements": [section]}]


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _page(items: list, params: dict) -> tuple[list, str]:
    limit = max(1, min(int(params.get("limit") or 100), 999))
    start = 0
    if params.get("cursor"):
        try:
            start = int(base64.b64decode(params["cursor"]).decode().removeprefix("offset:"))
        except ValueError:
            raise ApiError("invalid_cursor") from None
    end = start + limit
    return items[start:end], _cursor(end) if end < len(items) else ""


class FakeSlack:
    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        team_id: str = "T0TEST",
        bot_user_id: str = "UBOT",
        channels=("C_INBOX", "C_DIGEST"),
        member_of=None,
        scopes=(
            "chat:write",
            "commands",
            "channels:history",
            "groups:history",
            "users:read",
            "files:write",
            "reactions:write",
            "channels:read",
            "usergroups:read",
        ),
        post_rate_per_channel: float | None = None,
        burst: int = 1,
        update_rate_per_minute: float | None = None,
        update_burst: int = 10,
        blocks_chars_cap: int = block_kit.MAX_BLOCKS_CHARS,
        faults: FaultPlan | None = None,
        latency: float = 0.0,
        auto_users: bool = True,
    ):
        self.bot_token = bot_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.scopes = tuple(scopes)
        self.post_rate_per_channel = post_rate_per_channel
        self.burst = burst
        # chat.update is Tier 3: about 50 a minute per workspace, short bursts allowed; None: not limited.
        self.update_rate_per_minute = update_rate_per_minute
        self.update_burst = update_burst
        self.blocks_chars_cap = blocks_chars_cap
        self.latency = latency
        self.auto_users = auto_users
        self.url = ""
        self.response_url_base = ""
        self.socket_mode = None  # the SocketModeSlack of this app, once one is started (bot/standins/slack_socket.py)

        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._revoked_token: str | None = None
        self._last_us = 0
        self._ids = 0
        self._channels: dict[str, dict] = {}
        self._msgs: dict[str, dict[str, dict]] = {}  # channel -> ts -> message, in ts order
        self._users: dict[str, dict] = {}
        self._members: dict[str, set[str] | None] = {}  # channel -> its people (None: everyone)
        self._usergroups: dict[str, dict] = {}
        self._uploads: dict[str, dict] = {}
        self._buckets: dict[str, tuple[float, float]] = {}  # channel (or "chat.update") -> (tokens, monotonic time)
        self._ephemerals: list[dict] = []
        self._responses: list[dict] = []
        self._responses_flow = threading.Event()  # cleared: answers at response URLs wait (a slow Slack)
        self._responses_flow.set()
        self._files: list[dict] = []
        self._views: list[dict] = []
        self._calls: list[tuple[str, dict]] = []
        self._stalls: dict[str, threading.Event] = {}
        self._holds: dict[str, threading.Event] = {}

        self.rate_limited = 0
        self.post_times: dict[str, list[float]] = defaultdict(list)
        self.faults_injected: dict[str, int] = defaultdict(int)
        self.faults = faults

        for cid in channels:
            self.add_channel(cid, member=member_of is None or cid in member_of)
        self.add_user(bot_user_id, "bot", "Bot", is_bot=True)

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> str:
        self._server = QuietServer(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        base = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self.url, self.response_url_base = base + "api/", base + "response/"
        # A short poll interval keeps stop() fast (shutdown waits for the serve loop's next poll).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="FakeSlack", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._responses_flow.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> FakeSlack:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def faults(self) -> FaultPlan | None:
        return self._faults

    @faults.setter
    def faults(self, plan: FaultPlan | None) -> None:
        with self._lock:
            self._faults = plan
            self._rng = random.Random(plan.seed if plan else 0)

    # -- setup and inspection ----------------------------------------------------------------------------

    def add_user(self, id: str, name: str, real_name: str | None = None, is_bot: bool = False, tz: str = "UTC") -> dict:
        real_name = real_name or name
        try:
            offset = zoneinfo.ZoneInfo(tz).utcoffset(datetime.datetime.now())
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            offset = None
        user = {
            "id": id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": is_bot,
            "is_admin": False,
            "tz": tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": {
                "display_name": name,
                "real_name": real_name,
                "display_name_normalized": name,
                "real_name_normalized": real_name,
                "image_48": f"https://fake.slack.com/avatars/{id}_48.png",
            },
        }
        with self._lock:
            self._users[id] = user
        return copy.deepcopy(user)

    def add_channel(self, id: str, name: str | None = None, member: bool = True, members=None) -> dict:
        """`member`: whether the bot is in it; `members`: the people in it (None: everyone in the workspace)."""
        channel = {
            "id": id,
            "name": name or id.lower().removeprefix("c_"),
            "is_channel": True,
            "is_private": False,
            "is_archived": False,
            "is_member": member,
            "created": int(time.time()),
        }
        with self._lock:
            self._channels[id] = channel
            self._msgs.setdefault(id, {})
            self._members[id] = None if members is None else set(members)
        return copy.deepcopy(channel)

    def set_members(self, channel: str, users) -> None:
        """Only `users` (and the bot, if it is a member) are in the channel from now on; None: everyone."""
        with self._lock:
            self._members[self._channel(channel)] = None if users is None else set(users)

    def is_member(self, channel: str, user: str) -> bool:
        with self._lock:
            cid = self._channel(channel)
            if user == self.bot_user_id:
                return self._channels[cid]["is_member"]
            members = self._members.get(cid)
            return self._user(user) is not None and (members is None or user in members)

    def add_usergroup(self, id: str, handle: str, users) -> None:
        with self._lock:
            self._usergroups[id] = {"id": id, "handle": handle, "users": list(users)}

    def revoke(self) -> None:
        """Calls with the current token now answer ``token_revoked``."""
        with self._lock:
            self._revoked_token, self.bot_token = self.bot_token, None

    def set_token(self, token: str) -> None:
        """Only ``token`` is valid from now on; the old one answers ``invalid_auth``."""
        with self._lock:
            self.bot_token, self._revoked_token = token, None

    def add_human_message(
        self, channel: str, user: str, text: str, thread_ts: str | None = None, *, files: list | None = None
    ) -> dict:
        with self._lock:
            cid = self._channel(channel)
            msg = {
                "type": "message",
                "user": user,
                "text": text,
                "ts": self._next_ts(),
                "client_msg_id": str(uuid.uuid4()),
                "team": self.team_id,
                "blocks": _rich_text(text),
            }
            if thread_ts:
                msg["thread_ts"] = thread_ts
            if files:
                msg["files"], msg["upload"] = copy.deepcopy(files), False
            self._store(cid, msg)
            return copy.deepcopy(msg)

    def edit_human_message(self, channel: str, ts: str, text: str) -> dict:
        with self._lock:
            msg = self._message(self._channel(channel), ts)
            edited = {"user": msg.get("user"), "ts": self._next_ts()}
            msg.update(text=text, blocks=_rich_text(text), edited=edited)
            return copy.deepcopy(msg)

    def delete_message(self, channel: str, ts: str) -> dict:
        with self._lock:
            cid = self._channel(channel)
            msg = self._message(cid, ts)
            del self._msgs[cid][ts]
            if _is_reply(msg):
                self._refresh_thread(cid, msg["thread_ts"])
            return copy.deepcopy(msg)

    def channel(self, ref: str) -> dict:
        """The channel object for an id, name or "#name"; ApiError("channel_not_found") if unknown."""
        with self._lock:
            return copy.deepcopy(self._channels[self._channel(ref)])

    def user(self, id: str) -> dict | None:
        """The user object as users.info answers it (auto-created when ``auto_users``), or None."""
        with self._lock:
            return copy.deepcopy(self._user(id))

    def next_ts(self) -> str:
        """A fresh ts, later than every one handed out so far."""
        with self._lock:
            return self._next_ts()

    def message(self, channel: str, ts: str) -> dict | None:
        with self._lock:
            msg = self._msgs.get(self._channel(channel), {}).get(ts)
            return copy.deepcopy(msg)

    def messages(self, channel: str) -> list[dict]:
        """Top-level messages (as conversations.history shows them), oldest first."""
        with self._lock:
            return copy.deepcopy([m for m in self._msgs[self._channel(channel)].values() if _in_history(m)])

    def replies(self, channel: str, thread_ts: str) -> list[dict]:
        with self._lock:
            msgs = self._msgs[self._channel(channel)].values()
            return copy.deepcopy([m for m in msgs if _is_reply(m) and m["thread_ts"] == thread_ts])

    def all_posts(self, channel: str | None = None) -> list[dict]:
        """Every message including replies, oldest first; each copy carries its ``channel``."""
        with self._lock:
            cids = [self._channel(channel)] if channel else list(self._msgs)
            out = [{**copy.deepcopy(m), "channel": cid} for cid in cids for m in self._msgs[cid].values()]
        return sorted(out, key=lambda m: _ts_key(m["ts"]))

    def _snapshot(self, items: list) -> list:
        with self._lock:
            return copy.deepcopy(items)

    ephemerals = property(lambda self: self._snapshot(self._ephemerals))
    responses = property(lambda self: self._snapshot(self._responses))
    files = property(lambda self: self._snapshot(self._files))
    views = property(lambda self: self._snapshot(self._views))
    calls = property(lambda self: self._snapshot(self._calls))

    def stall(self, method: str) -> threading.Event:
        """Calls to `method` hang, unanswered, until the returned event is set (a Slack that stopped answering)."""
        gate = threading.Event()
        with self._lock:
            self._stalls[method] = gate
        return gate

    def hold_next(self, method: str) -> threading.Event:
        """The next call to `method` alone hangs, unanswered and not yet applied, until the returned event is set
        (a request slow on the way to Slack, overtaken by a later one)."""
        gate = threading.Event()
        with self._lock:
            self._holds[method] = gate
        return gate

    def count(self, method: str) -> int:
        with self._lock:
            return sum(1 for name, _ in self._calls if name == method)

    # The workspace's content, for a sandbox that keeps its world across restarts (not calls or limits).
    _KEPT = (
        "_channels",
        "_members",
        "_msgs",
        "_users",
        "_usergroups",
        "_uploads",
        "_ephemerals",
        "_responses",
        "_files",
        "_views",
    )

    def snapshot(self) -> dict:
        with self._lock:
            return copy.deepcopy({name: getattr(self, name) for name in self._KEPT} | {"_ids": self._ids})

    def restore(self, state: dict) -> None:
        with self._lock:
            for name, value in copy.deepcopy(state).items():
                if name in self._KEPT or name == "_ids":
                    setattr(self, name, value)

    # -- internals (callers hold the lock) ------------------------------------------------------------

    def _next_ts(self) -> str:
        # Microseconds since the epoch, forced strictly increasing: unique and ordered like Slack's ts.
        us = max(time.time_ns() // 1000, self._last_us + 1)
        self._last_us = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids:08X}"

    def _channel(self, ref, *, member: bool = False) -> str:
        ref = str(ref or "").removeprefix("#")
        cid = (
            ref if ref in self._channels else next((c["id"] for c in self._channels.values() if c["name"] == ref), None)
        )
        if cid is None:
            raise ApiError("channel_not_found")
        if member and not self._channels[cid]["is_member"]:
            raise ApiError("not_in_channel")
        return cid

    def _message(self, cid: str, ts) -> dict:
        msg = self._msgs[cid].get(ts)
        if msg is None:
            raise ApiError("message_not_found")
        return msg

    def _user(self, uid) -> dict | None:
        if uid not in self._users and self.auto_users and uid and _USER_ID.fullmatch(uid):
            self.add_user(uid, uid.lower())
        return self._users.get(uid)

    def _store(self, cid: str, msg: dict) -> None:
        self._msgs[cid][msg["ts"]] = msg
        if _is_reply(msg):
            self._refresh_thread(cid, msg["thread_ts"])

    def _refresh_thread(self, cid: str, thread_ts: str) -> None:
        parent = self._msgs[cid].get(thread_ts)
        if parent is None:
            return
        replies = [m for m in self._msgs[cid].values() if _is_reply(m) and m["thread_ts"] == thread_ts]
        for key in ("thread_ts", "reply_count", "reply_users", "reply_users_count", "latest_reply"):
            parent.pop(key, None)
        if replies:
            users = list(dict.fromkeys(m.get("user") for m in replies))
            parent.update(
                thread_ts=thread_ts,
                reply_count=len(replies),
                reply_users=users,
                reply_users_count=len(users),
                latest_reply=replies[-1]["ts"],
            )

    def _take_post_token(self, cid: str) -> None:
        if self.post_rate_per_channel:
            self._take_token(cid, self.post_rate_per_channel, self.burst)

    def _take_token(self, bucket: str, rate: float, burst: int) -> None:
        """One call's token from `bucket` (`rate` per second, `burst` at most), or a 429 saying when to come back."""
        now = time.monotonic()
        tokens, last = self._buckets.get(bucket, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * rate)
        if tokens < 1:
            self._buckets[bucket] = (tokens, now)
            raise _RateLimited(max(1, math.ceil((1 - tokens) / rate)))
        self._buckets[bucket] = (tokens - 1, now)

    def _check_token(self, token: str | None) -> None:
        if not token:
            raise ApiError("not_authed")
        if token == self._revoked_token:
            raise ApiError("token_revoked")
        if token != self.bot_token:
            raise ApiError("invalid_auth")

    def _pick_fault(self, method: str) -> str | None:
        plan = self._faults
        if plan is None:
            return None
        exempt = method not in plan.methods if plan.methods is not None else method == "auth.test"
        if exempt or self._rng.random() >= plan.rate:
            return None
        kind = self._rng.choice(plan.kinds)
        self.faults_injected[kind] += 1
        return kind

    def _bot_message(self, text, blocks, thread_ts, metadata) -> dict:
        msg = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": BOT_ID,
            "text": text or "",
            "ts": self._next_ts(),
            "team": self.team_id,
        }
        if blocks is not None:
            msg["blocks"] = blocks
        if thread_ts:
            msg["thread_ts"] = thread_ts
        if metadata:
            msg["metadata"] = metadata
        return msg

    def _content(self, p: dict, *, require: bool = True) -> tuple:
        text = p.get("text")
        blocks = _json_param(p.get("blocks"), "invalid_blocks_format")
        metadata = _json_param(p.get("metadata"), "invalid_metadata_format")
        if require and not text and not blocks:
            raise ApiError("no_text")
        if blocks is not None and (errors := block_kit.problems(blocks)):
            messages = [f"[ERROR] {e}" for e in errors]
            raise ApiError("invalid_blocks", errors=errors, response_metadata={"messages": messages})
        if blocks is not None and block_kit.size(blocks) > self.blocks_chars_cap:
            raise ApiError("msg_blocks_too_long")
        if text and len(text) > MAX_TEXT:
            raise ApiError("msg_too_long")
        if metadata is not None and not (isinstance(metadata, dict) and metadata.get("event_type")):
            raise ApiError("invalid_metadata_format")
        return text, blocks, metadata

    @staticmethod
    def _out(msg: dict, with_metadata: bool) -> dict:
        out = copy.deepcopy(msg)
        if not with_metadata:
            out.pop("metadata", None)
        return out

    # -- HTTP entry points (called by the handler threads) ----------------------------------------------

    def _serve_api(self, method: str, params: dict, token: str | None):
        with self._lock:
            self._calls.append((method, {k: v for k, v in params.items() if k != "token"}))
            fault = self._pick_fault(method)
            retry_after = self._faults.retry_after if fault else 0
            if fault == "429":
                self.rate_limited += 1
            stalled = self._stalls.get(method) or self._holds.pop(method, None)
        if stalled is not None:
            stalled.wait()
        if self.latency:
            time.sleep(self.latency)
        if fault == "drop":
            return _DROP
        if fault == "429":
            return 429, {"Retry-After": str(retry_after)}, {"ok": False, "error": "ratelimited"}
        if fault == "500":
            return 500, {}, {"ok": False, "error": "internal_error"}
        result = self._call(method, params, token)
        return _DROP if fault == "drop_after" else result

    def _call(self, method: str, params: dict, token: str | None):
        if method == "apps.connections.open":  # wants an app-level token, not the bot token
            return 200, {}, self._apps_connections_open(token)
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        headers = {"x-oauth-scopes": ",".join(self.scopes)}
        with self._lock:
            try:
                self._check_token(token)
                return 200, headers, {"ok": True, **handler(params)}
            except _RateLimited as limited:
                self.rate_limited += 1
                return 429, {"Retry-After": str(limited.retry_after)}, {"ok": False, "error": "ratelimited"}
            except ApiError as err:
                return 200, headers, {"ok": False, "error": err.error, **err.extra}
            except (ValueError, TypeError):  # e.g. limit=abc, a malformed ts
                return 200, headers, {"ok": False, "error": "invalid_arguments"}

    def _serve_upload(self, file_id: str, raw: bytes):
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is None:
                return 404, {"Content-Type": "text/plain"}, b"Not Found"
            upload["bytes"] = raw
        return 200, {"Content-Type": "text/plain"}, f"OK - {len(raw)}".encode()

    def hold_responses(self) -> None:
        """From now on, a POST to a response URL gets no answer until `release_responses()` (or a minute)."""
        self._responses_flow.clear()

    def release_responses(self) -> None:
        self._responses_flow.set()

    def _serve_response(self, url: str, raw: bytes):
        self._responses_flow.wait(timeout=60)
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = raw.decode(errors="replace")
        if not isinstance(payload, dict):
            payload = {"raw": payload}
        with self._lock:
            self._responses.append({"url": url, **payload})
        return 200, {"Content-Type": "text/plain"}, b"ok"

    # -- API methods: each returns the answer's fields besides "ok", or raises ApiError ----------------

    def _apps_connections_open(self, token: str | None) -> dict:
        if not token:
            return {"ok": False, "error": "not_authed"}
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        socket_mode = self.socket_mode
        if socket_mode is None:  # no Socket Mode server here: a URL nothing answers
            return {"ok": True, "url": "ws://127.0.0.1:1/"}
        if token != socket_mode.app_token:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": socket_mode.open_url()}

    def _api_auth_test(self, p: dict) -> dict:
        return {
            "url": "https://fake.slack.com/",
            "team": "Fake Team",
            "team_id": self.team_id,
            "user": self._users[self.bot_user_id]["name"],
            "user_id": self.bot_user_id,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _api_chat_postMessage(self, p: dict) -> dict:
        cid = self._channel(p.get("channel"), member=True)
        self._take_post_token(cid)
        text, blocks, metadata = self._content(p)
        msg = self._bot_message(text, blocks, p.get("thread_ts"), metadata)
        if p.get("thread_ts") and _truthy(p.get("reply_broadcast")):
            msg["subtype"] = "thread_broadcast"
        self._store(cid, msg)
        self.post_times[cid].append(time.monotonic())
        return {"channel": cid, "ts": msg["ts"], "message": copy.deepcopy(msg)}

    def _api_chat_update(self, p: dict) -> dict:
        if self.update_rate_per_minute:
            self._take_token("chat.update", self.update_rate_per_minute / 60, self.update_burst)
        cid = self._channel(p.get("channel"))
        msg = self._message(cid, p.get("ts"))
        if msg.get("bot_id") != BOT_ID:
            raise ApiError("cant_update_message")
        text, blocks, metadata = self._content(p, require=False)
        for key, value in (("text", text), ("blocks", blocks), ("metadata", metadata)):
            if value is not None:
                msg[key] = value
        msg["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": cid, "ts": msg["ts"], "text": msg["text"], "message": copy.deepcopy(msg)}

    def _api_chat_delete(self, p: dict) -> dict:
        cid = self._channel(p.get("channel"))
        if self._message(cid, p.get("ts")).get("bot_id") != BOT_ID:
            raise ApiError("cant_delete_message")
        self.delete_message(cid, p["ts"])
        return {"channel": cid, "ts": p["ts"]}

    def _api_chat_postEphemeral(self, p: dict) -> dict:
        cid = self._channel(p.get("channel"), member=True)
        if not self.is_member(cid, p.get("user")):
            raise ApiError("user_not_in_channel")
        text, blocks, _ = self._content(p)
        self._ephemerals.append(
            {
                "channel": cid,
                "user": p["user"],
                "text": text,
                "blocks": blocks,
                "thread_ts": p.get("thread_ts"),
            }
        )
        return {"message_ts": self._next_ts()}

    def _api_chat_getPermalink(self, p: dict) -> dict:
        cid = self._channel(p.get("channel"))
        msg = self._message(cid, p.get("message_ts"))
        link = f"https://fake.slack.com/archives/{cid}/p{msg['ts'].replace('.', '')}"
        if _is_reply(msg):
            link += f"?thread_ts={msg['thread_ts']}&cid={cid}"
        return {"channel": cid, "permalink": link}

    def _window(self, msgs, p: dict) -> list[dict]:
        oldest = _ts_key(p.get("oldest") or 0)
        latest = _ts_key(p["latest"]) if p.get("latest") else (math.inf,)
        if _truthy(p.get("inclusive")):
            return [m for m in msgs if oldest <= _ts_key(m["ts"]) <= latest]
        return [m for m in msgs if oldest < _ts_key(m["ts"]) < latest]

    def _api_conversations_history(self, p: dict) -> dict:
        cid = self._channel(p.get("channel"), member=True)
        visible = [m for m in reversed(self._msgs[cid].values()) if _in_history(m)]
        page, nxt = _page(self._window(visible, p), p)
        meta = _truthy(p.get("include_all_metadata"))
        return {
            "messages": [self._out(m, meta) for m in page],
            "has_more": bool(nxt),
            "pin_count": 0,
            "response_metadata": {"next_cursor": nxt},
        }

    def _api_conversations_replies(self, p: dict) -> dict:
        cid = self._channel(p.get("channel"), member=True)
        head = self._msgs[cid].get(p.get("ts"))
        if head is None:
            raise ApiError("thread_not_found")
        root = head.get("thread_ts") or head["ts"]
        thread = [m for m in self._msgs[cid].values() if m["ts"] == root or m.get("thread_ts") == root]
        page, nxt = _page(self._window(thread, {**p, "inclusive": True}), p)
        meta = _truthy(p.get("include_all_metadata"))
        return {
            "messages": [self._out(m, meta) for m in page],
            "has_more": bool(nxt),
            "response_metadata": {"next_cursor": nxt},
        }

    def _api_conversations_info(self, p: dict) -> dict:
        return {"channel": copy.deepcopy(self._channels[self._channel(p.get("channel"))])}

    def _api_conversations_join(self, p: dict) -> dict:
        channel = self._channels[self._channel(p.get("channel"))]
        answer = {"warning": "already_in_channel"} if channel["is_member"] else {}
        channel["is_member"] = True
        return {"channel": copy.deepcopy(channel), **answer}

    def _api_users_info(self, p: dict) -> dict:
        user = self._user(p.get("user"))
        if user is None:
            raise ApiError("user_not_found")
        return {"user": copy.deepcopy(user)}

    def _api_usergroups_users_list(self, p: dict) -> dict:
        group = self._usergroups.get(p.get("usergroup"))
        if group is None:
            raise ApiError("no_such_subteam")
        return {"users": list(group["users"])}

    def _api_files_getUploadURLExternal(self, p: dict) -> dict:
        if not p.get("filename") or p.get("length") is None:
            raise ApiError("invalid_arguments")
        file_id = self._new_id("F")
        self._uploads[file_id] = {"filename": p["filename"], "length": int(p["length"]), "bytes": None}
        return {"upload_url": self.url.removesuffix("api/") + f"upload/{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, p: dict) -> dict:
        items = _json_param(p.get("files"), "invalid_arguments")
        if not isinstance(items, list) or not items:
            raise ApiError("invalid_arguments")
        channel = p.get("channel_id") or (p.get("channels") or "").split(",")[0]
        cid = self._channel(channel, member=True) if channel else None
        uploads = [(item, self._uploads.get(item.get("id"))) for item in items]
        if any(u is None or u["bytes"] is None for _, u in uploads):
            raise ApiError("file_not_found")
        files = []
        for item, upload in uploads:
            name, title = upload["filename"], item.get("title") or upload["filename"]
            files.append(
                {
                    "id": item["id"],
                    "name": name,
                    "title": title,
                    "size": len(upload["bytes"]),
                    "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
                    "user": self.bot_user_id,
                    "permalink": f"https://fake.slack.com/files/{self.bot_user_id}/{item['id']}/{name}",
                }
            )
            self._files.append(
                {
                    "id": item["id"],
                    "title": title,
                    "filename": name,
                    "bytes": upload["bytes"],
                    "channel": cid,
                    "initial_comment": p.get("initial_comment"),
                    "thread_ts": p.get("thread_ts"),
                }
            )
        if cid:
            msg = self._bot_message(p.get("initial_comment"), None, p.get("thread_ts"), None)
            msg["files"] = [{"id": f["id"], "title": f["title"], "name": f["name"]} for f in files]
            msg["upload"] = True
            self._store(cid, msg)
        return {"files": files}

    def _view(self, method: str, p: dict) -> dict:
        view = _json_param(p.get("view"), "invalid_arguments")
        if not isinstance(view, dict) or "type" not in view:
            raise ApiError("invalid_arguments")
        if method in ("views.open", "views.push") and not p.get("trigger_id"):
            raise ApiError("invalid_trigger_id")
        full = {
            "id": p.get("view_id") or self._new_id("V"),
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": uuid.uuid4().hex[:16],
            "bot_id": BOT_ID,
            "private_metadata": "",
            "callback_id": "",
            **view,
        }
        self._views.append(
            {
                "method": method,
                "trigger_id": p.get("trigger_id"),
                "user_id": p.get("user_id"),
                "view": copy.deepcopy(full),
            }
        )
        return {"view": full}

    def _api_views_open(self, p: dict) -> dict:
        return self._view("views.open", p)

    def _api_views_push(self, p: dict) -> dict:
        return self._view("views.push", p)

    def _api_views_update(self, p: dict) -> dict:
        return self._view("views.update", p)

    def _api_views_publish(self, p: dict) -> dict:
        if self._user(p.get("user_id")) is None:
            raise ApiError("user_not_found")
        return self._view("views.publish", p)

    def _api_reactions_add(self, p: dict) -> dict:
        msg = self._message(self._channel(p.get("channel")), p.get("timestamp"))
        if not p.get("name"):
            raise ApiError("invalid_name")
        reaction = next((r for r in msg.setdefault("reactions", []) if r["name"] == p["name"]), None)
        if reaction is None:
            reaction = {"name": p["name"], "users": [], "count": 0}
            msg["reactions"].append(reaction)
        if self.bot_user_id in reaction["users"]:
            raise ApiError("already_reacted")
        reaction["users"].append(self.bot_user_id)
        reaction["count"] += 1
        return {}


def _parse_params(query: str, raw: bytes, content_type: str) -> dict:
    params = dict(parse_qsl(query, keep_blank_values=True))
    if raw:
        if content_type.split(";")[0].strip().lower() == "application/json":
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise ValueError("JSON body is not an object")
            params.update(body)
        else:
            params.update(parse_qsl(raw.decode(), keep_blank_values=True))
    return params


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self._serve(b"")

    def do_POST(self) -> None:
        self._serve(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _serve(self, raw: bytes) -> None:
        fake: FakeSlack = self.server.fake
        url = urlsplit(self.path)
        kind, _, rest = url.path.lstrip("/").partition("/")
        if kind == "api" and rest:
            try:
                params = _parse_params(url.query, raw, self.headers.get("Content-Type") or "")
            except ValueError:
                result = 200, {}, {"ok": False, "error": "invalid_json"}
            else:
                auth = self.headers.get("Authorization") or ""
                token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
                token = token or params.get("token")
                result = fake._serve_api(rest, params, token)
        elif kind == "upload" and rest:
            result = fake._serve_upload(rest, raw)
        elif kind == "response":
            result = fake._serve_response(fake.response_url_base + rest, raw)
        else:
            result = 404, {"Content-Type": "text/plain"}, b"Not Found"
        if result is _DROP:
            self.close_connection = True  # the client sees the connection close with no answer
            return
        status, headers, body = result
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json; charset=utf-8", **headers}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
