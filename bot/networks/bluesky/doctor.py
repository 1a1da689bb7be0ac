"""Bluesky's lines of `python -m bot doctor`: for each Bluesky account, a session can be had, the handle resolves,
the notifications can be read. Nothing is posted."""

from bot.checks import FAIL, OK
from bot.domain.errors import NetworkError
from bot.networks.bluesky.network import BlueskyNetwork
from bot.networks.bluesky.settings import NAME


def run(doctor, settings) -> None:
    if settings.sources is not None:
        for entry in settings.sources.accounts:
            if entry.network == NAME:
                c = entry.credentials
                _account(doctor, settings, c["handle"], c["app_password"], f' ("{entry.name}")')
        return
    if settings.bluesky_handle or settings.bluesky_app_password:
        if not (settings.bluesky_handle and settings.bluesky_app_password):
            doctor.not_set("Bluesky reading notifications", "BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD")
            return
        _account(doctor, settings, settings.bluesky_handle, settings.bluesky_app_password, "")


def _account(doctor, settings, handle: str, password: str, label: str) -> None:
    name = f"Bluesky reading notifications{label}"
    network = BlueskyNetwork(pds_url=settings.bluesky_pds_url, handle=handle, app_password=password)
    try:
        did = network.client.resolve_handle(handle).did
    except Exception as err:  # the SDK's and the network's errors alike: said, not raised
        doctor.add(
            name,
            FAIL,
            f"the handle {handle} does not resolve at {settings.bluesky_pds_url}: {err}",
            "check BLUESKY_HANDLE and BLUESKY_PDS_URL",
        )
        return
    try:
        me = network.me()
        network._call(network.client.app.bsky.notification.list_notifications, {"limit": 1})
    except NetworkError as err:
        doctor.add(name, FAIL, err.message, "create an app password in Bluesky's settings and set it")
        return
    except Exception as err:
        doctor.add(name, FAIL, f"Bluesky refused: {err}", "check the app password and BLUESKY_PDS_URL")
        return
    doctor.add(name, OK, f"signed in as @{me.handle} ({did}); its notifications can be read")
