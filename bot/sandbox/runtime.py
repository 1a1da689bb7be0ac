"""The sandbox's world: FakeSlack, FakeX and FakeBluesky on 127.0.0.1, and the real bot between them, as a real
install runs it.

The bot gets its settings from an env dict (SLACK_API_URL, X_API_URL and BLUESKY_PDS_URL pointing at the stand-ins:
the X account and, beside it, one Bluesky account, the single-account form of both), is served by bot/web.py on a
free port and has the worker's cycle running; everything a person does on the page reaches it the way Slack, X and
Bluesky would deliver it: signed requests from the SlackDriver, posts on FakeX or FakeBluesky. With
``socket_mode`` the bot serves no HTTP at all: it connects to the Socket Mode stand-in with an app-level token, as
`python -m bot run` with SLACK_APP_TOKEN does, and the page's clicks, messages and commands reach it as envelopes.
"""

import logging
import re
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot import command_settings, logs, preflight, web, wiring
from bot.chats.slack import manifest, socket_mode
from bot.chats.slack import preflight as slack_preflight
from bot.listener_pool import ListenerPool
from bot.networks.bluesky import ids
from bot.networks.bluesky import settings as bluesky_settings
from bot.networks.bluesky.network import kept_parts, kept_session
from bot.sandbox import state
from bot.sandbox.standins.bluesky_api import FakeBluesky
from bot.sandbox.standins.slack_api import FakeSlack
from bot.sandbox.standins.slack_driver import Delivery, SlackDriver
from bot.sandbox.standins.slack_socket import SocketModeDriver, SocketModeSlack
from bot.sandbox.standins.x_api import FakeX
from bot.settings import Settings, from_env
from storage import schema
from storage.engine import make_engine
from storage.network_sessions import KeptSessions

log = logging.getLogger(__name__)

INBOX = "C0INBOX"
DIGESTS = "C0DIGESTS"
CHANNELS = {INBOX: "social-inbox", DIGESTS: "social-digests"}
BOT_USER = "U0BOT"
AGENTS = {"U0LUCIA": ("lucia", "Lucía Ortega"), "U0SAM": ("sam", "Sam Carter")}
BRAND_HANDLE = "AcmeSupport"
BRAND_NAME = "Acme Support"
BLUESKY_BRAND = "acme.bsky.social"
BLUESKY_DOMAIN = ".bsky.social"  # what a handle typed without a domain gets, as on bsky.app
DATABASE_FILE = "sandbox.db"
STATE_FILE = "standins.json"
UNMATCHED_PATIENCE = 10.0  # seconds a response_url nobody here asked for may hold up the ones after it
# What the page waits at most for the bot to handle an action before it shows what there is (a guard against a
# hung listener, not a guess at how long one takes).
HANDLING_PATIENCE = 120.0
HANDLE = re.compile(r"^@?(\w{1,15})$")
BLUESKY_HANDLE = re.compile(r"^@?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)$")
X_BRAND_FIRST = re.compile(rf"^@{BRAND_HANDLE}\b", re.IGNORECASE)
X, BLUESKY = "x", "bluesky"
# Settings a person may still choose for the sandbox; credentials and addresses are always the sandbox's own.
PASSED_THROUGH = tuple(command_settings.reads("sandbox"))


def _app_password() -> str:
    """An app password as Bluesky makes them: four groups of four."""
    return "-".join(secrets.token_hex(2) for _ in range(4))


class SandboxError(Exception):
    """Something a person asked of the page that cannot be done; the message says why."""


@dataclass
class Notice:
    """Something only one person sees: an ephemeral message, a button's response, a slash command's answer."""

    user: str
    channel: str
    text: str
    at: float
    thread_ts: str | None = None
    anchor_ts: str | None = None  # the message whose button was clicked
    blocks: list = field(default_factory=list)
    title: str | None = None
    id: int = -1  # its place in Sandbox.notices
    hidden: bool = False  # deleted by the bot (respond(delete_original=True) from one of its buttons)


class Sandbox:
    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        port: int = 0,
        base_env: dict | None = None,
        poll_interval: float = 5.0,
        seed: bool = True,
        configure_logging: bool = False,
        socket_mode: bool = False,
    ):
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="social-inbox-sandbox-"))
        self.page_port = port
        self.base_env = dict(base_env or {})
        self.poll_interval = poll_interval
        self.seed = seed
        self.configure_logging = configure_logging
        self.signing_secret = secrets.token_hex(16)
        self.slack = FakeSlack(
            bot_token="xoxb-sandbox-" + secrets.token_hex(8),
            team_id="T0SANDBOX",
            bot_user_id=BOT_USER,
            channels=(),
            scopes=self._manifest_scopes(),
        )
        self.x = FakeX(brand_username=BRAND_HANDLE, brand_name=BRAND_NAME)
        self.bluesky = FakeBluesky()
        self.bluesky.add_user(BLUESKY_BRAND, _app_password(), name=BRAND_NAME)
        self.socket = SocketModeSlack(self.slack, app_id="A0SANDBOX") if socket_mode else None
        self._socket_handler = None
        self.customers: list[str] = []  # handles, in the order they first posted
        self.bluesky_customers: list[str] = []  # the same on Bluesky
        self.notices: list[Notice] = []
        self.seeded = False
        self.url = self.bot_url = ""
        self._started = False
        self._lock = threading.RLock()
        # response_url of each forwarded click or command -> who did it where, for the bot's answers to it
        self._response_urls: dict[str, dict] = {}
        self._seen_ephemerals = 0
        self._seen_responses = 0
        self._unmatched_since: float | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._servers = []
        self.settings: Settings | None = None
        self.bridge = self.worker = self.driver = None
        self.digests = None
        self.listeners: ListenerPool | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------

    @staticmethod
    def _manifest_scopes() -> tuple[str, ...]:
        try:
            scopes = manifest.bot_scopes(manifest.load())
        except (OSError, ValueError):
            scopes = []
        return tuple(scopes) or FakeSlack.__init__.__kwdefaults__["scopes"]

    def env(self) -> dict[str, str]:
        """The bot's environment: exactly what a real install would set, pointed at the stand-ins."""
        env = {name: self.base_env[name] for name in PASSED_THROUGH if self.base_env.get(name)}
        env.update(
            {
                "SLACK_BOT_TOKEN": self.slack.bot_token,
                "SLACK_SIGNING_SECRET": self.signing_secret,
                "SLACK_INBOX_CHANNEL": INBOX,
                "SLACK_DIGEST_CHANNEL": DIGESTS,
                "SLACK_API_URL": self.slack.url,
                "X_BEARER_TOKEN": self.x.bearer_token,
                "X_API_KEY": self.x.consumer_key,
                "X_API_SECRET": self.x.consumer_secret,
                "X_ACCESS_TOKEN": self.x.access_token,
                "X_ACCESS_TOKEN_SECRET": self.x.access_token_secret,
                "X_API_URL": self.x.url,
                "BLUESKY_HANDLE": BLUESKY_BRAND,
                "BLUESKY_APP_PASSWORD": self.bluesky.users[self.bluesky.did_of(BLUESKY_BRAND)]["password"],
                "BLUESKY_PDS_URL": self.bluesky.url,
                "DATABASE_URL": f"sqlite:///{self.data_dir / DATABASE_FILE}",
                "PORT": "0",
                "POLL_INTERVAL_SECONDS": str(self.poll_interval),
                "MIRROR_RATE_PER_CHANNEL": "100",
            }
        )
        if self.socket is not None:  # Socket Mode: the app-level token instead of the signing secret
            del env["SLACK_SIGNING_SECRET"]
            env["SLACK_APP_TOKEN"] = self.socket.app_token
        return env

    @property
    def mode(self) -> str:
        """How Slack reaches the bot here, in a few words for the page."""
        return "Socket Mode" if self.socket is not None else "HTTP (signed requests to /slack/events)"

    def start(self) -> "Sandbox":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        restored = self._restore()
        if not restored:
            for cid, name in CHANNELS.items():
                self.slack.add_channel(cid, name)
            self.slack.add_user(BOT_USER, "social_inbox", "Social Inbox", is_bot=True)
            for uid, (name, real_name) in AGENTS.items():
                self.slack.add_user(uid, name, real_name)
        self.slack.start()
        self.x.start()
        self.bluesky.start()
        if self.socket is not None:
            self.socket.start()
        try:
            self._start_bot()
            if self.seed and not restored:
                from bot.sandbox.seeds import seed, seed_history

                seed_history(self)  # before the worker: its first cycle and digests find the history in place
            self.worker.start()
            if self.seed and not restored:
                seed(self)
                self.seeded = True
            self._start_page()
        except BaseException:
            self.stop()
            raise
        self._spawn(self._watch_notices, "sandbox-notices")
        self._started = True
        return self

    def _start_bot(self) -> None:
        from bot.worker import Worker

        self.settings = from_env(self.env())
        if self.configure_logging:
            logs.configure(self.settings.log_level, self.settings.secrets())
        self.settings.require_for("run")
        self._migrate()
        self._move_kept_bluesky_session()
        # What `python -m bot run` does, on 127.0.0.1 and a free port.
        self.bridge = wiring.build_bridge(self.settings)
        slack_preflight.check_slack(
            self.bridge.chat.client,
            self.settings,
            channels=[("SLACK_INBOX_CHANNEL", self.settings.slack_inbox_channel)],
        )
        preflight.check_x(self.bridge, self.settings)
        self.listeners = ListenerPool()
        app = wiring.build_app(self.settings, self.bridge, executor=self.listeners)
        if self.socket is not None:
            self._socket_handler = socket_mode.connect(app, self.settings.slack_app_token)
            self.bot_url = self.socket.url
            self.driver = SocketModeDriver(self.slack, self.socket)
        else:
            server = web.create_server(
                app, self.bridge.engine, 0, "127.0.0.1", threads=8, signing_secret=self.signing_secret
            )
            self._serve(server, "sandbox-bot")
            self.bot_url = f"http://127.0.0.1:{server.effective_port}"
            self.driver = SlackDriver(self.slack, self.bot_url + web.EVENTS_PATH, self.signing_secret)
        self.worker = Worker(self.bridge, self.settings)
        self.digests = self._digest_poster()

    def _migrate(self) -> None:
        """What `python -m bot migrate` does before a real install's first start."""
        engine = make_engine(self.settings.database_url)
        try:
            schema.upgrade(engine)
        finally:
            engine.dispose()

    def _move_kept_bluesky_session(self) -> None:
        """A restarted sandbox's Bluesky stand-in has the accounts and sessions it had, on a new port. The bot's kept
        session names the PDS it was made on (as a real one names the account's own PDS, which the bot then uses) and
        the BLUESKY_PDS_URL it was made through: both are pointed at the stand-in's new address, as if the PDS had
        moved with its sessions."""
        from atproto_client.client.session import Session as BlueskySession

        engine = make_engine(self.settings.database_url)
        try:
            kept = KeptSessions(engine)
            value = kept.load(bluesky_settings.NAME, BLUESKY_BRAND)
            if not value:
                return
            session = BlueskySession.decode(kept_parts(value)[1])
            path = urlsplit(session.pds_endpoint or "").path  # kept as the library keeps it (maybe with /xrpc)
            session.pds_endpoint = self.bluesky.url + path
            kept.save(bluesky_settings.NAME, BLUESKY_BRAND, kept_session(self.bluesky.url, session.encode()))
        finally:
            engine.dispose()

    def _digest_poster(self):
        digests = self.bridge.digests

        def post_now() -> str:
            """`python -m bot digest --date <today> --weekly --force`: today's so far, so the page has something to
            show; a real install reports finished days, each once."""
            from bot.domain.digests import DAILY, WEEKLY
            from bot.domain.errors import ChatError

            today = self.bridge.metrics.today()
            try:
                digests.post(DAILY, digests.daily(today), force=True)
                digests.post(WEEKLY, digests.weekly(today), force=True)
            except ChatError as err:
                raise SandboxError(f"The digests could not be posted: {err.message}") from None
            return f"Today's and this week's digests are in #{CHANNELS[DIGESTS]}."

        return post_now

    def _start_page(self) -> None:
        from waitress.server import create_server

        from bot.sandbox.server import PageApp

        server = create_server(PageApp(self), host="127.0.0.1", port=self.page_port, threads=6, ident="sandbox")
        self._serve(server, "sandbox-page")
        self.url = f"http://127.0.0.1:{server.effective_port}/"

    def _serve(self, server, name: str) -> None:
        self._servers.append((server, self._spawn(server.run, name)))

    def _spawn(self, target, name: str) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def stop(self) -> None:
        self._stop.set()
        for server, thread in reversed(self._servers):
            web.stop_server(server, thread)
        self._servers.clear()
        if self._socket_handler is not None:
            socket_mode.close(self._socket_handler)
            self._socket_handler = None
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        if self.bridge is not None:
            self.bridge.engine.dispose()
        if self._started and not self._own_dir:
            self._save()
        if self.socket is not None:
            self.socket.stop()
        self.x.stop()
        self.bluesky.stop()
        self.slack.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- keeping the stand-ins' world across restarts (--data DIR) -----------------------------------------

    def _save(self) -> None:
        with self._lock:
            notices = [n.__dict__ for n in self.notices]
            extra = {
                "customers": self.customers,
                "bluesky_customers": self.bluesky_customers,
                "notices": notices,
                "response_urls": self._response_urls,
            }
        state.save(self.data_dir / STATE_FILE, self.slack, self.x, self.bluesky, extra)

    def _restore(self) -> bool:
        path = self.data_dir / STATE_FILE
        if not path.exists():
            return False
        extra = state.load(path, self.slack, self.x, self.bluesky)
        self.customers = list(extra.get("customers") or [])
        self.bluesky_customers = list(extra.get("bluesky_customers") or [])
        self.notices = [Notice(**n) for n in extra.get("notices") or []]
        self._response_urls = dict(extra.get("response_urls") or {})
        self._seen_ephemerals = len(self.slack.ephemerals)
        self._seen_responses = len(self.slack.responses)
        return True

    # -- what a person does ---------------------------------------------------------------------------------

    def customer(self, handle: str, name: str | None = None, location: str | None = None, followers: int = 0) -> dict:
        """The X user @handle, created the first time it is used."""
        match = HANDLE.match((handle or "").strip())
        if not match:
            raise SandboxError("An X handle is 1 to 15 letters, digits or underscores, like @maria_g.")
        handle = match.group(1)
        if handle.lower() == BRAND_HANDLE.lower():
            raise SandboxError(f"@{BRAND_HANDLE} is the brand: its posts are the agents' replies, sent from Slack.")
        with self._lock:
            try:
                user = self.x.user(handle)
            except KeyError:
                user = self.x.add_user(handle, name or handle, followers=followers, location=location)
            if user["username"] not in self.customers:
                self.customers.append(user["username"])
        return user

    def post_as_customer(
        self,
        handle: str,
        text: str,
        *,
        name: str | None = None,
        location: str | None = None,
        followers: int = 0,
        in_reply_to: str | None = None,
        created_at=None,
        poll: bool = True,
        network: str = X,
    ) -> dict:
        """A customer posts on X (or Bluesky); like X's own reply box, the brand's @handle is there even if not
        typed."""
        if network == BLUESKY:
            return self.post_on_bluesky(
                handle, text, name=name, followers=followers, in_reply_to=in_reply_to, created_at=created_at, poll=poll
            )
        if network != X:
            raise SandboxError(f"Unknown network {network!r}: X or Bluesky.")
        text = (text or "").strip()
        if not text or text.lower() == f"@{BRAND_HANDLE.lower()}":
            raise SandboxError("Write something for the customer to post.")
        if f"@{BRAND_HANDLE.lower()}" not in text.lower():
            text = f"@{BRAND_HANDLE} {text}"
        user = self.customer(handle, name, location, followers)
        if in_reply_to and self.x.get(in_reply_to) is None:
            raise SandboxError("That post is not on X (any more).")
        post = self.x.post(user["id"], text, in_reply_to=in_reply_to or None, created_at=created_at)
        if poll:
            self.poll()
        return post

    def bluesky_customer(self, handle: str, name: str | None = None, followers: int = 0) -> str:
        """The Bluesky account @handle (a handle without a domain is on bsky.social), created the first time."""
        match = BLUESKY_HANDLE.match((handle or "").strip().lower())
        if not match:
            raise SandboxError("A Bluesky handle is a domain name, like @maria.bsky.social (or just @maria).")
        handle = match.group(1) if "." in match.group(1) else match.group(1) + BLUESKY_DOMAIN
        if handle == BLUESKY_BRAND:
            raise SandboxError(f"@{BLUESKY_BRAND} is the brand: its posts are the agents' replies, sent from Slack.")
        with self._lock:
            if not any(u["handle"] == handle for u in self.bluesky.users.values()):
                self.bluesky.add_user(handle, _app_password(), name=name or handle.split(".")[0], followers=followers)
            if handle not in self.bluesky_customers:
                self.bluesky_customers.append(handle)
        return handle

    def post_on_bluesky(
        self,
        handle: str,
        text: str,
        *,
        name: str | None = None,
        followers: int = 0,
        in_reply_to: str | None = None,
        created_at=None,
        poll: bool = True,
    ) -> dict:
        """A customer posts on Bluesky, the brand's @handle a mention (a facet), typed or not."""
        text = (text or "").strip()
        brand = f"@{BLUESKY_BRAND}"
        text = X_BRAND_FIRST.sub("", text, count=1).strip()  # the X brand's handle, left in the box from X's default
        if not text or text.lower() == brand:
            raise SandboxError("Write something for the customer to post.")
        if brand not in text.lower():
            text = f"{brand} {text}"
        handle = self.bluesky_customer(handle, name, followers)
        if in_reply_to and in_reply_to not in self.bluesky.posts:
            raise SandboxError("That post is not on Bluesky (any more).")
        uri = self.bluesky.post(
            handle, text, reply_to=in_reply_to or None, mention=BLUESKY_BRAND, created_at=created_at
        )
        if poll:
            self.poll()
        return self.bluesky.posts[uri]

    def poll(self) -> None:
        """Run the worker's cycle now instead of at its next tick (it is the same job). The sandbox's worker is
        the only one: a renewal that came late on a busy machine is made good first, else the cycle would not run."""
        if not self.worker.is_leader:
            self.worker.heartbeat()
        self.worker.poll()

    def handled(self, delivery: Delivery | None) -> Delivery | None:
        """Return once the bot has handled what it was just sent (its listeners are done), with the private
        answers it sent taken in: what a person did shows on the page's next refresh, however busy the machine."""
        if self.listeners is not None:
            self.listeners.wait_idle(HANDLING_PATIENCE)
        self.sync_notices()
        return delivery

    def _agent(self, agent: str) -> str:
        if agent not in AGENTS:
            raise SandboxError(f"Unknown agent {agent!r}.")
        return agent

    @staticmethod
    def _channel(channel: str) -> str:
        if channel not in CHANNELS:
            raise SandboxError(f"Unknown channel {channel!r}.")
        return channel

    def click(self, agent: str, channel: str, ts: str, action_id: str, value: str) -> Delivery:
        message = self.slack.message(self._channel(channel), ts)
        if message is None:
            raise SandboxError("That message is gone.")
        delivery = self.driver.click(self._agent(agent), channel, ts, action_id, value)
        self._answers_to(delivery, agent, channel, anchor_ts=ts, thread_ts=self._thread_of(message))
        return self.handled(delivery)

    def select(self, agent: str, channel: str, ts: str, action_id: str, value: str) -> Delivery:
        """A choice in a menu of a message: a user (users_select) or an option (static_select)."""
        message = self.slack.message(self._channel(channel), ts)
        if message is None:
            raise SandboxError("That message is gone.")
        menu = next(
            (
                e
                for b in message.get("blocks") or []
                for e in [*(b.get("elements") or []), b.get("accessory") or {}]
                if e.get("action_id") == action_id
            ),
            {},
        )
        if menu.get("type") == "users_select":
            delivery = self.driver.select_user(self._agent(agent), channel, ts, action_id, value)
        elif menu.get("type") == "static_select":
            delivery = self.driver.select_option(self._agent(agent), channel, ts, action_id, value)
        else:
            raise SandboxError("That menu is not on the message any more.")
        self._answers_to(delivery, agent, channel, anchor_ts=ts, thread_ts=self._thread_of(message))
        return self.handled(delivery)

    def click_notice(self, agent: str, notice_id: int, action_id: str) -> Delivery:
        """A button on a private notice (an ephemeral message): Slack sends it without the message."""
        with self._lock:
            notice = self.notices[notice_id] if 0 <= notice_id < len(self.notices) else None
        if notice is None or notice.user != agent or notice.hidden:
            raise SandboxError("That notice is gone.")
        for block in notice.blocks:
            for element in block.get("elements") or []:
                if element.get("type") == "button" and element.get("action_id") == action_id:
                    delivery = self.driver.click_ephemeral(
                        agent, notice.channel, element, block_id=block.get("block_id") or "", thread_ts=notice.thread_ts
                    )
                    self._answers_to(
                        delivery,
                        agent,
                        notice.channel,
                        anchor_ts=notice.anchor_ts,
                        thread_ts=notice.thread_ts,
                        notice=notice_id,
                    )
                    return self.handled(delivery)
        raise SandboxError("That button is not on the notice.")

    @staticmethod
    def _thread_of(message: dict) -> str | None:
        return message.get("thread_ts") if message.get("thread_ts") != message.get("ts") else None

    def _answers_to(self, delivery: Delivery, agent: str, channel: str, **where) -> None:
        with self._lock:
            self._response_urls[delivery.payload["response_url"]] = {"user": agent, "channel": channel, **where}

    def say(self, agent: str, channel: str, text: str, thread_ts: str | None = None) -> Delivery | None:
        text = (text or "").strip()
        if not text:
            raise SandboxError("Type a message first.")
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            return self.command(agent, command, rest, channel=channel, thread_ts=thread_ts)
        if thread_ts and self.slack.message(self._channel(channel), thread_ts) is None:
            raise SandboxError("That thread is gone.")
        return self.handled(self.driver.say(self._agent(agent), self._channel(channel), text, thread_ts))

    def slash_commands(self) -> list[str]:
        try:
            return manifest.slash_commands(manifest.load())
        except (OSError, ValueError):
            return ["/social-stats"]

    def command(
        self, agent: str, command: str, text: str = "", *, channel: str = INBOX, thread_ts: str | None = None
    ) -> Delivery | None:
        agent, channel = self._agent(agent), self._channel(channel)
        known = self.slash_commands()
        if command not in known:
            listed = ", ".join(known[:-1]) + f" and {known[-1]}" if len(known) > 1 else known[0]
            self._notice(
                agent,
                channel,
                f"{command} is not a valid command. The commands of this app are {listed}.",
                thread_ts=thread_ts,
            )
            return None
        # As in Slack, the command as typed heads the first answer only you see, whether it comes in the
        # acknowledgement or a moment later by the response_url.
        echo = f"{command} {text}".strip()
        delivery = self.driver.command(agent, command, text, channel=channel)
        answer = delivery.json if isinstance(delivery.json, dict) else {"text": delivery.body}
        if delivery.status != 200:
            answer = {"text": f"The bot answered HTTP {delivery.status}: {delivery.body[:200]}"}
        answered_now = bool(answer.get("text") or answer.get("blocks"))
        self._answers_to(delivery, agent, channel, thread_ts=thread_ts, title=None if answered_now else echo)
        if answered_now:
            self._notice(
                agent,
                channel,
                answer.get("text") or "",
                thread_ts=thread_ts,
                blocks=answer.get("blocks") or [],
                title=echo,
            )
        return self.handled(delivery)

    def post_digests(self) -> str:
        if self.digests is None:
            raise SandboxError("The digests are not part of this version of the bridge yet.")
        return self.digests()

    # -- private notices ------------------------------------------------------------------------------------

    def _notice(self, user: str, channel: str, text: str, **extra) -> None:
        with self._lock:
            notice = Notice(user=user, channel=channel, text=text, at=time.time(), id=len(self.notices), **extra)
            self.notices.append(notice)

    def sync_notices(self) -> None:
        """Take in the ephemerals and responses FakeSlack received since last time, stamped when first seen."""
        with self._lock:
            ephemerals = self.slack.ephemerals[self._seen_ephemerals :]
            for e in ephemerals:
                self._notice(
                    e["user"],
                    e["channel"],
                    e.get("text") or "",
                    thread_ts=e.get("thread_ts"),
                    blocks=e.get("blocks") or [],
                )
            self._seen_ephemerals += len(ephemerals)
            responses = self.slack.responses[self._seen_responses :]
            for r in responses:
                target = self._response_urls.get(r.get("url"))
                if target is None:
                    # The click's delivery has not returned yet: take it in next time (not someone else's forever).
                    self._unmatched_since = self._unmatched_since or time.monotonic()
                    if time.monotonic() - self._unmatched_since < UNMATCHED_PATIENCE:
                        break
                    self._seen_responses += 1
                    continue
                self._unmatched_since = None
                self._seen_responses += 1
                clicked = self.notices[target["notice"]] if target.get("notice") is not None else None
                if r.get("delete_original"):
                    if clicked is not None:
                        clicked.hidden = True
                    continue
                if r.get("replace_original") is True:
                    if clicked is not None:  # a message's own replacement arrives by chat.update instead
                        clicked.text, clicked.blocks = r.get("text") or "", r.get("blocks") or []
                    continue
                self._notice(
                    target["user"],
                    target["channel"],
                    r.get("text") or "",
                    thread_ts=target.get("thread_ts"),
                    anchor_ts=target.get("anchor_ts"),
                    blocks=r.get("blocks") or [],
                    title=target.pop("title", None),  # the command's echo heads its first answer only
                )

    def _watch_notices(self) -> None:
        while not self._stop.wait(0.3):
            try:
                self.sync_notices()
            except Exception:  # a stopped stand-in mid-read; the page reads again next time
                log.debug("notice sync failed", exc_info=True)

    def notices_for(self, user: str, channel: str) -> list[Notice]:
        self.sync_notices()
        with self._lock:
            return [n for n in self.notices if n.user == user and n.channel == channel and not n.hidden]

    # -- reading the world back -----------------------------------------------------------------------------

    def user_name(self, uid: str) -> str:
        user = self.slack.user(uid)
        return (user or {}).get("real_name") or uid

    def x_conversations(self) -> list[list[dict]]:
        """The customers' conversations with the brand, each oldest post first, the liveliest first."""
        posts: dict[str, dict] = {}
        for handle in self.customers + [BRAND_HANDLE]:
            author = self.x.user(handle)
            for post in self.x.posts_by(handle):
                posts[post["id"]] = {**post, "author": author}
        threads: dict[str, list[dict]] = {}
        for post in sorted(posts.values(), key=lambda p: int(p["id"])):
            threads.setdefault(post["conversation_id"], []).append(post)
        return sorted(threads.values(), key=lambda t: int(t[-1]["id"]), reverse=True)

    def bluesky_conversations(self) -> list[list[dict]]:
        """The customers' threads with the brand on Bluesky, each oldest post first, the liveliest first; each post
        as the AppView shows it, with the handle it replies to."""
        posts = self.bluesky.views()
        handles = {p["uri"]: p["author"]["handle"] for p in posts}
        threads: dict[str, list[dict]] = {}
        for post in posts:
            reply = post["record"].get("reply") or {}
            post["parent_handle"] = handles.get((reply.get("parent") or {}).get("uri"))
            threads.setdefault((reply.get("root") or {}).get("uri") or post["uri"], []).append(post)
        return sorted(threads.values(), key=lambda t: ids.order_key(t[-1]["uri"]), reverse=True)

    def describe(self) -> dict:
        return {
            "page": self.url,
            "bot": self.bot_url,
            "mode": self.mode,
            "slack_api": self.slack.url,
            "x_api": self.x.url,
            "bluesky_pds": self.bluesky.url,
            "data": str(self.data_dir),
        }
