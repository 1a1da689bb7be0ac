"""`python -m bot <command>`: run, web, worker, poll-once, digest."""

import argparse
import logging
import signal
import sys
import threading

from dotenv import load_dotenv

from bot import logs, preflight, wiring
from bot.settings import ConfigError, Settings, from_env

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Slack console for a brand's X inbox.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="everything in one process (Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT)")
    sub.add_parser("web", help="the HTTP front only: POST /slack/events, GET /healthz")
    sub.add_parser("worker", help="the poller and the scheduler only")
    sub.add_parser("poll-once", help="one ingest + mirror cycle, then exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    load_dotenv(override=False)
    try:
        settings = from_env()
        logs.configure(settings.log_level, settings.secrets())
        settings.require_for(args.command)
        return COMMANDS[args.command](settings)
    except ConfigError as err:
        print(f"Cannot start: {err}", file=sys.stderr)
        return 2


def _bridge(settings: Settings, *, check_channels: bool):
    bridge = wiring.build_bridge(settings)
    channels = [("SLACK_INBOX_CHANNEL", settings.slack_inbox_channel)] if check_channels else []
    preflight.check_slack(bridge.chat.client, settings, channels=[c for c in channels if c[1]])
    preflight.check_x(bridge, settings)
    return bridge


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def cmd_poll_once(settings: Settings) -> int:
    bridge = _bridge(settings, check_channels=True)
    report = bridge.cycle()
    for error in report["errors"]:
        print(f"Failed: {error}", file=sys.stderr)
    print(
        f"stored {report['ingested']} new mention(s), mirrored {report['mirrored']} message(s), "
        f"sent {report['sent']} queued repl(ies), settled {report['settled']}"
    )
    return 1 if report["errors"] else 0


def cmd_worker(settings: Settings) -> int:
    from bot.worker import Worker

    worker = Worker(_bridge(settings, check_channels=True), settings)
    worker.start()
    _wait_for_signal()
    worker.stop()
    return 0


def _serve(settings: Settings, bridge) -> None:
    from bot.web import serve

    app = wiring.build_app(settings, bridge)
    if settings.slack_app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("connecting to Slack in Socket Mode")
        SocketModeHandler(app, settings.slack_app_token).start()
    else:
        serve(app, bridge.engine, settings.port)


def cmd_web(settings: Settings) -> int:
    _serve(settings, _bridge(settings, check_channels=False))
    return 0


def cmd_run(settings: Settings) -> int:
    from bot.worker import Worker

    bridge = _bridge(settings, check_channels=True)
    worker = Worker(bridge, settings)
    worker.start()
    try:
        _serve(settings, bridge)
    finally:
        worker.stop()
    return 0


COMMANDS = {
    "run": cmd_run,
    "web": cmd_web,
    "worker": cmd_worker,
    "poll-once": cmd_poll_once,
}
