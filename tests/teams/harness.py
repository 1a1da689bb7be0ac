"""The real bot with Teams' settings, served over real HTTP on 127.0.0.1, wired to the Bot Connector and X
stand-ins exactly as the env says; people reach it through the TeamsDriver (signed activities)."""

import threading
from datetime import timedelta

from bot import wiring
from bot.domain.clock import utcnow
from bot.listener_pool import ListenerPool
from bot.sandbox.standins.bot_connector import FakeBotConnector, TeamsDriver
from bot.settings import from_env
from bot.web import create_server, stop_server
from tests.harness import x_env

INBOX = "19:inbox0000@thread.tacv2"
DIGEST = "19:digest000@thread.tacv2"


def teams_env(teams: FakeBotConnector, x, database_url: str, **extra) -> dict[str, str]:
    env = {
        "TEAMS_APP_ID": teams.app_id,
        "TEAMS_APP_PASSWORD": teams.app_password,
        "TEAMS_TENANT_ID": teams.tenant_id,
        "TEAMS_INBOX_CHANNEL": INBOX,
        "TEAMS_DIGEST_CHANNEL": DIGEST,
        "TEAMS_SERVICE_URL": teams.service_url,
        "TEAMS_AUTH_URL": teams.auth_url,
        "TEAMS_OPENID_URL": teams.openid_url,
        "TEAMS_GRAPH_URL": teams.graph_url,
        **x_env(x),
        "DATABASE_URL": database_url,
        "POLL_INTERVAL_SECONDS": "1",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


class RunningTeamsBot:
    """`python -m bot web` with Teams' settings plus the worker's cycle, in this process, on a real port."""

    def __init__(self, env: dict[str, str], teams: FakeBotConnector):
        self.settings = from_env(env)
        self.settings.require_for("run")
        self.bridge = wiring.build_bridge(self.settings)
        self.listeners = ListenerPool()
        front = wiring.build_teams_front(self.bridge, self.listeners)
        self.server = create_server(
            None, self.bridge.engine, 0, "127.0.0.1", threads=8, signing_secret=None, teams=front
        )
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.teams = TeamsDriver(teams, self.url + "/api/messages")
        self.fake = teams

    def cycle(self) -> dict:
        return self.bridge.cycle()

    def clock_ahead(self, seconds: float) -> None:
        self.bridge.clock = lambda: utcnow() + timedelta(seconds=seconds)

    def settle(self, patience: float = 120.0) -> None:
        if not self.listeners.wait_idle(patience):
            raise AssertionError(f"the bot's listeners were still at work after {patience:g} s")

    def stop(self) -> None:
        stop_server(self.server, self.thread)
        self.listeners.shutdown(wait=True)
        wing = wiring.teams_wing(self.bridge)
        if wing is not None:
            wing.stop()
        self.bridge.engine.dispose()


def card_texts(activity: dict) -> str:
    """Everything a person reads on a card (its runs and text blocks) and its buttons' titles."""
    parts = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("TextRun", "TextBlock") and isinstance(node.get("text"), str):
                parts.append(node["text"])
            if node.get("type", "").startswith("Action.") and node.get("title"):
                parts.append(f"[{node['title']}]")
            if node.get("type") == "Input.ChoiceSet":
                parts.append("(" + " | ".join(c["title"] for c in node.get("choices") or []) + ")")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(activity.get("attachments") or activity.get("value") or activity)
    return "".join(parts)


def case_cards(teams: FakeBotConnector, channel: str) -> list[dict]:
    """The case cards posted in a channel (each has buttons), not its notices such as a backlog's status."""
    return [p for p in teams.posts(channel) if buttons(p)]


def buttons(activity: dict) -> list[str]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found.append(node["verb"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(activity.get("attachments") or activity)
    return found
