"""Settings: one object, read once from the environment (and a `.env` file) at start."""

import os
import re
from dataclasses import dataclass, field
from datetime import time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.command_settings import X_USER_CREDENTIALS, missing_for

if TYPE_CHECKING:
    from bot.sources_file import SourcesFile

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_X_API_URL = "https://api.twitter.com"
DEFAULT_BLUESKY_PDS_URL = "https://bsky.social"
DEFAULT_DATABASE_URL = "sqlite:///social_inbox.db"
DEFAULT_TEAMS_SERVICE_URL = "https://smba.trafficmanager.net/teams/"
DEFAULT_TEAMS_AUTH_URL = "https://login.microsoftonline.com"
DEFAULT_TEAMS_OPENID_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
DEFAULT_TEAMS_GRAPH_URL = "https://graph.microsoft.com"
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
TEAMS_CHANNEL = re.compile(r"19:[^;\s]+@thread\.(tacv2|skype)")

SECRET_NAMES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "X_BEARER_TOKEN",
    "X_API_KEY",
    "X_API_SECRET",
    "X_ACCESS_TOKEN",
    "X_ACCESS_TOKEN_SECRET",
    "TEAMS_APP_PASSWORD",
    "BLUESKY_APP_PASSWORD",
)


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_inbox_channel: str | None = None
    slack_digest_channel: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    x_bearer_token: str | None = None
    x_api_key: str | None = None
    x_api_secret: str | None = None
    x_access_token: str | None = None
    x_access_token_secret: str | None = None
    x_api_url: str = DEFAULT_X_API_URL
    bluesky_handle: str | None = None
    bluesky_app_password: str | None = None
    bluesky_pds_url: str = DEFAULT_BLUESKY_PDS_URL
    bluesky_points_per_hour: int = 5000
    bluesky_points_per_day: int = 35000
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 3000
    poll_interval_seconds: float = 60.0
    poll_overlap_seconds: float = 30.0
    poll_overlap_every: int = 10
    mirror_rate_per_channel: float = 1.0
    # X allows 180 mention reads per 15 minutes per account: one every 5 s
    backlog_poll_seconds: float = 5.0
    reply_settle_seconds: float = 60.0
    x_timeout_seconds: float = 30.0
    campaign: str | None = None
    sla_first_response_minutes: float = 60.0
    timezone: str = "UTC"
    digest_time: time = time(9, 0)
    business_hours: str | None = None
    allowed_agents: frozenset[str] = field(default_factory=frozenset)
    # channels that take a share of a channel's new cards while its backlog is longer than the chat's pace allows
    overflow_channels: tuple[str, ...] = ()
    agent_usergroup: str | None = None
    log_level: str = "INFO"
    accounts_file: str | None = None
    sources: "SourcesFile | None" = None  # ACCOUNTS_FILE, read: the accounts and terms it lists, and its problems
    alert_mention: str | None = None
    alert_warning_percent: float = 80.0
    reply_delay_seconds: float = 0.0
    reassign_by_anyone: bool = False
    thread_readback_after_seconds: float = 360.0
    reopen_within_days: float = 3.0
    teams_app_id: str | None = None
    teams_app_password: str | None = None
    teams_tenant_id: str | None = None
    teams_inbox_channel: str | None = None
    teams_digest_channel: str | None = None
    teams_service_url: str = DEFAULT_TEAMS_SERVICE_URL
    teams_auth_url: str = DEFAULT_TEAMS_AUTH_URL
    teams_openid_url: str = DEFAULT_TEAMS_OPENID_URL
    teams_graph_url: str = DEFAULT_TEAMS_GRAPH_URL

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def secrets(self) -> list[str]:
        """Every secret value set, for the log filter."""
        named = [v for v in (getattr(self, n.lower()) for n in SECRET_NAMES) if v]
        return named + (self.sources.secrets() if self.sources else [])

    def has_slack(self) -> bool:
        return bool(self.slack_bot_token)

    def has_teams(self) -> bool:
        return bool(self.teams_app_id)

    def has_x(self) -> bool:
        return any(getattr(self, n.lower()) for n in X_USER_CREDENTIALS)

    def require_for(self, command: str) -> None:
        """Stop at start, naming each setting the command needs and lacks, with how to get it."""
        missing = missing_for(command, self)
        if missing:
            names = ", ".join(m.name for m in missing)
            raise ConfigError(
                f"{names} {'is' if len(missing) == 1 else 'are'} not set"
                + "".join(f"\n  {m.name}: {m.fix}" for m in missing if m.fix)
            )

    def bluesky_only(self) -> bool:
        """The single-account form on Bluesky alone: BLUESKY_HANDLE set, and no X credential at all."""
        return self.sources is None and bool(self.bluesky_handle) and not self.has_x()

    def missing_x_credentials(self) -> list[str]:
        """The brand's X settings that are not set (none are needed with ACCOUNTS_FILE, which names its own, nor for
        a brand on Bluesky alone)."""
        if self.sources is not None or self.bluesky_only():
            return []
        return [n for n in X_USER_CREDENTIALS if not getattr(self, n.lower())]

    @property
    def digest_channel(self) -> str | None:
        first_account = self.sources.accounts[0].channel if self.sources else None
        if not self.has_slack():
            return self.teams_digest_channel or self.teams_inbox_channel or first_account
        return self.slack_digest_channel or self.slack_inbox_channel or first_account

    def overflow_channels_of(self, chat: str) -> list[str]:
        """The OVERFLOW_CHANNELS of one chat ("slack" or "teams"), told apart by the form of their IDs."""
        return [c for c in self.overflow_channels if bool(TEAMS_CHANNEL.fullmatch(c)) == (chat == "teams")]

    @property
    def inbox_channel(self) -> str | None:
        """Where new cases go without ACCOUNTS_FILE: Slack's inbox, else Teams'."""
        return self.slack_inbox_channel or self.teams_inbox_channel


def _text(env, name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _number(env, name: str, default: float, *, minimum: float = 0.0, integer: bool = False):
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a {'whole ' if integer else ''}number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}, not {raw!r}")
    return value


def _flag(env, name: str) -> bool:
    raw = (_text(env, name) or "false").lower()
    if raw not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError(f"{name} must be true or false, not {raw!r}")
    return raw in ("true", "1", "yes")


def _url(env, name: str, default: str) -> str:
    raw = _text(env, name) or default
    if not raw.startswith(("http://", "https://")):
        # Not echoed: what is pasted into the wrong setting is often a token.
        raise ConfigError(f"{name} must be an http(s) URL (leave it unset for {default})")
    return raw


def _database_url(env) -> str:
    from storage import urls

    raw = _text(env, "DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        return urls.normalize(raw)
    except urls.UnusableURL as err:
        raise ConfigError(f"DATABASE_URL {err} ({urls.hide_password(raw)}). It takes {urls.ACCEPTED}.") from None


def _clock(env, name: str, default: time) -> time:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        hours, minutes = raw.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ConfigError(f"{name} must be HH:MM (24-hour clock), not {raw!r}") from None


def _overflow(env, inboxes: dict[str, str | None]) -> tuple[str, ...]:
    """OVERFLOW_CHANNELS, each once; an inbox (setting name -> channel) among them would take a share of its own
    backlog: refused."""
    channels = tuple(dict.fromkeys((_text(env, "OVERFLOW_CHANNELS") or "").replace(",", " ").split()))
    for name, inbox in inboxes.items():
        if inbox in channels:
            raise ConfigError(
                f"OVERFLOW_CHANNELS names {name} ({inbox}) itself: list other channels, which take a share of its new "
                "cases while it is behind"
            )
    return channels


def _teams(env) -> dict:
    """The TEAMS_* settings, checked: ids in the shapes Entra and Teams give them, the sign-in authority https."""
    values = {}
    for name in ("TEAMS_APP_ID", "TEAMS_TENANT_ID"):
        value = _text(env, name)
        if value and not GUID.fullmatch(value):
            raise ConfigError(
                f"{name} must be a GUID (8-4-4-4-12 hex digits), as the Azure portal shows it "
                f"({'the app registration' if name == 'TEAMS_APP_ID' else 'Entra ID → Overview'}: "
                f"{'Application (client) ID' if name == 'TEAMS_APP_ID' else 'Tenant ID'})"
            )
        values[name.lower()] = value
    for name in ("TEAMS_INBOX_CHANNEL", "TEAMS_DIGEST_CHANNEL"):
        value = _text(env, name)
        if value and not TEAMS_CHANNEL.fullmatch(value):
            raise ConfigError(
                f"{name} must be a Teams channel id (19:…@thread.tacv2): in Teams, the channel's … menu → Get link "
                "to channel, then the part after /channel/, URL-decoded"
            )
        values[name.lower()] = value
    values["teams_app_password"] = _text(env, "TEAMS_APP_PASSWORD")
    service = _url(env, "TEAMS_SERVICE_URL", DEFAULT_TEAMS_SERVICE_URL)
    values["teams_service_url"] = service if service.endswith("/") else service + "/"
    auth = _url(env, "TEAMS_AUTH_URL", DEFAULT_TEAMS_AUTH_URL)
    if not auth.startswith("https://"):
        raise ConfigError("TEAMS_AUTH_URL must be an https URL: MSAL signs in only over TLS")
    values["teams_auth_url"] = auth.rstrip("/")
    values["teams_openid_url"] = _url(env, "TEAMS_OPENID_URL", DEFAULT_TEAMS_OPENID_URL)
    values["teams_graph_url"] = _url(env, "TEAMS_GRAPH_URL", DEFAULT_TEAMS_GRAPH_URL).rstrip("/")
    return values


def from_env(env=None) -> Settings:
    """Read and check every setting; raise ConfigError naming the first wrong one."""
    env = os.environ if env is None else env
    timezone = _text(env, "TIMEZONE") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE {timezone!r} is not a known IANA time zone (e.g. Europe/Madrid)") from None
    app_token = _text(env, "SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp- (Socket Mode)")
    database_url = _database_url(env)
    business_hours = _text(env, "BUSINESS_HOURS")
    if business_hours:
        from bot.domain.business_hours import parse_business_hours

        try:
            parse_business_hours(business_hours)
        except ValueError as err:
            raise ConfigError(f"BUSINESS_HOURS: {err}") from None
    slack_api_url = _url(env, "SLACK_API_URL", DEFAULT_SLACK_API_URL)
    x_timeout = _number(env, "X_TIMEOUT_SECONDS", 30.0, minimum=1)
    settle = _number(env, "REPLY_SETTLE_SECONDS", 60.0, minimum=1)
    if settle <= x_timeout:
        # A reply still in flight must never be taken for an interrupted one and sent again.
        raise ConfigError(f"REPLY_SETTLE_SECONDS ({settle:g}) must be longer than X_TIMEOUT_SECONDS ({x_timeout:g})")
    accounts_file = _text(env, "ACCOUNTS_FILE")
    sources = None
    if accounts_file:
        from bot.sources_file import SourcesFileError, load

        try:
            sources = load(accounts_file, env)
        except SourcesFileError as err:
            raise ConfigError(f"ACCOUNTS_FILE: {err}") from None
    teams = _teams(env)
    overflow = _overflow(
        env,
        {"SLACK_INBOX_CHANNEL": _text(env, "SLACK_INBOX_CHANNEL"), "TEAMS_INBOX_CHANNEL": teams["teams_inbox_channel"]},
    )
    return Settings(
        **teams,
        slack_bot_token=_text(env, "SLACK_BOT_TOKEN"),
        slack_signing_secret=_text(env, "SLACK_SIGNING_SECRET"),
        slack_app_token=app_token,
        slack_inbox_channel=_text(env, "SLACK_INBOX_CHANNEL"),
        slack_digest_channel=_text(env, "SLACK_DIGEST_CHANNEL"),
        slack_api_url=slack_api_url if slack_api_url.endswith("/") else slack_api_url + "/",
        x_bearer_token=_text(env, "X_BEARER_TOKEN"),
        x_api_key=_text(env, "X_API_KEY"),
        x_api_secret=_text(env, "X_API_SECRET"),
        x_access_token=_text(env, "X_ACCESS_TOKEN"),
        x_access_token_secret=_text(env, "X_ACCESS_TOKEN_SECRET"),
        x_api_url=_url(env, "X_API_URL", DEFAULT_X_API_URL).rstrip("/"),
        bluesky_handle=_text(env, "BLUESKY_HANDLE"),
        bluesky_app_password=_text(env, "BLUESKY_APP_PASSWORD"),
        bluesky_pds_url=_url(env, "BLUESKY_PDS_URL", DEFAULT_BLUESKY_PDS_URL).rstrip("/"),
        bluesky_points_per_hour=_number(env, "BLUESKY_POINTS_PER_HOUR", 5000, minimum=3, integer=True),
        bluesky_points_per_day=_number(env, "BLUESKY_POINTS_PER_DAY", 35000, minimum=3, integer=True),
        database_url=database_url,
        port=_number(env, "PORT", 3000, minimum=0, integer=True),
        poll_interval_seconds=_number(env, "POLL_INTERVAL_SECONDS", 60.0, minimum=0.1),
        poll_overlap_seconds=_number(env, "POLL_OVERLAP_SECONDS", 30.0),
        poll_overlap_every=_number(env, "POLL_OVERLAP_EVERY", 10, minimum=1, integer=True),
        mirror_rate_per_channel=_number(env, "MIRROR_RATE_PER_CHANNEL", 1.0, minimum=0.01),
        backlog_poll_seconds=_number(env, "BACKLOG_POLL_SECONDS", 5.0, minimum=0.1),
        reply_settle_seconds=settle,
        x_timeout_seconds=x_timeout,
        campaign=_text(env, "CAMPAIGN"),
        sla_first_response_minutes=_number(env, "SLA_FIRST_RESPONSE_MINUTES", 60.0, minimum=1),
        timezone=timezone,
        digest_time=_clock(env, "DIGEST_TIME", time(9, 0)),
        business_hours=business_hours,
        allowed_agents=frozenset(a for a in (_text(env, "ALLOWED_AGENTS") or "").replace(",", " ").split()),
        overflow_channels=overflow,
        agent_usergroup=_text(env, "AGENT_USERGROUP"),
        log_level=(_text(env, "LOG_LEVEL") or "INFO").upper(),
        accounts_file=accounts_file,
        sources=sources,
        alert_mention=_text(env, "ALERT_MENTION"),
        alert_warning_percent=_number(env, "ALERT_WARNING_PERCENT", 80.0, minimum=1),
        reply_delay_seconds=_number(env, "REPLY_DELAY_SECONDS", 0.0),
        reassign_by_anyone=_flag(env, "REASSIGN_BY_ANYONE"),
        thread_readback_after_seconds=_number(env, "THREAD_READBACK_AFTER_SECONDS", 360.0),
        reopen_within_days=_number(env, "REOPEN_WITHIN_DAYS", 3.0),
    )
