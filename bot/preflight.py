"""Checks at start: a setting Slack or X refuses stops the process with a message naming it."""

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.domain.errors import BadCredentials, NetworkError
from bot.settings import ConfigError
from bot.slack_chat import PLAIN_ERRORS


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
    try:
        bridge.account()
    except BadCredentials as err:
        raise ConfigError(err.message) from None
    except NetworkError as err:
        raise ConfigError(f"X could not be used (X_API_URL={settings.x_api_url}): {err.message}") from None
