"""Slack's checks at start: a token, channel or source channel Slack refuses stops the process (or leaves the
source out) with a message naming the setting."""

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.chats.slack.chat import PLAIN_ERRORS
from bot.settings import ConfigError


def check_slack(client, settings, *, channels=()) -> dict:
    try:
        auth = client.auth_test()
    except SlackApiError as err:
        code = err.response.get("error", "error")
        raise ConfigError(f"SLACK_BOT_TOKEN was refused by Slack ({code}): {PLAIN_ERRORS.get(code, '')}") from None
    except (SlackClientError, OSError) as err:
        raise ConfigError(
            f"Slack could not be reached at SLACK_API_URL={settings.slack_api_url} ({type(err).__name__})"
        ) from None
    for name, channel in channels:
        try:
            info = client.conversations_info(channel=channel)["channel"]
        except SlackApiError as err:
            code = err.response.get("error", "error")
            raise ConfigError(f"{name}={channel}: {PLAIN_ERRORS.get(code, code)}") from None
        if info.get("is_member") is False:
            raise ConfigError(f"{name}={channel}: {PLAIN_ERRORS['not_in_channel']}")
    return auth.data


def check_source_channels(bridge, settings) -> None:
    """ACCOUNTS_FILE: each source's channel must exist and have the bot in it; a source whose channel does not is
    reported by name and left out (an account's DM channel: only its direct messages)."""
    if settings.sources is None:
        return
    sources, client, path = bridge.sources, bridge.chat.client, settings.sources.path
    for what, channel, source in sources.routes():
        try:
            info = client.conversations_info(channel=channel)["channel"]
            problem = PLAIN_ERRORS["not_in_channel"] if info.get("is_member") is False else None
        except SlackApiError as err:
            code = err.response.get("error", "error")
            problem = PLAIN_ERRORS.get(code, code).split(":")[0]
        except (SlackClientError, OSError) as err:
            problem = f"Slack could not be reached ({type(err).__name__})"
        if problem is None:
            continue
        if what.endswith("(dm_channel)"):
            source.dm_channel = None
            sources.report(f"{path}: {what}: channel {channel}: {problem}; its direct messages are not read")
        else:
            sources.disable(source, f"{path}: {what}: channel {channel}: {problem}; it is skipped")
    if not sources.ready_accounts() and not any(a.problem is None for a in sources.all_accounts):
        raise ConfigError(f"ACCOUNTS_FILE: no account can be served: {'; '.join(sources.problems)}")
