"""Ingest: fetch what is new from every source and store it with its cursor, in one transaction per fetch.

The sources: each brand account's mentions (cursor: the account's since_id); its direct messages when it has a DM
channel and its network has them (no since_id for them: read back until a stored event, deduped on the event id);
and each tracked term (the network's recent search, a cursor per term). A post that mentions one of our accounts is
left to that account's mentions, so a post both mentioning us and matching a term becomes one case: the mention
wins. A repost passes a post on and says nothing of its own: it is never stored. A source that fails (a limit, the
network down or refusing it) does not stop the others; after a 429 that source waits for the reset time the network
gave, after a spent allowance until it renews (or an hour); a refused source is said once in its channel, and once
when it is back. Post ids are opaque: their order and age are the network's to say."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.errors import AllowanceSpent, NetworkError, PartlyDone, RateLimited, SourceRefused
from bot.domain.ports import Network
from bot.domain.refusals import Refusals
from bot.domain.sources import DM, MENTION, NO_ACCOUNT, TERM, AccountSource, Sources, TermSource, dm_network
from bot.domain.states import CaseStatus, EventKind
from bot.domain.types import InboundPost
from storage import accounts, cases, terms

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestConfig:
    overlap_seconds: float = 30.0
    overlap_every: int = 10  # polls between two that reach back overlap_seconds (the first one always does)
    reopen_within_days: float = 3.0  # a customer's new conversation this soon after a resolved case reopens it


class Ingest:
    def __init__(
        self,
        *,
        session: Callable,
        clock: Callable[[], datetime],
        sources: Sources,
        accounts: Callable[[], tuple[list[AccountSource], dict]],
        config: IngestConfig,
        refusals: Refusals,
        announce_gap: Callable,
    ):
        """`session()`: a transaction; `accounts()`: the accounts ready to serve and the failures (asked of their
        networks once); `announce_gap(network, account, cursor, result, channel=)`: says that mentions were out of
        reach."""
        self.session, self.clock, self.sources, self.accounts = session, clock, sources, accounts
        self.config, self.refusals, self.announce_gap = config, refusals, announce_gap
        self.paused_until: dict[str, datetime | None] = {}  # per source, after a 429: the network's reset time
        self.polls: dict[str, int] = {}  # per source, polls made by this process

    def since(self, network, key: str, cursor: str | None) -> str | None:
        """Where a poll starts. Networks index late, so a post older than the cursor may appear after it was set: the
        first poll of a process and every `overlap_every`-th after reach back `overlap_seconds` before the cursor
        (duplicates are dropped on the post id); the others start at the cursor, reading each post once."""
        n = self.polls.get(key, 0)
        self.polls[key] = n + 1
        config = self.config
        if cursor is None or n % config.overlap_every:
            return cursor
        return network.overlapped_since(cursor, config.overlap_seconds)

    def poll(self) -> int:
        """One fetch from every source; returns how many new messages were stored. A source that fails is said in
        the error (PartlyDone, with what the others stored)."""
        ready, failures = self.accounts()
        errors = [f'account "{name}": {err.message}' for name, err in failures.items()]
        # (key, what it reads, its channel, the network's name as people say it, the fetch)
        jobs: list[tuple[str, str, str | None, str, Callable[[], int]]] = []
        for source in ready:
            name = source.network.display_name
            jobs.append(
                (
                    f"mentions:{source.name}",
                    f"the mentions of {source.label}",
                    source.channel,
                    name,
                    lambda a=source: self._mentions(a),
                )
            )
            if source.dm_channel and source.network.direct_messages is not None:
                jobs.append(
                    (
                        f"dms:{source.name}",
                        f"the direct messages of {source.label}",
                        source.dm_channel,
                        name,
                        lambda a=source: self._dms(a),
                    )
                )
        for term in self.sources.live_terms():
            searcher = self.sources.searcher(term)
            name = searcher.network.display_name if searcher else ""
            jobs.append(
                (
                    f"term:{term.term}",
                    f'the posts matching "{term.term}"',
                    term.channel,
                    name,
                    lambda t=term: self._term(t),
                )
            )
        stored = 0
        for key, what, channel, network, job in jobs:
            until = self.paused_until.get(key)
            if until is not None and self.clock() < until:
                continue
            try:
                stored += job()
            except AllowanceSpent as err:
                self.paused_until[key] = err.retry_at(self.clock())
                self.refusals.refused(network, key, channel, what, err, self.paused_until[key])
                errors.append(f"{what}: {err.message} ({err.said})")
            except RateLimited as err:
                self.paused_until[key] = err.reset_at
                errors.append(f"{what}: {err.message}")
            except SourceRefused as err:
                self.refusals.refused(network, key, channel, what, err, None)
                errors.append(f"{what}: {err.message} ({err.said})")
            except NetworkError as err:
                errors.append(f"{what}: {err.message}")
                log.warning("%s: not polled: %s", what, err.message)
            else:
                self.refusals.served(network, key, channel, what)
        if errors:
            raise PartlyDone(stored, "; ".join(errors))
        return stored

    def _mentions(self, source: AccountSource) -> int:
        account = source.account
        with self.session() as s:
            cursor = accounts.get_account(s, network=account.network, account_id=account.account_id).since_id
        network = source.network
        result = network.fetch_mentions(account, self.since(network, f"mentions:{source.name}", cursor))

        def advance(s) -> None:
            if result.newest_id:
                accounts.advance_cursor(
                    s,
                    network=account.network,
                    account_id=account.account_id,
                    newest_id=result.newest_id,
                    at=self.clock(),
                    order_key=network.order_key,
                )

        stored = self._store(
            result.posts,
            source,
            kind=MENTION,
            channel=source.channel,
            skip=lambda p: p.author.id == account.account_id,  # the brand's own posts never become cases
            advance=advance,
        )
        if stored:
            log.info("stored %d new mention(s) for @%s", stored, account.handle)
        out_of_reach = result.window_full and cursor is not None
        if out_of_reach and network.order_key(result.oldest_id) > network.order_key(cursor):
            self.announce_gap(network, account, cursor, result, channel=source.channel)
        return stored

    def _dms(self, source: AccountSource) -> int:
        account = source.account
        network = dm_network(account.network)
        stored = 0
        messages = source.network.direct_messages
        for page in messages.pages(account):
            with self.session() as s:
                met_stored = bool(cases.existing_post_ids(s, network=network, post_ids=[p.id for p in page]))
            stored += self._store(
                page,
                source,
                kind=DM,
                channel=source.dm_channel,
                skip=lambda p: p.author.id == account.account_id,  # what the brand sent (the replies)
            )
            if met_stored and not messages.ends_by_itself:
                break
        if stored:
            log.info("stored %d new direct message(s) to @%s", stored, account.handle)
        return stored

    def _term(self, term: TermSource) -> int:
        searcher = self.sources.searcher(term)
        if searcher is None:
            raise NetworkError("no account is available to search with")
        network = searcher.network
        with self.session() as s:
            cursor = terms.cursor(s, network=network.name, term=term.term)
        if cursor is not None and not network.search_reaches(cursor, self.clock()):
            log.warning(
                "%s: the cursor is older than %s's recent search reaches; starting from now",
                term.label,
                network.display_name,
            )
            cursor = None
        since = self.since(network, f"term:{term.term}", cursor)
        # A new term starts from its newest page, not from a week of history.
        result = network.search(searcher.account, term.term, since, max_pages=1 if cursor is None else None)
        ours = {a.account.account_id for a in self.sources.ready_accounts()}
        handles = self.sources.served_handles()

        def advance(s) -> None:
            if result.newest_id:
                terms.advance_cursor(
                    s,
                    network=network.name,
                    term=term.term,
                    newest_id=result.newest_id,
                    at=self.clock(),
                    order_key=network.order_key,
                )

        stored = self._store(
            result.posts,
            term,
            kind=TERM,
            channel=term.channel,
            skip=lambda p: p.author.id in ours or bool(p.mentioned & handles),  # a mention: its account's case
            advance=advance,
            network=network,
        )
        if stored:
            log.info("stored %d new post(s) for %s", stored, term.label)
        return stored

    def _store(
        self,
        posts: list[InboundPost],
        source: AccountSource | TermSource,
        *,
        kind: str,
        channel: str,
        skip: Callable[[InboundPost], bool],
        advance: Callable | None = None,
        network: Network | None = None,
    ) -> int:
        """Store the posts not stored yet, in the order the network made them, and move the cursor, in one
        transaction. `network` is the one that read them (an account's own, unless given)."""
        now = self.clock()
        if isinstance(source, AccountSource):
            network, account = source.network, source.account
            network_name, account_id, campaign = account.network, account.account_id, source.campaign_name()
        else:
            network_name, account_id, campaign = network.name, NO_ACCOUNT, source.campaign
        message_network = dm_network(network_name) if kind == DM else network_name
        fresh = (p for p in posts if p.repost_of is None and not skip(p))
        posts = sorted(fresh, key=lambda p: network.order_key(p.id))
        with self.session() as s:
            known = cases.existing_post_ids(s, network=message_network, post_ids=[p.id for p in posts])
            new = []
            for post in posts:
                if post.id not in known:
                    known.add(post.id)
                    new.append(post)
            if new:
                window = timedelta(days=self.config.reopen_within_days)
                batch = _Batch(s, network_name, account_id, kind, new, window)
                for post in new:
                    batch.add(post, now=now, campaign=campaign, channel=channel, message_network=message_network)
                batch.write()
            if advance is not None:
                advance(s)
        return len(new)


class _Batch:
    """The new posts of one read, stored together: the cases they belong to read in two queries, new cases and the
    messages inserted in one statement each (10,000 mentions in well under a second), in the order of the posts."""

    def __init__(self, s, network: str, account_id: str, kind: str, posts: list[InboundPost], reopen_window):
        self.s, self.network, self.account_id, self.kind = s, network, account_id, kind
        self.reopen_window = reopen_window
        keys = {(p.conversation_id, p.author.id) for p in posts}
        self.cases = cases.cases_of_conversations(s, network=network, account_id=account_id, keys=keys)
        # A customer's latest case: a new conversation soon after it was resolved continues (reopens) it.
        customers = {p.author.id for p in posts}
        self.latest = (
            cases.latest_cases_of_customers(
                s, network=network, account_id=account_id, customer_ids=customers, kind=kind
            )
            if kind == MENTION
            else {}
        )
        self.new_cases: list[_NewCase] = []
        self.reopening: dict[int, dict] = {}  # case id -> the event of its reopening, by the first post to it
        self.messages: list[tuple] = []  # (the case, or the new case, it belongs to; its fields)

    def add(self, post: InboundPost, *, now, campaign: str, channel: str, message_network: str) -> None:
        key = (post.conversation_id, post.author.id)
        case = self.cases.get(key)
        if case is None and self.kind == MENTION:
            latest = self.latest.get(post.author.id)
            since = post.created_at - self.reopen_window
            if latest is not None and latest.status == CaseStatus.RESOLVED and latest.resolved_at >= since:
                case = latest
        if case is None:
            case = _NewCase(
                network=self.network,
                account_id=self.account_id,
                conversation_id=post.conversation_id,
                customer_id=post.author.id,
                customer_handle=post.author.handle,
                customer_name=post.author.name,
                campaign=campaign,
                kind=self.kind,
                channel=channel,
                opened_at=post.created_at,
            )
            self.new_cases.append(case)
            self.latest.pop(post.author.id, None)  # the customer's latest case is an open one now
        elif case.status == CaseStatus.RESOLVED and case.id not in self.reopening:
            # The owner keeps the case (named in the event: the thread post tells them, handle time restarts).
            self.reopening[case.id] = {
                "case_id": case.id,
                "kind": EventKind.REOPEN.value,
                "actor": f"customer:{post.author.id}",
                "at": now,
                "detail": case.owner,
            }
            self.latest.pop(post.author.id, None)
        self.cases[key] = case
        fields = dict(
            direction="in",
            network=message_network,
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
        self.messages.append((case, fields))

    def write(self) -> None:
        """The reopenings (each recorded only for a case it moved out of 'resolved'), the new cases, the messages."""
        reopened = cases.reopen_on_customer_posts(self.s, case_ids=list(self.reopening))
        cases.add_events(self.s, [event for case_id, event in self.reopening.items() if case_id in reopened])
        ids = cases.add_cases(self.s, [new.fields for new in self.new_cases])
        for new, case_id in zip(self.new_cases, ids, strict=True):
            new.id = case_id
        cases.add_messages(self.s, [{**fields, "case_id": case.id} for case, fields in self.messages])


class _NewCase:
    """A case this read opens, inserted with the others once all are known (plain values: cheap to make by the
    thousand, unlike a table row object)."""

    status = CaseStatus.OPEN

    def __init__(self, **fields):
        self.fields, self.id = fields, None
