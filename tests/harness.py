"""The real bot, served over real HTTP on 127.0.0.1, wired to the stand-ins exactly as the env says."""

import os
import threading
import time
from datetime import timedelta
from pathlib import Path

from waitress.server import create_server

from bot import wiring
from bot.domain.clock import utcnow
from bot.listener_pool import ListenerPool
from bot.settings import from_env
from bot.web import make_wsgi, stop_server
from tests.fakes import FakeSlack, FakeX, SlackDriver

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


def bot_env(slack: FakeSlack, x: FakeX, database_url: str, **extra) -> dict[str, str]:
    env = {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_INBOX_CHANNEL": "C_INBOX",
        "SLACK_DIGEST_CHANNEL": "C_DIGEST",
        "SLACK_API_URL": slack.url,
        "X_BEARER_TOKEN": x.bearer_token,
        "X_API_KEY": x.consumer_key,
        "X_API_SECRET": x.consumer_secret,
        "X_ACCESS_TOKEN": x.access_token,
        "X_ACCESS_TOKEN_SECRET": x.access_token_secret,
        "X_API_URL": x.url,
        "DATABASE_URL": database_url,
        "MIRROR_RATE_PER_CHANNEL": "1000",
        "POLL_INTERVAL_SECONDS": "1",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


ROOT = Path(__file__).resolve().parents[1]
SETTINGS_OF_THE_MACHINE = ("SLACK_", "X_", "DATABASE_URL", "ACCOUNTS_FILE")


def process_env(env: dict[str, str]) -> dict[str, str]:
    """The environment of a `python -m bot …` subprocess: this one's, less any setting the machine may carry
    (so only `env` configures the bot), plus `env`, with this checkout importable."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_OF_THE_MACHINE)}
    return {**inherited, **env, "PYTHONPATH": str(ROOT)}


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
            make_wsgi(self.app, self.bridge.engine),
            host="127.0.0.1",
            port=0,
            threads=8,
            clear_untrusted_proxy_headers=True,
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


def cards(slack: FakeSlack, channel: str = "C_INBOX") -> list[dict]:
    """The case cards in a channel, oldest first."""
    return [m for m in slack.messages(channel) if (m.get("metadata") or {}).get("event_type") == "social_case"]


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
