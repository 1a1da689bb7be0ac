"""Which settings each command reads, what each means and how to get a value: the one table that `--help`, the
start-up check (`Settings.require_for`), the doctor and the sandbox take them from, so none of them can say
otherwise than another."""

import textwrap
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    meaning: str
    default: str | None = None
    fix: str | None = None  # how to get a value, said when a required one is missing


@dataclass(frozen=True)
class Need:
    words: str  # how --help says it
    applies: Callable  # (Settings) -> True when the setting must have a value


REQUIRED = Need("Required", lambda s: True)
SLACK_OR_TEAMS = Need("Required unless TEAMS_APP_ID is set (Teams only)", lambda s: not s.teams_app_id)
HTTP_MODE = Need(
    "Required unless SLACK_APP_TOKEN is set (Socket Mode)",
    lambda s: not s.slack_app_token and (bool(s.slack_bot_token) or not s.teams_app_id),
)
ONE_X_ACCOUNT = Need(
    "Required without ACCOUNTS_FILE, unless the brand is on Bluesky alone (BLUESKY_HANDLE set, no X_* credential)",
    lambda s: s.sources is None and not s.bluesky_only(),
)
ONE_INBOX = Need(
    "Required without ACCOUNTS_FILE, unless TEAMS_INBOX_CHANNEL is set (Teams only)",
    lambda s: s.sources is None and not s.teams_inbox_channel,
)
WITH_TEAMS = Need("Needed with TEAMS_APP_ID", lambda s: bool(s.teams_app_id))
WITH_BLUESKY = Need("Needed with BLUESKY_HANDLE", lambda s: bool(s.bluesky_handle))
TEAMS_INBOX = Need(
    "Needed with TEAMS_APP_ID, unless SLACK_INBOX_CHANNEL or ACCOUNTS_FILE names the inbox",
    lambda s: bool(s.teams_app_id) and s.sources is None and not s.slack_inbox_channel,
)
DIGEST_TARGET = Need(
    "Required unless SLACK_INBOX_CHANNEL or ACCOUNTS_FILE names a channel", lambda s: not s.digest_channel
)
OPTIONAL = Need("Optional", lambda s: False)
REPLIES_WAIT = Need(
    "Optional here: without them this process sends no reply, the replies wait in their queue for the worker",
    lambda s: False,
)

_SETTINGS = [
    Setting(
        "SLACK_BOT_TOKEN",
        "the bot token (xoxb-…)",
        fix="install the app to the workspace and copy the Bot User OAuth Token (xoxb-…) from its OAuth & Permissions "
        "page",
    ),
    Setting(
        "SLACK_SIGNING_SECRET",
        "verifies that requests come from Slack (HTTP mode)",
        fix="copy it from the app's Basic Information → App Credentials → Signing Secret",
    ),
    Setting(
        "SLACK_APP_TOKEN",
        "xapp-…: when set, the bot connects in Socket Mode instead of serving HTTP",
        fix="Basic Information → App-Level Tokens: create one with connections:write",
    ),
    Setting(
        "SLACK_INBOX_CHANNEL",
        "channel ID where cases appear",
        fix="set it to the channel's ID (channel details → About → at the bottom, C0…) and invite the bot there",
    ),
    Setting(
        "SLACK_DIGEST_CHANNEL",
        "channel ID for the daily digests",
        "the inbox channel",
        fix="set it, or SLACK_INBOX_CHANNEL, to the ID of the channel the digests go to",
    ),
    Setting("SLACK_API_URL", "Slack's Web API, or a proxy or stand-in", "https://slack.com/api/"),
    Setting(
        "X_API_KEY",
        "the X app's consumer key",
        fix="the app's API Key (developer portal → your app → Keys and tokens → Consumer Keys)",
    ),
    Setting(
        "X_API_SECRET",
        "the X app's consumer secret",
        fix="the API Key Secret, beside the API Key",
    ),
    Setting(
        "X_ACCESS_TOKEN",
        "the brand account's user-context access token",
        fix="signed in as the brand, generate the Access Token and Secret (Keys and tokens → Authentication Tokens) "
        "after the app's permissions are set to Read and write",
    ),
    Setting(
        "X_ACCESS_TOKEN_SECRET",
        "the brand account's access token secret",
        fix="generated with X_ACCESS_TOKEN",
    ),
    Setting(
        "TEAMS_APP_ID",
        "the bot's Microsoft App ID (a GUID): when set, the bridge serves Teams at POST /api/messages",
        fix="the Application (client) ID of the bot's Entra app registration (Azure portal → App registrations, or "
        "the Teams Developer Portal → Tools → Bot management)",
    ),
    Setting(
        "TEAMS_APP_PASSWORD",
        "the client secret of that app registration",
        fix="App registrations → your app → Certificates & secrets → New client secret: copy its Value (not its ID)",
    ),
    Setting(
        "TEAMS_TENANT_ID",
        "the Entra tenant (a GUID) the bot is registered and used in (single tenant)",
        fix="Entra ID → Overview → Tenant ID",
    ),
    Setting(
        "TEAMS_INBOX_CHANNEL",
        "Teams channel id (19:…@thread.tacv2) where cases appear",
        fix="in Teams, the channel's … menu → Get link to channel: the part after /channel/, URL-decoded; add the app "
        "to the team first",
    ),
    Setting("TEAMS_DIGEST_CHANNEL", "Teams channel id for the daily digests", "the Teams inbox channel"),
    Setting(
        "TEAMS_SERVICE_URL",
        "the Bot Connector's service URL, or a proxy or stand-in (the serviceUrl of an inbound activity wins)",
        "https://smba.trafficmanager.net/teams/",
    ),
    Setting(
        "TEAMS_AUTH_URL",
        "the OAuth authority the bot's tokens come from (https), or a stand-in",
        "https://login.microsoftonline.com",
    ),
    Setting(
        "TEAMS_OPENID_URL",
        "the Bot Connector's OpenID metadata, whose keys sign inbound requests, or a stand-in",
        "https://login.botframework.com/v1/.well-known/openidconfiguration",
    ),
    Setting(
        "TEAMS_GRAPH_URL",
        "Microsoft Graph, where channel messages are read back, or a stand-in",
        "https://graph.microsoft.com",
    ),
    Setting(
        "BLUESKY_HANDLE",
        "a Bluesky brand account's handle (e.g. acme.bsky.social): when set, its mentions are cases too",
        fix="the handle the brand signs in with on Bluesky",
    ),
    Setting(
        "BLUESKY_APP_PASSWORD",
        "an app password of that account, never the account's own password",
        fix="signed in as the brand on Bluesky: Settings → Privacy and security → App passwords → Add",
    ),
    Setting(
        "BLUESKY_PDS_URL", "the account's Bluesky server (PDS), a local network or a stand-in", "https://bsky.social"
    ),
    Setting(
        "BLUESKY_POINTS_PER_HOUR", "write points a Bluesky account may spend an hour (a reply 3, a delete 1)", "5000"
    ),
    Setting("BLUESKY_POINTS_PER_DAY", "write points a Bluesky account may spend a day", "35000"),
    Setting("ACCOUNTS_FILE", "a YAML file of brand accounts, tracked terms and DM channels"),
    Setting("X_BEARER_TOKEN", "app-only token, for the doctor's check"),
    Setting("X_API_URL", "X's API, or a proxy or stand-in", "https://api.twitter.com"),
    Setting("X_TIMEOUT_SECONDS", "how long one X request may take before it counts as failed", "30"),
    Setting("DATABASE_URL", "SQLite for one process; postgresql+psycopg://… for several", "sqlite:///social_inbox.db"),
    Setting("PORT", "HTTP port", "3000"),
    Setting("POLL_INTERVAL_SECONDS", "how often the worker polls X for mentions", "60"),
    Setting("POLL_OVERLAP_SECONDS", "how far a poll reaches back before the cursor", "30"),
    Setting("POLL_OVERLAP_EVERY", "which polls reach back: the first and every Nth", "10"),
    Setting("MIRROR_RATE_PER_CHANNEL", "Slack posts per second per channel", "1"),
    Setting(
        "OVERFLOW_CHANNELS",
        "channel IDs that take a share of a channel's new cases while its backlog is over a minute (the bot in each)",
        "",
    ),
    Setting(
        "BACKLOG_POLL_SECONDS",
        "while a backlog is shown, the networks are read again this often, so follow-ups go first",
        "5",
    ),
    Setting("REPLY_SETTLE_SECONDS", "after this long an interrupted reply is checked on X and sent if absent", "60"),
    Setting(
        "REOPEN_WITHIN_DAYS",
        "a customer's new conversation this soon after their case was resolved reopens it (0: never)",
        "3",
    ),
    Setting(
        "THREAD_READBACK_AFTER_SECONDS",
        "a thread message Slack has not delivered this long after it was typed is read back from the thread",
        "360",
    ),
    Setting("CAMPAIGN", "campaign name of the brand account in the metrics", "the brand's handle"),
    Setting("SLA_FIRST_RESPONSE_MINUTES", "first-response target", "60"),
    Setting("TIMEZONE", "the team's time zone (IANA name) for days and digests", "UTC"),
    Setting("DIGEST_TIME", "when the daily digests are posted, in TIMEZONE", "09:00"),
    Setting("BUSINESS_HOURS", "e.g. Mon-Fri 09:00-18:00: SLA clocks count business time only"),
    Setting("ALLOWED_AGENTS", "Slack user IDs allowed to claim and reply", "everyone"),
    Setting("AGENT_USERGROUP", "a Slack user group ID whose members may claim and reply"),
    Setting("ALERT_MENTION", "who a breach alert calls: @here, @channel, a user group or user ID"),
    Setting("ALERT_WARNING_PERCENT", "share of the first-response target at which a thread is warned", "80"),
    Setting("REPLY_DELAY_SECONDS", "an undo window before the owner's reply goes out", "0"),
    Setting("REASSIGN_BY_ANYONE", "true: any agent may hand a claimed case to another", "false"),
    Setting("LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR", "INFO"),
]
SETTINGS: dict[str, Setting] = {s.name: s for s in _SETTINGS}

X_USER_CREDENTIALS = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")

# Groups of settings that are read together; each command below reads some groups, with what it needs of each.
_SLACK = {"SLACK_BOT_TOKEN": SLACK_OR_TEAMS, "SLACK_API_URL": OPTIONAL}
_TEAMS = {
    "TEAMS_APP_ID": OPTIONAL,
    "TEAMS_APP_PASSWORD": WITH_TEAMS,
    "TEAMS_TENANT_ID": WITH_TEAMS,
    "TEAMS_INBOX_CHANNEL": TEAMS_INBOX,
    "TEAMS_SERVICE_URL": OPTIONAL,
    "TEAMS_AUTH_URL": OPTIONAL,
    "TEAMS_OPENID_URL": OPTIONAL,
    "TEAMS_GRAPH_URL": OPTIONAL,
}
_FRONT = {"SLACK_SIGNING_SECRET": HTTP_MODE, "SLACK_APP_TOKEN": OPTIONAL, "PORT": OPTIONAL}
_SOURCES = {"SLACK_INBOX_CHANNEL": ONE_INBOX, "ACCOUNTS_FILE": OPTIONAL, "CAMPAIGN": OPTIONAL}
_X = {
    **dict.fromkeys(X_USER_CREDENTIALS, ONE_X_ACCOUNT),
    "X_BEARER_TOKEN": OPTIONAL,
    "X_API_URL": OPTIONAL,
    "X_TIMEOUT_SECONDS": OPTIONAL,
}
_BLUESKY = {
    "BLUESKY_HANDLE": OPTIONAL,
    "BLUESKY_APP_PASSWORD": WITH_BLUESKY,
    "BLUESKY_PDS_URL": OPTIONAL,
    "BLUESKY_POINTS_PER_HOUR": OPTIONAL,
    "BLUESKY_POINTS_PER_DAY": OPTIONAL,
}
_DATABASE = {"DATABASE_URL": OPTIONAL}
_FIGURES = {"TIMEZONE": OPTIONAL, "SLA_FIRST_RESPONSE_MINUTES": OPTIONAL, "BUSINESS_HOURS": OPTIONAL}
_AGENTS = {
    "ALLOWED_AGENTS": OPTIONAL,
    "AGENT_USERGROUP": OPTIONAL,
    "REASSIGN_BY_ANYONE": OPTIONAL,
    "REPLY_DELAY_SECONDS": OPTIONAL,
}
_POLLING = {
    "POLL_INTERVAL_SECONDS": OPTIONAL,
    "POLL_OVERLAP_SECONDS": OPTIONAL,
    "POLL_OVERLAP_EVERY": OPTIONAL,
    "MIRROR_RATE_PER_CHANNEL": OPTIONAL,
    "BACKLOG_POLL_SECONDS": OPTIONAL,
    "OVERFLOW_CHANNELS": OPTIONAL,
    "REPLY_SETTLE_SECONDS": OPTIONAL,
    "REOPEN_WITHIN_DAYS": OPTIONAL,
    "THREAD_READBACK_AFTER_SECONDS": OPTIONAL,
}
_CLOCK = {
    "SLACK_DIGEST_CHANNEL": OPTIONAL,
    "TEAMS_DIGEST_CHANNEL": OPTIONAL,
    "DIGEST_TIME": OPTIONAL,
    "ALERT_MENTION": OPTIONAL,
    "ALERT_WARNING_PERCENT": OPTIONAL,
}
_LOG = {"LOG_LEVEL": OPTIONAL}

COMMAND_SETTINGS: dict[str, dict[str, Need]] = {
    "run": {
        **_SLACK,
        **_TEAMS,
        **_FRONT,
        **_SOURCES,
        **_X,
        **_BLUESKY,
        **_DATABASE,
        **_FIGURES,
        **_AGENTS,
        **_POLLING,
        **_CLOCK,
        **_LOG,
    },
    "web": {
        **_SLACK,
        **_TEAMS,
        "TEAMS_INBOX_CHANNEL": OPTIONAL,
        **_FRONT,
        **_SOURCES,
        "SLACK_INBOX_CHANNEL": OPTIONAL,
        **_X,
        **_BLUESKY,
        **dict.fromkeys(X_USER_CREDENTIALS, REPLIES_WAIT),
        **_DATABASE,
        **_FIGURES,
        **_AGENTS,
        **_LOG,
    },
    "worker": {
        **_SLACK,
        **_TEAMS,
        **_SOURCES,
        **_X,
        **_BLUESKY,
        **_DATABASE,
        **_FIGURES,
        **_AGENTS,
        **_POLLING,
        **_CLOCK,
        **_LOG,
    },
    "poll-once": {**_SLACK, **_TEAMS, **_SOURCES, **_X, **_BLUESKY, **_DATABASE, **_POLLING, **_LOG},
    "digest": {
        **_SLACK,
        **_TEAMS,
        "TEAMS_INBOX_CHANNEL": OPTIONAL,
        "TEAMS_DIGEST_CHANNEL": OPTIONAL,
        "SLACK_DIGEST_CHANNEL": DIGEST_TARGET,
        "SLACK_INBOX_CHANNEL": OPTIONAL,
        "ACCOUNTS_FILE": OPTIONAL,
        "CAMPAIGN": OPTIONAL,
        **_DATABASE,
        **_FIGURES,
        **_LOG,
    },
    "migrate": {**_DATABASE, **_LOG},
    "doctor": {
        **_SLACK,
        **_TEAMS,
        "SLACK_SIGNING_SECRET": HTTP_MODE,
        "SLACK_APP_TOKEN": OPTIONAL,
        **_SOURCES,
        "SLACK_DIGEST_CHANNEL": OPTIONAL,
        "TEAMS_DIGEST_CHANNEL": OPTIONAL,
        **_X,
        **_BLUESKY,
        **_DATABASE,
    },
    "teams-app": {"TEAMS_APP_ID": REQUIRED},
    # The sandbox sets its own credentials and addresses; a person may still choose these.
    "sandbox": {
        "TIMEZONE": OPTIONAL,
        "DIGEST_TIME": OPTIONAL,
        "BUSINESS_HOURS": OPTIONAL,
        "SLA_FIRST_RESPONSE_MINUTES": OPTIONAL,
        "REPLY_DELAY_SECONDS": OPTIONAL,
        "CAMPAIGN": OPTIONAL,
        **_LOG,
    },
}


def missing_for(command: str, settings) -> list[Setting]:
    """The settings `command` needs with these settings and that have no value, in the table's order."""
    needs = COMMAND_SETTINGS.get(command, {})
    return [
        SETTINGS[name]
        for name in SETTINGS
        if name in needs and needs[name].applies(settings) and not getattr(settings, name.lower())
    ]


def reads(command: str) -> list[str]:
    return [name for name in SETTINGS if name in COMMAND_SETTINGS[command]]


def help_epilog(command: str, width: int = 100) -> str:
    """The settings a command reads, for its --help: what each is, whether it is needed, its default."""
    needs = COMMAND_SETTINGS[command]
    column = max(len(name) for name in needs) + 4
    lines = ["settings it reads (from the environment, or a .env file in the working directory):"]
    for name in reads(command):
        setting, need = SETTINGS[name], needs[name]
        default = f"; default {setting.default}" if setting.default else ""
        text = f"{setting.meaning}. {need.words}{default}."
        lines += textwrap.wrap(text, width, initial_indent=f"  {name:<{column - 2}}", subsequent_indent=" " * column)
    return "\n".join(lines)


def describe(text: str, width: int = 100) -> str:
    """A command's description, wrapped as --help shows it."""
    return textwrap.fill(text, width)
