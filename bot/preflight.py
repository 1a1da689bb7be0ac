"""Checks at start: a setting X (or, for a brand on Bluesky alone, Bluesky) refuses stops the process with a message
naming it (Slack's are in bot/chats/slack/preflight.py)."""

from bot.domain.errors import BadCredentials, NetworkError
from bot.settings import ConfigError


def check_x(bridge, settings) -> None:
    if settings.sources is not None:
        _check_accounts(bridge, settings)
        return
    try:
        bridge.account()
    except BadCredentials as err:
        raise ConfigError(err.message) from None
    except NetworkError as err:
        where = (
            f"Bluesky could not be used (BLUESKY_PDS_URL={settings.bluesky_pds_url})"
            if settings.bluesky_only()
            else f"X could not be used (X_API_URL={settings.x_api_url})"
        )
        raise ConfigError(f"{where}: {err.message}") from None


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
