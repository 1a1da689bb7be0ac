"""A burst beyond what the chat takes: shown in the order agents need (follow-ups of open and claimed cases, then new
cases by reach, oldest first), the inbox told how long it waits in one message kept up to date, and the worker
reading the networks again while it posts, so that a follow-up does not wait behind the backlog."""

from bot.worker import Worker
from tests.harness import buttons, cards, post_a_slice_then_say_how_it_stands, wait_until


def statuses(slack) -> list[dict]:
    return [m for m in slack.messages("C_INBOX") if not m.get("metadata")]


def test_follow_ups_of_a_claimed_case_go_before_new_cases_and_new_cases_by_reach(bot, slack, x, customer):
    first = x.post(customer["id"], "@AcmeSupport my order never came")
    bot.cycle()
    card = cards(slack)[0]
    bot.slack.click("UANA", "C_INBOX", card["ts"], "case_claim", buttons(card)["case_claim"])
    wait_until(lambda: "Claimed" in str(slack.message("C_INBOX", card["ts"])["blocks"]))
    strangers = [x.add_user(f"stranger{i}", f"Stranger {i}", followers=f) for i, f in enumerate((10, 9000, 300))]
    for stranger in strangers:
        x.post(stranger["id"], f"@AcmeSupport hello from {stranger['username']}")
    follow_up = x.post(customer["id"], "@AcmeSupport any news on my order?", in_reply_to=first["id"])

    bot.cycle()

    posts = [m for m in slack.all_posts("C_INBOX") if m["ts"] != card["ts"] and m.get("metadata")]
    shown = [m["text"] for m in posts][-4:]
    assert follow_up["text"].split(" ", 1)[1] in shown[0]
    assert [next(s["username"] for s in strangers if s["username"] in t) for t in shown[1:]] == [
        "stranger1",  # 9,000 followers
        "stranger2",  # 300
        "stranger0",  # 10
    ]


def test_a_long_backlog_is_said_once_in_the_inbox_and_kept_up_to_date(make_bot, slack, x):
    slow = make_bot(MIRROR_RATE_PER_CHANNEL="1")
    people = [x.add_user(f"fan{i}", f"Fan {i}", followers=i) for i in range(70)]
    for person in people:
        x.post(person["id"], f"@AcmeSupport where is my parcel, {person['username']}?")

    slow.bridge.cycle(mirror_for=0)  # stored; nothing posted yet but the status

    [status] = statuses(slack)
    assert "70 messages are waiting to be shown here" in status["text"]
    assert "about 1 min" in status["text"]

    post_a_slice_then_say_how_it_stands(slow, 1.5)  # a post or two at one a second

    [again] = statuses(slack)
    assert again["ts"] == status["ts"], "the status is updated, not said again"
    left = len(people) - len(cards(slack))
    assert 0 < left < 70
    assert f"{left} messages are waiting" in slack.message("C_INBOX", status["ts"])["text"]

    fast = make_bot()  # the same database: the status is found and finished by whichever process mirrors next
    fast.cycle()

    assert len(cards(slack)) == 70
    [done] = statuses(slack)
    assert done["ts"] == status["ts"]
    assert "The backlog is shown" in slack.message("C_INBOX", status["ts"])["text"]


def test_the_worker_reads_x_again_while_it_posts_a_backlog_so_a_follow_up_waits_seconds(make_bot, slack, x, customer):
    bot = make_bot(MIRROR_RATE_PER_CHANNEL="4", POLL_INTERVAL_SECONDS="3600", BACKLOG_POLL_SECONDS="0.5")
    first = x.post(customer["id"], "@AcmeSupport my order never came")
    bot.cycle()
    card = cards(slack)[0]
    for i in range(60):
        fan = x.add_user(f"fan{i}", f"Fan {i}", followers=i)
        x.post(fan["id"], f"@AcmeSupport me too ({i})")
    worker = Worker(bot.bridge, bot.settings)
    worker.start()
    try:
        wait_until(lambda: len(cards(slack)) >= 3)
        x.post(customer["id"], "@AcmeSupport still nothing here", in_reply_to=first["id"])

        wait_until(lambda: any("still nothing here" in m["text"] for m in slack.replies("C_INBOX", card["ts"])))

        assert len(cards(slack)) < 61, "the follow-up was shown before the backlog was"
    finally:
        worker.stop()
