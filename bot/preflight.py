"""Checks at start: a setting Slack or X refuses stops the process with a message naming it."""

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.chats.slack.chat import PLAIN_ERRORS
from bot.domain.errors import BadCredentials, NetworkError
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


def check_x(bridge, settings) -> None:
    if settings.sources is not None:
        _check_accounts(bridge, settings)
        return
    try:
        bridge.account()
    except BadCredentials as err:
        raise ConfigError(err.message) from None
    except NetworkError as err:
        raise ConfigError(f"X could not be used (X_API_URL={settings.x_api_url}): {err.message}") from None


def _check_accounts(bridge, settings) -> None:
    """ACCOUNTS_FILE: an account X refuses is reported by name and left out; the start stops only when none is left."""
    sources = bridge.sources
    ready, failures = bridge.accounts()
    path = settings.sources.path
    for source in sources.all_accounts:
        if source.name in failures:
            sources.disable(source, f'{path}: account "{source.name}": {failures[source.name].message} It is skipped.')
    for term in sources.live_terms():
        if sources.searcher(term) is None:
            sources.disable(term, f"{path}: {term.label}: no account is left to search with; it is not tracked")
    if not sources.ready_accounts():
        raise ConfigError(f"ACCOUNTS_FILE: no account can be served: {'; '.join(sources.problems)}")


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
