"""`python -m bot <command>`: run, web, worker, poll-once, migrate, sandbox, doctor, teams-app, digest."""

import argparse
import difflib
import logging
import os
import sys

from dotenv import load_dotenv
from sqlalchemy.exc import SQLAlchemyError

from bot import command_settings, logs, signals
from bot.settings import SECRET_NAMES, ConfigError, Settings, from_env
from storage.health import plain_reason

# The Slack, X and database libraries are imported by the commands that use them, so that --help, a mistyped
# command or a missing setting answers at once.

log = logging.getLogger("bot")


# name: (one line for the list of commands, what it does for its --help)
COMMAND_HELP = {
    "run": (
        "everything in one process (Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT)",
        "Everything in one process: the HTTP front on $PORT (POST /slack/events, POST /api/messages for Teams, GET "
        "/healthz), or a Socket Mode connection when SLACK_APP_TOKEN is set, and the worker (polls X and Bluesky, "
        "mirrors to the chat, sends the replies, alerts, posts the digests). With no Slack or X credential set at all "
        "it starts the sandbox instead.",
    ),
    "web": (
        "the HTTP front only: POST /slack/events, POST /api/messages, GET /healthz",
        "The HTTP front only: POST /slack/events for Slack's events, clicks and slash commands (and Slack's URL "
        "verification), POST /api/messages for Teams' activities (with TEAMS_APP_ID), GET /healthz. Run as many as the "
        "traffic needs, with one worker. It starts with Slack's settings alone and says at start what is missing: "
        "without the X settings, owners' replies wait in their queue for the worker.",
    ),
    "worker": (
        "the poller and the scheduler only",
        "The poller and the clock only: reads the brand's mentions on X and Bluesky, mirrors them to the chat, sends "
        "the due and unsettled replies, runs the SLA alerts and posts the digests. Several workers elect one leader "
        "through the database; the others wait to take over.",
    ),
    "poll-once": (
        "one ingest + mirror cycle, then exit",
        "One ingest and mirror cycle, then exit: what the worker does every POLL_INTERVAL_SECONDS.",
    ),
    "migrate": (
        "bring the database (DATABASE_URL) to the schema this version needs",
        "Bring the database of DATABASE_URL to the schema this version needs (the Procfile's release step). Two at "
        "once take turns.",
    ),
    "sandbox": (
        "the bridge between local stand-ins of Slack (or Teams), X and Bluesky, with a web page",
        "The real bridge between stand-ins of Slack (--chat teams: of Teams), X and Bluesky on 127.0.0.1, with a page "
        "to try it from: no Slack app, X account or public address needed. It prints the page's address.",
    ),
    "doctor": (
        "check the credentials, scopes, channels and database of a real install",
        "Check each thing a real install needs, one line each: ok, FAIL with how to fix it, or skip with why. The "
        "Slack token, its scopes against manifest.yml, the channels, the signing secret (or the app-level token), "
        "Teams' app registration, the brand's X and Bluesky credentials and the database. It changes nothing and posts "
        "nothing; it exits non-zero when anything fails.",
    ),
    "teams-app": (
        "write the Teams app package (manifest.json and its icons) to upload",
        "Write the Teams app package to --out (a .zip): manifest.json with the bot's id (TEAMS_APP_ID), the team and "
        "personal scopes, the social-stats and social-replies commands, the resource-specific permission "
        "ChannelMessage.Read.Group and webApplicationInfo, and the colour and outline icons. Upload it in Teams (Apps "
        "→ Manage your apps → Upload an app) or in the Teams Developer Portal.",
    ),
    "digest": (
        "post the daily digests now (and the weekly one for a Sunday)",
        "Post the daily digests of a day now (yesterday in TIMEZONE by default), and the week's for a Sunday or with "
        "--weekly. What was already posted is not posted again unless --force.",
    ),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="The team's chat (Slack, Microsoft Teams) as the console of a brand's social inbox (X, Bluesky).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    commands = {}
    for name, (summary, description) in COMMAND_HELP.items():
        commands[name] = sub.add_parser(
            name,
            help=summary,
            description=command_settings.describe(description),
            epilog=command_settings.help_epilog(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    sandbox = commands["sandbox"]
    sandbox.add_argument("--data", metavar="DIR", help="keep its database and state here (default: temporary)")
    sandbox.add_argument("--port", type=int, default=0, help="the page's port (default: a free one)")
    sandbox.add_argument(
        "--socket-mode", action="store_true", help="Slack reaches the bot over Socket Mode instead of HTTP"
    )
    sandbox.add_argument(
        "--chat", choices=("slack", "teams"), default="slack", help="the chat the page shows (default: slack)"
    )
    commands["teams-app"].add_argument("--out", required=True, metavar="FILE.zip", help="where to write the package")
    digest = commands["digest"]
    digest.add_argument("--date", type=_day, help="the day to report, YYYY-MM-DD (default: yesterday in TIMEZONE)")
    digest.add_argument("--weekly", action="store_true", help="also the weekly digest of the 7 days ending --date")
    digest.add_argument("--force", action="store_true", help="post again what was already posted")
    return parser


def _no_such_command(argv: list[str]) -> str | None:
    """What to say when argv names no command this bot has (argparse's own message is terse): every command."""
    if any(a in ("-h", "--help") for a in argv):
        return None
    given = next((a for a in argv if not a.startswith("-")), None)
    if given in COMMAND_HELP:
        return None
    if given is None:
        said = "No command given."
    else:
        close = difflib.get_close_matches(given, COMMAND_HELP, n=1)
        said = f"Unknown command {given!r}" + (f" (did you mean {close[0]!r}?)." if close else ".")
    width = max(len(name) for name in COMMAND_HELP)
    listing = "\n".join(f"  {name:<{width}}  {summary}" for name, (summary, _) in COMMAND_HELP.items())
    return (
        f"{said} The commands are:\n{listing}\n"
        "`python -m bot <command> --help` says what one does and which settings it reads."
    )


def _day(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    problem = _no_such_command(argv)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    args = _parser().parse_args(argv)
    load_dotenv(override=False)
    if args.command == "doctor":
        from bot import doctor

        return doctor.main(os.environ)
    if args.command == "sandbox" and args.chat == "teams":
        from bot.sandbox import teams_sandbox

        return teams_sandbox.serve(args.data, args.port, env=os.environ)
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
        if args.command == "teams-app":
            return cmd_teams_app(settings, args)
        return COMMANDS[args.command](settings)
    except ConfigError as err:
        print(f"Cannot start: {err}", file=sys.stderr)
        return 2
    except SQLAlchemyError as err:  # the database failed in the middle of the work (locked, gone, full)
        print(f"Stopped: DATABASE_URL: {plain_reason(err)}", file=sys.stderr)
        return 1


def _bridge(settings: Settings, *, check_channels: bool):
    from bot import preflight, wiring
    from bot.chats.slack import preflight as slack_preflight

    bridge = wiring.build_bridge(settings)

    def channels(chat: str, inbox: tuple[str, str | None]) -> list[tuple[str, str]]:
        """The channels to check at start: a chat's inbox, when set, and its overflow channels."""
        if not check_channels:
            return []
        overflow = [("OVERFLOW_CHANNELS", c) for c in settings.overflow_channels_of(chat)]
        return [c for c in [inbox, *overflow] if c[1]]

    if settings.has_slack():
        inbox = ("SLACK_INBOX_CHANNEL", settings.slack_inbox_channel)
        slack_preflight.check_slack(bridge.chat.client, settings, channels=channels("slack", inbox))
    if settings.has_teams():
        from bot.chats.teams import checks

        inbox = ("TEAMS_INBOX_CHANNEL", settings.teams_inbox_channel)
        checks.at_start(wiring.teams_wing(bridge), channels=channels("teams", inbox))
    if check_channels and settings.has_slack() and not settings.has_teams():
        # Slack's check of ACCOUNTS_FILE's channels; with Teams beside it, a Teams channel is not one Slack knows.
        slack_preflight.check_source_channels(bridge, settings)
    if bridge.config.network_unavailable is None:
        preflight.check_x(bridge, settings)
    return bridge


def _wait_for_signal() -> None:
    signals.wait(signals.stopping())


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
    """Serve Slack and/or Teams until stopped; `ready` runs once the chats can reach the bot (in Socket Mode: once
    connected, so that an app-level token Slack refuses stops the start before anything else runs)."""
    from bot import wiring
    from bot.listener_pool import ListenerPool
    from bot.web import serve

    app = wiring.build_app(settings, bridge) if settings.has_slack() else None
    teams = wiring.build_teams_front(bridge, ListenerPool(name="teams")) if settings.has_teams() else None
    if app is not None and settings.slack_app_token:
        from bot.chats.slack import socket_mode

        handler = socket_mode.connect(app, settings.slack_app_token)
        ready()
        if teams is None:
            _wait_for_signal()
        else:  # Teams still reaches the bot over HTTP
            serve(None, bridge.engine, settings.port, signing_secret=None, teams=teams)
        socket_mode.close(handler)
    else:
        ready()
        serve(app, bridge.engine, settings.port, signing_secret=settings.slack_signing_secret, teams=teams)


def cmd_web(settings: Settings) -> int:
    bridge = _bridge(settings, check_channels=False)
    if bridge.config.network_unavailable:
        log.warning(
            "Serving Slack only, because %s. Slack's URL verification, events, clicks and slash commands are "
            "answered; an owner's reply is kept in its queue (its thread says so) and goes out when the worker runs "
            "with the X settings (`python -m bot worker`, or `run`). Set them and restart `web` to send from here too.",
            bridge.config.network_unavailable,
        )
    _serve(settings, bridge)
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

    from bot import wiring
    from bot.chats.slack import preflight as slack_preflight
    from bot.domain.digests import DAILY, WEEKLY
    from bot.domain.errors import ChatError

    bridge = wiring.build_bridge(settings)
    if settings.has_slack():
        name = "SLACK_DIGEST_CHANNEL" if settings.slack_digest_channel else "SLACK_INBOX_CHANNEL"
        slack_preflight.check_slack(bridge.chat.client, settings, channels=[(name, settings.digest_channel)])
    if settings.has_teams():
        from bot.chats.teams import checks

        checks.at_start(wiring.teams_wing(bridge))
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


def cmd_teams_app(settings: Settings, args) -> int:
    from pathlib import Path

    from bot.chats.teams.manifest import package

    out = Path(args.out)
    try:
        out.write_bytes(package(settings.teams_app_id))
    except OSError as err:
        print(f"Cannot write {out}: {err.strerror}", file=sys.stderr)
        return 1
    print(
        f"Wrote {out}: the Teams app of bot {settings.teams_app_id}. Upload it in Teams (Apps → Manage your apps → "
        "Upload an app → Upload a custom app), then add it to the team of TEAMS_INBOX_CHANNEL."
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
