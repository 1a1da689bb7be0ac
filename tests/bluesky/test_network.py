"""The Bluesky adapter over HTTP against the XRPC stand-in: what the domain is given and what Bluesky is asked."""

from datetime import UTC, datetime

import pytest

from bot.domain.errors import BadCredentials, RateLimited
from bot.networks.bluesky.network import BlueskyNetwork


@pytest.fixture
def network(bsky):
    return BlueskyNetwork(pds_url=bsky.url, handle="acme.test", app_password="brand-app-pass")


def test_every_page_is_read_down_to_the_high_water_mark_and_reposts_are_left_out(bsky, network):
    me = network.me()
    old = bsky.post("carla.test", "@acme.test old one", mention="acme.test")
    newer = [bsky.post("carla.test", f"@acme.test number {n}", mention="acme.test") for n in range(150)]
    bsky.repost("carla.test", old)

    result = network.fetch_mentions(me, old)

    assert [p.id for p in result.posts] == newer  # oldest first, none missing, the high-water mark excluded
    assert bsky.calls.count("app.bsky.notification.listNotifications") == 2  # 100 a page
    assert result.newest_id == newer[-1]


def test_authors_come_from_batched_profiles_25_a_call(bsky, network):
    me = network.me()
    for n in range(30):
        bsky.add_user(f"c{n}.test", followers=n)
        bsky.post(f"c{n}.test", "@acme.test hi", mention="acme.test")
    before = bsky.calls.count("app.bsky.actor.getProfiles")

    result = network.fetch_mentions(me, None)

    assert len(result.posts) == 30 and {p.author.followers for p in result.posts} == set(range(30))
    assert bsky.calls.count("app.bsky.actor.getProfiles") - before == 2
    assert "app.bsky.actor.getProfile" not in bsky.calls


def test_a_rate_limit_says_when_it_resets(bsky, network):
    me = network.me()
    reset = int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())
    headers = {"ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": str(reset)}
    bsky.fail_next["app.bsky.notification.listNotifications"] = [
        (429, "RateLimitExceeded", "Rate Limit Exceeded", headers)
    ]

    with pytest.raises(RateLimited) as raised:
        network.fetch_mentions(me, None)

    assert raised.value.reset_at == datetime(2030, 1, 1, tzinfo=UTC)


def test_a_wrong_app_password_is_bad_credentials_without_the_secret(bsky):
    network = BlueskyNetwork(pds_url=bsky.url, handle="acme.test", app_password="nope-nope")
    with pytest.raises(BadCredentials) as raised:
        network.me()
    assert "nope-nope" not in raised.value.message


def test_search_finds_tracked_terms(bsky, network):
    me = network.me()
    found = bsky.post("carla.test", "acme refund is slow")
    bsky.post("carla.test", "nothing to see")

    result = network.search(me, "acme refund", None)

    assert [p.id for p in result.posts] == [found]
