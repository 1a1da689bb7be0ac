"""X's credentials: what an ACCOUNTS_FILE entry on X names, and the adapter built from them."""

from bot.networks.x.network import XNetwork

NAME = "x"
CREDENTIAL_KEYS = {
    # key in the file: (the default environment variable, required in the file)
    "access_token": (None, True),
    "access_token_secret": (None, True),
    "api_key": ("X_API_KEY", False),
    "api_secret": ("X_API_SECRET", False),
    "bearer_token": ("X_BEARER_TOKEN", False),
}
OPTIONAL_VALUES = frozenset({"bearer_token"})  # may name a variable that is not set (user context reads instead)
DISPLAY_NAME = XNetwork.display_name
DIRECT_MESSAGES = True
TERM_EXAMPLE = 'an X search query such as #acmefail or "acme refund"'


def build_network(settings) -> XNetwork:
    """The X adapter of the one account of the X_* settings (no ACCOUNTS_FILE)."""
    return XNetwork(
        api_url=settings.x_api_url,
        bearer_token=settings.x_bearer_token,
        consumer_key=settings.x_api_key,
        consumer_secret=settings.x_api_secret,
        access_token=settings.x_access_token,
        access_token_secret=settings.x_access_token_secret,
        timeout=settings.x_timeout_seconds,
    )


def build_account_network(entry, settings, path: str) -> XNetwork:
    """The X adapter of one ACCOUNTS_FILE account (`entry`, read from `path`), signed in with its own tokens."""
    credentials = entry.credentials
    return XNetwork(
        api_url=settings.x_api_url,
        bearer_token=credentials["bearer_token"],
        consumer_key=credentials["api_key"],
        consumer_secret=credentials["api_secret"],
        access_token=credentials["access_token"],
        access_token_secret=credentials["access_token_secret"],
        timeout=settings.x_timeout_seconds,
        credentials_message=f'X rejected the credentials of account "{entry.name}" ({path}).',
    )
