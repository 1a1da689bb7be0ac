"""Bluesky beside X, through the real bot over HTTP, against the XRPC stand-in: mentions become cards, follow-ups
land in the case's thread, the owner's reply goes out with root/parent and facets, limits are said in graphemes."""

from bot.sandbox.standins.bluesky_api import FakeBluesky
from tests.harness import RunningBot, bot_env, card_text, cards, click, wait_until


def thread_texts(slack, card):
    return [m.get("text", "") for m in slack.replies("C_INBOX", card["ts"])]


def claimed(bot, slack, bsky):
    first = bsky.post("carla.test", "@acme.test my parcel never came", mention="acme.test")
    bot.cycle()
    [card] = cards(slack)
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in str(slack.message("C_INBOX", card["ts"])["blocks"]))
    return first, card


def test_a_mention_becomes_a_card_with_the_author_and_no_location(bsky_bot, slack, bsky):
    bsky.post("carla.test", "@acme.test my parcel never came", mention="acme.test")
    bsky.repost("carla.test", next(iter(bsky.posts)))

    bsky_bot.cycle()

    [card] = cards(slack)
    text = card_text(card)
    assert "my parcel never came" in text
    assert "carla.test" in text and "Carla Ruiz" in text
    assert "https://bsky.app/profile/carla.test/post/" in str(card) and "View on Bluesky" in str(card)
    assert "Madrid" not in text  # nothing invented where Bluesky has no location
    # the authors came from one batched getProfiles, not one look-up per post
    assert bsky.calls.count("app.bsky.actor.getProfile") == 0


def test_a_follow_up_in_the_same_thread_lands_in_the_case_thread(bsky_bot, slack, bsky):
    first, card = claimed(bsky_bot, slack, bsky)

    bsky.post("carla.test", "@acme.test order 5521", reply_to=first, mention="acme.test")
    bsky_bot.cycle()

    assert len(cards(slack)) == 1
    wait_until(lambda: any("order 5521" in t for t in thread_texts(slack, card)))


def test_the_owners_reply_is_posted_with_root_parent_and_facets(bsky_bot, slack, bsky):
    first, card = claimed(bsky_bot, slack, bsky)
    latest = bsky.post("carla.test", "@acme.test still nothing", reply_to=first, mention="acme.test")
    bsky_bot.cycle()

    bsky_bot.slack.say(
        "UANA", "C_INBOX", "Sorry @carla.test! Track it at https://acme.test/t/5521", thread_ts=card["ts"]
    )

    [reply] = wait_until(lambda: bsky.replies_to(latest))
    record = reply["record"]
    assert record["reply"]["parent"] == {
        "uri": latest,
        "cid": bsky.posts[latest]["cid"],
        "$type": "com.atproto.repo.strongRef",
    }
    assert record["reply"]["root"]["uri"] == first
    features = [f for facet in record["facets"] for f in facet["features"]]
    assert {"did": bsky.did_of("carla.test"), "$type": "app.bsky.richtext.facet#mention"} in features
    assert {"uri": "https://acme.test/t/5521", "$type": "app.bsky.richtext.facet#link"} in features
    rkey = reply["uri"].rsplit("/", 1)[-1]
    wait_until(lambda: any(f"https://bsky.app/profile/acme.test/post/{rkey}" in t for t in thread_texts(slack, card)))
    assert bsky.sessions_created == 1  # signed in once, then the session is reused


def test_an_over_long_reply_is_refused_with_the_count_in_graphemes(bsky_bot, slack, bsky):
    first, card = claimed(bsky_bot, slack, bsky)

    bsky_bot.slack.say("UANA", "C_INBOX", "👍🏽" * 301, thread_ts=card["ts"])

    [notice] = wait_until(lambda: slack.ephemerals)
    assert "301" in notice["text"] and "300" in notice["text"]
    assert bsky.replies_to(first) == [] and "com.atproto.repo.createRecord" not in bsky.calls


def test_a_lost_answer_is_settled_from_the_author_feed_without_a_second_post(bsky_bot, slack, bsky):
    first, card = claimed(bsky_bot, slack, bsky)
    bsky.lose_answer_of_next_post = True

    bsky_bot.slack.say("UANA", "C_INBOX", "On its way, sorry!", thread_ts=card["ts"])
    wait_until(lambda: bsky.replies_to(first))
    bsky_bot.settle()
    bsky_bot.clock_ahead(3600)
    for _ in range(3):
        bsky_bot.cycle()

    bsky_bot.settle()
    assert len(bsky.replies_to(first)) == 1
    assert "app.bsky.feed.getAuthorFeed" in bsky.calls


def test_a_restarted_bot_goes_on_with_its_saved_session_instead_of_signing_in_again(slack, bsky, bsky_env):
    first = RunningBot(bsky_env, slack)
    try:
        bsky.post("carla.test", "@acme.test my parcel never came", mention="acme.test")
        first.cycle()
    finally:
        first.stop()
    assert len(cards(slack)) == 1 and bsky.sessions_created == 1

    again = RunningBot(bsky_env, slack)  # a new process's bot on the same database
    try:
        bsky.post("carla.test", "@acme.test and my refund?", mention="acme.test")
        again.cycle()
        assert len(cards(slack)) == 2
    finally:
        again.stop()
    assert bsky.sessions_created == 1  # Bluesky's sign-ins are limited (30 per 5 minutes, 300 a day)


def test_a_bot_pointed_at_another_pds_signs_in_there_instead_of_calling_the_old_one(slack, x, database_url):
    with FakeBluesky() as old:
        old.add_user("acme.test", "brand-app-pass")
        first = RunningBot(bot_env(slack, x, database_url, **bluesky_env(old)), slack)
        try:
            first.cycle()  # signed in; the session is kept
        finally:
            first.stop()
    assert old.sessions_created == 1

    with FakeBluesky() as new:  # the install moved: BLUESKY_PDS_URL changed, the old server is gone
        new.add_user("acme.test", "brand-app-pass")
        new.add_user("carla.test", name="Carla Ruiz")
        new.post("carla.test", "@acme.test my parcel never came", mention="acme.test")
        again = RunningBot(bot_env(slack, x, database_url, **bluesky_env(new)), slack)
        try:
            report = again.cycle()
        finally:
            again.stop()
        assert not report["errors"], report["errors"]
        assert new.sessions_created == 1
        assert "my parcel never came" in card_text(cards(slack)[-1])


def bluesky_env(pds) -> dict:
    return {"BLUESKY_HANDLE": "acme.test", "BLUESKY_APP_PASSWORD": "brand-app-pass", "BLUESKY_PDS_URL": pds.url}
