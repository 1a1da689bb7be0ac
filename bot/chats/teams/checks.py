"""Teams' checks, at start (a setting Teams refuses stops the start, naming it) and for `python -m bot doctor`
(one line each): the bot's token, the channels, the app installed in their team, the inbound keys."""

import logging

import requests

from bot.chats.teams.sign_in import SignInRefused
from bot.domain.errors import ChatError
from bot.settings import ConfigError

log = logging.getLogger(__name__)

AADSTS_SETTING = {
    "AADSTS700016": "TEAMS_APP_ID",
    "AADSTS7000215": "TEAMS_APP_PASSWORD",
    "AADSTS7000222": "TEAMS_APP_PASSWORD",
    "AADSTS90002": "TEAMS_TENANT_ID",
    "AADSTS9000201": "TEAMS_TENANT_ID",
}


def token_problem(wing) -> str | None:
    """Why the bot cannot get a Bot Connector token, naming the setting; None when it can."""
    try:
        wing.sign_in.token()
    except SignInRefused as err:
        code = err.description.split(":", 1)[0]
        name = AADSTS_SETTING.get(code, "TEAMS_APP_ID / TEAMS_APP_PASSWORD / TEAMS_TENANT_ID")
        first = err.description.splitlines()[0] if err.description else err.code
        return f"{name}: Microsoft refused the bot's sign-in ({first})"
    except (requests.RequestException, ValueError, OSError) as err:
        return f"TEAMS_AUTH_URL={wing.settings.teams_auth_url} could not be reached ({type(err).__name__}: {err})"
    return None


def channel_problem(wing, name: str, channel: str) -> tuple[str, str | None]:
    """('ok' | 'fail' | 'skip', what to say) about one channel: reachable, and the app installed in its team."""
    try:
        details = wing.connector.team(channel)
        listed = wing.connector.channels(details.get("id") or channel)
    except ChatError as err:
        if err.code == "http_403":
            return "fail", f"{name}={channel}: the app is not installed in this channel's team: add it to the team"
        if err.code == "http_404":
            return "skip", (
                f"{name}={channel}: its team could not be read from this channel id (only a team's General channel "
                "names the team); the channel is checked when the first activity from it arrives"
            )
        return "fail", f"{name}={channel}: {err.message}"
    if channel not in {c.get("id") for c in listed}:
        return "fail", f"{name}={channel}: no such channel in team {details.get('name')!r}"
    return "ok", f"{name}: a channel of team {details.get('name')!r}, where the app is installed"


def at_start(wing, *, channels=()) -> None:
    problem = token_problem(wing)
    if problem:
        raise ConfigError(problem)
    for name, channel in channels:
        state, said = channel_problem(wing, name, channel)
        if state == "fail":
            raise ConfigError(said)
        if state == "skip":
            log.warning("%s", said)


def keys_problem(settings) -> str | None:
    """Whether the OpenID metadata of TEAMS_OPENID_URL can be read and lists signing keys."""
    try:
        metadata = requests.get(settings.teams_openid_url, timeout=10)
        metadata.raise_for_status()
        keys = requests.get(metadata.json()["jwks_uri"], timeout=10)
        keys.raise_for_status()
        if not keys.json().get("keys"):
            return f"TEAMS_OPENID_URL={settings.teams_openid_url}: its jwks_uri lists no keys"
    except (requests.RequestException, ValueError, KeyError) as err:
        return f"TEAMS_OPENID_URL={settings.teams_openid_url} could not be read ({type(err).__name__})"
    return None
