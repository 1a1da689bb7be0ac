"""Bluesky mentions in a backlog, through the real bot over HTTP against the XRPC stand-in, are shown in the order
agents need, as X's are: a follow-up in a claimed case's thread before new cases, new cases by their followers."""

from tests.bluesky.test_over_http import claimed
from tests.harness import wait_until


def mirrored(slack) -> list[dict]:
    """The inbound posts shown in the inbox, cards and thread posts, in the order they were shown."""
    return [m for m in slack.all_posts("C_INBOX") if m.get("metadata")]


def test_a_follow_up_in_a_claimed_cases_thread_goes_before_new_cases_and_new_cases_by_followers(bsky_bot, slack, bsky):
    first, card = claimed(bsky_bot, slack, bsky)
    bsky_bot.slack.say("UANA", "C_INBOX", "Sorry to hear that! Which order is it?", thread_ts=card["ts"])
    [answer] = wait_until(lambda: bsky.replies_to(first))
    strangers = [(f"stranger{i}.test", followers) for i, followers in enumerate((10, 9000, 300))]
    for handle, followers in strangers:
        bsky.add_user(handle, name=handle.split(".")[0].title(), followers=followers)
        bsky.post(handle, f"@acme.test hello from {handle}", mention="acme.test")
    # Carla answers the brand's reply, deeper in her thread, without mentioning the brand (a "reply" notification).
    bsky.post("carla.test", "It is order 5521", reply_to=answer["uri"])

    bsky_bot.cycle()

    shown = mirrored(slack)[-4:]
    assert shown[0].get("thread_ts") == card["ts"] and "order 5521" in shown[0]["text"], "the follow-up went first"
    assert [next(h for h, _ in strangers if h in m["text"]) for m in shown[1:]] == [
        "stranger1.test",  # 9,000 followers
        "stranger2.test",  # 300
        "stranger0.test",  # 10
    ]
    assert all(m.get("thread_ts") in (None, m["ts"]) for m in shown[1:])  # each a new case's card
