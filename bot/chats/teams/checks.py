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
    except ValueError as err:
        if "authority" in str(err).lower():
            return (
                f"TEAMS_TENANT_ID={wing.settings.teams_tenant_id}: {wing.settings.teams_auth_url} does not know this "
                "tenant (check the Tenant ID in Entra ID → Overview, or TEAMS_AUTH_URL)"
            )
        return f"TEAMS_AUTH_URL={wing.settings.teams_auth_url}: the sign-in failed ({err})"
    except (requests.RequestException, OSError) as err:
        return f"TEAMS_AUTH_URL={wing.settings.teams_auth_url} could not be reached ({type(err).__name__}: {err})"
    return None


def channel_problem(wing, name: str, channel: str, team_of: str | None = None) -> tuple[str, str | None]:
    """('ok' | 'fail' | 'skip', what to say) about one channel: reachable, and the app installed in its team.
    `team_of`: another channel of the same team, whose id may name the team where this one's does not."""
    try:
        try:
            details = wing.connector.team(channel)
        except ChatError as err:
            if err.code != "http_404" or not team_of:
                raise
            details = wing.connector.team(team_of)
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


def doctor_lines(settings) -> list[tuple[str, str, str, str | None]]:
    """(name, ok | FAIL | skip, detail, fix) for each Teams check of `python -m bot doctor`."""
    from bot.chats.teams import setup

    missing = [n for n in ("TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID") if not getattr(settings, n.lower())]
    if missing:
        return [("Teams token", "FAIL", f"{', '.join(missing)} not set (TEAMS_APP_ID is)", "see the README: Teams")]
    lines = []
    wing = setup.build(settings)
    try:
        problem = token_problem(wing)
        if problem:
            fix = "copy the values again from the app registration (a secret's Value, not its ID) and the tenant"
            lines.append(("Teams token", "FAIL", problem, fix))
        else:
            lines.append(("Teams token", "ok", f"the bot {settings.teams_app_id} signs in to the Bot Connector", None))
        keys = keys_problem(settings)
        lines.append(
            ("Teams inbound keys", "FAIL", keys, "leave TEAMS_OPENID_URL unset for the Bot Connector's own")
            if keys
            else ("Teams inbound keys", "ok", "the Bot Connector's signing keys can be read", None)
        )
        channels = [("TEAMS_INBOX_CHANNEL", settings.teams_inbox_channel)]
        if settings.teams_digest_channel and settings.teams_digest_channel != settings.teams_inbox_channel:
            channels.append(("TEAMS_DIGEST_CHANNEL", settings.teams_digest_channel))
        for name, channel in channels:
            label = "Teams inbox channel" if name == "TEAMS_INBOX_CHANNEL" else "Teams digest channel"
            if not channel:
                if settings.sources is None and not settings.slack_inbox_channel:
                    lines.append((label, "FAIL", f"{name} is not set", "the channel id: see the README, Teams"))
                continue
            if problem:
                lines.append((label, "skip", "not checked without a token", None))
                continue
            state, said = channel_problem(wing, name, channel, team_of=settings.teams_inbox_channel)
            fix = "add the app to the team (Apps → Manage your apps → Upload the package of `python -m bot teams-app`)"
            lines.append((label, {"ok": "ok", "fail": "FAIL", "skip": "skip"}[state], said, fix))
    finally:
        wing.stop()
    return lines
