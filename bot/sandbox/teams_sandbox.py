"""`python -m bot sandbox --chat teams`: the real bridge between the Bot Connector and X stand-ins on 127.0.0.1,
with a Teams-like page: the inbox channel's posts (the bot's Adaptive Cards, drawn), their threads, each agent's 1:1
chat with the bot, and the customers' side on X. Every click and message on the page reaches the bot as Teams would
send it: a signed activity to its POST /api/messages (bot/sandbox/standins/bot_connector.py, TeamsDriver)."""

import html
import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import parse_qs

from bot import logs, signals, wiring
from bot.listener_pool import ListenerPool
from bot.sandbox.standins.bot_connector import FakeBotConnector, TeamsDriver
from bot.sandbox.standins.x_api import FakeX
from bot.settings import from_env

INBOX = "19:inbox0000@thread.tacv2"
DIGESTS = "19:digest000@thread.tacv2"
AGENTS = ("Ana Pérez", "Bruno Díaz")
PASSED_THROUGH = ("TIMEZONE", "DIGEST_TIME", "BUSINESS_HOURS", "SLA_FIRST_RESPONSE_MINUTES", "REPLY_DELAY_SECONDS")


class TeamsSandbox:
    def __init__(self, data_dir=None, *, port: int = 0, base_env=None, poll_interval: float = 2.0, logging=False):
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="social-inbox-teams-"))
        self.page_port, self.base_env, self.poll_interval, self.logging = (
            port,
            dict(base_env or {}),
            poll_interval,
            logging,
        )
        self.teams = FakeBotConnector(app_password=secrets.token_hex(16))
        self.x = FakeX()
        self.agents: dict[str, dict] = {}
        self.url = self.bot_url = ""
        self._servers: list = []
        self._stop = threading.Event()

    def env(self) -> dict[str, str]:
        env = {n: self.base_env[n] for n in PASSED_THROUGH if self.base_env.get(n)}
        t, x = self.teams, self.x
        env.update(
            TEAMS_APP_ID=t.app_id,
            TEAMS_APP_PASSWORD=t.app_password,
            TEAMS_TENANT_ID=t.tenant_id,
            TEAMS_INBOX_CHANNEL=INBOX,
            TEAMS_DIGEST_CHANNEL=DIGESTS,
            TEAMS_SERVICE_URL=t.service_url,
            TEAMS_AUTH_URL=t.auth_url,
            TEAMS_OPENID_URL=t.openid_url,
            TEAMS_GRAPH_URL=t.graph_url,
            X_BEARER_TOKEN=x.bearer_token,
            X_API_KEY=x.consumer_key,
            X_API_SECRET=x.consumer_secret,
            X_ACCESS_TOKEN=x.access_token,
            X_ACCESS_TOKEN_SECRET=x.access_token_secret,
            X_API_URL=x.url,
            DATABASE_URL=f"sqlite:///{self.data_dir / 'sandbox.db'}",
            POLL_INTERVAL_SECONDS=str(self.poll_interval),
        )
        return env

    def start(self) -> "TeamsSandbox":
        from bot.web import create_server
        from bot.worker import Worker

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.teams.start()
        self.x.start()
        os.environ["REQUESTS_CA_BUNDLE"] = self.teams.ca_file  # the stand-in's sign-in certificate, trusted
        self.settings = from_env(self.env())
        if self.logging:
            logs.configure(self.settings.log_level, self.settings.secrets())
        self.settings.require_for("run")
        from storage import schema
        from storage.engine import make_engine

        engine = make_engine(self.settings.database_url)
        schema.upgrade(engine)
        engine.dispose()
        self.bridge = wiring.build_bridge(self.settings)
        self.listeners = ListenerPool()
        front = wiring.build_teams_front(self.bridge, self.listeners)
        bot = create_server(None, self.bridge.engine, 0, "127.0.0.1", threads=8, signing_secret=None, teams=front)
        self.bot_url = f"http://127.0.0.1:{bot.effective_port}"
        self._serve(bot)
        self.driver = TeamsDriver(self.teams, self.bot_url + "/api/messages")
        for name in AGENTS:
            self.agents[name] = self.teams.add_user(name)
        self.worker = Worker(self.bridge, self.settings)
        self.worker.start()
        from waitress.server import create_server as waitress_server

        page = waitress_server(_Page(self), host="127.0.0.1", port=self.page_port, threads=4, ident="teams-sandbox")
        self.url = f"http://127.0.0.1:{page.effective_port}"
        self._serve(page)
        return self

    def _serve(self, server) -> None:
        thread = threading.Thread(target=server.run, daemon=True, name="teams-sandbox")
        thread.start()
        self._servers.append((server, thread))

    def stop(self) -> None:
        from bot.web import stop_server

        if getattr(self, "worker", None) is not None and self.worker.scheduler.running:
            self.worker.stop()
        for server, thread in reversed(self._servers):
            stop_server(server, thread)
        if getattr(self, "listeners", None) is not None:
            self.listeners.shutdown(wait=True)
        wing = wiring.teams_wing(self.bridge) if getattr(self, "bridge", None) else None
        if wing is not None:
            wing.stop()
        self.teams.stop()
        self.x.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    # -- what the page does ---------------------------------------------------------------------------------

    def post_as_customer(self, handle: str, text: str) -> None:
        handle = handle.strip().lstrip("@") or "maria_g"
        try:
            user = self.x.user(handle)
        except KeyError:
            user = self.x.add_user(handle, handle.replace("_", " ").title(), followers=120, location="Madrid")
        self.x.post(user["id"], text if "@" in text else f"@{self.x.user(self.x.brand_id)['username']} {text}")
        self.bridge.cycle()

    def click(self, agent: str, card_id: str, verb: str, choice: str | None = None) -> None:
        card = self.teams.post(INBOX, card_id) or self._reply(card_id)
        if card is None:
            return
        from bot.sandbox.standins.bot_connector import _button_data

        data = dict(_button_data(card, verb))
        if choice:
            data["saved_reply" if verb == "saved_reply" else "reassign_to"] = choice
        self.driver.send(self.driver.invoke(self.agents[agent], card, verb, data, channel=INBOX))
        self.listeners.wait_idle(30)

    def _reply(self, activity_id: str) -> dict | None:
        for post in self.teams.posts(INBOX):
            for reply in self.teams.replies(INBOX, post["id"]):
                if reply["id"] == activity_id:
                    return reply
        return None

    def say(self, agent: str, root: str, text: str) -> None:
        self.driver.say(self.agents[agent], text, channel=INBOX, root=root)
        self.listeners.wait_idle(30)

    def ask(self, agent: str, text: str) -> None:
        self.driver.send(self.driver.personal_message(self.agents[agent], text))
        self.listeners.wait_idle(30)

    def post_digests(self) -> None:
        today = self.bridge.metrics.today()
        self.bridge.digests.post("daily", self.bridge.digests.daily(today), force=True)


def card_html(activity: dict, *, card_id: str = "", agents=()) -> str:
    """An Adaptive Card as a person sees it (text literal: every string is escaped), with its buttons as forms."""
    out = []

    def inline(item) -> str:
        text = html.escape(item.get("text", ""))
        if item.get("weight") == "bolder":
            text = f"<b>{text}</b>"
        url = (item.get("selectAction") or {}).get("url")
        return f'<a href="{html.escape(url)}">{text}</a>' if url else text

    def element(node) -> None:
        kind = node.get("type")
        if kind == "RichTextBlock":
            out.append("<p>" + "".join(inline(i) for i in node.get("inlines", [])).replace("\n", "<br>") + "</p>")
        elif kind == "TextBlock":
            out.append(f"<p><b>{html.escape(node.get('text', ''))}</b></p>")
        elif kind == "FactSet":
            rows = "".join(
                f"<tr><td>{html.escape(f['title'])}</td><td>{html.escape(f['value'])}</td></tr>" for f in node["facts"]
            )
            out.append(f"<table>{rows}</table>")
        elif kind == "Image" and str(node.get("url", "")).startswith("data:image/png;base64,"):
            out.append(f'<img alt="{html.escape(node.get("altText", ""))}" src="{node["url"]}" width="480">')

    def action(node) -> str:
        agent = "<select name='agent'>" + "".join(f"<option>{html.escape(a)}</option>" for a in agents) + "</select>"
        hidden = f"<input type='hidden' name='card' value='{html.escape(card_id)}'>"
        if node.get("type") == "Action.Execute":
            verb = html.escape(node["verb"])
            title = html.escape(node.get("title", verb))
            verb_field = f"<input type='hidden' name='verb' value='{verb}'>"
            return f"<form method='post' action='/click'>{hidden}{verb_field}{agent}<button>{title}</button></form>"
        if node.get("type") == "Action.ShowCard":
            inner = node["card"]
            choices = next((b for b in inner.get("body", []) if b.get("type") == "Input.ChoiceSet"), {})
            verb = html.escape(inner["actions"][0]["verb"])
            options = "".join(
                f"<option value='{html.escape(c['value'])}'>{html.escape(c['title'])}</option>"
                for c in choices.get("choices", [])
            )
            return (
                f"<form method='post' action='/click'>{hidden}<input type='hidden' name='verb' value='{verb}'>{agent}"
                f"<select name='choice'>{options}</select><button>{html.escape(node.get('title', ''))}</button></form>"
            )
        return ""

    for attachment in activity.get("attachments") or []:
        content = attachment.get("content") or {}
        for node in content.get("body", []):
            element(node)
        out.append("<div class='actions'>" + "".join(action(a) for a in content.get("actions", [])) + "</div>")
    return "".join(out)


STYLE = """body{font-family:Segoe UI,system-ui,sans-serif;margin:0;background:#f5f5f5;display:flex}
main{flex:2;padding:1em}aside{flex:1;padding:1em;background:#fff;border-left:1px solid #ddd}
.post{background:#fff;border-radius:6px;padding:.6em 1em;margin:.8em 0;box-shadow:0 1px 2px #0002}
.reply{border-left:3px solid #6264a7;margin:.4em 0 .4em 1em;padding:.2em .6em;background:#fafaff}
.actions form{display:inline-block;margin:.2em}h1{font-size:1.1em;color:#6264a7}td{padding:0 .6em}"""


class _Page:
    def __init__(self, sandbox: TeamsSandbox):
        self.sandbox = sandbox

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            fields = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(min(length, 65536)).decode()).items()}
            self.post(environ.get("PATH_INFO", ""), fields)
            start_response("303 See Other", [("Location", "/"), ("Content-Length", "0")])
            return [b""]
        body = self.page().encode()
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    def post(self, path: str, f: dict) -> None:
        s = self.sandbox
        agent = f.get("agent") if f.get("agent") in s.agents else AGENTS[0]
        if path == "/customer" and f.get("text"):
            s.post_as_customer(f.get("handle", ""), f["text"])
        elif path == "/click" and f.get("card") and f.get("verb"):
            s.click(agent, f["card"], f["verb"], f.get("choice"))
        elif path == "/say" and f.get("root") and f.get("text"):
            s.say(agent, f["root"], f["text"])
        elif path == "/ask" and f.get("text"):
            s.ask(agent, f["text"])
        elif path == "/digests":
            s.post_digests()

    def page(self) -> str:
        s = self.sandbox
        agents = list(s.agents)
        chooser = "<select name='agent'>" + "".join(f"<option>{html.escape(a)}</option>" for a in agents) + "</select>"
        posts = []
        for post in reversed(s.teams.posts(INBOX)):
            replies = "".join(
                f"<div class='reply'><small>{html.escape(r['from'].get('name', ''))}</small>"
                f"{self.shown(r, agents)}</div>"
                for r in s.teams.replies(INBOX, post["id"])
            )
            say = (
                f"<form method='post' action='/say'><input type='hidden' name='root' value='{post['id']}'>{chooser}"
                "<input name='text' size='50' placeholder='Reply in the thread (note: … stays internal)'>"
                "<button>Reply</button></form>"
            )
            posts.append(f"<div class='post'>{card_html(post, card_id=post['id'], agents=agents)}{replies}{say}</div>")
        chats = "".join(
            f"<h1>{html.escape(name)}'s chat with Social Inbox</h1>"
            + "".join(f"<div class='post'>{card_html(m)}</div>" for m in s.teams.private_chat(user["id"]))
            for name, user in s.agents.items()
        )
        digests = "".join(f"<div class='post'>{card_html(p)}</div>" for p in reversed(s.teams.posts(DIGESTS)))
        x_posts = "".join(
            f"<li><b>@{html.escape(s.x.user(p['author_id'])['username'])}</b> {html.escape(p['text'])}</li>"
            for p in reversed(s.x.brand_posts())
        )
        empty = "<p>No cases yet: post as a customer on X (right).</p>"
        return f"""<!doctype html><html><head><meta charset='utf-8'><title>Social Inbox · Teams sandbox</title>
<meta http-equiv='refresh' content='5'><style>{STYLE}</style></head><body><main>
<h1>Customer Care › Social inbox</h1>{"".join(posts) or empty}
<h1>Customer Care › Social digests</h1>
<form method='post' action='/digests'><button>Post the digests now</button></form>{digests}
</main><aside><h1>A customer on X</h1>
<form method='post' action='/customer'><input name='handle' placeholder='handle' value='maria_g'><br>
<textarea name='text' rows='3' cols='40'>my parcel never arrived</textarea><br>
<button>Post (mentions the brand)</button>
</form><h1>The brand's replies on X</h1><ul>{x_posts}</ul><h1>Ask the bot privately</h1>
<form method='post' action='/ask'>{chooser}<input name='text' value='social-stats 7d'><button>Send</button></form>
{chats}</aside></body></html>"""

    @staticmethod
    def shown(activity: dict, agents) -> str:
        if activity.get("attachments"):
            return card_html(activity, card_id=activity["id"], agents=agents)
        return "<p>" + html.escape(activity.get("text", "")) + "</p>"


def serve(data_dir=None, port: int = 0, *, env=None) -> int:
    sandbox = TeamsSandbox(data_dir, port=port, base_env=env, logging=True)
    stop = signals.stopping()
    print("Starting the Teams sandbox: stand-ins for Teams' Bot Connector and X on 127.0.0.1…", flush=True)
    sandbox.start()
    print(f"Sandbox ready: open {sandbox.url}", flush=True)
    print(f"  the bot's /api/messages: {sandbox.bot_url}/api/messages", flush=True)
    print(f"  Bot Connector stand-in: {sandbox.teams.url}   X stand-in: {sandbox.x.url}", flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    signals.wait(stop)
    sandbox.stop()
    return 0
