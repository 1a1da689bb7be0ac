"""Bluesky's direct messages through the chat proxy, over HTTP against the stand-in: a DM to the brand becomes a
private case in the account's dm_channel, the owner's thread reply goes out as a DM in the same conversation, and a
refusal of the chat service is said in the thread in plain words."""

import textwrap

import httpx
import pytest

from tests.harness import RunningBot, bot_env, buttons, card_text, cards, wait_until

ACCOUNTS = """
accounts:
  - name: sky
    network: bluesky
    channel: C_SKY
    dm_channel: C_SKYDM
    campaign: Sky
    credentials: {handle: SKY_HANDLE, app_password: SKY_PASSWORD}
"""


@pytest.fixture
def dm_bot(slack, x, bsky, database_url, tmp_path):
    for channel in ("C_SKY", "C_SKYDM"):
        slack.add_channel(channel)
    path = tmp_path / "accounts.yml"
    path.write_text(textwrap.dedent(ACCOUNTS))
    env = bot_env(
        slack,
        x,
        database_url,
        ACCOUNTS_FILE=str(path),
        SKY_HANDLE="acme.test",
        SKY_PASSWORD="brand-app-pass",
        BLUESKY_PDS_URL=bsky.url,
    )
    bot = RunningBot(env, slack)
    yield bot
    bot.stop()


def thread_texts(slack, card) -> list[str]:
    return [m.get("text", "") for m in slack.replies("C_SKYDM", card["ts"])]


def claimed_dm_case(bot, slack, bsky):
    bsky.dm("carla.test", "acme.test", "my card was charged twice, order 5521")
    bot.cycle()
    [card] = cards(slack, "C_SKYDM")
    bot.slack.click("UANA", "C_SKYDM", card["ts"], "case_claim", buttons(card)["case_claim"])
    wait_until(lambda: "Claimed" in card_text(slack.message("C_SKYDM", card["ts"])))
    return card


def test_a_dm_becomes_a_private_case_and_the_owners_reply_goes_out_as_a_dm(dm_bot, slack, bsky):
    card = claimed_dm_case(dm_bot, slack, bsky)
    text = card_text(card)
    assert "charged twice" in text and "Carla Ruiz" in text and "Private" in text
    assert cards(slack, "C_SKY") == [] and "/post/" not in str(card)  # no public link

    dm_bot.slack.say("UANA", "C_SKYDM", "Refunded the second charge, sorry!", thread_ts=card["ts"])

    [sent] = wait_until(lambda: bsky.dms_from("acme.test"))
    assert sent["text"] == "Refunded the second charge, sorry!"
    [convo] = bsky.convos.values()
    assert set(convo["members"]) == {bsky.did_of("acme.test"), bsky.did_of("carla.test")}
    wait_until(lambda: any("as a direct message" in t for t in thread_texts(slack, card)))
    assert bsky.replies_to(next(iter(bsky.posts), "")) == [] and "com.atproto.repo.createRecord" not in bsky.calls

    bsky.dm("carla.test", "acme.test", "thanks! one more thing")
    dm_bot.cycle()
    assert len(cards(slack, "C_SKYDM")) == 1, "the brand's own DM is no case; the customer's next joins the thread"
    wait_until(lambda: any("one more thing" in t for t in thread_texts(slack, card)))


def test_later_polls_read_the_chat_log_from_its_cursor(dm_bot, slack, bsky):
    bsky.dm("carla.test", "acme.test", "hello?")
    dm_bot.cycle()
    before = len(bsky.calls)

    dm_bot.cycle()

    chat_calls = [c for c in bsky.calls[before:] if c.startswith("chat.")]
    assert chat_calls == ["chat.bsky.convo.getLog"], "nothing new: one request, no conversation listed"
    assert len(cards(slack, "C_SKYDM")) == 1


def test_a_customer_who_accepts_no_messages_is_said_in_the_thread(dm_bot, slack, bsky):
    card = claimed_dm_case(dm_bot, slack, bsky)
    bsky.closed_to_messages.add(bsky.did_of("carla.test"))

    dm_bot.slack.say("UANA", "C_SKYDM", "Could you send the receipt?", thread_ts=card["ts"])

    said = wait_until(lambda: [t for t in thread_texts(slack, card) if "Not posted" in t])
    assert "does not accept direct messages from @acme.test" in said[0] and "Nothing was sent" in said[0]
    assert bsky.dms_from("acme.test") == []


def test_a_rate_limited_dm_is_queued_with_the_time_said(dm_bot, slack, bsky):
    card = claimed_dm_case(dm_bot, slack, bsky)
    reset = 2_000_000_000
    bsky.fail_next["chat.bsky.convo.sendMessage"] = [
        (429, "RateLimitExceeded", "Rate Limit Exceeded", {"ratelimit-reset": str(reset), "ratelimit-remaining": "0"})
    ]

    dm_bot.slack.say("UANA", "C_SKYDM", "Looking into it now", thread_ts=card["ts"])

    said = wait_until(lambda: [t for t in thread_texts(slack, card) if "queued" in t])
    assert "rate limit" in said[0] and "will go out at" in said[0]
    assert bsky.dms_from("acme.test") == []


def test_the_chat_service_answers_only_through_the_proxy(bsky):
    session = httpx.post(
        f"{bsky.url}/xrpc/com.atproto.server.createSession",
        json={"identifier": "acme.test", "password": "brand-app-pass"},
    ).json()
    auth = {"Authorization": f"Bearer {session['accessJwt']}"}

    direct = httpx.get(f"{bsky.url}/xrpc/chat.bsky.convo.listConvos", headers=auth)
    proxied = httpx.get(
        f"{bsky.url}/xrpc/chat.bsky.convo.listConvos",
        headers={**auth, "atproto-proxy": "did:web:api.bsky.chat#bsky_chat"},
    )

    assert direct.status_code == 501 and direct.json()["error"] == "MethodNotImplemented"
    assert proxied.status_code == 200 and proxied.json() == {"convos": []}
