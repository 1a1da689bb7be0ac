"""Claims, replies and mirrors stay atomic across processes: several processes (not threads) on one database race
for the same case, the same Slack message, the same unmirrored rows, released together by a barrier."""

import multiprocessing
from collections import Counter

import pytest
from sqlmodel import Session, create_engine, select

from bot.domain.notices import Person, said
from bot.domain.types import ChatMessage
from storage.models import Event, Message
from tests.harness import bot_env, cards, mirrored_ids

PROCESSES = 4
pytestmark = pytest.mark.slow


def _claim(bridge, case_id, user):
    outcome = bridge.casework.claim(case_id, user)
    return outcome.changed, outcome.notice


def _receive(bridge, *messages):
    return [bridge.replies.receive(ChatMessage(**m)) for m in messages]


def _mirror(bridge):
    return bridge.mirror.run_once()


ACTIONS = {"claim": _claim, "receive": _receive, "mirror": _mirror}


def _child(env, action, args, barrier, results):
    from bot import wiring
    from bot.settings import from_env

    bridge = wiring.build_bridge(from_env(env))
    bridge.account()  # the X look-up and the account row, before the race
    barrier.wait(timeout=60)
    try:
        results.put(ACTIONS[action](bridge, *args))
    finally:
        bridge.engine.dispose()


def race(env, jobs):
    """Run each (action, args) in its own process, all released at once; their results, in any order."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(jobs)), ctx.Queue()
    procs = [ctx.Process(target=_child, args=(env, action, args, barrier, results)) for action, args in jobs]
    for proc in procs:
        proc.start()
    out = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    return out


@pytest.fixture
def env(slack, x, database_url):
    return bot_env(slack, x, database_url)


def rows(database_url, model):
    engine = create_engine(database_url)
    try:
        with Session(engine) as s:
            return s.exec(select(model)).all()
    finally:
        engine.dispose()


def test_one_claim_wins_across_processes(bot, env, slack, x, customer, database_url):
    x.post(customer["id"], "@AcmeSupport my parcel is lost")
    bot.cycle()
    case_id = cards(slack)[0]["metadata"]["event_payload"]["case_id"]
    users = [f"UAGENT{i}" for i in range(PROCESSES)]

    results = race(env, [("claim", (case_id, user)) for user in users])

    winners = [r for r in results if r[0]]
    assert len(winners) == 1
    claims = [e for e in rows(database_url, Event) if e.kind == "claim"]
    assert len(claims) == 1
    losers = [notice for changed, notice in results if not changed]
    assert len(losers) == PROCESSES - 1
    told = said("This case is already claimed by ", Person(claims[0].actor), ". Nothing was changed.")
    assert all(notice == told for notice in losers)


def test_each_reply_goes_out_once_when_processes_receive_the_same_messages(bot, env, slack, x, customer, database_url):
    x.post(customer["id"], "@AcmeSupport where is my refund?")
    bot.cycle()
    card = cards(slack)[0]
    assert bot.bridge.casework.claim(card["metadata"]["event_payload"]["case_id"], "UANA").changed
    thread = {"channel": "C_INBOX", "thread_id": card["ts"], "user": "UANA"}
    shared = {**thread, "message_id": "1800000000.000100", "text": "We are on it.", "event_id": "Ev0SHARED"}
    # Every process gets the same delivery (Slack's retries landing on different web processes) and one of its own.
    jobs = [
        (
            "receive",
            (shared, {**thread, "message_id": f"1800000000.00020{i}", "text": f"Update {i}.", "event_id": f"Ev{i}"}),
        )
        for i in range(PROCESSES)
    ]

    results = race(env, jobs)

    verdicts = Counter(v for result in results for v in result)
    assert verdicts == {"reply": PROCESSES + 1, "duplicate": PROCESSES - 1}
    posted = Counter(p["text"] for p in x.brand_posts())
    assert posted == {"We are on it.": 1, **{f"Update {i}.": 1 for i in range(PROCESSES)}}
    replies = [m for m in rows(database_url, Message) if m.direction == "out"]
    assert len(replies) == PROCESSES + 1 and {m.state for m in replies} == {"sent"}


def test_processes_mirroring_at_once_post_each_message_once(bot, env, slack, x, database_url):
    customers = [x.add_user(f"racer{i}", f"Racer {i}") for i in range(10)]
    for c in customers:
        root = x.post(c["id"], f"@AcmeSupport problem of {c['username']}")
        for n in range(2):
            x.post(c["id"], f"@AcmeSupport more from {c['username']} ({n})", in_reply_to=root["id"])
    assert bot.bridge.ingest.poll() == 30

    results = race(env, [("mirror", ())] * PROCESSES)

    bot.bridge.mirror.run_once()  # what a process left to another that was still on it
    assert sum(results) <= 30
    inbound = [m for m in rows(database_url, Message) if m.direction == "in"]
    assert mirrored_ids(slack) == {m.id: 1 for m in inbound}
    assert len(cards(slack)) == 10
    parents = {c["ts"] for c in cards(slack)}
    assert all(m.mirror_id in parents or m.mirror_id is not None for m in inbound)
    threads = Counter(p.get("thread_ts") for p in slack.all_posts("C_INBOX") if p.get("thread_ts") in parents)
    assert all(n >= 2 for n in threads.values()) and set(threads) == parents
