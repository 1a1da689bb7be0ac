"""POST /api/messages inside the WSGI server that serves Slack: the request is checked here, then handed to the
Agents SDK (CloudAdapter.process_request, its framework-neutral entry) on the SDK loop; the WSGI thread waits for
its answer.

Order of checks, each answering before anything is recorded: a body over MAX_BODY_BYTES (413), a body that is not
an activity (400), no token or one that is not the Bot Connector's for this app and tenant (401, inbound_auth.py).
Then the handlers record what they must before the SDK answers (202 for a message, the invoke response for a
click), so an answered activity is never lost.
"""

import json
import logging

from microsoft_agents.activity import Activity
from pydantic import ValidationError

from bot.chats.teams.inbound_auth import InboundAuth, Refused
from bot.chats.teams.sdk_loop import SdkLoop

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
MAX_BODY_BYTES = 256 * 1024  # an activity Teams sends is well under its 28 KB message cap plus its envelope
ANSWER_WITHIN_SECONDS = 14.0  # Teams waits about 15 s for an answer (an invoke's, or a message's 202)


class _Request:
    """The SDK's HttpRequestProtocol over a request already read and checked."""

    def __init__(self, body: dict, headers: dict, claims):
        self.method, self._body, self.headers, self._claims = "POST", body, headers, claims

    async def json(self):
        return self._body

    def get_claims_identity(self):
        return self._claims

    def get_path_param(self, name: str) -> str:
        raise KeyError(name)


def _answer(start_response, status: str, body=None, text: str | None = None):
    if body is not None:
        payload, kind = json.dumps(body).encode(), "application/json"
    else:
        payload, kind = (text or "").encode(), "text/plain; charset=utf-8"
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(payload)))])
    return [payload]


STATUS = {200: "200 OK", 202: "202 Accepted", 400: "400 Bad Request", 401: "401 Unauthorized", 500: "500 Error"}


class TeamsFront:
    def __init__(self, loop: SdkLoop, adapter, agent, auth: InboundAuth, chat):
        self.loop, self.adapter, self.agent, self.auth, self.chat = loop, adapter, agent, auth, chat

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST":
            start_response("405 Method Not Allowed", [("Allow", "POST"), ("Content-Length", "0")])
            return [b""]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            return _answer(start_response, "413 Payload Too Large", text="An activity is never this large.\n")
        authorization = environ.get("HTTP_AUTHORIZATION")
        try:
            body = json.loads(environ["wsgi.input"].read(length) or b"null")
            Activity.model_validate(body)
            well_formed = isinstance(body, dict) and _well_formed(body)
        except (ValueError, ValidationError):
            well_formed = False
        if not well_formed:
            return _answer(start_response, STATUS[400], {"error": "Malformed activity: nothing was changed."})
        try:
            claims = self.loop.run(self.auth.check(authorization, body), timeout=ANSWER_WITHIN_SECONDS)
        except Refused as err:
            log.warning("refused a request to %s: %s", MESSAGES_PATH, err.reason)
            return _answer(start_response, STATUS.get(err.status, "401 Unauthorized"), {"error": "Unauthorized"})
        self.chat.learn(body)
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        try:
            response = self.loop.run(
                self.adapter.process_request(_Request(body, headers, claims), self.agent), timeout=ANSWER_WITHIN_SECONDS
            )
        except Exception:
            log.exception("the Teams activity %s failed", body.get("id"))
            return _answer(start_response, STATUS[500], {"error": "The bridge could not handle this activity."})
        status = STATUS.get(response.status_code, f"{response.status_code} Answer")
        if response.body is None:
            start_response(status, [("Content-Length", "0")])
            return [b""]
        return _answer(start_response, status, response.body)


def _well_formed(body: dict) -> bool:
    conversation, sender = body.get("conversation"), body.get("from")
    return (
        isinstance(body.get("type"), str)
        and isinstance(conversation, dict)
        and isinstance(conversation.get("id"), str)
        and bool(conversation["id"])
        and isinstance(sender, dict)
        and isinstance(sender.get("id"), str)
        and isinstance(body.get("serviceUrl"), str)
        and isinstance(body.get("id", ""), str)
    )
