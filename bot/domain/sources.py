"""Where cases come from, and where they go: the brand accounts (their mentions and, optionally, their direct
messages) and the tracked terms, each routed to its channel under its campaign.

Every account has its own network adapter (its own credentials): replies go out from the account the customer
wrote to. A source whose configuration is wrong is left out, with a problem that names it; the others go on."""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.errors import BadCredentials, NetworkError
from bot.domain.ports import Network
from bot.domain.types import BrandAccount

log = logging.getLogger(__name__)

MENTION, TERM, DM = "mention", "term", "dm"
NO_ACCOUNT = ""  # the account_id of term cases: they belong to no brand account, none may answer them

READ_ONLY_REASON = (
    "This post does not mention any of our accounts, and {network} lets an account reply only to posts that "
    "mention it, so it cannot be answered from {chat}."
)


DM_SUFFIX = "-dm"


def dm_network(network: str) -> str:
    """The Message.network of direct messages: their event ids are keyed apart from post ids."""
    return f"{network}{DM_SUFFIX}"


def network_of_message(message_network: str) -> str:
    """The network a message came by (the inverse of dm_network)."""
    return message_network.removesuffix(DM_SUFFIX)


@dataclass(eq=False)
class AccountSource:
    name: str  # the entry's name in ACCOUNTS_FILE, or "default" for the account of the network's own settings
    network: Network  # the account's own adapter (its credentials); network.name says which network it is on
    channel: str | None
    campaign: str | None = None  # None: the account's handle
    dm_channel: str | None = None  # where its direct messages become private cases; None: not read
    account: BrandAccount | None = None  # who the network says it is (me()), once asked
    problem: str | None = None  # why it is left out

    @property
    def ready(self) -> bool:
        return self.account is not None and self.problem is None

    @property
    def label(self) -> str:
        return f"@{self.account.handle}" if self.account else f'account "{self.name}"'

    def campaign_name(self) -> str:
        return self.campaign or self.account.handle


@dataclass(eq=False)
class TermSource:
    term: str  # a search query: a hashtag, a keyword, a phrase
    channel: str
    campaign: str
    account: str | None = None  # the account whose credentials search; None: the first one
    problem: str | None = None

    @property
    def label(self) -> str:
        return f'term "{self.term}"'


class Sources:
    def __init__(self, accounts: list[AccountSource], terms: list[TermSource] = (), problems=()):
        self.all_accounts = list(accounts)
        self.terms = list(terms)
        self.problems: list[str] = []
        self._lock = threading.Lock()
        for problem in problems:
            self.report(problem)

    def report(self, problem: str) -> None:
        self.problems.append(problem)
        log.error("configuration: %s", problem)

    def disable(self, source: AccountSource | TermSource, problem: str) -> None:
        """Leave a source out, saying why; the others keep working."""
        if source.problem is None:
            source.problem = problem
            self.report(problem)

    def resolve(self, store: Callable[[AccountSource], None]) -> dict[str, NetworkError]:
        """Ask each account not yet known who it is (once per process), then `store` it; returns the failures by
        entry name. A failure is tried again next time: only the start-up checks leave an account out for it."""
        failures: dict[str, NetworkError] = {}
        with self._lock:
            for source in self.all_accounts:
                if source.account is not None or source.problem is not None:
                    continue
                try:
                    me = source.network.me()
                except NetworkError as err:
                    failures[source.name] = err
                    continue
                twin = next((a for a in self.ready_accounts() if _same(a.account, me)), None)
                if twin is not None:
                    self.disable(
                        source,
                        f'account "{source.name}" is @{me.handle}, already served as account "{twin.name}" '
                        "(a duplicate account); it is skipped",
                    )
                    continue
                source.account = me
                try:
                    store(source)
                except Exception:
                    source.account = None  # known only once stored: its cursor lives in the database
                    raise
        return failures

    def ready_accounts(self) -> list[AccountSource]:
        return [a for a in self.all_accounts if a.ready]

    def for_account(self, account_id: str) -> AccountSource | None:
        return next((a for a in self.ready_accounts() if a.account.account_id == account_id), None)

    def live_terms(self) -> list[TermSource]:
        return [t for t in self.terms if t.problem is None]

    def networks(self) -> dict[str, Network]:
        """One adapter per network the accounts are on (the first account's), by network name: for what is the
        same for every account of a network (its links, its text rules, its name)."""
        found: dict[str, Network] = {}
        for a in self.all_accounts:
            found.setdefault(a.network.name, a.network)
        return found

    def searcher(self, term: TermSource) -> AccountSource | None:
        """The account whose network runs a term's search."""
        ready = self.ready_accounts()
        if term.account:
            return next((a for a in ready if a.name == term.account), None)
        return ready[0] if ready else None

    def served_handles(self) -> frozenset[str]:
        return frozenset(a.account.handle.lower() for a in self.ready_accounts())

    def routes(self) -> list[tuple[str, str, AccountSource | TermSource]]:
        """(what, channel, source) for every channel a live source posts to: for the start-up check."""
        found = []
        for a in self.all_accounts:
            if a.problem is None:
                found += [(f'account "{a.name}"', a.channel, a)] if a.channel else []
                found += [(f'account "{a.name}" (dm_channel)', a.dm_channel, a)] if a.dm_channel else []
        found += [(t.label, t.channel, t) for t in self.live_terms()]
        return found


def _same(a: BrandAccount, b: BrandAccount) -> bool:
    return (a.network, a.account_id) == (b.network, b.account_id)


def fatal(failures: dict[str, NetworkError]) -> NetworkError | None:
    """The failure to stop the start with when no account can be served: bad credentials first."""
    errors = list(failures.values())
    return next((e for e in errors if isinstance(e, BadCredentials)), errors[0] if errors else None)
