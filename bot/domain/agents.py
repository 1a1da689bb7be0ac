"""Who may act on cases: everyone, or the users in ALLOWED_AGENTS / the AGENT_USERGROUP."""

import logging
import threading
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

GROUP_TTL_SECONDS = 300


@dataclass(frozen=True)
class AgentsConfig:
    allowed_agents: frozenset[str] = field(default_factory=frozenset)
    agent_usergroup: str | None = None  # the chat's group of people whose members are agents too


class Agents:
    def __init__(self, chat, config: AgentsConfig):
        self.chat = chat  # asked for the group's members
        self.config = config
        self._group: frozenset[str] = frozenset()
        self._group_read_at: float | None = None  # monotonic; None: never read (monotonic may start near 0)
        self._lock = threading.Lock()

    @property
    def restricted(self) -> bool:
        return bool(self.config.allowed_agents or self.config.agent_usergroup)

    def is_agent(self, user: str) -> bool:
        config = self.config
        if not self.restricted or user in config.allowed_agents:
            return True
        return bool(config.agent_usergroup) and user in self._group_members()

    def team(self) -> list[str] | None:
        """The team's agents when it is set (ALLOWED_AGENTS and the AGENT_USERGROUP's members); None: anyone."""
        if not self.restricted:
            return None
        config = self.config
        members = set(config.allowed_agents) | (self._group_members() if config.agent_usergroup else frozenset())
        return sorted(members)

    def refusal(self) -> str:
        return "Only the team's agents can work on cases, and you are not one of them. Nothing was changed."

    def _group_members(self) -> frozenset[str]:
        with self._lock:
            if self._group_read_at is None or time.monotonic() - self._group_read_at > GROUP_TTL_SECONDS:
                try:
                    self._group = frozenset(self.chat.group_members(self.config.agent_usergroup))
                    self._group_read_at = time.monotonic()
                except Exception as err:  # keep the last known members rather than lock everyone out
                    log.warning("could not read the agents' user group: %s", err)
            return self._group
