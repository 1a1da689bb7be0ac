"""What reaches /slack/events: forged and stale requests are refused; the real ones are answered at once."""

import json
import threading
import time

from tests.harness import cards, click, wait_until


def event_body(text="hello"):
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0TEST",
            "api_app_id": "A0TEST",
            "event_id": "Ev_FORGED",
            "event": {
                "type": "message",
                "channel": "C_INBOX",
                "user": "UEVIL",
                "text": text,
                "ts": "1.000001",
                "thread_ts": "1.000000",
            },
        }
    ).encode()


def test_a_forged_signature_is_refused(bot, x):
    body = event_body()
    delivery = bot.slack.post_raw(body, content_type="application/json", signature="v0=" + "0" * 64)
    assert delivery.status == 401
    assert x.count("create_tweet") == 0


def test_a_stale_timestamp_is_refused_even_when_correctly_signed(bot):
    body = event_body()
    stale = int(time.time()) - 10 * 60
    signature = bot.slack.sign(body, stale)["X-Slack-Signature"]
    delivery = bot.slack.post_raw(body, content_type="application/json", timestamp=stale, signature=signature)
    assert delivery.status == 401


def test_an_unsigned_request_is_refused(bot):
    import requests

    response = requests.post(bot.events_url, data=event_body(), headers={"Content-Type": "application/json"})
    assert response.status_code == 401


def test_url_verification_is_answered(bot):
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"}).encode()
    delivery = bot.slack.post_raw(body, content_type="application/json")
    assert delivery.status == 200 and "abc123" in delivery.body


def test_clicks_and_replies_are_acknowledged_while_x_does_not_answer(bot, slack, x, customer, monkeypatch):
    x.post(customer["id"], "@AcmeSupport help")
    bot.cycle()
    card = cards(slack)[0]
    x_answers = threading.Event()
    post_on_x = bot.bridge.networks["x"].reply

    def x_that_hangs(*args, **kwargs):
        assert x_answers.wait(60)
        return post_on_x(*args, **kwargs)

    monkeypatch.setattr(bot.bridge.networks["x"], "reply", x_that_hangs)

    claim = click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in json.dumps(slack.message("C_INBOX", card["ts"])["blocks"]))
    reply = bot.slack.say("UANA", "C_INBOX", "On it!", thread_ts=card["ts"])

    assert claim.status == 200 and reply.status == 200, "Slack heard back while X had not answered"
    assert x.brand_posts() == []
    x_answers.set()
    wait_until(lambda: x.brand_posts(), timeout=30)


def test_healthz(bot):
    import requests

    response = requests.get(bot.url + "/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True, "database": "writable"}
