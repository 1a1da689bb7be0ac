"""`python -m bot sandbox`: the real bridge between local stand-ins of Slack, X and Bluesky, and a page to use it
from."""

import sys

from bot import signals
from bot.sandbox.runtime import Sandbox, SandboxError

__all__ = ["Sandbox", "SandboxError", "serve"]


def serve(data_dir=None, port: int = 0, *, env=None, announce: str | None = None, socket_mode: bool = False) -> int:
    """Start a sandbox, print where it is, run until SIGINT or SIGTERM."""
    if announce:
        print(announce, flush=True)
    print(
        "Starting the sandbox: stand-ins for Slack, X and Bluesky on 127.0.0.1, the real bridge between them…",
        flush=True,
    )
    sandbox = Sandbox(data_dir, port=port, base_env=env, configure_logging=True, socket_mode=socket_mode)
    stop = signals.stopping()
    try:
        sandbox.start()
    except Exception as err:  # said plainly, with the exit status
        print(f"The sandbox could not start: {err}", file=sys.stderr)
        return 1
    where = "kept in " + str(sandbox.data_dir) if data_dir else "a temporary folder, removed on exit"
    print(f"Sandbox ready: open {sandbox.url}", flush=True)
    if socket_mode:
        print(f"  the bot is connected in Socket Mode to {sandbox.bot_url} (no HTTP, no signing secret)", flush=True)
    else:
        print(f"  the bot's /slack/events: {sandbox.bot_url}/slack/events", flush=True)
    standins = f"Slack stand-in: {sandbox.slack.url}   X stand-in: {sandbox.x.url}"
    print(f"  {standins}   Bluesky stand-in: {sandbox.bluesky.url}", flush=True)
    print(f"  database and state: {where}", flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    signals.wait(stop)
    print("Stopping the sandbox…", flush=True)
    sandbox.stop()
    return 0
