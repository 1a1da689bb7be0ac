"""Ingest: fetch the brand's new mentions and store them with the cursor, in one transaction."""

import logging

from bot.domain.errors import RateLimited
from bot.domain.types import FetchResult, InboundPost
from storage import accounts, cases

log = logging.getLogger(__name__)

# X post ids are snowflakes: the creation time in ms sits above the low 22 bits.
SNOWFLAKE_TIME_SHIFT = 22


def overlapped_since(since_id: str | None, overlap_seconds: float) -> str | None:
    """A since_id a little older than the cursor: X indexes late, so polls overlap and dedupe on post id."""
    if since_id is None:
        return None
    back = int(overlap_seconds * 1000) << SNOWFLAKE_TIME_SHIFT
    return str(max(int(since_id) - back, 1))


class Ingest:
    def __init__(self, bridge):
        self.bridge = bridge
        self.paused_until = None

    def poll(self) -> int:
        """One fetch of the brand's mentions; returns how many new messages were stored. After a 429 the
        next fetch waits for the reset time X gave: the limit is respected, not discovered again."""
        if self.paused_until is not None and self.bridge.clock() < self.paused_until:
            return 0
        try:
            return self._poll()
        except RateLimited as err:
            self.paused_until = err.reset_at
            raise

    def _poll(self) -> int:
        account = self.bridge.account()
        with self.bridge.session() as s:
            row = accounts.get_account(s, network=account.network, account_id=account.account_id)
            cursor = row.since_id
        result = self.bridge.network.fetch_mentions(
            account, overlapped_since(cursor, self.bridge.config.overlap_seconds)
        )
        stored = self.store(result, cursor)
        if result.window_full and cursor is not None and int(result.oldest_id) > int(cursor):
            self.bridge.mirror.announce_gap(account, cursor, result)
        return stored

    def store(self, result: FetchResult, cursor: str | None) -> int:
        account = self.bridge.account()
        now = self.bridge.clock()
        posts = sorted(
            (p for p in result.posts if p.author.id != account.account_id),
            key=lambda p: int(p.id),
        )
        with self.bridge.session() as s:
            known = cases.existing_post_ids(s, network=account.network, post_ids=[p.id for p in posts])
            stored = 0
            for post in posts:
                if post.id in known:
                    continue
                known.add(post.id)
                self._store_post(s, account, post, now)
                stored += 1
            if result.newest_id:
                accounts.advance_cursor(
                    s,
                    network=account.network,
                    account_id=account.account_id,
                    newest_id=result.newest_id,
                    at=now,
                )
        if stored:
            log.info("stored %d new mention(s) for @%s", stored, account.handle)
        return stored

    def _store_post(self, s, account, post: InboundPost, now) -> None:
        case = cases.find_case(
            s,
            network=account.network,
            account_id=account.account_id,
            conversation_id=post.conversation_id,
            customer_id=post.author.id,
        )
        if case is None:
            case = cases.add_case(
                s,
                network=account.network,
                account_id=account.account_id,
                conversation_id=post.conversation_id,
                customer_id=post.author.id,
                customer_handle=post.author.handle,
                customer_name=post.author.name,
                campaign=self.bridge.campaign(),
                opened_at=post.created_at,
            )
        elif cases.reopen_on_customer_post(s, case_id=case.id):
            cases.add_event(s, case_id=case.id, kind="reopen", actor=f"customer:{post.author.id}", at=now)
        cases.add_message(
            s,
            case_id=case.id,
            direction="in",
            network=account.network,
            post_id=post.id,
            author_id=post.author.id,
            author_handle=post.author.handle,
            author_name=post.author.name,
            author_followers=post.author.followers,
            author_location=post.author.location,
            text=post.text,
            posted_at=post.created_at,
            stored_at=now,
        )
