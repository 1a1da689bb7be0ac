"""Bluesky's credentials: what an ACCOUNTS_FILE entry with `network: bluesky` names, and the adapter built from them."""

from bot.networks.bluesky.network import BlueskyNetwork
from bot.networks.bluesky.write_budget import WriteBudget

NAME = "bluesky"
CREDENTIAL_KEYS = {
    # key in the file: (the default environment variable, required in the file)
    "handle": ("BLUESKY_HANDLE", False),
    "app_password": ("BLUESKY_APP_PASSWORD", False),
}
OPTIONAL_VALUES = frozenset()
DISPLAY_NAME = BlueskyNetwork.display_name
DIRECT_MESSAGES = True  # chat.bsky.convo through the chat proxy (tested against the stand-in only)
TERM_EXAMPLE = 'a Bluesky search such as "acme refund"'


def build_network(settings) -> BlueskyNetwork:
    """The Bluesky adapter of the one account of the BLUESKY_* settings (no ACCOUNTS_FILE)."""
    return BlueskyNetwork(
        pds_url=settings.bluesky_pds_url,
        handle=settings.bluesky_handle,
        app_password=settings.bluesky_app_password,
        budget=_budget(settings, settings.bluesky_handle),
    )


def _budget(settings, handle: str) -> WriteBudget:
    return WriteBudget(handle, per_hour=settings.bluesky_points_per_hour, per_day=settings.bluesky_points_per_day)


def build_account_network(entry, settings, path: str) -> BlueskyNetwork:
    credentials = entry.credentials
    return BlueskyNetwork(
        pds_url=settings.bluesky_pds_url,
        handle=credentials["handle"],
        app_password=credentials["app_password"],
        budget=_budget(settings, credentials["handle"]),
        credentials_message=f'Bluesky rejected the handle or app password of account "{entry.name}" ({path}).',
    )
