"""The X stand-in, driven by an unmodified tweepy.Client over real HTTP."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import tweepy

from bot.sandbox.standins.x_api import (
    MSG_DELETED_TARGET,
    MSG_DUPLICATE,
    MSG_REPLY_NOT_ALLOWED,
    MSG_TOO_LONG,
    REFUSALS,
    TWEPOCH_MS,
    FakeX,
    FaultPlan,
)

X_HOST = "https://api.twitter.com"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "x-api"
TWEET_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "entities",
    "in_reply_to_user_id",
    "referenced_tweets",
    "note_tweet",
]
USER_FIELDS = ["location", "public_metrics", "created_at"]


class Rebase(requests.adapters.HTTPAdapter):
    """Sends what tweepy addresses to https://api.twitter.com to the stand-in instead."""

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(self, request, **kwargs):
        request.url = self.base_url + request.url[len(X_HOST) :]
        return super().send(request, **kwargs)


def make_client(fake: FakeX, **overrides) -> tweepy.Client:
    creds = dict(
        bearer_token=fake.bearer_token,
        consumer_key=fake.consumer_key,
        consumer_secret=fake.consumer_secret,
        access_token=fake.access_token,
        access_token_secret=fake.access_token_secret,
    )
    return_type = overrides.pop("return_type", tweepy.Response)
    client = tweepy.Client(**{**creds, **overrides}, return_type=return_type)
    client.session.mount(X_HOST, Rebase(fake.url))
    return client


@pytest.fixture
def fake():
    with FakeX() as fake:
        fake.add_user("alice", "Alice A", followers=120, location="Lyon")
        fake.add_user("bob")
        yield fake


@pytest.fixture
def client(fake):
    return make_client(fake)


def test_get_me_with_user_context_and_app_only_refused(fake, client):
    me = client.get_me(user_auth=True, user_fields=["public_metrics"])
    assert (me.data.id, me.data.username) == (int(fake.brand_id), "AcmeSupport")
    assert set(me.data.data) == {"id", "name", "username", "public_metrics"}
    with pytest.raises(tweepy.Forbidden) as refused:
        client.get_me(user_auth=False)
    assert "OAuth 2.0 Application-Only is forbidden" in refused.value.api_messages[0]
    assert [r["auth"] for r in fake.requests] == ["user", "app"]
    assert fake.count("me") == 2


def test_bad_credentials_are_401(fake, client):
    for bad in (dict(consumer_key="nope"), dict(access_token="nope")):
        with pytest.raises(tweepy.Unauthorized) as refused:
            make_client(fake, **bad).get_me(user_auth=True)
        assert refused.value.api_messages == ["Unauthorized"]
    with pytest.raises(tweepy.Unauthorized):
        make_client(fake, bearer_token="nope").get_users_mentions(fake.brand_id)
    fake.set_credentials_valid(False)
    with pytest.raises(tweepy.Unauthorized):
        client.get_me(user_auth=True)


def test_mentions_pages_since_id_and_expansions(fake, client):
    first = fake.post("alice", "@AcmeSupport where is my parcel? #late")
    for i in range(24):
        fake.post("bob" if i % 2 else "alice", f"@acmesupport question {i}")
    fake.post("bob", "no mention here")
    deleted = fake.post("bob", "@AcmeSupport oops")
    fake.delete(deleted["id"])

    kwargs = dict(
        max_results=10, expansions=["author_id"], tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS, user_auth=True
    )
    seen, token = [], None
    while True:
        page = client.get_users_mentions(fake.brand_id, pagination_token=token, **kwargs)
        seen += [t.id for t in page.data]
        assert page.meta["newest_id"] == str(page.data[0].id)
        assert {u.username for u in page.includes["users"]} <= {"alice", "bob"}
        token = page.meta.get("next_token")
        if token is None:
            break
    assert len(seen) == 25 and seen == sorted(seen, reverse=True)
    assert int(deleted["id"]) not in seen

    newer = client.get_users_mentions(fake.brand_id, since_id=first["id"], max_results=100, user_auth=True)
    assert newer.meta["result_count"] == 24

    oldest = client.get_users_mentions(fake.brand_id, until_id=seen[-2], **kwargs)
    tweet = oldest.data[0]
    assert tweet.id == int(first["id"]) and tweet.conversation_id == tweet.id
    assert tweet.entities["hashtags"][0]["tag"] == "late"
    assert tweet.entities["mentions"][0]["id"] == fake.brand_id
    alice = oldest.includes["users"][0]
    assert alice.location == "Lyon" and alice.public_metrics["followers_count"] == 120

    flat = list(tweepy.Paginator(client.get_users_mentions, fake.brand_id, max_results=5, user_auth=True).flatten())
    assert [t.id for t in flat] == seen

    empty = client.get_users_mentions(fake.brand_id, since_id=seen[0], user_auth=True)
    assert empty.data is None and empty.meta == {"result_count": 0}


def test_mentions_bad_parameters_are_400(fake, client):
    with pytest.raises(tweepy.BadRequest) as bad:
        client.get_users_mentions(fake.brand_id, max_results=3)
    assert bad.value.api_messages == ["The `max_results` query parameter value [3] is not between 5 and 100"]
    with pytest.raises(tweepy.BadRequest) as bad:
        client.get_users_mentions(fake.brand_id, tweet_fields=["colour"])
    assert "[colour] is not one of" in bad.value.api_messages[0]
    with pytest.raises(tweepy.BadRequest):
        client.get_users_mentions(fake.brand_id, pagination_token="bogus")


def test_only_the_newest_800_mentions_are_reachable(fake, client):
    first = fake.post("alice", "@AcmeSupport hello 0")
    for i in range(1, 820):
        fake.post("alice", f"@AcmeSupport hello {i}")
    pages = list(
        tweepy.Paginator(
            client.get_users_mentions, fake.brand_id, since_id=first["id"], max_results=100, user_auth=True
        )
    )
    assert len(pages) == 8
    texts = [t.text for page in pages for t in page.data]
    assert len(texts) == 800 and texts[0] == "@AcmeSupport hello 819" and texts[-1] == "@AcmeSupport hello 20"


def test_mentions_shape_matches_the_recorded_fixture(fake, client):
    recorded = json.loads((FIXTURES / "test_client_get_users_mentions.decoded.json").read_text())[0]
    recorded = recorded["response_json"]
    me = json.loads((FIXTURES / "test_client_get_me.decoded.json").read_text())[0]["response_json"]
    for i in range(12):
        fake.post("alice", f"@AcmeSupport fixture {i}")
    raw = make_client(fake, return_type=dict)
    ours = raw.get_users_mentions(fake.brand_id)
    assert set(ours) == set(recorded)
    assert set(ours["meta"]) == set(recorded["meta"])
    assert {frozenset(t) for t in ours["data"]} == {frozenset(t) for t in recorded["data"]}
    with_users = raw.get_users_mentions(fake.brand_id, expansions=["author_id"])
    assert set(with_users["includes"]["users"][0]) == set(me["data"])


def test_create_reply_success_and_headers(fake):
    raw = make_client(fake, return_type=requests.Response)
    ask = fake.post("alice", "@AcmeSupport my order never came")
    response = raw.create_tweet(text="Sorry Alice, DM us your order number", in_reply_to_tweet_id=ask["id"])
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == {"id", "text", "edit_history_tweet_ids"} and data["edit_history_tweet_ids"] == [data["id"]]
    for name in (
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
        "x-user-limit-24hour-limit",
        "x-user-limit-24hour-remaining",
        "x-user-limit-24hour-reset",
    ):
        assert response.headers[name].isdigit()
    assert response.headers["x-user-limit-24hour-remaining"] == "2399"
    stored = fake.get(data["id"])
    assert stored["author_id"] == fake.brand_id and stored["conversation_id"] == ask["id"]
    assert stored["in_reply_to_user_id"] == ask["author_id"]
    assert stored["referenced_tweets"] == [{"type": "replied_to", "id": ask["id"]}]
    assert [p["id"] for p in fake.brand_posts()] == [data["id"]]


def test_create_tweet_refusals_carry_messages(fake, client):
    ask = fake.post("alice", "@AcmeSupport help")
    quoted_brand = fake.post("bob", "look at this", quote_of=fake.post(fake.brand_id, "We are hiring")["id"])
    unmentioned = fake.post("alice", "just talking to myself")
    gone = fake.post("alice", "@AcmeSupport delete me")
    fake.delete(gone["id"])

    def refused(exc, **kwargs):
        with pytest.raises(exc) as error:
            client.create_tweet(**kwargs)
        return error.value.api_messages

    assert refused(tweepy.BadRequest, text="é" * 281) == [MSG_TOO_LONG]
    assert refused(tweepy.Forbidden, text="hi", in_reply_to_tweet_id=gone["id"]) == [MSG_DELETED_TARGET]
    assert refused(tweepy.Forbidden, text="hi", in_reply_to_tweet_id=unmentioned["id"]) == [MSG_REPLY_NOT_ALLOWED]
    client.create_tweet(text="Thanks!", in_reply_to_tweet_id=ask["id"])
    client.create_tweet(text="Glad you like it", in_reply_to_tweet_id=quoted_brand["id"])
    assert refused(tweepy.Forbidden, text="Thanks!", in_reply_to_tweet_id=ask["id"]) == [MSG_DUPLICATE]
    # 280 weighted characters is fine: a URL counts 23 whatever its length
    client.create_tweet(text="x" * 256 + " https://example.com/" + "a" * 100)
    with pytest.raises(tweepy.Forbidden) as bearer:
        make_client(fake).create_tweet(text="app only", user_auth=False)
    assert "Application-Only is forbidden" in bearer.value.api_messages[0]

    lenient = FakeX(reply_rule=False)
    lenient.add_user("carol")
    with lenient:
        post = lenient.post("carol", "no mention")
        make_client(lenient).create_tweet(text="hello", in_reply_to_tweet_id=post["id"])


def test_rate_limit_429_with_reset_time(fake):
    limited = FakeX(limits={"create_tweet": (2, 60)})
    with limited:
        client = make_client(limited)
        client.create_tweet(text="one")
        client.create_tweet(text="two")
        with pytest.raises(tweepy.TooManyRequests) as error:
            client.create_tweet(text="three")
        assert abs(error.value.reset_time - (time.time() + 60)) <= 2
        assert error.value.api_messages == ["Too Many Requests"]
        assert error.value.response.headers["x-rate-limit-remaining"] == "0"
        assert limited.rate_limited == 1 and len(limited.brand_posts()) == 2

    daily = FakeX(limits={"create_tweet_24h": (1, 86400)})
    with daily:
        client = make_client(daily)
        client.create_tweet(text="one")
        with pytest.raises(tweepy.TooManyRequests) as error:
            client.create_tweet(text="two")
        assert error.value.response.headers["x-user-limit-24hour-remaining"] == "0"
        assert int(error.value.response.headers["x-user-limit-24hour-reset"]) > time.time() + 86000


def test_search_recent(fake, client):
    a = fake.post("alice", "My #refund is late @AcmeSupport")
    b = fake.post("bob", 'Still waiting for the "late delivery" fix')
    fake.post("bob", "late again", quote_of=a["id"])
    fake.post("alice", "old news #refund", created_at=datetime.now(UTC) - timedelta(days=8))

    def ids(query, **kwargs):
        found = client.search_recent_tweets(query, **kwargs)
        return [str(t.id) for t in found.data or ()]

    assert ids("#refund") == [a["id"]]
    assert ids('#refund OR "waiting for the" -is:retweet') == [b["id"], a["id"]]
    assert ids("from:alice @acmesupport") == [a["id"]]
    assert ids("late -is:quote (from:bob OR from:alice)") == [b["id"], a["id"]]
    assert ids("late", since_id=a["id"]) == [p["id"] for p in fake.posts_by("bob")][::-1]
    found = client.search_recent_tweets("refund", expansions=["author_id"], user_fields=["location"])
    assert found.includes["users"][0].location == "Lyon"
    with pytest.raises(tweepy.BadRequest):
        client.search_recent_tweets("(unbalanced")
    with pytest.raises(tweepy.BadRequest):
        client.search_recent_tweets("late", max_results=5)


def test_direct_messages(fake, client):
    fake.send_dm("alice", "Hi, order 1234 is missing")
    fake.send_dm("bob", "too old", created_at=datetime.now(UTC) - timedelta(days=31))
    events = client.get_direct_message_events(
        dm_event_fields=[
            "id",
            "text",
            "event_type",
            "created_at",
            "sender_id",
            "dm_conversation_id",
            "participant_ids",
        ],
        expansions=["sender_id"],
    )
    assert [e.text for e in events.data] == ["Hi, order 1234 is missing"]
    alice = fake.user("alice")["id"]
    assert events.data[0].dm_conversation_id == "-".join(sorted((alice, fake.brand_id), key=int))
    assert events.includes["users"][0].username == "alice"

    sent = client.create_direct_message(participant_id=alice, text="We are on it")
    assert sent.data["dm_conversation_id"] == events.data[0].dm_conversation_id
    assert fake.dms[-1]["sender_id"] == fake.brand_id and fake.dms[-1]["text"] == "We are on it"
    plain = make_client(fake, return_type=dict).get_direct_message_events(max_results=1)
    assert set(plain["data"][0]) == {"id", "event_type", "text"} and "next_token" in plain["meta"]
    with pytest.raises(tweepy.BadRequest) as bad:
        client.get_direct_message_events(since_id=1)
    assert "[since_id] is not one of" in bad.value.api_messages[0]
    assert fake.count("dm_events") == 3 and fake.count("dm_send") == 1


def test_a_second_brand_answers_for_its_own_token(fake, client):
    shop = fake.add_brand("AcmeShop", "Acme Shop")
    other = make_client(fake, access_token=shop["access_token"], access_token_secret=shop["access_token_secret"])
    assert other.get_me(user_auth=True).data.username == "AcmeShop"
    assert client.get_me(user_auth=True).data.username == "AcmeSupport"

    ask = fake.post("alice", "@AcmeShop is the blue one back?")
    with pytest.raises(tweepy.Forbidden):
        client.create_tweet(text="Not ours to answer", in_reply_to_tweet_id=ask["id"])
    other.create_tweet(text="Back on Monday!", in_reply_to_tweet_id=ask["id"])
    assert [p["text"] for p in fake.brand_posts("AcmeShop")] == ["Back on Monday!"] and fake.brand_posts() == []

    fake.send_dm("bob", "hello shop", to="AcmeShop")
    fake.send_dm("bob", "hello support")
    assert [e.text for e in other.get_direct_message_events().data] == ["hello shop"]
    assert [e.text for e in client.get_direct_message_events().data] == ["hello support"]
    other.create_direct_message(participant_id=fake.user("bob")["id"], text="Hi Bob")
    assert fake.dms[-1]["sender_id"] == shop["id"]


def test_user_tweets_lookups_and_delete(fake, client):
    ask = fake.post("alice", "@AcmeSupport hi")
    posted = client.create_tweet(text="Hello Alice", in_reply_to_tweet_id=ask["id"])
    mine = client.get_users_tweets(
        fake.brand_id,
        tweet_fields=["in_reply_to_user_id", "referenced_tweets"],
        expansions=["referenced_tweets.id"],
        user_auth=True,
    )
    assert mine.data[0].in_reply_to_user_id == int(ask["author_id"])
    assert mine.includes["tweets"][0].id == int(ask["id"])
    assert client.get_users_tweets(fake.brand_id, exclude=["replies"]).data is None
    assert client.get_tweet(ask["id"]).data.text == "@AcmeSupport hi"
    assert client.get_user(username="ALICE").data.id == int(ask["author_id"])
    assert [u.username for u in client.get_users(ids=[ask["author_id"], fake.brand_id]).data] == [
        "alice",
        "AcmeSupport",
    ]

    assert client.delete_tweet(posted.data["id"]).data == {"deleted": True}
    assert fake.get(posted.data["id"])["deleted"] is True
    missing = client.get_tweet(posted.data["id"])
    assert missing.data is None and missing.errors[0]["title"] == "Not Found Error"
    with pytest.raises(tweepy.Forbidden):
        client.delete_tweet(ask["id"])


def test_long_posts_carry_note_tweet(fake, client):
    text = "@AcmeSupport " + "word " * 80 + "#end"
    post = fake.post("alice", text)
    assert post["text"] == text[:280] + "…" and post["note_tweet"]["text"] == text
    got = client.get_tweet(post["id"], tweet_fields=["note_tweet"]).data
    assert got.data["note_tweet"]["entities"]["hashtags"][0]["tag"] == "end"


def test_ids_are_increasing_snowflakes(fake):
    ids = []
    threads = [
        threading.Thread(target=lambda: ids.extend(fake.post("bob", f"p{i}")["id"] for i in range(50)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 200
    own = [p["id"] for p in fake.posts_by("bob")]
    assert own == sorted(own, key=int)
    assert abs(((int(own[-1]) >> 22) + TWEPOCH_MS) / 1000 - time.time()) < 5


@pytest.mark.parametrize(
    "kind, exc",
    [
        ("500", tweepy.TwitterServerError),
        ("503", tweepy.TwitterServerError),
        ("429", tweepy.TooManyRequests),
        ("drop", requests.ConnectionError),
        ("drop_after", requests.ConnectionError),
    ],
)
def test_faults(fake, client, kind, exc):
    ask = fake.post("alice", "@AcmeSupport hi")
    fake.faults = FaultPlan(rate=1.0, kinds=(kind,), endpoints=("create_tweet",), reset_in=3)
    with pytest.raises(exc) as error:
        client.create_tweet(text="Hello", in_reply_to_tweet_id=ask["id"])
    assert fake.faults_injected == {kind: 1}
    assert len(fake.brand_posts()) == (1 if kind == "drop_after" else 0)
    if kind == "429":
        assert abs(error.value.reset_time - (time.time() + 3)) <= 2
    assert client.get_me(user_auth=True).data.username == "AcmeSupport"  # other endpoints unaffected


def test_fault_rate_is_seeded_and_latency_applies():
    with FakeX(faults=FaultPlan(rate=0.5, seed=7, kinds=("500",)), latency=0.05) as fake:
        client = make_client(fake)
        started = time.monotonic()
        outcomes = []
        for _ in range(10):
            try:
                client.get_me(user_auth=True)
                outcomes.append("ok")
            except tweepy.TwitterServerError:
                outcomes.append("500")
        assert time.monotonic() - started >= 0.5
        assert 0 < outcomes.count("500") < 10 and fake.faults_injected["500"] == outcomes.count("500")
    with FakeX(faults=FaultPlan(rate=0.5, seed=7, kinds=("500",))) as again:
        client = make_client(again)
        replay = []
        for _ in range(10):
            try:
                client.get_me(user_auth=True)
                replay.append("ok")
            except tweepy.TwitterServerError:
                replay.append("500")
        assert replay == outcomes


def test_post_text_is_html_escaped_in_every_answer_that_carries_posts(fake, client):
    raw = make_client(fake, return_type=dict)
    written = "@AcmeSupport Q&A: is <b> 3 > 2 & &lt; kept? " + "x" * 260
    asked = fake.post("alice", written)
    escaped = written.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    fields = dict(tweet_fields=["note_tweet"], user_auth=True)

    answers = [
        raw.get_users_mentions(fake.brand_id, **fields)["data"][0],
        raw.search_recent_tweets("Q&A", tweet_fields=["note_tweet"])["data"][0],
        raw.get_users_tweets(asked["author_id"], **fields)["data"][0],
        raw.get_tweet(asked["id"], **fields)["data"],
        raw.get_tweets([asked["id"]], **fields)["data"][0],
    ]
    for answer in answers:
        assert answer["note_tweet"]["text"] == escaped
        assert answer["text"] == escaped[: len(answer["text"]) - 1] + "…" and "&amp;" in answer["text"]
    created = raw.create_tweet(text="Yes, Q&A <here>", in_reply_to_tweet_id=asked["id"])["data"]
    assert created["text"] == "Yes, Q&amp;A &lt;here&gt;"
    assert fake.get(created["id"])["text"] == "Yes, Q&A <here>", "the control API keeps the text as written"
    with pytest.raises(tweepy.Forbidden):  # duplicates are judged on the text as written
        raw.create_tweet(text="Yes, Q&A <here>")


def test_a_retweet_is_found_in_mentions_and_search_unless_the_query_excludes_it(fake, client):
    fake.add_user("carla")
    original = fake.post("alice", "@AcmeSupport my order never came #acmefail")
    retweet = fake.retweet("carla", original)

    assert retweet["text"] == "RT @alice: @AcmeSupport my order never came #acmefail"
    assert retweet["referenced_tweets"] == [{"type": "retweeted", "id": original["id"]}]
    assert retweet["author_id"] == fake.user("carla")["id"]
    fields = dict(tweet_fields=["referenced_tweets", "public_metrics"])
    mentions = client.get_users_mentions(fake.brand_id, user_auth=True, **fields).data
    assert [t.id for t in mentions] == [int(retweet["id"]), int(original["id"])]
    assert mentions[0].referenced_tweets[0]["type"] == "retweeted"
    assert mentions[1].public_metrics["retweet_count"] == 1
    assert [t.id for t in client.search_recent_tweets("#acmefail").data] == [int(retweet["id"]), int(original["id"])]
    assert [t.id for t in client.search_recent_tweets("#acmefail -is:retweet").data] == [int(original["id"])]
    long = fake.retweet("bob", fake.post("alice", "@AcmeSupport " + "very long complaint " * 20))
    assert len(long["text"]) == 140 and long["text"].endswith("…")


@pytest.mark.parametrize(
    "problem, exc, words",
    [
        ("client-not-enrolled", tweepy.Forbidden, "attached to a Project"),
        ("client-forbidden", tweepy.Forbidden, "attached to a Project"),
        ("user-suspended", tweepy.Forbidden, "The user used for authentication is suspended"),
        ("oauth1-permissions", tweepy.Forbidden, "oauth1 app permissions"),
        ("invalid-request", tweepy.BadRequest, "'since_id' must be a tweet id created after"),
        ("credits-depleted", tweepy.HTTPException, "does not have any credits"),
        ("usage-capped", tweepy.TooManyRequests, "Usage cap exceeded: Monthly product cap"),
    ],
)
def test_an_endpoint_answers_xs_refusals_until_it_serves_again(fake, client, problem, exc, words):
    fake.refuse("mentions", problem)
    with pytest.raises(exc) as refused:
        client.get_users_mentions(fake.brand_id, user_auth=True)
    body = refused.value.response.json()
    assert body == {
        k: v.replace("{account_id}", fake.brand_id) if isinstance(v, str) else v
        for k, v in REFUSALS[problem][1].items()
    }
    assert refused.value.response.status_code == REFUSALS[problem][0]
    assert words in refused.value.api_messages[0]
    counted = "x-rate-limit-remaining" in refused.value.response.headers
    assert counted == (problem in ("invalid-request", "credits-depleted", "usage-capped"))
    assert client.get_me(user_auth=True).data.username == "AcmeSupport", "other endpoints serve"

    fake.refuse("mentions", None)
    assert client.get_users_mentions(fake.brand_id, user_auth=True).meta["result_count"] == 0


def test_a_refusal_can_be_for_one_account_and_a_usage_cap_daily(fake, client):
    shop = fake.add_brand("AcmeShop")
    other = make_client(fake, access_token=shop["access_token"], access_token_secret=shop["access_token_secret"])
    fake.refuse("search", "usage-capped", user="AcmeShop", period="Daily", scope="Account")

    with pytest.raises(tweepy.TooManyRequests) as capped:
        other.search_recent_tweets("refund", user_auth=True)
    body = capped.value.response.json()
    assert (body["period"], body["scope"], body["detail"]) == (
        "Daily",
        "Account",
        "Usage cap exceeded: Daily account cap",
    )
    assert body["account_id"] == shop["id"] and body["type"] == "https://api.twitter.com/2/problems/usage-capped"
    assert capped.value.response.headers["x-rate-limit-remaining"] != "0", "the 15-minute window has room"
    assert client.search_recent_tweets("refund", user_auth=True).meta["result_count"] == 0
    with pytest.raises(ValueError):
        fake.refuse("search", "no-such-refusal")


def test_posting_reports_the_users_and_the_apps_24_hour_limits(fake):
    shop = fake.add_brand("AcmeShop")
    app = FakeX(limits={"create_tweet_24h_app": (2, 86400)})
    app.add_brand("AcmeShop", access_token=shop["access_token"])
    with app:
        support = make_client(app, return_type=requests.Response)
        other = make_client(
            app,
            access_token=shop["access_token"],
            access_token_secret=shop["access_token_secret"],
            return_type=requests.Response,
        )
        first = support.create_tweet(text="one")
        assert first.headers["x-user-limit-24hour-remaining"] == "2399"
        assert first.headers["x-app-limit-24hour-remaining"] == "1"
        second = other.create_tweet(text="two")
        assert second.headers["x-user-limit-24hour-remaining"] == "2399", "each account has its own"
        assert second.headers["x-app-limit-24hour-remaining"] == "0"
        with pytest.raises(tweepy.TooManyRequests) as limited:
            support.create_tweet(text="three")
        headers = limited.value.response.headers
        assert headers["x-app-limit-24hour-remaining"] == "0" and headers["x-user-limit-24hour-remaining"] == "2399"
        assert int(headers["x-app-limit-24hour-reset"]) > time.time() + 86000
        assert int(headers["x-rate-limit-reset"]) < time.time() + 1000, "the 15-minute window is not why"
