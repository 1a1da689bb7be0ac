"""Socket Mode: how long slack_sdk's clients take to come back after the connection dies without a close frame.

    python -m bench.socket_reconnect            # both clients (the built-in one takes about a minute)
    python -m bench.socket_reconnect --only websocket_client

For each of slack_sdk's sync Socket Mode clients (the built-in one, and the websocket-client one that bot/socket_mode.py
uses): connect to the Socket Mode stand-in, drop every connection as a network failure does (no close frame), then
deliver an event. Printed: seconds until a new connection opened, seconds until the event was acknowledged, and the
CPU seconds the process spent meanwhile (a client that spins while it has not noticed shows it here).
"""

import argparse
import importlib
import logging
import time

from slack_sdk import WebClient
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.sandbox.standins.slack_api import FakeSlack
from bot.sandbox.standins.slack_socket import SocketModeSlack

CLIENTS = {
    "builtin": "slack_sdk.socket_mode.builtin",
    "websocket_client": "slack_sdk.socket_mode.websocket_client",
}
PING_INTERVAL = 10  # what bot/socket_mode.py and Bolt's handlers use
GIVE_UP_S = 180.0


def measure(name: str) -> dict:
    client_class = importlib.import_module(CLIENTS[name]).SocketModeClient
    with FakeSlack() as slack, SocketModeSlack(slack) as server:
        client = client_class(
            app_token=server.app_token, web_client=WebClient(base_url=slack.url), ping_interval=PING_INTERVAL
        )

        def ack(client, request):
            client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

        client.socket_mode_request_listeners.append(ack)
        client.connect()
        deadline = time.monotonic() + 30
        while not server.open_connections() and time.monotonic() < deadline:
            time.sleep(0.01)
        opened = server.connections_opened
        cpu, started = time.process_time(), time.monotonic()
        server.kill()
        while server.connections_opened == opened and time.monotonic() - started < GIVE_UP_S:
            time.sleep(0.01)
        reconnected = time.monotonic() - started
        envelope = server.deliver("events_api", {"type": "event_callback", "event": {}}, accepts_response_payload=False)
        acked = envelope.wait(GIVE_UP_S)
        delivered = time.monotonic() - started
        spent = time.process_time() - cpu
        client.close()
    return {"client": name, "reconnected_s": reconnected, "acked_s": delivered if acked else None, "cpu_s": spent}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(CLIENTS), help="measure one client")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)
    print(f"connection dropped without a close frame; ping interval {PING_INTERVAL} s")
    for name in [args.only] if args.only else list(CLIENTS):
        r = measure(name)
        acked = f"{r['acked_s']:.2f} s" if r["acked_s"] is not None else f"not within {GIVE_UP_S:.0f} s"
        print(
            f"  {r['client']:<17} new connection after {r['reconnected_s']:6.2f} s, "
            f"next event acknowledged after {acked}, CPU meanwhile {r['cpu_s']:.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
