"""`python -m bot doctor` against the stand-ins, configured right and then wrong in each way it detects."""

import io
from pathlib import Path

import pytest

from bot import cli, doctor
from bot.chats.slack import manifest
from bot.networks.x.network import RebasedTransport
from storage import schema
from storage.engine import make_engine
from tests.fakes import FakeSlack
from tests.harness import bot_env

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
SCOPES = manifest.bot_scopes(manifest.load(MANIFEST))


@pytest.fixture
def migrated(tmp_path):
    url = f"sqlite:///{tmp_path / 'doctor.db'}"
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def good_slack():
    with FakeSlack(scopes=SCOPES) as fake:
        yield fake


def examine(env: dict) -> tuple[int, dict[str, str], str]:
    """Exit status, the line of each check by name, and the whole output."""
    out = io.StringIO()
    status = doctor.main(env, out=out, manifest_path=MANIFEST)
    text = out.getvalue()
    lines = {}
    for line in text.splitlines()[1:-1]:
        name = line[6:].split(":", 1)[0]
        lines[name] = line
    return status, lines, text


def env_for(slack, x, database_url, **changes) -> dict:
    env = bot_env(slack, x, database_url)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def test_a_sound_install_passes_and_says_what_it_could_not_prove(good_slack, x, migrated):
    status, lines, text = examine(env_for(good_slack, x, migrated))

    assert status == 0, text
    for name in ("Settings", "Slack token", "Slack scopes", "Inbox channel", "Digest channel", "Signing secret"):
        assert lines[name].startswith("ok "), lines[name]
    assert lines["X reading mentions"].startswith("ok ") and "@AcmeSupport" in lines["X reading mentions"]
    assert lines["X posting as the brand"].startswith("skip") and "never posts" in lines["X posting as the brand"]
    assert lines["X bearer token"].startswith("ok ")
    assert lines["Database"].startswith("ok ") and lines["Database schema"].startswith("ok ")
    assert text.rstrip().endswith("All checks passed (1 could not be checked).")
    assert x.count("create_tweet") == 0, "the doctor never posts"
    assert good_slack.count("chat.postMessage") == 0


def test_a_revoked_slack_token(good_slack, x, migrated):
    env = env_for(good_slack, x, migrated)
    good_slack.revoke()

    status, lines, _ = examine(env)

    assert status == 1
    assert lines["Slack token"].startswith("FAIL") and "token_revoked" in lines["Slack token"]
    assert "reinstall the app" in lines["Slack token"]
    assert lines["Inbox channel"].startswith("skip") and lines["Slack scopes"].startswith("skip")


def test_a_wrong_slack_token(good_slack, x, migrated):
    status, lines, _ = examine(env_for(good_slack, x, migrated, SLACK_BOT_TOKEN="xoxb-not-the-one"))

    assert status == 1 and "invalid_auth" in lines["Slack token"]


def test_scopes_the_manifest_asks_for_and_the_token_lacks(x, migrated):
    with FakeSlack(scopes=[s for s in SCOPES if s not in ("groups:read", "usergroups:read")]) as slack:
        status, lines, _ = examine(env_for(slack, x, migrated))

    assert status == 1
    line = lines["Slack scopes"]
    assert line.startswith("FAIL") and "missing groups:read, usergroups:read" in line and "reinstall" in line


def test_the_bot_not_invited_to_the_inbox_channel(x, migrated):
    with FakeSlack(scopes=SCOPES, member_of=("C_DIGEST",)) as slack:
        status, lines, _ = examine(env_for(slack, x, migrated))

    assert status == 1
    assert lines["Inbox channel"].startswith("FAIL") and "not a member of #inbox (C_INBOX)" in lines["Inbox channel"]
    assert "/invite @Social Inbox in #inbox" in lines["Inbox channel"]
    assert lines["Digest channel"].startswith("ok ")


def test_a_digest_channel_that_does_not_exist(good_slack, x, migrated):
    status, lines, _ = examine(env_for(good_slack, x, migrated, SLACK_DIGEST_CHANNEL="C_GONE"))

    assert status == 1
    assert lines["Digest channel"].startswith("FAIL") and "SLACK_DIGEST_CHANNEL=C_GONE" in lines["Digest channel"]


def test_http_mode_without_a_signing_secret(good_slack, x, migrated):
    status, lines, _ = examine(env_for(good_slack, x, migrated, SLACK_SIGNING_SECRET=None))

    assert status == 1 and lines["Signing secret"].startswith("FAIL")
    assert "SLACK_SIGNING_SECRET is not set" in lines["Signing secret"]


def test_socket_mode_needs_no_signing_secret_but_a_working_app_token(good_slack, x, migrated):
    status, lines, text = examine(
        env_for(good_slack, x, migrated, SLACK_SIGNING_SECRET=None, SLACK_APP_TOKEN="xapp-1-socket")
    )

    assert status == 0, text
    assert lines["Signing secret"].startswith("ok ") and lines["Socket Mode"].startswith("ok ")


def test_x_credentials_refused(good_slack, x, migrated):
    x.set_credentials_valid(False)

    status, lines, _ = examine(env_for(good_slack, x, migrated))

    assert status == 1
    assert lines["X reading mentions"].startswith("FAIL") and "401" in lines["X reading mentions"]
    assert "X_ACCESS_TOKEN" in lines["X reading mentions"]
    assert lines["X posting as the brand"].startswith("skip")


def test_x_credentials_missing(good_slack, x, migrated):
    status, lines, _ = examine(env_for(good_slack, x, migrated, X_ACCESS_TOKEN_SECRET=None))

    assert status == 1 and "X_ACCESS_TOKEN_SECRET is not set" in lines["X reading mentions"]


@pytest.mark.parametrize(("level", "status"), [("read", "FAIL"), ("read-write", "ok ")])
def test_what_x_says_of_the_access_token(monkeypatch, good_slack, x, migrated, level, status):
    """Real X tells a user token's permission in x-access-level; FakeX does not, so it is added here."""
    send = RebasedTransport.send

    def send_with_level(self, request, **kwargs):
        response = send(self, request, **kwargs)
        response.headers["x-access-level"] = level
        return response

    monkeypatch.setattr(RebasedTransport, "send", send_with_level)

    _, lines, _ = examine(env_for(good_slack, x, migrated))

    assert (
        lines["X posting as the brand"].startswith(status)
        and f"x-access-level: {level}" in lines["X posting as the brand"]
    )
    if status == "FAIL":
        assert "Read and write" in lines["X posting as the brand"]


def test_a_wrong_bearer_token(good_slack, x, migrated):
    status, lines, _ = examine(env_for(good_slack, x, migrated, X_BEARER_TOKEN="not-it"))

    assert status == 1 and lines["X bearer token"].startswith("FAIL")


def test_slack_and_x_out_of_reach(good_slack, x, migrated):
    env = env_for(good_slack, x, migrated, SLACK_API_URL="http://127.0.0.1:9/api/", X_API_URL="http://127.0.0.1:9")

    status, lines, _ = examine(env)

    assert status == 1
    assert "could not be reached at SLACK_API_URL=http://127.0.0.1:9/api/" in lines["Slack token"]
    assert "could not be reached at X_API_URL=http://127.0.0.1:9" in lines["X reading mentions"]


def test_a_database_not_migrated(good_slack, x, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    make_engine(url).dispose()
    (tmp_path / "empty.db").touch()

    status, lines, _ = examine(env_for(good_slack, x, url))

    assert status == 1
    assert lines["Database"].startswith("ok ")
    assert lines["Database schema"].startswith("FAIL") and "python -m bot migrate" in lines["Database schema"]


def test_a_database_file_that_is_not_there(good_slack, x, tmp_path):
    status, lines, _ = examine(env_for(good_slack, x, f"sqlite:///{tmp_path / 'bot.db'}"))

    assert status == 1 and "does not exist" in lines["Database"]
    assert not (tmp_path / "bot.db").exists(), "the doctor creates nothing"


def test_a_database_file_in_a_folder_that_is_not_there(good_slack, x, tmp_path):
    status, lines, _ = examine(env_for(good_slack, x, f"sqlite:///{tmp_path / 'nowhere' / 'bot.db'}"))

    assert status == 1 and "DATABASE_URL" in lines["Settings"] and "does not exist" in lines["Settings"]
    assert not (tmp_path / "nowhere").exists(), "the doctor creates nothing"


def test_a_database_server_out_of_reach(good_slack, x):
    status, lines, _ = examine(env_for(good_slack, x, "postgresql+psycopg://bridge:secret@127.0.0.1:9/bridge"))

    assert status == 1 and lines["Database"].startswith("FAIL") and "cannot be used" in lines["Database"]
    assert "secret" not in lines["Database"]


def test_a_wrong_setting_is_named(good_slack, x, migrated):
    status, lines, _ = examine(env_for(good_slack, x, migrated, TIMEZONE="Mars/Olympus"))

    assert status == 1 and "TIMEZONE" in lines["Settings"]


def test_the_command_line(monkeypatch, capsys, good_slack, x, migrated):
    for name, value in env_for(good_slack, x, migrated, SLACK_SIGNING_SECRET=None).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)

    assert cli.main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  Signing secret" in out and out.rstrip().endswith("1 of 11 checks failed.")
