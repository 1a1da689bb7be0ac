"""`python -m bot doctor`: check each thing a real install needs, one line each, and name what is wrong.

Nothing is changed and nothing is posted: the checks only read (auth.test, conversations.info, the brand's
profile and mentions, the database's schema revision). What cannot be proven without posting is said so.
"""

import sys
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.chats.slack.doctor import SlackChecks
from bot.checks import FAIL, OK, SKIP, Check
from bot.command_settings import SETTINGS
from bot.networks.bluesky import doctor as bluesky_doctor
from bot.networks.x import doctor as x_doctor
from bot.settings import DEFAULT_DATABASE_URL, ConfigError, Settings, from_env
from storage import schema
from storage.engine import make_engine
from storage.health import READ_ONLY, database_state, plain_reason

NETWORK_CHECKS = (x_doctor.run, bluesky_doctor.run)  # each network's wing: run(doctor, settings) adds its lines


class Doctor:
    def __init__(self, env: Mapping[str, str], *, manifest_path: Path | None = None):
        self.env = env
        self.manifest_path = manifest_path
        self.checks: list[Check] = []

    def add(self, name: str, status: str, detail: str, fix: str | None = None) -> Check:
        check = Check(name, status, detail, fix)
        self.checks.append(check)
        return check

    def run(self) -> list[Check]:
        try:
            settings = from_env(self.env)
        except ConfigError as err:
            self.add("Settings", FAIL, str(err), "correct that setting in the environment or the .env file")
            return self.checks
        self.add("Settings", OK, "read from the environment")
        if settings.has_slack() or not settings.has_teams():
            SlackChecks(self, manifest_path=self.manifest_path).run(settings)  # the chat's wing
        else:
            self.add("Slack", SKIP, "not configured: Teams only (TEAMS_APP_ID is set, SLACK_BOT_TOKEN is not)")
        if settings.has_teams():
            from bot.chats.teams.checks import doctor_lines

            for line in doctor_lines(settings):
                self.add(*line)
        if settings.sources is not None:
            self.file_problems(settings)
        for network_checks in NETWORK_CHECKS:  # each network's wing checks its own settings
            network_checks(self, settings)
        self.database(settings)
        return self.checks

    # -- Slack --------------------------------------------------------------------------------------------

    def not_set(self, name: str, *settings: str) -> None:
        """A FAIL line for settings a real install needs and that are not set, each with how to get it."""
        fixes = [f"{s}: {SETTINGS[s].fix}" if len(settings) > 1 else SETTINGS[s].fix for s in settings]
        self.add(name, FAIL, f"{', '.join(settings)} {'is' if len(settings) == 1 else 'are'} not set", "; ".join(fixes))

    def file_problems(self, settings: Settings) -> None:
        """ACCOUNTS_FILE's wrong entries (each network's wing checks the accounts on it)."""
        listed = settings.sources
        for problem in listed.problems:
            self.add("Accounts file", FAIL, problem, f"correct the entry in {listed.path} or the variables it names")

    # -- database -----------------------------------------------------------------------------------------

    def database(self, settings: Settings) -> None:
        url = settings.database_url
        default = url == DEFAULT_DATABASE_URL
        if url.startswith("sqlite") and not _sqlite_exists(url):
            if default:
                self.add("Database", OK, "the default SQLite file does not exist yet: `run` creates and migrates it")
            else:
                self.add(
                    "Database",
                    FAIL,
                    f"the SQLite file of DATABASE_URL does not exist ({url})",
                    "run `python -m bot migrate` to create it, or correct DATABASE_URL",
                )
            return
        engine = make_engine(url)
        try:
            state = schema.status(engine)
            writable = database_state(engine)
        except SQLAlchemyError as err:
            self.add(
                "Database",
                FAIL,
                f"cannot be used ({plain_reason(err)})",
                "check DATABASE_URL, that the server runs and that the user may connect",
            )
            return
        finally:
            engine.dispose()
        shown = engine.url.render_as_string(hide_password=True)
        if writable == READ_ONLY:
            self.add(
                "Database",
                FAIL,
                f"read-only ({shown}): the bridge records every mention, click and reply",
                "give the bridge's user write access (the file and its folder, or the database), or use the primary",
            )
            return
        self.add("Database", OK, f"reachable and writable ({shown})")
        if state.up_to_date:
            self.add("Database schema", OK, f"migrated (revision {state.head})")
        elif not state.known:
            self.add(
                "Database schema",
                FAIL,
                f"at revision {state.current}, which this version does not know (its newest is {state.head})",
                "a newer version of the bridge migrated it: run that version",
            )
        elif default:
            self.add(
                "Database schema",
                OK,
                f"at {state.current or 'no revision'}, needs {state.head}: `run` migrates the default SQLite file",
            )
        else:
            self.add(
                "Database schema",
                FAIL,
                f"at {state.current or 'no revision (empty)'}, this version needs {state.head}",
                "run `python -m bot migrate`",
            )


def _sqlite_exists(url: str) -> bool:
    path = url.split("///", 1)[1] if "///" in url else ""
    path = path.split("?", 1)[0]
    return path in ("", ":memory:") or Path(path).exists()


def main(env: Mapping[str, str], *, out=None, manifest_path: Path | None = None) -> int:
    out = out or sys.stdout
    print("Checking what a real install needs (nothing is changed, nothing is posted):", file=out)
    checks = Doctor(env, manifest_path=manifest_path).run()
    for check in checks:
        print(check.line(), file=out)
    failed = [c for c in checks if c.status == FAIL]
    if failed:
        print(f"{len(failed)} of {len(checks)} checks failed.", file=out)
        return 1
    skipped = sum(c.status == SKIP for c in checks)
    print(f"All checks passed{f' ({skipped} could not be checked)' if skipped else ''}.", file=out)
    return 0
