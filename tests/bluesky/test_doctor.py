"""`python -m bot doctor` checks the Bluesky account: a session, the handle, the notifications; or says why not."""

from bot.checks import FAIL, OK
from bot.doctor import Doctor


def bluesky_lines(env):
    return [c for c in Doctor(env).run() if c.name.startswith("Bluesky")]


def test_a_working_account_is_reported_signed_in(bsky_env):
    [line] = bluesky_lines(bsky_env)
    assert line.status == OK and "@acme.test" in line.detail


def test_a_wrong_app_password_is_a_failure_that_says_what_to_fix(bsky_env):
    [line] = bluesky_lines({**bsky_env, "BLUESKY_APP_PASSWORD": "wrong"})
    assert line.status == FAIL and "app password" in (line.fix or "") + line.detail
    assert "wrong" not in line.detail  # the secret is never shown
