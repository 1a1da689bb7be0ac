"""Slack's part of `python -m bot doctor`: the token and its scopes, the channels, HTTP or Socket Mode."""

from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.chats.slack import manifest
from bot.chats.slack.chat import PLAIN_ERRORS
from bot.checks import FAIL, OK, SKIP, header
from bot.command_settings import SETTINGS
from bot.settings import Settings

REINSTALL = "reinstall the app to the workspace (api.slack.com/apps → your app → Install App) and copy the new token"


def _slack_error(err: Exception, settings: Settings) -> tuple[str, str]:
    """(detail, fix) for a failed Slack call."""
    if isinstance(err, SlackApiError):
        code = err.response.get("error", "error") if err.response is not None else "error"
        if code in ("invalid_auth", "token_revoked", "account_inactive", "not_authed"):
            return f"Slack refused the token ({code}): {PLAIN_ERRORS.get(code, code)}", REINSTALL
        return f"Slack answered {code}: {PLAIN_ERRORS.get(code, code)}", "see the Slack app's settings"
    return (
        f"Slack could not be reached at SLACK_API_URL={settings.slack_api_url} ({type(err).__name__})",
        "check the network, a proxy, or SLACK_API_URL (leave it unset for Slack itself)",
    )


class SlackChecks:
    def __init__(self, doctor, *, manifest_path: Path | None = None):
        """`doctor`: what the lines are added to (its add() and not_set())."""
        self.add = doctor.add
        self.not_set = doctor.not_set
        self.manifest_path = manifest_path

    def run(self, settings: Settings) -> None:
        self.slack(settings)

    def slack(self, settings: Settings) -> None:
        if not settings.slack_bot_token:
            self.not_set("Slack token", "SLACK_BOT_TOKEN")
            self.without_slack(settings, "not checked without a Slack token")
        else:
            client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=15)
            auth = self.slack_token(client, settings)
            if auth is None:
                self.without_slack(settings, "not checked without a valid Slack token")
            else:
                self.slack_scopes(auth.headers)
                self.channels(client, settings)
        self.slack_front(settings)

    def without_slack(self, settings: Settings, why: str) -> None:
        """What can be said of the Slack side without asking Slack: a channel setting that is not set."""
        self.add("Slack scopes", SKIP, why)
        if settings.sources is None and not settings.slack_inbox_channel:
            self.not_set("Inbox channel", "SLACK_INBOX_CHANNEL")
        else:
            self.add("Inbox channel", SKIP, why)
        self.add("Digest channel", SKIP, why)

    def slack_token(self, client: WebClient, settings: Settings):
        try:
            auth = client.auth_test()
        except (SlackApiError, SlackClientError, OSError) as err:
            self.add("Slack token", FAIL, *_slack_error(err, settings))
            return None
        self.add(
            "Slack token",
            OK,
            f"valid: bot @{auth.get('user')} ({auth.get('user_id')}) in {auth.get('team')} ({auth.get('team_id')})",
        )
        return auth

    def slack_scopes(self, headers) -> None:
        try:
            wanted = manifest.bot_scopes(manifest.load(self.manifest_path))
        except (OSError, ValueError) as err:
            self.add("Slack scopes", SKIP, f"manifest.yml could not be read ({err}): nothing to compare with")
            return
        granted_header = header(headers, "x-oauth-scopes")
        if granted_header is None:
            self.add("Slack scopes", SKIP, "Slack did not say which scopes the token has (no x-oauth-scopes header)")
            return
        granted = {s.strip() for s in granted_header.split(",") if s.strip()}
        missing = [s for s in wanted if s not in granted]
        if missing:
            self.add(
                "Slack scopes",
                FAIL,
                f"missing {', '.join(missing)} (manifest.yml asks for {len(wanted)})",
                "add them under OAuth & Permissions → Bot Token Scopes (or recreate the app from manifest.yml), "
                "then reinstall the app: the token keeps its value",
            )
        else:
            self.add("Slack scopes", OK, f"all {len(wanted)} that manifest.yml asks for are granted")

    def channels(self, client: WebClient, settings: Settings) -> None:
        for channel in settings.overflow_channels_of("slack"):
            self.channel(client, settings, "Overflow channel", "OVERFLOW_CHANNELS", channel)
        if settings.sources is not None:
            self.file_channels(client, settings)
            return
        inbox = settings.slack_inbox_channel
        if not inbox:
            self.not_set("Inbox channel", "SLACK_INBOX_CHANNEL")
        else:
            self.channel(client, settings, "Inbox channel", "SLACK_INBOX_CHANNEL", inbox)
        digest = settings.slack_digest_channel
        if not digest or digest == inbox:
            where = f"the inbox channel {inbox}" if inbox else "the inbox channel"
            self.add("Digest channel", OK, f"SLACK_DIGEST_CHANNEL not set apart: the digests go to {where}")
        else:
            self.channel(client, settings, "Digest channel", "SLACK_DIGEST_CHANNEL", digest)

    def file_channels(self, client: WebClient, settings: Settings) -> None:
        """ACCOUNTS_FILE: the channel of every account, DM channel and tracked term, then the digests'."""
        listed = settings.sources
        for entry in listed.accounts:
            self.channel(client, settings, f'Channel of account "{entry.name}"', listed.path, entry.channel)
            if entry.dm_channel:
                self.channel(client, settings, f'DM channel of account "{entry.name}"', listed.path, entry.dm_channel)
        for term in listed.terms:
            self.channel(client, settings, f'Channel of term "{term.term}"', listed.path, term.channel)
        if settings.slack_digest_channel or settings.slack_inbox_channel:
            name = "SLACK_DIGEST_CHANNEL" if settings.slack_digest_channel else "SLACK_INBOX_CHANNEL"
            self.channel(client, settings, "Digest channel", name, settings.digest_channel)
        else:
            self.add("Digest channel", OK, f"not set apart: the digests go to {settings.digest_channel}")

    def channel(self, client: WebClient, settings: Settings, name: str, setting: str, channel: str) -> None:
        try:
            info = client.conversations_info(channel=channel)["channel"]
        except SlackApiError as err:
            code = err.response.get("error", "error") if err.response is not None else "error"
            if code == "channel_not_found":
                self.add(
                    name,
                    FAIL,
                    f"{setting}={channel}: no such channel, or the bot cannot see it (a private one it is not in)",
                    "use the channel's ID (C0…), not its name; for a private channel, invite the bot first",
                )
            else:
                self.add(name, FAIL, f"{setting}={channel}: {PLAIN_ERRORS.get(code, code)}", "see the Slack app")
            return
        except (SlackClientError, OSError) as err:
            self.add(name, FAIL, *_slack_error(err, settings))
            return
        label = f"#{info.get('name', channel)} ({channel})"
        if info.get("is_archived"):
            self.add(name, FAIL, f"{label} is archived", f"unarchive it or point {setting} at another channel")
        elif info.get("is_member") is False:
            self.add(
                name,
                FAIL,
                f"the bot is not a member of {label}",
                f"invite it: type /invite @{self.bot_name()} in #{info.get('name', channel)}",
            )
        else:
            self.add(name, OK, f"the bot is a member of {label}")

    def bot_name(self) -> str:
        try:
            return manifest.load(self.manifest_path)["features"]["bot_user"]["display_name"]
        except (OSError, ValueError, KeyError, TypeError):
            return "your-bot"

    def slack_front(self, settings: Settings) -> None:
        if settings.slack_app_token:
            self.add("Signing secret", OK, "not needed: SLACK_APP_TOKEN is set, so the bot connects in Socket Mode")
            try:
                WebClient(base_url=settings.slack_api_url, timeout=15).apps_connections_open(
                    app_token=settings.slack_app_token
                )
            except (SlackApiError, SlackClientError, OSError) as err:
                detail, _ = _slack_error(err, settings)
                self.add(
                    "Socket Mode",
                    FAIL,
                    detail.replace("the token", "SLACK_APP_TOKEN"),
                    "create an app-level token with connections:write (Basic Information → App-Level Tokens) and "
                    "turn Socket Mode on",
                )
            else:
                self.add("Socket Mode", OK, "SLACK_APP_TOKEN may open a Socket Mode connection")
            return
        secret = settings.slack_signing_secret
        if not secret:
            self.add(
                "Signing secret",
                FAIL,
                "SLACK_SIGNING_SECRET is not set: in HTTP mode (no SLACK_APP_TOKEN) every request from Slack is "
                "verified with it",
                SETTINGS["SLACK_SIGNING_SECRET"].fix,
            )
            return
        shape = (
            ""
            if len(secret) == 32 and all(c in "0123456789abcdef" for c in secret)
            else (" (it does not look like Slack's: 32 hexadecimal characters)")
        )
        self.add(
            "Signing secret",
            OK,
            f"set{shape}; only Slack's own requests can prove its value: with a wrong one, every request "
            "from Slack is refused with 401",
        )
