"""`python -m bot <command>`: run, web, worker, poll-once, digest, migrate."""

import argparse
import logging
import os
import signal
import sys
import threading

from dotenv import load_dotenv
from sqlalchemy.exc import SQLAlchemyError

from bot import logs, preflight, wiring
from bot.settings import SECRET_NAMES, ConfigError, Settings, from_env
from storage.health import plain_reason

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Slack console for a brand's X inbox.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="everything in one process (Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT)")
    sub.add_parser("web", help="the HTTP front only: POST /slack/events, GET /healthz")
    sub.add_parser("worker", help="the poller and the scheduler only")
    sub.add_parser("poll-once", help="one ingest + mirror cycle, then exit")
    sub.add_parser("migrate", help="bring the database (DATABASE_URL) to the schema this version needs")
    sandbox = sub.add_parser("sandbox", help="the bridge between local stand-ins of Slack and X, with a web page")
    sandbox.add_argument("--data", metavar="DIR", help="keep its database and state here (default: temporary)")
    sandbox.add_argument("--port", type=int, default=0, help="the page's port (default: a free one)")
    sandbox.add_argument(
        "--socket-mode", action="store_true", help="Slack reaches the bot over Socket Mode instead of HTTP"
    )
    sub.add_parser("doctor", help="check the credentials, scopes, channels and database of a real install")
    digest = sub.add_parser("digest", help="post the daily digests now (and the weekly one for a Sunday)")
    digest.add_argument("--date", type=_day, help="the day to report, YYYY-MM-DD (default: yesterday in TIMEZONE)")
    digest.add_argument("--weekly", action="store_true", help="also the weekly digest of the 7 days ending --date")
    digest.add_argument("--force", action="store_true", help="post again what was already posted")
    return parser


def _day(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    load_dotenv(override=False)
    if args.command == "doctor":
        from bot import doctor

        return doctor.main(os.environ)
    if args.command == "sandbox" or (args.command == "run" and not any(os.environ.get(n) for n in SECRET_NAMES)):
        from bot import sandbox

        announce = "No Slack or X credentials are set: starting the sandbox instead." if args.command == "run" else None
        return sandbox.serve(
            getattr(args, "data", None),
            getattr(args, "port", 0),
            env=os.environ,
            announce=announce,
            socket_mode=getattr(args, "socket_mode", False),
        )
    try:
        settings = from_env()
        logs.configure(settings.log_level, settings.secrets())
        settings.require_for(args.command)
        if args.command == "digest":
            return cmd_digest(settings, args)
        return COMMANDS[args.command](settings)
    except ConfigError as err:
        print(f"Cannot start: {err}", file=sys.stderr)
        return 2
    except SQLAlchemyError as err:  # the database failed in the middle of the work (locked, gone, full)
        print(f"Stopped: DATABASE_URL: {plain_reason(err)}", file=sys.stderr)
        return 1


def _bridge(settings: Settings, *, check_channels: bool):
    bridge = wiring.build_bridge(settings)
    channels = [("SLACK_INBOX_CHANNEL", settings.slack_inbox_channel)] if check_channels else []
    preflight.check_slack(bridge.chat.client, settings, channels=[c for c in channels if c[1]])
    if check_channels:
        preflight.check_source_channels(bridge, settings)
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


def _serve(settings: Settings, bridge, *, ready=lambda: None) -> None:
    """Serve Slack until stopped; `ready` runs once Slack can reach the bot (in Socket Mode: once connected, so
    that an app-level token Slack refuses stops the start before anything else runs)."""
    from bot.web import serve

    app = wiring.build_app(settings, bridge)
    if settings.slack_app_token:
        from bot import socket_mode

        handler = socket_mode.connect(app, settings.slack_app_token)
        ready()
        _wait_for_signal()
        socket_mode.close(handler)
    else:
        ready()
        serve(app, bridge.engine, settings.port, signing_secret=settings.slack_signing_secret)


def cmd_web(settings: Settings) -> int:
    _serve(settings, _bridge(settings, check_channels=False))
    return 0


def cmd_run(settings: Settings) -> int:
    from bot.worker import Worker

    bridge = _bridge(settings, check_channels=True)
    worker = Worker(bridge, settings)
    try:
        _serve(settings, bridge, ready=worker.start)
    finally:
        if worker.scheduler.running:
            worker.stop()
    return 0


def cmd_digest(settings: Settings, args) -> int:
    from datetime import timedelta

    from bot.domain.digests import DAILY, WEEKLY
    from bot.domain.errors import ChatError

    bridge = wiring.build_bridge(settings)
    name = "SLACK_DIGEST_CHANNEL" if settings.slack_digest_channel else "SLACK_INBOX_CHANNEL"
    preflight.check_slack(bridge.chat.client, settings, channels=[(name, settings.digest_channel)])
    day = args.date or bridge.metrics.today() - timedelta(days=1)
    jobs = [(DAILY, bridge.digests.daily(day))]
    if args.weekly or day.weekday() == 6:
        jobs.append((WEEKLY, bridge.digests.weekly(day)))
    for cadence, period in jobs:
        try:
            outcome = bridge.digests.post(cadence, period, force=args.force)
        except ChatError as err:
            print(f"The {cadence} digests for {period.key} were not posted: {err.message}", file=sys.stderr)
            return 1
        if outcome.posted:
            print(
                f"posted the {cadence} digests for {period.key} ({', '.join(outcome.posted)}) "
                f"to {settings.digest_channel}"
            )
        if outcome.skipped:
            print(
                f"the {cadence} {', '.join(outcome.skipped)} for {period.key} had been posted already "
                "(--force posts them again)"
            )
    return 0


def cmd_migrate(settings: Settings) -> int:
    from storage import schema
    from storage.engine import make_engine

    engine = make_engine(settings.database_url)
    try:
        before, after = schema.upgrade(engine)
    except schema.SchemaError as err:
        print(f"Cannot migrate: {err}", file=sys.stderr)
        return 1
    except SQLAlchemyError as err:
        print(f"Cannot migrate DATABASE_URL: {plain_reason(err)}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if before.current == after.current:
        print(f"The database is up to date (revision {after.current}).")
    else:
        print(f"The database was migrated from {before.current or 'empty'} to revision {after.current}.")
    return 0


COMMANDS = {
    "migrate": cmd_migrate,
    "run": cmd_run,
    "web": cmd_web,
    "worker": cmd_worker,
    "poll-once": cmd_poll_once,
}
