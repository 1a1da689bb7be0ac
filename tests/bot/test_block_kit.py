"""Every message the builders make is one Slack takes: slack_sdk's own Block Kit models parse and validate each
block, the stand-in's rules (Slack's limits) find nothing to refuse, and the whole stays within the message budget,
for cards, thread posts, notices, questions, digests and /social-stats answers at their largest and oddest."""

import itertools
from datetime import UTC, date, datetime

import pytest
from slack_sdk.models.blocks import Block

from bot.chats.slack import blocks, digest_blocks
from bot.domain.digests import Digest
from bot.domain.metrics import (
    AgentRow,
    Breach,
    CampaignRow,
    Context,
    FirstResponse,
    Period,
    Reach,
    Report,
    Resolution,
)
from bot.domain.types import Author, CardView, ThreadPost
from bot.sandbox.standins import block_kit

HOSTILE = "<!channel> <@U0BOSS> <https://evil.example|Reset your password> & &amp; > "
LONG = (HOSTILE + "ñ 🙂 ") * 400  # ~25,000 characters, as a long X post (note_tweet) may be
NAMES = tuple(f"reply-{i:03d}-" + "x" * 29 for i in range(150))  # 40 characters each, the longest a name may be
AT = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def check(message_blocks: list[dict]) -> None:
    """What Slack would refuse, checked three ways: slack_sdk's models, the stand-in's rules, the total size."""
    assert len(message_blocks) <= block_kit.MAX_BLOCKS
    for raw in message_blocks:
        parsed = Block.parse(raw)
        assert parsed is not None, raw
        assert parsed.to_dict()["type"] == raw["type"]  # to_dict() validates it, and what it holds, on every limit
    assert block_kit.problems(message_blocks) == []
    assert block_kit.size(message_blocks) <= blocks.MESSAGE_BUDGET < block_kit.MAX_BLOCKS_CHARS


def card(status="claimed", kind="mention", text="Where is my parcel?", saved=(), team=None, **extra) -> CardView:
    customer = Author("42", "maria_g", extra.pop("name", "María García"), 1234, extra.pop("location", "Madrid"))
    return CardView(
        case_id=7,
        status=status,
        owner="UANA" if status == "claimed" else None,
        network="x",
        account_handle="AcmeSupport",
        customer=customer,
        first_post_id="1",
        first_post_text=text,
        first_post_at=AT,
        post_url="" if kind == "dm" else "https://x.com/maria_g/status/1",
        profile_url="https://x.com/maria_g",
        campaign=extra.pop("campaign", "Support"),
        kind=kind,
        read_only="It cannot be answered from Slack." if kind == "term" else None,
        saved_replies=saved,
        reassign_to=team,
        **extra,
    )


TEAMS = [None, (), ("UBEN", "UCLO"), tuple(f"U{i:04d}" for i in range(200))]


@pytest.mark.parametrize(
    "status,kind", list(itertools.product(["open", "claimed", "resolved"], ["mention", "term", "dm"]))
)
def test_every_card_is_one_slack_takes(status, kind):
    texts = ["Where is my parcel?", HOSTILE, LONG, "&" * 5000]
    for text, saved, team, compact in itertools.product(texts, [(), NAMES[:1], NAMES], TEAMS, [False, True]):
        names = {u: f"Agent {u} " + "with a long name " * 6 for u in team or ()}
        fallback, card_blocks, _ = blocks.case_card(card(status, kind, text, saved, team), names=names, compact=compact)
        check(card_blocks)
        assert 0 < len(fallback) <= 300


def test_a_card_with_a_long_name_location_and_campaign_is_one_slack_takes():
    view = card(name="N" * 3000, location="<L>" * 1000, campaign="&" * 3000, saved=NAMES, team=TEAMS[2])
    check(blocks.case_card(view, names={"UBEN": "Ben", "UCLO": "Clo"})[1])


@pytest.mark.parametrize(
    "text", ["thanks!", HOSTILE, LONG, "&" * 5000, ""], ids=["short", "hostile", "long", "&", "empty"]
)
def test_every_thread_post_notice_and_question_is_one_slack_takes(text):
    post = ThreadPost(7, 8, Author("42", "maria_g", "María <García>"), text, AT, "https://x.com/maria_g/status/2")
    fallback, post_blocks, _ = blocks.thread_post(post)
    check(post_blocks)
    assert len(fallback) <= 300
    notice = f"Posted on X by <@UANA>: https://x.com/AcmeSupport/status/9\n> {blocks.escape(text)}"
    check(blocks.notice(notice, None))
    check(blocks.notice(notice, 12))
    check(blocks.question(notice, [("Delete it on X", "reply_delete", 12), ("Keep it on X", "reply_keep", 12)]))


def report(scale: int, *, agent=None, campaign=None) -> Report:
    """A report with `scale` of everything a digest lists, each item as long and odd as it may come."""
    period = Period(date(2026, 11, 1), date(2026, 11, 21), AT, AT, "Europe/Madrid", name="last 21 days")
    thread = "acme-corporation-customer-care.enterprise.slack.com/archives/C0123456789"
    first = FirstResponse(opened=scale * 90, within=scale * 50, late=scale * 20, unanswered=scale * 10, median=3600.0)
    breaches = [
        Breach(i, f"customer_{i:06d}", "Support", AT, bool(i % 2), 7200.0, f"https://{thread}/p{i:016d}")
        for i in range(min(scale, 10))
    ]
    agents = [AgentRow(f"U{i:08d}", 40, 120, 35, 5400.0) for i in range(scale * 20)]
    campaigns = [CampaignRow(HOSTILE + "c" * scale * 10 + str(i), 30, 20, 5, 90, 25, 3600.0) for i in range(scale * 12)]
    tags = [(f"#{'long' * 30}{i}", 99) for i in range(5 * bool(scale))]
    context = Context(
        locations=[(HOSTILE + "place" * 10, 7)] * 5 * bool(scale),
        reach=[Reach(f"handle_{i:08d}", "Name", 1_000_000, 3, f"https://x.com/handle_{i:08d}") for i in range(5)],
        hashtags=tags,
        terms=tags,
    )
    return Report(
        period,
        AT,
        60,
        "Mon-Fri 09:00-13:00 14:00-18:00, Sat 10:00-14:00" if scale else None,
        first,
        breaches,
        Resolution(opened=scale * 90, resolved=scale * 80, reopened=scale, backlog=scale * 12, median=7200.0),
        agents,
        campaigns,
        context if scale else None,
        agent=agent,
        campaign=campaign,
    )


@pytest.mark.parametrize("scale", [0, 1, 5, 40])
def test_every_digest_and_stats_answer_is_one_slack_takes(scale):
    for part, cadence in itertools.product(["sla", "resolution"], ["daily", "weekly"]):
        _, digest = digest_blocks.digest(Digest(part, cadence, report(scale)))
        check(digest)
    for who in [{}, {"agent": "UANA"}, {"campaign": HOSTILE}]:
        _, answer = digest_blocks.stats_answer(report(scale, **who))
        check(answer)
