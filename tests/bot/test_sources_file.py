"""ACCOUNTS_FILE says each account's network: x by default, named with `network:`; a network the bridge does not
know leaves that account out, by name, and the others are served."""

import textwrap

from bot.networks.bluesky import settings as bluesky_settings
from bot.sources_file import load

ENV = {"A_TOKEN": "a", "A_SECRET": "as", "B_TOKEN": "b", "B_SECRET": "bs", "X_API_KEY": "k", "X_API_SECRET": "s"}


def write(tmp_path, text: str) -> str:
    path = tmp_path / "accounts.yml"
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_each_account_says_its_network_and_x_is_the_default(tmp_path):
    path = write(
        tmp_path,
        """
        accounts:
          - name: plain
            channel: C_A
            credentials: {access_token: A_TOKEN, access_token_secret: A_SECRET}
          - name: named
            network: X
            channel: C_B
            credentials: {access_token: B_TOKEN, access_token_secret: B_SECRET}
        """,
    )
    listed = load(path, ENV)
    assert [(a.name, a.network) for a in listed.accounts] == [("plain", "x"), ("named", "x")]
    assert listed.problems == ()


def test_an_unknown_network_leaves_its_account_out_by_name(tmp_path):
    path = write(
        tmp_path,
        """
        accounts:
          - name: good
            channel: C_A
            credentials: {access_token: A_TOKEN, access_token_secret: A_SECRET}
          - name: elsewhere
            network: myspace
            channel: C_B
            credentials: {access_token: B_TOKEN, access_token_secret: B_SECRET}
        """,
    )
    listed = load(path, ENV)
    assert [a.name for a in listed.accounts] == ["good"]
    (problem,) = listed.problems
    assert 'account "elsewhere"' in problem and "'myspace' is not one the bridge knows (known: bluesky, x)" in problem


DM_ACCOUNTS = """
    accounts:
      - name: good
        channel: C_A
        dm_channel: C_DM
        credentials: {access_token: A_TOKEN, access_token_secret: A_SECRET}
      - name: sky
        network: bluesky
        channel: C_B
        dm_channel: C_DM2
        credentials: {handle: SKY_HANDLE, app_password: SKY_PASSWORD}
    """
SKY_ENV = {**ENV, "SKY_HANDLE": "acme.bsky.social", "SKY_PASSWORD": "app-pass"}


def test_a_bluesky_account_may_have_a_dm_channel(tmp_path):
    listed = load(write(tmp_path, DM_ACCOUNTS), SKY_ENV)
    assert [(a.name, a.dm_channel) for a in listed.accounts] == [("good", "C_DM"), ("sky", "C_DM2")]
    assert listed.problems == ()


def test_a_dm_channel_on_a_network_without_direct_messages_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setattr(bluesky_settings, "DIRECT_MESSAGES", False)  # a wing whose direct messages are not read
    listed = load(write(tmp_path, DM_ACCOUNTS), SKY_ENV)
    assert [a.name for a in listed.accounts] == ["good"]
    (problem,) = listed.problems
    assert 'account "sky"' in problem and "does not read Bluesky's direct messages" in problem
