"""The bridge: the domain's services wired to one database, one chat and the networks the accounts are on."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from time import monotonic

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.domain.clock import utcnow
from bot.domain.errors import ChatError, NetworkError, NotCounted, NotRecorded
from bot.domain.ports import Chat, Network
from bot.domain.report_queue import ReportQueue
from bot.domain.sources import AccountSource, Sources
from bot.domain.types import BrandAccount
from storage import accounts, clicks, deliveries, leases
from storage.engine import session_scope
from storage.health import plain_reason

log = logging.getLogger(__name__)

DELIVERY_MEMORY = timedelta(hours=48)
# On the request path the database gets this long before the chat is told the request failed (the chat waits about 3 s).
REQUEST_WAIT_SECONDS = 2.0
# Once a request waited that long in vain, the next ones wait only this long, until one gets through: the chat's 3 s
# run from when a request arrived, and those queued behind the ones waiting already spent some of them.
BUSY_WAIT_SECONDS = 0.25


@dataclass(frozen=True)
class BridgeConfig:
    inbox_channel: str | None
    campaign: str | None = None
    overflow_channels: tuple[str, ...] = ()  # share a channel's new cases while it is behind (bot.domain.spread)
    overlap_seconds: float = 30.0
    overlap_every: int = 10  # polls between two that reach back overlap_seconds (the first one always does)
    settle_seconds: float = 60.0
    allowed_agents: frozenset[str] = field(default_factory=frozenset)
    agent_usergroup: str | None = None
    timezone: str = "UTC"
    digest_channel: str | None = None  # where the digests go; the inbox channel when unset
    sla_minutes: float = 60.0
    business_hours: str | None = None  # a BUSINESS_HOURS spec: SLA clocks count business time only
    digest_time: time = time(9, 0)  # local time (timezone) after which the day's digests are due
    alert_mention: str | None = None  # who a breach alert calls: @here, a user group id, a user id
    alert_warning_ratio: float = 0.8  # share of the SLA target at which a case is flagged as nearing it
    reply_delay_seconds: float = 0.0  # the undo window before an owner's reply goes out
    reassign_by_anyone: bool = False
    readback_after_seconds: float = 360.0  # a thread message not delivered this long after it was typed is read back
    # Why this process cannot reach the network (its credentials are not set: `web` may start with the chat's
    # settings only); None when it can. Replies then wait in their queue for a worker that has them.
    network_unavailable: str | None = None
    # A customer's new conversation this soon after their case with the account was resolved reopens that case.
    reopen_within_days: float = 3.0


class Bridge:
    def __init__(
        self,
        engine: Engine,
        chat: Chat,
        networks: dict[str, Network],
        config: BridgeConfig,
        clock: Callable[[], datetime] = utcnow,
        *,
        sources: Sources | None = None,
    ):
        self.engine = engine
        self.chat = chat
        # By network name: for what is the same for every account of a network (links, text rules, its name).
        self.networks = dict(networks)
        self.config = config
        self.clock = clock
        # Without ACCOUNTS_FILE: one account, the network's own, in the inbox channel.
        self.sources = sources or Sources(
            [AccountSource("default", network, config.inbox_channel, config.campaign) for network in networks.values()]
        )

        from bot.domain.agents import Agents, AgentsConfig
        from bot.domain.alerts import Alerts, AlertsConfig
        from bot.domain.casework import Casework
        from bot.domain.clicks import Clicks
        from bot.domain.digests import Digests, DigestsConfig
        from bot.domain.ingest import Ingest, IngestConfig
        from bot.domain.metrics import Metrics, MetricsConfig
        from bot.domain.mirror import Mirror
        from bot.domain.readback import ThreadReadback
        from bot.domain.refusals import Refusals
        from bot.domain.replies import Replies, RepliesConfig
        from bot.domain.reply_changes import ReplyChanges
        from bot.domain.saved import SavedReplies
        from bot.domain.served import Served

        clock = self._now  # read at each call: a test may move the bridge's clock
        self.served = Served(
            session=self.session,
            sources=self.sources,
            networks=self.networks,
            network_unavailable=config.network_unavailable,
        )
        self.agents = Agents(chat, AgentsConfig(config.allowed_agents, config.agent_usergroup))
        self.mirror = Mirror(
            session=self.session,
            chat=chat,
            clock=clock,
            served=self.served,
            agents=self.agents,
            inbox_channel=config.inbox_channel,
            overflow=config.overflow_channels,
        )
        self.ingest = Ingest(
            session=self.session,
            clock=clock,
            sources=self.sources,
            accounts=self.served.accounts,
            config=IngestConfig(config.overlap_seconds, config.overlap_every, config.reopen_within_days),
            refusals=Refusals(session=self.session, chat=chat, clock=clock, default_channel=config.inbox_channel),
            announce_gap=self.mirror.announce_gap,
        )
        self.casework = Casework(
            session=self.session,
            clock=clock,
            chat=chat,
            agents=self.agents,
            served=self.served,
            refresh_card=self.mirror.refresh_card,
            reassign_by_anyone=config.reassign_by_anyone,
        )
        self.replies = Replies(
            session=self.session,
            request_session=self.request_session,
            clock=clock,
            chat=chat,
            agents=self.agents,
            served=self.served,
            refresh_card=self.mirror.refresh_card,
            worker_leads=self.worker_leads,
            config=RepliesConfig(config.reply_delay_seconds, config.settle_seconds, config.network_unavailable),
        )
        self.alerts = Alerts(
            session=self.session,
            chat=chat,
            clock=clock,
            config=AlertsConfig(
                config.sla_minutes,
                config.alert_warning_ratio,
                config.alert_mention,
                config.business_hours,
                config.timezone,
            ),
        )
        self.saved = SavedReplies(self.session, clock, self.agents, self.networks)
        self.changes = ReplyChanges(
            session=self.session,
            clock=clock,
            chat=chat,
            served=self.served,
            replies=self.replies,
            saved=self.saved,
            casework=self.casework,
            network_unavailable=config.network_unavailable,
        )
        self.metrics = Metrics(
            session=self.session,
            clock=clock,
            chat=chat,
            networks=self.networks,
            config=MetricsConfig(config.sla_minutes, config.timezone, config.business_hours, config.allowed_agents),
        )
        self.reports = ReportQueue()  # reports people ask for, from any chat: one at a time (see report_queue)
        self.digests = Digests(
            session=self.session,
            clock=clock,
            chat=chat,
            metrics=self.metrics,
            config=DigestsConfig(config.inbox_channel, config.digest_channel, config.digest_time),
        )
        self.clicks = Clicks(
            session=self.session,
            request_session=self.request_session,
            clock=clock,
            chat=chat,
            casework=self.casework,
            changes=self.changes,
            saved=self.saved,
            settle_seconds=config.settle_seconds,
        )
        self.readback = ThreadReadback(
            session=self.session,
            clock=clock,
            chat=chat,
            replies=self.replies,
            readback_after_seconds=config.readback_after_seconds,
        )
        self._database_busy = False  # a request-path transaction failed to get the database in time, none since

    def _now(self) -> datetime:
        return self.clock()

    def session(self, *, read_only: bool = False):
        return session_scope(self.engine, read_only=read_only)

    @contextmanager
    def request_session(self) -> Iterator:
        """A transaction on the request path (the chat waits for its answer): the database gets at most
        REQUEST_WAIT_SECONDS (BUSY_WAIT_SECONDS while it is known busy), then NotRecorded is raised, so the chat is
        told the request failed."""
        wait = BUSY_WAIT_SECONDS if self._database_busy else REQUEST_WAIT_SECONDS
        try:
            with session_scope(self.engine, wait_at_most=wait) as session:
                yield session
        except SQLAlchemyError as err:
            self._database_busy = True
            first_line = (str(getattr(err, "orig", None) or err).strip().splitlines() or [""])[0]
            raise NotRecorded(f"{type(err).__name__}: {first_line}") from err
        self._database_busy = False

    # The account look-ups the handlers and the start-up checks call: the services are given `served` itself.

    def accounts(self) -> tuple[list[AccountSource], dict[str, NetworkError]]:
        return self.served.accounts()

    def account(self) -> BrandAccount:
        return self.served.account()

    def network_of(self, case) -> Network:
        return self.served.network_of(case)

    def handle_for(self, case) -> str:
        return self.served.handle_for(case)

    def worker_leads(self) -> bool:
        """A worker holds the lead now: it sends the queued replies that are due (within a second or two)."""
        with self.session(read_only=True) as s:
            return leases.holder_of(s, name=leases.WORKER_LEADER) is not None

    def campaigns(self) -> list[str]:
        """The campaigns of the accounts served (stored when first asked) and of the tracked terms; NotCounted when the
        database cannot say."""
        try:
            with self.session(read_only=True) as s:
                names = set(accounts.campaigns(s))
        except SQLAlchemyError as err:
            raise NotCounted(plain_reason(err)) from err
        names |= {a.campaign for a in self.sources.all_accounts if a.campaign}
        names |= {t.campaign for t in self.sources.terms}
        return sorted(n for n in names if n)

    def forget_old_deliveries(self) -> int:
        """The chat retries for minutes and refuses a signed request older than 5 minutes; delivery keys and done clicks
        are kept two days, then dropped."""
        before = self.clock() - DELIVERY_MEMORY
        with self.session() as s:
            return deliveries.forget_older_than(s, before=before) + clicks.forget_done_before(s, before=before)

    def cycle(self, proceed: Callable[[], bool] = lambda: True, *, mirror_for: float | None = None) -> dict:
        """One ingest + mirror cycle, the clicks an interrupted process left unfinished, the threads read back for
        messages the chat never delivered, then the replies that are due or unsettled. A step that fails (a network or
        the chat down, a limit) does not stop the others; what it left undone is found by the next cycle.
        `proceed()` turning False (the worker lost its lease) ends the cycle before the next step or message.
        `mirror_for` (seconds) bounds the posting of a backlog: report["waiting"] says what it left."""

        def mirror() -> int:
            until = monotonic() + mirror_for if mirror_for is not None else None
            mirrored = self.mirror.run_once(proceed=proceed, until=until)
            report["waiting"] = self.mirror.waiting
            return mirrored

        report: dict = {"errors": []}
        steps = (
            ("ingested", self.ingest.poll),
            ("mirrored", mirror),
            ("clicks finished", self.clicks.finish_unfinished),
            ("read back", self.readback.run_once),
            ("settled", self.replies.settle_unfinished),
            ("sent", self.replies.send_due),
        )
        for name, step in steps:
            if not proceed():
                break
            try:
                report[name] = step()
            except (NetworkError, ChatError) as err:
                report[name] = getattr(err, "done", 0)  # a step may fail for one source and succeed for others
                report["errors"].append(f"{name}: {err.message}")
                log.warning("%s step failed: %s", name, err.message)
        return report
