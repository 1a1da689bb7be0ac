"""Against a real Teams client nobody here wrote: the Microsoft 365 Agents Playground (npm
@microsoft/m365agentsplayground, pinned in .ci/run), run headless, driven through the JSON API its own page uses.

A mention on X becomes a card in the Playground's channel, it is claimed from the card (an Action.Execute invoke),
and an @mention reply in its thread goes out on X.

The Playground sends no JWT and its mock tenant's ids are not Entra's, so the bot runs here in the
`PlaygroundProfile` below: built by this test alone (no setting turns it on), it accepts unsigned requests and the
Playground's ids; everything else is the real bot — the Agents SDK, the handlers, the domain — and its outbound
calls go to the Playground's mock connector, with tokens from the Bot Connector stand-in's sign-in (real MSAL).
"""

import dataclasses
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import requests

from bot import wiring
from bot.listener_pool import ListenerPool
from bot.sandbox.standins.bot_connector import FakeBotConnector
from bot.settings import from_env
from bot.web import create_server, stop_server
from tests.harness import free_port, wait_until
from tests.teams.harness import teams_env

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND = Path(os.environ.get("M365_PLAYGROUND_DIR", ROOT / ".cache" / "playground")) / "node_modules" / ".bin"
BINARY = PLAYGROUND / "agentsplayground"
PLACEHOLDER = "00000000-0000-4000-8000-000000000000"

pytestmark = pytest.mark.skipif(
    not BINARY.exists() or shutil.which("node") is None,
    reason=f"the Agents Playground is not installed ({BINARY}): .ci/run installs it from npm "
    "(npm install --prefix .cache/playground @microsoft/m365agentsplayground@0.2.28); without npm it cannot be had",
)


class PlaygroundProfile:
    """The anonymous test profile: requests are taken without a token (the Playground signs none)."""

    async def check(self, authorization, activity):
        from microsoft_agents.hosting.core.authorization import ClaimsIdentity

        return ClaimsIdentity({}, False)


class Playground:
    def __init__(self, bot_endpoint: str, folder: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "TEAMSAPPTESTER_BROWSER": "none"}
        self.process = subprocess.Popen(
            [str(BINARY), "-e", bot_endpoint, "-c", "msteams", "--disable-telemetry", "-p", str(self.port)],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.events: list[dict] = []
        wait_until(self._up, timeout=120, interval=0.2)
        import websocket

        self.ws = websocket.create_connection(f"ws://127.0.0.1:{self.port}/_ws_conversation/v1/conversations/stream")
        threading.Thread(target=self._read, daemon=True).start()

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the Playground stopped: {self.process.stdout.read()}")
        try:
            # Its config takes about 15 s to answer on a machine without internet (it looks for something outside).
            answer = requests.get(self.url + "/_internal/v1/config", timeout=60)
        except requests.RequestException:
            return False
        self.config = answer.json()["config"]
        return True

    def _read(self) -> None:
        while True:
            try:
                self.events.append(json.loads(self.ws.recv()))
            except Exception:
                return

    def messages(self, conversation: str) -> list[dict]:
        return [
            e["message"]
            for e in list(self.events)
            if e.get("action") == "createMessage" and e.get("actionConversationId") == conversation
        ]

    def updates(self) -> list[dict]:
        return [e for e in list(self.events) if e.get("action") not in ("createMessage", None)]

    def stop(self) -> None:
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=20)


@pytest.fixture
def playground_bot(x, database_url, tmp_path, monkeypatch):
    bot_port = free_port()
    endpoint = f"http://127.0.0.1:{bot_port}/api/messages"
    playground = Playground(endpoint, tmp_path)
    config = playground.config
    team = config["teams"][0]
    with FakeBotConnector(app_id=config["bot"]["id"], tenant_id=config["tenantId"]) as signer:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", signer.ca_file)
        settings = dataclasses.replace(
            # Read as any install's settings are, then the ids swapped for the Playground's (not Entra's shape).
            from_env(
                {**teams_env(signer, x, database_url), "TEAMS_APP_ID": PLACEHOLDER, "TEAMS_TENANT_ID": PLACEHOLDER}
            ),
            teams_app_id=config["bot"]["id"],
            teams_tenant_id=config["tenantId"],
            teams_inbox_channel=team["id"],
            teams_digest_channel=team["id"],
            teams_service_url=f"{playground.url}/_connector/",
        )
        bridge = wiring.build_bridge(settings)
        listeners = ListenerPool()
        front = wiring.build_teams_front(bridge, listeners)
        front.auth = PlaygroundProfile()
        server = create_server(None, bridge.engine, bot_port, "127.0.0.1", threads=8, signing_secret=None, teams=front)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            yield playground, bridge, listeners, team
        finally:
            stop_server(server, thread)
            listeners.shutdown(wait=True)
            wiring.teams_wing(bridge).stop()
            bridge.engine.dispose()
            playground.stop()


def test_a_mention_becomes_a_card_in_the_playground_is_claimed_and_answered(playground_bot, x, customer):
    playground, bridge, listeners, team = playground_bot
    post = x.post(customer["id"], "@AcmeSupport my parcel never came")
    bridge.cycle()
    [card] = wait_until(lambda: [m for m in playground.messages(team["id"]) if m.get("attachments")])
    content = card["attachments"][0]["content"]
    assert content["version"] == "1.5" and "my parcel never came" in json.dumps(content)
    thread = card["postConversationId"]

    me = playground.config["currentUser"]
    claim = next(a for a in content["actions"] if a.get("verb") == "claim")
    answer = requests.post(
        playground.url + "/_conversation/v1/invoke",
        json={
            "name": "adaptiveCard/action",
            "value": {
                "action": {"type": "Action.Execute", "verb": "claim", "data": claim["data"]},
                "trigger": "manual",
            },
            "from": {"id": me["id"]},
            "conversation": {"id": thread},
            "replyToId": card["messageId"],
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert f"Claimed by {me['name']}" in json.dumps(answer.json(), ensure_ascii=False)
    wait_until(
        lambda: any(f"Claimed by {me['name']}" in json.dumps(u, ensure_ascii=False) for u in playground.updates())
    )

    bot = playground.config["bot"]
    said = requests.post(
        f"{playground.url}/_conversation/v1/conversations/{thread}/messages",
        json={
            "from": {"id": me["id"]},
            "text": f"<at>{bot['name']}</at> Sorry! A new one is on its way.",
            "textFormat": "plain",
            "mentions": [{"mentioned": {"id": bot["id"], "name": bot["name"]}, "text": f"<at>{bot['name']}</at>"}],
        },
        timeout=30,
    )
    assert said.status_code in (200, 201, 202), said.text
    [reply] = wait_until(lambda: x.brand_posts())
    assert reply["text"] == "Sorry! A new one is on its way."
    assert reply["referenced_tweets"] == [{"type": "replied_to", "id": post["id"]}]
    assert listeners.wait_idle(60)
    wait_until(lambda: any(reply["id"] in json.dumps(m) for m in playground.messages(thread)))
