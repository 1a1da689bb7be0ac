"""Plays Slack's side toward the bot's Request URL: events, button clicks, slash commands, view submissions.

Every request is signed as Slack signs it (v0 HMAC-SHA256 over ``v0:{timestamp}:{body}``), and the payloads
follow the shapes Slack sends. Messages a user "types" are also stored in the FakeSlack, so the bot can read
them back through the Web API.

It also loses what Slack loses: a message can be stored without its event being delivered (Slack gave up after its
retries), and while it rate-limits the app's events (``events_rate_limited()``) Slack sends ``app_rate_limited`` once
and then stores messages, edits and deletions without delivering them. A delivery can be sent again as Slack's
retry sends it (the same body, signed anew, ``X-Slack-Retry-Num``) or replayed as an attacker would (the very same
signed request).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bot.sandbox.standins.slack_api import BOT_ID, FakeSlack

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


@dataclass
class Delivery:
    status: int  # 0 when the request got no HTTP answer at all (refused, timed out)
    body: str
    json: dict | list | None
    elapsed_ms: float
    event_id: str | None = None
    ts: str | None = None
    payload: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)  # the headers that were sent, signature included
    request_body: bytes = b""  # the body that was sent
    delivered: bool = True  # False: Slack never sent it (the message is stored, its event lost)


class SlackDriver:
    def __init__(
        self,
        fake: FakeSlack,
        events_url: str,
        signing_secret: str,
        *,
        team_id: str | None = None,
        api_app_id: str = "A0TEST",
    ):
        self.fake = fake
        self.events_url = events_url
        self.signing_secret = signing_secret
        self.team_id = team_id or fake.team_id
        self.api_app_id = api_app_id
        self._sent: dict[str, Delivery] = {}  # event_id -> first delivery, for retries by id
        self.dropping_events = False  # while Slack rate-limits the app's events: stored, not delivered

    # -- signing and transport ----------------------------------------------------------------------------

    def sign(self, body: bytes, timestamp: int) -> dict[str, str]:
        base = f"v0:{timestamp}:".encode() + body
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}

    def post_raw(
        self,
        body: bytes,
        *,
        content_type: str,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict | None = None,
    ) -> Delivery:
        """POST ``body`` signed for ``timestamp`` (default now); ``signature`` overrides the computed one."""
        headers = {
            "Content-Type": content_type,
            "User-Agent": USER_AGENT,
            **self.sign(body, int(time.time()) if timestamp is None else timestamp),
        }
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        headers.update(extra_headers or {})
        request = urllib.request.Request(self.events_url, data=body, headers=headers, method="POST")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, text = response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read().decode(errors="replace")
        except (urllib.error.URLError, OSError) as err:
            status, text = 0, str(err)
        elapsed_ms = (time.perf_counter() - started) * 1000
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return Delivery(
            status=status, body=text, json=parsed, elapsed_ms=elapsed_ms, headers=headers, request_body=body
        )

    def _send_json(self, payload: dict, extra_headers: dict | None = None) -> Delivery:
        body = json.dumps(payload).encode()
        delivery = self.post_raw(body, content_type="application/json", extra_headers=extra_headers)
        delivery.payload = payload
        return delivery

    def _send_form(self, fields: dict) -> Delivery:
        delivery = self.post_raw(urlencode(fields).encode(), content_type="application/x-www-form-urlencoded")
        delivery.payload = json.loads(fields["payload"]) if "payload" in fields else fields
        return delivery

    # -- Events API ---------------------------------------------------------------------------------------

    def _envelope(self, event: dict, event_id: str | None = None) -> dict:
        context = {
            "et": event["type"],
            "tid": self.team_id,
            "aid": self.api_app_id,
            "cid": event.get("channel"),
        }
        context_b64 = base64.urlsafe_b64encode(json.dumps(context).encode()).decode().rstrip("=")
        authorization = {
            "enterprise_id": None,
            "team_id": self.team_id,
            "user_id": self.fake.bot_user_id,
            "is_bot": True,
            "is_enterprise_install": False,
        }
        return {
            "token": "legacy",
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(time.time()),
            "authorizations": [authorization],
            "is_ext_shared_channel": False,
            "event_context": f"4-{context_b64}",
        }

    @staticmethod
    def _retry_headers(retry_num: int | None) -> dict:
        return {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else {}

    def _deliver(
        self, envelope: dict, *, ts: str | None, retry_num: int | None = None, deliver: bool = True
    ) -> Delivery:
        if self.dropping_events or not deliver:
            lost = Delivery(status=0, body="", json=None, elapsed_ms=0.0, payload=envelope, delivered=False)
            lost.event_id, lost.ts = envelope["event_id"], ts
            self._sent.setdefault(envelope["event_id"], lost)
            return lost
        delivery = self._send_json(envelope, self._retry_headers(retry_num))
        delivery.event_id, delivery.ts = envelope["event_id"], ts
        self._sent.setdefault(envelope["event_id"], delivery)
        return delivery

    def say(
        self,
        user: str,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        *,
        retry_num: int | None = None,
        event_id: str | None = None,
        files: list | None = None,
        deliver: bool = True,
    ) -> Delivery:
        """A user posts a message. With the ``event_id`` of an earlier delivery, that delivery is resent.
        ``deliver=False``: the message is stored in the channel, its event never sent (Slack gave up on it)."""
        if event_id in self._sent:
            first = self._sent[event_id]
            return self._deliver(first.payload, ts=first.ts, retry_num=retry_num)
        msg = self.fake.add_human_message(channel, user, text, thread_ts, files=files)
        channel_id = self.fake.channel(channel)["id"]
        event = {**msg, "channel": channel_id, "event_ts": msg["ts"], "channel_type": "channel"}
        if thread_ts:
            parent = self.fake.message(channel_id, thread_ts)
            if parent:
                event["parent_user_id"] = parent.get("user")
        if files:
            event["subtype"] = "file_share"
        return self._deliver(self._envelope(event, event_id), ts=msg["ts"], retry_num=retry_num, deliver=deliver)

    def redeliver(self, delivery: Delivery, retry_num: int = 1) -> Delivery:
        """The same request again, as Slack's retry sends it: the same body, signed now, with X-Slack-Retry-Num.
        An event that was never delivered is delivered now (late)."""
        if not delivery.request_body:
            return self._deliver(delivery.payload, ts=delivery.ts, retry_num=retry_num)
        again = self.post_raw(
            delivery.request_body,
            content_type=delivery.headers["Content-Type"],
            extra_headers=self._retry_headers(retry_num),
        )
        again.payload, again.event_id, again.ts = delivery.payload, delivery.event_id, delivery.ts
        return again

    def replay(self, delivery: Delivery) -> Delivery:
        """The very same signed request again (its timestamp and signature), as someone who captured it would send
        it within the 5 minutes Slack's signature stays valid."""
        sent = delivery.headers
        again = self.post_raw(
            delivery.request_body,
            content_type=sent["Content-Type"],
            timestamp=int(sent["X-Slack-Request-Timestamp"]),
            signature=sent["X-Slack-Signature"],
        )
        again.payload, again.event_id, again.ts = delivery.payload, delivery.event_id, delivery.ts
        return again

    def app_rate_limited(self, minute: int | None = None) -> Delivery:
        """Slack's notice that it rate-limits the app's events (no inner event; the minute it began, rounded)."""
        started = int(time.time()) if minute is None else minute
        payload = {
            "token": "legacy",
            "type": "app_rate_limited",
            "team_id": self.team_id,
            "minute_rate_limited": started - started % 60,
            "api_app_id": self.api_app_id,
        }
        return self._send_json(payload)

    @contextlib.contextmanager
    def events_rate_limited(self):
        """Slack rate-limits the app's events: it says so once, then drops every event until this block ends (the
        messages themselves are stored, and can be read back)."""
        notice = self.app_rate_limited()
        self.dropping_events = True
        try:
            yield notice
        finally:
            self.dropping_events = False

    def edit(self, user: str, channel: str, ts: str, new_text: str) -> Delivery:
        channel_id = self.fake.channel(channel)["id"]
        previous = self.fake.message(channel_id, ts)
        if previous is None:
            raise KeyError(f"no message {ts} in {channel_id}")
        current = self.fake.edit_human_message(channel_id, ts, new_text)
        event_ts = self.fake.next_ts()
        event = {
            "type": "message",
            "subtype": "message_changed",
            "message": current,
            "previous_message": previous,
            "channel": channel_id,
            "hidden": True,
            "ts": event_ts,
            "event_ts": event_ts,
            "channel_type": "channel",
        }
        return self._deliver(self._envelope(event), ts=ts)

    def delete(self, channel: str, ts: str) -> Delivery:
        channel_id = self.fake.channel(channel)["id"]
        previous = self.fake.delete_message(channel_id, ts)
        event_ts = self.fake.next_ts()
        event = {
            "type": "message",
            "subtype": "message_deleted",
            "previous_message": previous,
            "channel": channel_id,
            "hidden": True,
            "deleted_ts": ts,
            "ts": event_ts,
            "event_ts": event_ts,
            "channel_type": "channel",
        }
        return self._deliver(self._envelope(event), ts=ts)

    # -- interactivity ------------------------------------------------------------------------------------

    def _user(self, user: str) -> dict:
        info = self.fake.user(user) or {"name": user.lower()}
        return {"id": user, "username": info["name"], "name": info["name"], "team_id": self.team_id}

    def _channel(self, channel: str) -> dict:
        info = self.fake.channel(channel)
        return {"id": info["id"], "name": info["name"]}

    def _team(self) -> dict:
        return {"id": self.team_id, "domain": "fake"}

    @staticmethod
    def _trigger_id() -> str:
        return f"{int(time.time())}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"

    def _block_action(
        self, user: str, channel: str, message_ts: str, action: dict, *, ephemeral_in: str | None = None
    ) -> Delivery:
        """``ephemeral_in``: the action is on an ephemeral message (in that thread, or "" for the channel), which
        Slack does not store: the payload then carries no ``message`` and its container says so. Slack does not
        promise a message's metadata in a click's payload either: it is left out, so the bot must find what was
        clicked in what Slack always sends back (the element's ``value``, its block's ``block_id``)."""
        chan = self._channel(channel)
        message = self.fake.message(chan["id"], message_ts) if ephemeral_in is None else None
        if message is None and ephemeral_in is None:
            raise KeyError(f"no message {message_ts} in {chan['id']}")
        if message is not None:
            message.pop("metadata", None)
        container = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": chan["id"],
            "is_ephemeral": ephemeral_in is not None,
        }
        thread_ts = ephemeral_in if message is None else message.get("thread_ts")
        if thread_ts and thread_ts != message_ts:
            container["thread_ts"] = thread_ts
        payload = {
            "type": "block_actions",
            "user": self._user(user),
            "api_app_id": self.api_app_id,
            "token": "legacy",
            "container": container,
            "trigger_id": self._trigger_id(),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": chan,
            "message": message,
            "state": {"values": {}},
            "response_url": self.fake.response_url_base + uuid.uuid4().hex,
            "actions": [{**action, "action_ts": self.fake.next_ts()}],
        }
        if message is None:
            del payload["message"]
        delivery = self._send_form({"payload": json.dumps(payload)})
        delivery.ts = message_ts
        return delivery

    @staticmethod
    def _find_element(message: dict | None, action_id: str) -> tuple[str | None, dict]:
        for block in (message or {}).get("blocks") or []:
            for element in [*(block.get("elements") or []), block.get("accessory")]:
                if isinstance(element, dict) and element.get("action_id") == action_id:
                    return block.get("block_id"), element
        return None, {}

    def click(
        self,
        user: str,
        channel: str,
        message_ts: str,
        action_id: str,
        value: str,
        *,
        block_id: str | None = None,
    ) -> Delivery:
        """A button click. The button's block_id and text come from the stored message when it has the button;
        an explicit ``block_id`` wins, ``"case_actions"`` is the last resort."""
        found_block, button = self._find_element(self.fake.message(channel, message_ts), action_id)
        action = {
            "action_id": action_id,
            "block_id": block_id or found_block or "case_actions",
            "value": value,
            "type": "button",
            "text": button.get("text") or {"type": "plain_text", "text": action_id, "emoji": True},
        }
        if button.get("style"):
            action["style"] = button["style"]
        return self._block_action(user, channel, message_ts, action)

    def select_user(
        self,
        user: str,
        channel: str,
        message_ts: str,
        action_id: str,
        selected_user: str,
        *,
        block_id: str | None = None,
    ) -> Delivery:
        found_block, _ = self._find_element(self.fake.message(channel, message_ts), action_id)
        action = {
            "type": "users_select",
            "action_id": action_id,
            "block_id": block_id or found_block or "case_actions",
            "selected_user": selected_user,
        }
        return self._block_action(user, channel, message_ts, action)

    def select_option(
        self,
        user: str,
        channel: str,
        message_ts: str,
        action_id: str,
        value: str,
        *,
        block_id: str | None = None,
    ) -> Delivery:
        """A choice in a static_select menu of a stored message; the option (text and value) comes from the menu."""
        found_block, menu = self._find_element(self.fake.message(channel, message_ts), action_id)
        option = next((o for o in menu.get("options") or [] if o.get("value") == value), None)
        action = {
            "type": "static_select",
            "action_id": action_id,
            "block_id": block_id or found_block or "case_actions",
            "selected_option": option or {"text": {"type": "plain_text", "text": value}, "value": value},
        }
        return self._block_action(user, channel, message_ts, action)

    def click_ephemeral(
        self,
        user: str,
        channel: str,
        button: dict,
        *,
        block_id: str,
        thread_ts: str | None = None,
        message_ts: str | None = None,
    ) -> Delivery:
        """A click on a button (an element of its blocks) of an ephemeral message shown to ``user``."""
        action = {
            "action_id": button.get("action_id"),
            "block_id": block_id,
            "value": button.get("value", ""),
            "type": "button",
            "text": button.get("text") or {"type": "plain_text", "text": button.get("action_id"), "emoji": True},
        }
        ts = message_ts or self.fake.next_ts()
        return self._block_action(user, channel, ts, action, ephemeral_in=thread_ts or "")

    def command(self, user: str, command: str, text: str = "", channel: str = "C_INBOX") -> Delivery:
        chan = self._channel(channel)
        fields = {
            "token": "legacy",
            "team_id": self.team_id,
            "team_domain": "fake",
            "channel_id": chan["id"],
            "channel_name": chan["name"],
            "user_id": user,
            "user_name": self._user(user)["name"],
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url_base + uuid.uuid4().hex,
            "trigger_id": self._trigger_id(),
        }
        return self._send_form(fields)

    def submit_view(self, user: str, view: dict, values: dict) -> Delivery:
        """A modal submitted; ``values`` is ``view.state.values``: {block_id: {action_id: {type, value}}}."""
        submitted = {
            "id": f"V{secrets.token_hex(5).upper()}",
            "team_id": self.team_id,
            "type": "modal",
            "private_metadata": "",
            "callback_id": "",
            "hash": secrets.token_hex(8),
            "app_id": self.api_app_id,
            "bot_id": BOT_ID,
            **view,
            "state": {"values": values},
        }
        payload = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user),
            "api_app_id": self.api_app_id,
            "token": "legacy",
            "trigger_id": self._trigger_id(),
            "view": submitted,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._send_form({"payload": json.dumps(payload)})
