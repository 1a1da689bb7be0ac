"""`python -m bot doctor`: check each thing a real install needs, one line each, and name what is wrong.

Nothing is changed and nothing is posted: the checks only read (auth.test, conversations.info, the brand's
profile and mentions, the database's schema revision). What cannot be proven without posting is said so.
"""

import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import requests
import tweepy
from sqlalchemy.exc import SQLAlchemyError

from bot.chats.slack.doctor import SlackChecks
from bot.checks import FAIL, OK, SKIP, Check, Checklist, header
from bot.networks.x.network import RebasedTransport
from bot.settings import DEFAULT_DATABASE_URL, ConfigError, Settings, from_env
from storage import schema
from storage.engine import make_engine
from storage.health import READ_ONLY, database_state, plain_reason

WRITE_LEVELS = ("read-write", "read-write-directmessages")


class Doctor(Checklist):
    def __init__(self, env: Mapping[str, str], *, manifest_path: Path | None = None):
        super().__init__()
        self.env = env
        self.manifest_path = manifest_path

    def run(self) -> list[Check]:
        try:
            settings = from_env(self.env)
        except ConfigError as err:
            self.add("Settings", FAIL, str(err), "correct that setting in the environment or the .env file")
            return self.checks
        self.add("Settings", OK, "read from the environment")
        SlackChecks(self, manifest_path=self.manifest_path).run(settings)
        self.x(settings)
        self.database(settings)
        return self.checks

    # -- Slack --------------------------------------------------------------------------------------------

    # -- X ------------------------------------------------------------------------------------------------

    def x_client(self, settings: Settings, *, user: bool) -> tweepy.Client:
        if user:
            client = tweepy.Client(
                consumer_key=settings.x_api_key,
                consumer_secret=settings.x_api_secret,
                access_token=settings.x_access_token,
                access_token_secret=settings.x_access_token_secret,
                return_type=requests.Response,
            )
        else:
            client = tweepy.Client(bearer_token=settings.x_bearer_token, return_type=requests.Response)
        client.session.mount("https://", RebasedTransport(settings.x_api_url, timeout=(5, 15)))
        return client

    def x_failure(self, name: str, err: Exception, settings: Settings, credentials: str) -> None:
        if isinstance(err, tweepy.Unauthorized):
            self.add(
                name,
                FAIL,
                f"X refused {credentials} (401 Unauthorized)",
                "in the developer portal (your app → Keys and tokens) regenerate them and copy them again",
            )
        elif isinstance(err, tweepy.TooManyRequests):
            self.add(name, SKIP, "X's rate limit is reached for now: try again in 15 minutes")
        elif isinstance(err, tweepy.HTTPException):
            messages = "; ".join(str(m) for m in err.api_messages) or str(err)
            self.add(
                name,
                FAIL,
                f"X answered {err.response.status_code}: {messages}",
                "check the app's access level and its Project in the developer portal",
            )
        else:
            self.add(
                name,
                FAIL,
                f"X could not be reached at X_API_URL={settings.x_api_url} ({type(err).__name__})",
                "check the network, a proxy, or X_API_URL (leave it unset for X itself)",
            )

    def x(self, settings: Settings) -> None:
        if settings.sources is not None:
            self.file_accounts(settings)
            return
        missing = settings.missing_x_credentials()
        if missing:
            self.not_set("X reading mentions", *missing)
            self.add("X posting as the brand", SKIP, "not checked without the brand's credentials")
        else:
            self.x_user(settings)
        if settings.x_bearer_token:
            self.x_bearer(settings)

    def file_accounts(self, settings: Settings) -> None:
        """ACCOUNTS_FILE: its wrong entries, then each account's credentials, as for the single account."""
        listed = settings.sources
        for problem in listed.problems:
            self.add("Accounts file", FAIL, problem, f"correct the entry in {listed.path} or the variables it names")
        for entry in listed.accounts:
            c = entry.credentials
            account = replace(
                settings,
                x_api_key=c["api_key"],
                x_api_secret=c["api_secret"],
                x_access_token=c["access_token"],
                x_access_token_secret=c["access_token_secret"],
            )
            first = len(self.checks)
            self.x_user(account)
            self.checks[first:] = [
                replace(check, name=f'{check.name} ("{entry.name}")') for check in self.checks[first:]
            ]
        if settings.x_bearer_token:
            self.x_bearer(settings)

    def x_user(self, settings: Settings) -> None:
        client = self.x_client(settings, user=True)
        credentials = (
            "the brand's user-context credentials (X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET)"
        )
        try:
            me = client.get_me(user_auth=True)
            brand = me.json()["data"]
            client.get_users_mentions(brand["id"], max_results=5, user_auth=True)
        except (tweepy.TweepyException, requests.RequestException, ValueError, KeyError) as err:
            self.x_failure("X reading mentions", err, settings, credentials)
            self.add("X posting as the brand", SKIP, "not checked: the credentials do not work for reading")
            return
        self.add(
            "X reading mentions", OK, f"signed in as @{brand['username']} ({brand['id']}); its mentions can be read"
        )
        level = header(me.headers, "x-access-level")
        if level is None:
            self.add(
                "X posting as the brand",
                SKIP,
                "not provable without posting, and the doctor never posts: make sure the app's permissions are "
                "'Read and write' and the access token was generated after they were set; the first reply will tell",
            )
        elif level in WRITE_LEVELS:
            self.add(
                "X posting as the brand",
                OK,
                f"the access token may post (x-access-level: {level}); nothing was posted to prove it",
            )
        else:
            self.add(
                "X posting as the brand",
                FAIL,
                f"the access token may only read (x-access-level: {level})",
                "set the app's User authentication settings to 'Read and write', then regenerate the access token "
                "and secret (a token keeps the permissions it was made with)",
            )

    def x_bearer(self, settings: Settings) -> None:
        try:
            self.x_client(settings, user=False).get_user(username="XDevelopers")
        except tweepy.NotFound:
            pass  # the token was accepted; the account does not matter
        except (tweepy.TweepyException, requests.RequestException) as err:
            self.x_failure("X bearer token", err, settings, "X_BEARER_TOKEN")
            return
        self.add(
            "X bearer token", OK, "accepted for app-only reads (optional: the bridge reads with the brand's tokens)"
        )

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
