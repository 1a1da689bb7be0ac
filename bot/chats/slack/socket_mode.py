"""Socket Mode: the Bolt app connected to Slack over a WebSocket, for installs with no public address.

The connection is slack_sdk's own Socket Mode client, through Bolt's adapter; the listeners are the same as over
HTTP, and so is the order: a thread message is recorded by a listener middleware before Bolt acknowledges its
envelope (an envelope not acknowledged within 3 s is sent again, so nothing recorded is lost by a dropped
connection). The client is the websocket-client one: slack_sdk's built-in client does not notice a connection that
died without a close frame for about a minute, and spins a core meanwhile; websocket-client sees it at once and
reconnects (a new apps.connections.open) within a second.
"""

import logging
import threading

from slack_bolt import App
from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.settings import ConfigError

log = logging.getLogger(__name__)

PING_INTERVAL_SECONDS = 10
CLOSE_WAIT_SECONDS = 3  # the client's threads may take a ping interval to notice they are to stop


def connect(app: App, app_token: str) -> SocketModeHandler:
    """Open the connection (apps.connections.open with the app-level token, then the WebSocket); the client
    reconnects by itself whenever Slack asks it to or the connection drops. A refused token stops the start."""
    handler = SocketModeHandler(app, app_token, ping_interval=PING_INTERVAL_SECONDS)
    try:
        handler.connect()
    except SlackApiError as err:
        handler.close()
        error = err.response.get("error") if err.response is not None else str(err)
        raise ConfigError(
            f"SLACK_APP_TOKEN: Slack refused it for Socket Mode ({error}): use the app-level token (xapp-…) of this "
            "app, created with the connections:write scope, and turn Socket Mode on in the app's settings"
        ) from None
    log.info("connecting to Slack in Socket Mode")
    return handler


def close(handler: SocketModeHandler) -> None:
    """Close the connection, waiting a moment at most: its threads are daemons and end with the process."""
    closing = threading.Thread(target=handler.close, name="socket-mode-close", daemon=True)
    closing.start()
    closing.join(CLOSE_WAIT_SECONDS)
