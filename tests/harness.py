"""The real bot, served over real HTTP on 127.0.0.1, wired to the stand-ins exactly as the env says."""

import html
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bot import wiring
from bot.chats.slack import socket_mode
from bot.domain.backlog_status import UPDATE_EVERY
from bot.domain.clock import utcnow
from bot.listener_pool import ListenerPool
from bot.sandbox.standins.slack_socket import SocketModeDriver, SocketModeSlack
from bot.settings import from_env
from bot.web import create_server, stop_server
from tests.fakes import FakeSlack, FakeX, SlackDriver

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


def x_env(x: FakeX) -> dict[str, str]:
    """The brand's X settings, pointed at the X stand-in."""
    return {
        "X_BEARER_TOKEN": x.bearer_token,
        "X_API_KEY": x.consumer_key,
        "X_API_SECRET": x.consumer_secret,
        "X_ACCESS_TOKEN": x.access_token,
        "X_ACCESS_TOKEN_SECRET": x.access_token_secret,
        "X_API_URL": x.url,
    }


def bot_env(slack: FakeSlack, x: FakeX | None, database_url: str, **extra) -> dict[str, str]:
    """The bot's settings against the stand-ins; without `x`, no X setting at all (a brand not on X)."""
    env = {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_INBOX_CHANNEL": "C_INBOX",
        "SLACK_DIGEST_CHANNEL": "C_DIGEST",
        "SLACK_API_URL": slack.url,
        **(x_env(x) if x is not None else {}),
        "DATABASE_URL": database_url,
        "MIRROR_RATE_PER_CHANNEL": "1000",
        "POLL_INTERVAL_SECONDS": "1",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


ROOT = Path(__file__).resolve().parents[1]
SETTINGS_OF_THE_MACHINE = ("SLACK_", "X_", "TEAMS_", "BLUESKY_", "DATABASE_URL", "ACCOUNTS_FILE")


def process_env(env: dict[str, str]) -> dict[str, str]:
    """The environment of a `python -m bot …` subprocess: this one's, less any setting the machine may carry
    (so only `env` configures the bot), plus `env`, with this checkout importable."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_OF_THE_MACHINE)}
    return {**inherited, **env, "PYTHONPATH": str(ROOT)}


def free_port() -> int:
    """A port free on 127.0.0.1 now (for a subprocess to listen on)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sigterm_to_a_thread(process: subprocess.Popen) -> None:
    """SIGTERM to one of the process's threads other than its main one, as the kernel may hand a process's signal to
    any of its threads: the main thread still has to stop the process."""
    threads = sorted(int(tid) for tid in os.listdir(f"/proc/{process.pid}/task"))
    os.kill(next(tid for tid in threads if tid != process.pid), signal.SIGTERM)


def wait_until(condition, timeout: float = 60.0, interval: float = 0.02):
    """Poll until condition() is truthy (listeners run after the ack); return its value or fail. The timeout only
    bounds a test that fails: a busy machine may take seconds for what takes milliseconds alone."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


class RunningBot:
    """`python -m bot web` plus the worker's cycle, in this process, answering on a real port."""

    def __init__(self, env: dict[str, str], slack: FakeSlack):
        self.settings = from_env(env)
        self.bridge = wiring.build_bridge(self.settings)
        self.listeners = ListenerPool()
        self.app = wiring.build_app(self.settings, self.bridge, executor=self.listeners)
        self.server = create_server(
            self.app, self.bridge.engine, 0, "127.0.0.1", threads=8, signing_secret=self.settings.slack_signing_secret
        )
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.events_url = self.url + "/slack/events"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.slack = SlackDriver(slack, self.events_url, SIGNING_SECRET)

    def cycle(self) -> dict:
        return self.bridge.cycle()

    def clock_ahead(self, seconds: float) -> None:
        """Run the bot's clock this far ahead of the real one, as if that long had passed (an undo window, a reset
        time X gave), instead of waiting for it."""
        self.bridge.clock = lambda: utcnow() + timedelta(seconds=seconds)

    def settle(self, patience: float = 120.0) -> None:
        """Wait until the bot has handled everything it was sent (its listeners are done): then what did not
        happen will not happen, and a test may say so."""
        if not self.listeners.wait_idle(patience):
            raise AssertionError(f"the bot's listeners were still at work after {patience:g} s")

    def stop(self) -> None:
        """Stop serving, then let listeners already at work finish, so nothing of this bot runs into the next test."""
        stop_server(self.server, self.thread)
        self.listeners.shutdown(wait=True)
        self.bridge.engine.dispose()


def post_a_slice_then_say_how_it_stands(bot, seconds: float) -> None:
    """A slice of `seconds` of posting a backlog, then a cycle that posts nothing, once the backlog's status may be
    updated again (the bot's clock moved on): it only says how the backlog stands."""
    bot.bridge.cycle(mirror_for=seconds)
    bot.clock_ahead(UPDATE_EVERY.total_seconds() + 1)
    bot.bridge.cycle(mirror_for=0)


def socket_mode_env(slack: FakeSlack, x: FakeX, database_url: str, app: SocketModeSlack, **extra) -> dict[str, str]:
    """A Socket Mode install's environment: the app-level token, and no signing secret."""
    env = bot_env(slack, x, database_url, **{"SLACK_APP_TOKEN": app.app_token, **extra})
    del env["SLACK_SIGNING_SECRET"]
    return env


class SocketModeBot:
    """`python -m bot run` with SLACK_APP_TOKEN, in this process: connected to the Socket Mode stand-in, and the
    worker's cycle on demand. Its people (``.slack``) reach it as envelopes over the WebSocket."""

    def __init__(self, env: dict[str, str], slack: FakeSlack, app: SocketModeSlack):
        self.settings = from_env(env)
        self.settings.require_for("run")
        self.bridge = wiring.build_bridge(self.settings)
        self.listeners = ListenerPool()
        self.app = wiring.build_app(self.settings, self.bridge, executor=self.listeners)
        self.handler = socket_mode.connect(self.app, self.settings.slack_app_token)
        self.slack = SocketModeDriver(slack, app)
        wait_until(lambda: app.open_connections(), timeout=10)

    def cycle(self) -> dict:
        return self.bridge.cycle()

    def stop(self) -> None:
        socket_mode.close(self.handler)
        self.listeners.shutdown(wait=True)
        self.bridge.engine.dispose()


def cards(slack: FakeSlack, channel: str = "C_INBOX") -> list[dict]:
    """The case cards in a channel, oldest first."""
    return [m for m in slack.messages(channel) if (m.get("metadata") or {}).get("event_type") == "social_case"]


def mirrored_ids(slack: FakeSlack, *channels: str) -> Counter:
    """message id -> how many Slack messages mirror it, over `channels` (the inbox when none is named)."""
    found = Counter()
    for channel in channels or ("C_INBOX",):
        for message in slack.all_posts(channel):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if "message_id" in payload:
                found[payload["message_id"]] += 1
    return found


def buttons(message: dict) -> dict[str, str]:
    """action_id -> value of the buttons on a card."""
    found = {}
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                found[element["action_id"]] = element["value"]
    return found


def card_text(message: dict) -> str:
    """Everything a person reads on a card."""
    parts = []
    for block in message.get("blocks") or []:
        if block.get("text"):
            parts.append(block["text"]["text"])
        for element in block.get("elements") or []:
            parts.append(element.get("text") if isinstance(element.get("text"), str) else "")
            if isinstance(element.get("text"), dict):
                parts.append(element["text"]["text"])
    return "\n".join(parts)


def click(bot: RunningBot, user: str, card: dict, action_id: str):
    return bot.slack.click(user, "C_INBOX", card["ts"], action_id, buttons(card)[action_id])


LIVE = re.compile(r"<([^<>]*)>")


def rendered_texts(message: dict) -> list[str]:
    """Every text Slack renders as mrkdwn in a message: its `text` (all a notification shows) and its blocks'."""
    texts = [message.get("text") or ""]

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                texts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks") or [])
    return texts


def live_markup(message: dict) -> list[str]:
    """The mentions, broadcasts and links Slack makes live in a message (`<@U…>`, `<!channel>`, `<url|label>`)."""
    return [found for text in rendered_texts(message) for found in LIVE.findall(text)]


def as_read(text: str) -> str:
    """mrkdwn as a person reads it: links by their label, entities decoded."""
    return html.unescape(LIVE.sub(lambda m: m[1].rpartition("|")[2] or m[1], text))
