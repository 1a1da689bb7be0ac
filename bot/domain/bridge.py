"""The bridge: the domain's services wired to one database, one chat and one network."""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy.engine import Engine

from bot.domain.clock import utcnow
from bot.domain.errors import ChatError, NetworkError
from bot.domain.ports import Chat, Network
from bot.domain.types import BrandAccount
from storage import accounts, deliveries
from storage.engine import session_scope

log = logging.getLogger(__name__)

DELIVERY_MEMORY = timedelta(hours=48)


@dataclass(frozen=True)
class BridgeConfig:
    inbox_channel: str | None
    campaign: str | None = None
    overlap_seconds: float = 30.0
    settle_seconds: float = 60.0
    allowed_agents: frozenset[str] = field(default_factory=frozenset)
    agent_usergroup: str | None = None
    timezone: str = "UTC"
    digest_channel: str | None = None  # where the digests go; the inbox channel when unset
    sla_minutes: float = 60.0
    business_hours: str | None = None  # a BUSINESS_HOURS spec: SLA clocks count business time only
    digest_time: time = time(9, 0)  # local time (timezone) after which the day's digests are due


class Bridge:
    def __init__(
        self,
        engine: Engine,
        chat: Chat,
        network: Network,
        config: BridgeConfig,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.engine = engine
        self.chat = chat
        self.network = network
        self.config = config
        self.clock = clock
        self._account: BrandAccount | None = None
        self._account_lock = threading.Lock()

        from bot.domain.agents import Agents
        from bot.domain.casework import Casework
        from bot.domain.digests import Digests
        from bot.domain.ingest import Ingest
        from bot.domain.metrics import Metrics
        from bot.domain.mirror import Mirror
        from bot.domain.replies import Replies
        from bot.domain.stats import Stats

        self.agents = Agents(self)
        self.ingest = Ingest(self)
        self.mirror = Mirror(self)
        self.cases = Casework(self)
        self.replies = Replies(self)
        self.stats = Stats(self)
        self.metrics = Metrics(self)
        self.digests = Digests(self)

    def session(self):
        return session_scope(self.engine)

    def account(self) -> BrandAccount:
        """The brand account we serve, asked of the network once per process and stored."""
        with self._account_lock:
            if self._account is None:
                me = self.network.me()
                with self.session() as s:
                    accounts.ensure_account(
                        s,
                        network=me.network,
                        account_id=me.account_id,
                        handle=me.handle,
                        campaign=self.config.campaign or me.handle,
                    )
                self._account = me
            return self._account

    def campaign(self) -> str:
        return self.config.campaign or self.account().handle

    def forget_old_deliveries(self) -> int:
        """Slack retries for minutes; delivery keys are kept two days, then dropped."""
        with self.session() as s:
            return deliveries.forget_older_than(s, before=self.clock() - DELIVERY_MEMORY)

    def cycle(self, proceed: Callable[[], bool] = lambda: True) -> dict:
        """One ingest + mirror cycle, then the replies that are due or unsettled. A step that fails (X or
        Slack down, a limit) does not stop the others; what it left undone is found by the next cycle.
        `proceed()` turning False (the worker lost its lease) ends the cycle before the next step or message."""
        report: dict = {"errors": []}
        steps = (
            ("ingested", self.ingest.poll),
            ("mirrored", lambda: self.mirror.run_once(proceed=proceed)),
            ("settled", self.replies.settle_unfinished),
            ("sent", self.replies.send_due),
        )
        for name, step in steps:
            if not proceed():
                break
            try:
                report[name] = step()
            except (NetworkError, ChatError) as err:
                report[name] = 0
                report["errors"].append(f"{name}: {err.message}")
                log.warning("%s step failed: %s", name, err.message)
        return report
