"""Teams' settings from outside, through the operating contract: a wrong one stops the start naming it, the doctor
checks them against the (stand-in) services, `teams-app` writes the package to upload, and `web` serves Teams."""

import io
import json
import struct
import zipfile

import requests

from bot import doctor
from tests.bot.test_cli import run_cli, start_cli
from tests.harness import free_port, wait_until
from tests.teams.harness import INBOX, teams_env


def with_ca(env, teams):
    return {**env, "REQUESTS_CA_BUNDLE": teams.ca_file}


def test_a_wrong_teams_setting_stops_the_start_naming_it(teams, x, database_url, tmp_path):
    env = with_ca(teams_env(teams, x, database_url), teams)
    cases = {
        "TEAMS_APP_PASSWORD": ({"TEAMS_APP_PASSWORD": "wrong"}, "Invalid client secret"),
        "TEAMS_TENANT_ID": ({"TEAMS_TENANT_ID": "33333333-3333-4333-8333-333333333333"}, "does not know this tenant"),
        "TEAMS_APP_ID": ({"TEAMS_APP_ID": "my-bot"}, "GUID"),
        "TEAMS_INBOX_CHANNEL": ({"TEAMS_INBOX_CHANNEL": "General"}, "19:"),
        "TEAMS_AUTH_URL": ({"TEAMS_AUTH_URL": teams.auth_url.replace("https", "http")}, "https"),
    }
    for name, (change, said) in cases.items():
        started = run_cli(["worker"], {**env, **change}, tmp_path, timeout=120)
        assert started.returncode == 2, (name, started.stderr)
        assert started.stderr.startswith("Cannot start: ") and name in started.stderr and said in started.stderr
        assert "wrong" not in started.stderr or name != "TEAMS_APP_PASSWORD"  # a secret is never echoed
    missing = {k: v for k, v in env.items() if k != "TEAMS_TENANT_ID"}
    started = run_cli(["worker"], missing, tmp_path, timeout=120)
    assert started.returncode == 2 and "TEAMS_TENANT_ID is not set" in started.stderr


def test_the_doctor_checks_the_teams_settings(teams, x, database_url):
    env = with_ca(teams_env(teams, x, database_url), teams)
    out = io.StringIO()
    status = doctor.main(env, out=out)
    lines = {line[6:].split(":", 1)[0]: line for line in out.getvalue().splitlines()[1:-1]}
    assert status == 0, out.getvalue()
    for name in ("Teams token", "Teams inbound keys", "Teams inbox channel", "Teams digest channel"):
        assert lines[name].startswith("ok "), lines[name]
    assert lines["Slack"].startswith("skip")
    assert teams.count("POST", "/teams/v3/conversations") == 0, "the doctor posts nothing"

    teams.installed = False
    out = io.StringIO()
    assert doctor.main(env, out=out) == 1
    assert "FAIL  Teams inbox channel" in out.getvalue() and "not installed" in out.getvalue()
    out = io.StringIO()
    assert doctor.main({**env, "TEAMS_APP_PASSWORD": "nope"}, out=out) == 1
    assert "FAIL  Teams token: TEAMS_APP_PASSWORD" in out.getvalue()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_teams_app_writes_the_package_to_upload(teams, x, database_url, tmp_path):
    env = {"TEAMS_APP_ID": teams.app_id}
    done = run_cli(["teams-app", "--out", "social-inbox-teams.zip"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "social-inbox-teams.zip") as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        assert _png_size(archive.read("color.png")) == (192, 192)
        assert _png_size(archive.read("outline.png")) == (32, 32)
    [bot] = manifest["bots"]
    assert bot["botId"] == teams.app_id and set(bot["scopes"]) == {"team", "personal"}
    titles = [c["title"] for lists in bot["commandLists"] for c in lists["commands"]]
    assert titles == ["social-stats", "social-replies"]
    rsc = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in rsc
    assert manifest["webApplicationInfo"]["id"] == teams.app_id
    missing = run_cli(["teams-app", "--out", "x.zip"], {}, tmp_path)
    assert missing.returncode == 2 and "TEAMS_APP_ID is not set" in missing.stderr


def test_web_serves_teams_beside_healthz(teams, x, database_url, tmp_path, customer):
    port = free_port()
    env = with_ca({**teams_env(teams, x, database_url), "PORT": str(port)}, teams)
    web = start_cli(["web"], env, tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"

        def healthy():
            try:
                return requests.get(url + "/healthz", timeout=2).status_code == 200
            except requests.ConnectionError:
                return web.poll() is not None and AssertionError(web.stdout.read())

        assert wait_until(healthy, timeout=120) is True
        from tests.teams.harness import TeamsDriver

        driver = TeamsDriver(teams, url + "/api/messages")
        ana = teams.add_user("Ana Pérez")
        activity = driver.message(ana, "hello", channel=INBOX, root="1700000000000")
        assert driver.send(activity).status_code in (200, 202)  # not a case: heard, nothing done
        assert driver.send(activity, token=None).status_code == 401
        assert requests.post(url + "/slack/events", data=b"{}", timeout=5).status_code == 404  # Teams only
    finally:
        web.terminate()
        web.wait(timeout=30)
