"""The page's WSGI app: the page, its fragments for the refresh, and the actions a person takes on it.

Each action is forwarded the way the real platforms would deliver it: a customer's post goes onto FakeX or
FakeBluesky (the network the form names), an agent's click, message or slash command becomes a signed request from
the SlackDriver to the bot's /slack/events (or, in Socket Mode, an envelope over the stand-in's WebSocket). The
page's header says which.
A form posted by the page's script gets JSON back; without the script, a redirect to the page.

Only the page itself may use it: a request whose Host is not this server's own address (127.0.0.1 or localhost, on
its port: another name is DNS rebinding) is refused, and so is an action posted from another site (its Origin is
not the page's, or the browser says Sec-Fetch-Site is not same-origin, or it has no Origin at all, which a browser
always sends with a POST).
"""

import html
import json
import logging
import mimetypes
from urllib.parse import parse_qs, urlencode, urlsplit

from bot.sandbox.page import Renderer
from bot.sandbox.runtime import AGENTS, INBOX, Sandbox, SandboxError

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
SANDBOX_PILL = '<span class="pill">sandbox</span>'


class PageApp:
    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self.actions = {
            "/act/mention": self.mention,
            "/act/click": self.click,
            "/act/select": self.select,
            "/act/notice": self.notice,
            "/act/say": self.say,
            "/act/command": self.command,
            "/act/digest": self.digest,
        }

    def own_hosts(self) -> set[str]:
        port = urlsplit(self.sandbox.url).port
        return {f"127.0.0.1:{port}", f"localhost:{port}"} if port else set()

    def refusal(self, environ, method: str) -> tuple[str, bytes] | None:
        hosts = self.own_hosts()
        if environ.get("HTTP_HOST", "").lower() not in hosts:
            return "400 Bad Request", b"Unknown Host: open the sandbox at the address it printed.\n"
        if method in ("GET", "HEAD"):
            return None
        origin = environ.get("HTTP_ORIGIN", "").lower()
        fetch_site = environ.get("HTTP_SEC_FETCH_SITE", "same-origin")
        if origin not in {f"http://{h}" for h in hosts} or fetch_site != "same-origin":
            return "403 Forbidden", b"Refused: only the sandbox's own page may act on it.\n"
        return None

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        refused = self.refusal(environ, method)
        if refused is not None:
            return self.respond(start_response, *refused, "text/plain")
        try:
            if method in ("GET", "HEAD"):
                return self.get(path, query, start_response)
            if method == "POST" and path in self.actions:
                return self.post(path, environ, start_response)
            return self.respond(start_response, "404 Not Found", b"Not Found\n", "text/plain")
        except Exception:
            log.exception("sandbox page: %s %s failed", method, path)
            return self.respond(
                start_response, "500 Internal Server Error", b"The sandbox failed; see its log.\n", "text/plain"
            )

    @staticmethod
    def respond(start_response, status: str, body: bytes, content_type: str, headers=()):
        start_response(
            status,
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                *headers,
            ],
        )
        return [body]

    def renderer(self, fields: dict) -> Renderer:
        return Renderer(self.sandbox, fields.get("agent", ""), fields.get("channel") or fields.get("view") or INBOX)

    # -- reading ------------------------------------------------------------------------------------------

    def get(self, path: str, query: dict, start_response):
        if path == "/":
            page = self.with_mode(self.renderer(query).page(error=query.get("error")))
            return self.respond(start_response, "200 OK", page.encode(), "text/html; charset=utf-8")
        if path == "/fragments":
            body = json.dumps(self.renderer(query).fragments()).encode()
            return self.respond(start_response, "200 OK", body, "application/json")
        if path.startswith("/files/"):
            return self.file(path.removeprefix("/files/"), start_response)
        if path == "/healthz":
            return self.respond(
                start_response, "200 OK", json.dumps(self.sandbox.describe()).encode(), "application/json"
            )
        return self.respond(start_response, "404 Not Found", b"Not Found\n", "text/plain")

    def with_mode(self, page: str) -> str:
        """The header's sandbox pill, followed by how Slack reaches the bot (Socket Mode or HTTP)."""
        mode = html.escape(self.sandbox.mode)
        badge = f'<span class="pill" title="How Slack reaches the bot in this sandbox">{mode}</span>'
        return page.replace(SANDBOX_PILL, f"{SANDBOX_PILL} {badge}", 1)

    def file(self, file_id: str, start_response):
        for f in self.sandbox.slack.files:
            if f["id"] == file_id and f.get("bytes") is not None:
                name = f.get("filename") or file_id
                content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
                return self.respond(start_response, "200 OK", f["bytes"], content_type)
        return self.respond(start_response, "404 Not Found", b"No such file\n", "text/plain")

    # -- acting -------------------------------------------------------------------------------------------

    def post(self, path: str, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY:
            return self.respond(start_response, "413 Payload Too Large", b"Too large\n", "text/plain")
        raw = environ["wsgi.input"].read(length).decode("utf-8", errors="replace")
        fields = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        wants_json = "application/json" in environ.get("HTTP_ACCEPT", "")
        try:
            message = self.actions[path](fields)
            answer, status = {"ok": True, "message": message}, "200 OK"
        except SandboxError as err:
            answer, status = {"ok": False, "error": str(err)}, "400 Bad Request"
        except Exception as err:  # a bug in the bridge: said on the page, the traceback in the sandbox's log
            log.exception("sandbox page: %s failed", path)
            error = f"That failed inside the bridge ({type(err).__name__}: {err}); the sandbox's log has the details."
            answer, status = {"ok": False, "error": error[:500]}, "500 Internal Server Error"
        if wants_json:
            return self.respond(start_response, status, json.dumps(answer).encode(), "application/json")
        params = {"agent": fields.get("agent", ""), "channel": fields.get("view") or INBOX}
        if not answer["ok"]:
            params["error"] = answer["error"]
        return self.respond(
            start_response, "303 See Other", b"", "text/plain", [("Location", "/?" + urlencode(params))]
        )

    @staticmethod
    def agent(fields: dict) -> str:
        agent = fields.get("agent", "")
        if agent not in AGENTS:
            raise SandboxError("Choose who you are first (top of the page).")
        return agent

    def mention(self, fields: dict) -> str | None:
        self.sandbox.post_as_customer(
            fields.get("handle", ""),
            fields.get("text", ""),
            name=(fields.get("name") or "").strip() or None,
            in_reply_to=fields.get("in_reply_to") or None,
            network=fields.get("network") or "x",
        )
        return None

    def click(self, fields: dict) -> str | None:
        delivery = self.sandbox.click(
            self.agent(fields),
            fields.get("channel", INBOX),
            fields.get("ts", ""),
            fields.get("action_id", ""),
            fields.get("value", ""),
        )
        if delivery.status != 200:
            raise SandboxError(f"The bot answered HTTP {delivery.status} to the click.")
        return None

    def select(self, fields: dict) -> str | None:
        if not fields.get("value"):
            raise SandboxError("Choose something in the menu first.")
        delivery = self.sandbox.select(
            self.agent(fields),
            fields.get("channel", INBOX),
            fields.get("ts", ""),
            fields.get("action_id", ""),
            fields["value"],
        )
        if delivery.status != 200:
            raise SandboxError(f"The bot answered HTTP {delivery.status} to the choice.")
        return None

    def notice(self, fields: dict) -> str | None:
        try:
            notice_id = int(fields.get("notice", ""))
        except ValueError:
            raise SandboxError("Which notice?") from None
        delivery = self.sandbox.click_notice(self.agent(fields), notice_id, fields.get("action_id", ""))
        if delivery.status != 200:
            raise SandboxError(f"The bot answered HTTP {delivery.status} to the click.")
        return None

    def say(self, fields: dict) -> str | None:
        delivery = self.sandbox.say(
            self.agent(fields), fields.get("channel", INBOX), fields.get("text", ""), fields.get("thread_ts") or None
        )
        if delivery is not None and delivery.status != 200:
            raise SandboxError(f"The bot answered HTTP {delivery.status} to the message.")
        return None

    def command(self, fields: dict) -> str | None:
        self.sandbox.command(
            self.agent(fields), fields.get("command", ""), fields.get("text", ""), channel=fields.get("channel", INBOX)
        )
        return None

    def digest(self, fields: dict) -> str | None:
        return self.sandbox.post_digests()
