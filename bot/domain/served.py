"""The accounts served: each asked of its network once per process and stored; which account and network a case is
on, and why this process cannot act for it."""

from collections.abc import Callable, Mapping

from bot.domain.errors import NetworkError
from bot.domain.ports import Network
from bot.domain.sources import NO_ACCOUNT, AccountSource, Sources, fatal
from bot.domain.types import BrandAccount
from storage import accounts


class Served:
    def __init__(
        self,
        *,
        session: Callable,
        sources: Sources,
        networks: Mapping[str, Network],
        network_unavailable: str | None = None,
    ):
        """`networks`: by network name, for what is the same for every account of a network (links, text rules, its
        name); `network_unavailable`: why this process cannot reach the networks (None when it can)."""
        self.session, self.sources, self.networks = session, sources, networks
        self.network_unavailable = network_unavailable

    def accounts(self) -> tuple[list[AccountSource], dict[str, NetworkError]]:
        """The brand accounts we serve, each asked of its network once per process and stored; and the entries
        that could not be asked this time, with why."""
        failures = self.sources.resolve(self._store_account)
        return self.sources.ready_accounts(), failures

    def _store_account(self, source: AccountSource) -> None:
        me, campaign = source.account, source.campaign_name()
        # Read first: a start with the account stored as it is takes no write lock, so it is not held up (30 s,
        # then a failure) by another process holding one.
        with self.session(read_only=True) as s:
            known = accounts.get_account(s, network=me.network, account_id=me.account_id)
            if known is not None and (known.handle, known.campaign) == (me.handle, campaign):
                return
        with self.session() as s:
            accounts.ensure_account(
                s, network=me.network, account_id=me.account_id, handle=me.handle, campaign=campaign
            )

    def account(self) -> BrandAccount:
        """The first brand account we serve (the only one without ACCOUNTS_FILE)."""
        ready, failures = self.accounts()
        if not ready:
            raise fatal(failures) or NetworkError("no brand account can be served: see the configuration problems")
        return ready[0].account

    def source_for(self, case) -> AccountSource | None:
        """The account a case belongs to (None for a tracked term, or an account not served now)."""
        self.accounts()
        return self.sources.for_account(case.account_id) if case.account_id != NO_ACCOUNT else None

    def network_of(self, case) -> Network:
        """The network a case is on, for what is the same for all its accounts (links, text rules, its name); what
        an account does (reply, delete, settle, read) goes through its own adapter (source_for(case).network)."""
        return self.network_named(case.network)

    def network_named(self, name: str) -> Network:
        try:
            return self.networks[name]
        except KeyError:
            raise NetworkError(f'the network "{name}" is not configured in this bridge') from None

    def handle_for(self, case) -> str:
        source = self.source_for(case)
        if source is not None:
            return source.account.handle
        if case.account_id == NO_ACCOUNT:
            return ""
        with self.session() as s:
            row = accounts.get_account(s, network=case.network, account_id=case.account_id)
        return row.handle if row else ""

    def not_served(self, case) -> str:
        """Why this process cannot act on the network for a case's account, in words for the agents."""
        if self.network_unavailable:
            return f"{self.network_unavailable}."
        return f"@{self.handle_for(case)} is not served now (see the start-up log)."
