"""`python -m bot doctor` checks the Bluesky account: a session, the handle, the notifications; or says why not."""

from bot.checks import FAIL, OK
from bot.doctor import Doctor
from tests.harness import bot_env


def bluesky_lines(env):
    return [c for c in Doctor(env).run() if c.name.startswith("Bluesky")]


def test_a_working_account_is_reported_signed_in(slack, x, bsky, database_url):
    env = bot_env(
        slack,
        x,
        database_url,
        BLUESKY_HANDLE="acme.test",
        BLUESKY_APP_PASSWORD="brand-app-pass",
        BLUESKY_PDS_URL=bsky.url,
    )
    [line] = bluesky_lines(env)
    assert line.status == OK and "@acme.test" in line.detail


def test_a_wrong_app_password_is_a_failure_that_says_what_to_fix(slack, x, bsky, database_url):
    env = bot_env(
        slack, x, database_url, BLUESKY_HANDLE="acme.test", BLUESKY_APP_PASSWORD="wrong", BLUESKY_PDS_URL=bsky.url
    )
    [line] = bluesky_lines(env)
    assert line.status == FAIL and "app password" in (line.fix or "") + line.detail
    assert "wrong" not in line.detail  # the secret is never shown
