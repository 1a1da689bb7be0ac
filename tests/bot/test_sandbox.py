"""The sandbox over HTTP: the page, its actions reaching the real bot through the stand-ins, restarts, the CLI."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from slack_sdk import WebClient

from bot import cli
from bot.sandbox import Sandbox
from bot.sandbox.runtime import INBOX
from bot.settings import SECRET_NAMES
from handlers.slack import commands
from tests.harness import buttons, card_text, wait_until

ROOT = Path(__file__).resolve().parents[2]
LUCIA, SAM = "U0LUCIA", "U0SAM"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with Sandbox(tmp_path_factory.mktemp("sandbox")) as running:
        yield running


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def act(sandbox: Sandbox, action: str, *, headers: dict | None = None, **fields) -> tuple[int, dict]:
    """POST a form as the page's script does, with the headers a browser adds to it (or `headers` instead)."""
    request = urllib.request.Request(
        sandbox.url + "act/" + action,
        data=urlencode(fields).encode(),
        headers={
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            **(browser_headers(sandbox) if headers is None else headers),
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=150) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        body = err.read()
        return err.code, json.loads(body) if body.startswith(b"{") else {"ok": False, "error": body.decode()}


def browser_headers(sandbox: Sandbox) -> dict:
    """What a browser adds to a form its page posts to its own origin."""
    return {"Origin": sandbox.url.rstrip("/"), "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}


def fragments(sandbox: Sandbox, agent: str = LUCIA, channel: str = INBOX) -> dict:
    status, body = get(sandbox.url + "fragments?" + urlencode({"agent": agent, "channel": channel}))
    assert status == 200
    return json.loads(body)


def card_of(sandbox: Sandbox, handle: str) -> dict:
    return next((m for m in sandbox.slack.messages(INBOX) if f"|@{handle}>" in card_text(m)), {})


def test_the_page_shows_the_seeded_cases_in_spanish_and_english(sandbox):
    status, page = get(sandbox.url)

    assert status == 200
    assert "# social-inbox" in page and "Acme Support" in page
    for words in ("María García", "mi pedido #A1234", "James O&#x27;Connor", "logging me out", "Carlos Ruiz"):
        assert words in page, words
    assert "Lucía Ortega" in page and "Sam Carter" in page
    assert page.count('data-action="case_claim"') == 3, "James's, Laura's and Elif's cases are still open"


def test_the_first_view_shows_a_bluesky_case_beside_the_x_ones(sandbox):
    card = card_text(card_of(sandbox, "elif.bsky.social"))
    assert "*Open*" in card and "@acme.bsky.social my order #C2290" in card
    [post] = bluesky_posts_of(sandbox, "elif.bsky.social")

    status, page = get(sandbox.url)

    assert status == 200
    x_side = page.split('id="x-feed"', 1)[1]
    assert (
        "Elif Demir" in x_side
        and "arrived without the charger" in x_side
        and '<span class="net on-bsky">Bluesky</span>' in x_side
    )
    assert "María García" in x_side and '<span class="net on-x">X</span>' in x_side
    rkey = post["uri"].rsplit("/", 1)[1]
    assert f'id="b{rkey}"' in x_side
    assert f'href="#b{rkey}" data-pane="x"' in fragments(sandbox)["slack"], "the card's link opens the post here"


def test_the_seeded_cases_are_in_every_state(sandbox):
    states = {h: card_text(card_of(sandbox, h)) for h in ("maria_g", "priya_shah", "cruiz_mx", "jamesoc", "lauraben")}

    assert "*Claimed* by <@U0LUCIA>" in states["maria_g"] and "1 public reply" in states["maria_g"]
    assert "*Claimed* by <@U0SAM>" in states["priya_shah"]
    assert "*Resolved* by <@U0SAM>" in states["cruiz_mx"]
    assert "*Open*" in states["jamesoc"] and "*Open*" in states["lauraben"]
    public = [p["text"] for p in sandbox.x.brand_posts()]
    assert any("Hola María" in t for t in public) and any("Hola Carlos" in t for t in public)
    assert not any("billing" in t for t in public), "a note: stays in Slack"
    thread = sandbox.slack.replies(INBOX, card_of(sandbox, "maria_g")["ts"])
    assert any("Quedo atenta" in m["text"] for m in thread), "the customer's follow-up is in the thread"


def test_a_mention_posted_on_the_page_becomes_a_card_and_an_agent_answers_it(sandbox):
    status, answer = act(sandbox, "mention", handle="@tomas_r", name="Tomás Romero", text="¿Dónde está mi reembolso?")
    assert (status, answer["ok"]) == (200, True)

    card = wait_until(lambda: card_of(sandbox, "tomas_r"))
    assert "@AcmeSupport ¿Dónde está mi reembolso?" in card_text(card), "the brand's handle is added, as X's box does"
    assert "Tomás Romero" in fragments(sandbox)["slack"]

    status, answer = act(
        sandbox,
        "click",
        agent=LUCIA,
        channel=INBOX,
        ts=card["ts"],
        action_id="case_claim",
        value=buttons(card)["case_claim"],
    )
    assert (status, answer["ok"]) == (200, True)
    wait_until(lambda: "*Claimed* by <@U0LUCIA>" in card_text(card_of(sandbox, "tomas_r")))
    assert 'Claimed</b> by <span class="mention">@Lucía Ortega</span>' in fragments(sandbox)["slack"]

    status, answer = act(
        sandbox, "say", agent=LUCIA, channel=INBOX, thread_ts=card["ts"], text="Hola Tomás, ya está en camino"
    )
    assert (status, answer["ok"]) == (200, True)
    wait_until(lambda: any(p["text"] == "Hola Tomás, ya está en camino" for p in sandbox.x.brand_posts()))
    wait_until(lambda: "Hola Tomás, ya está en camino" in fragments(sandbox)["x"])


def bluesky_posts_of(sandbox: Sandbox, handle: str) -> list[dict]:
    """The posts of @handle on the Bluesky stand-in, oldest first."""
    fake = sandbox.bluesky
    mine = [p for p in fake.posts.values() if fake.users[p["author"]]["handle"] == handle]
    return sorted(mine, key=lambda p: p["uri"].rsplit("/", 1)[1])


def test_a_bluesky_mention_posted_on_the_page_is_answered_on_bluesky_from_the_thread(sandbox):
    # The X brand's handle, as the box starts: on Bluesky the brand is @acme.bsky.social.
    status, answer = act(
        sandbox,
        "mention",
        network="bluesky",
        handle="@nora",
        name="Nora Quinn",
        text="@AcmeSupport my parcel never came",
    )
    assert (status, answer["ok"]) == (200, True)

    card = wait_until(lambda: card_of(sandbox, "nora.bsky.social"))
    assert "@acme.bsky.social my parcel never came" in card_text(card) and "AcmeSupport" not in card_text(card)
    assert "Nora Quinn" in fragments(sandbox)["slack"]
    [mention] = bluesky_posts_of(sandbox, "nora.bsky.social")
    claim = {"action_id": "case_claim", "value": buttons(card)["case_claim"]}
    assert act(sandbox, "click", agent=SAM, channel=INBOX, ts=card["ts"], **claim)[1]["ok"]
    wait_until(lambda: "*Claimed* by <@U0SAM>" in card_text(card_of(sandbox, "nora.bsky.social")))

    status, answer = act(
        sandbox, "say", agent=SAM, channel=INBOX, thread_ts=card["ts"], text="Sorry Nora! A courier comes tomorrow."
    )

    assert (status, answer["ok"]) == (200, True)
    [reply] = wait_until(lambda: sandbox.bluesky.replies_to(mention["uri"]))
    assert reply["record"]["text"] == "Sorry Nora! A courier comes tomorrow."
    assert sandbox.bluesky.users[reply["author"]]["handle"] == "acme.bsky.social", "posted by the brand"
    x_side = wait_until(lambda: (f := fragments(sandbox)["x"]) and "A courier comes tomorrow" in f and f)
    brand_post = x_side.split(f'id="b{reply["uri"].rsplit("/", 1)[1]}"', 1)[0].rsplit("<article", 1)[1]
    assert 'class="tweet on-bsky brand"' in brand_post

    # Nora answers from the reply box under the conversation: a follow-up in the card's thread.
    status, answer = act(
        sandbox, "mention", network="bluesky", handle="@nora.bsky.social", in_reply_to=reply["uri"], text="thanks!"
    )
    assert (status, answer["ok"]) == (200, True)
    wait_until(lambda: any("thanks!" in m["text"] for m in sandbox.slack.replies(INBOX, card["ts"])))
    assert len([m for m in sandbox.slack.messages(INBOX) if "nora.bsky.social" in card_text(m)]) == 1


def test_private_notices_are_shown_only_to_their_agent(sandbox):
    card = card_of(sandbox, "jamesoc")
    act(sandbox, "say", agent=SAM, channel=INBOX, thread_ts=card["ts"], text="Looking at it")

    wait_until(lambda: "Claim it first" in fragments(sandbox, SAM)["slack"])
    assert "Claim it first" not in fragments(sandbox, LUCIA)["slack"]

    maria = card_of(sandbox, "maria_g")
    act(
        sandbox,
        "click",
        agent=SAM,
        channel=INBOX,
        ts=maria["ts"],
        action_id="case_resolve",
        value=buttons(maria)["case_resolve"],
    )
    wait_until(lambda: "already claimed by" in fragments(sandbox, SAM)["slack"])
    assert "Only visible to you" in fragments(sandbox, SAM)["slack"]
    assert "already claimed by" not in fragments(sandbox, LUCIA)["slack"]


ECHO = '<div class="notice-cmd">/social-stats</div>'


@pytest.mark.parametrize("figures", ["in the acknowledgement", "by the response_url"])
def test_social_stats_from_the_composer_answers_privately(sandbox, monkeypatch, figures):
    if figures == "by the response_url":  # as when the figures take longer than Slack lets an ack wait
        monkeypatch.setattr(commands, "INLINE_WAIT_SECONDS", 0)
    before = fragments(sandbox, SAM)["slack"].count(ECHO)

    status, answer = act(sandbox, "say", agent=SAM, channel=INBOX, text="/social-stats")

    assert (status, answer["ok"]) == (200, True)
    slack = fragments(sandbox, SAM)["slack"]
    assert slack.count(ECHO) == before + 1, "the command as typed heads its answer, once"
    assert "<b>Today</b>" in slack.rsplit(ECHO, 1)[1]
    assert "<b>Today</b>" not in fragments(sandbox, LUCIA)["slack"]


def test_an_unknown_slash_command_names_the_commands_of_the_app(sandbox):
    status, answer = act(sandbox, "say", agent=SAM, channel=INBOX, text="/nope")

    assert (status, answer["ok"]) == (200, True)
    assert (
        "/nope is not a valid command. The commands of this app are /social-stats, /social-replies and /reply."
        in fragments(sandbox, SAM)["slack"]
    )


def test_bad_input_gets_a_plain_answer(sandbox):
    assert act(sandbox, "say", agent="U0NOBODY", channel=INBOX, text="hi")[1]["error"].startswith("Choose who you are")
    assert act(sandbox, "mention", handle="@@ no", text="hello")[1]["error"].startswith("An X handle")
    no = act(sandbox, "mention", network="bluesky", handle="@no_such handle", text="hello")
    assert no[1]["error"].startswith("A Bluesky handle")
    brand = act(sandbox, "mention", network="bluesky", handle="@acme.bsky.social", text="hello")
    assert brand[1]["error"].startswith("@acme.bsky.social is the brand")
    assert act(sandbox, "mention", handle="@AcmeSupport", text="hello")[1]["error"].startswith(
        "@AcmeSupport is the brand"
    )
    status, answer = act(sandbox, "mention", handle="@someone", text="  ")
    assert status == 400 and answer["ok"] is False

    request = urllib.request.Request(
        sandbox.url + "act/say", data=b"agent=U0SAM&text=", headers=browser_headers(sandbox), method="POST"
    )
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(request, timeout=10)
    assert redirect.value.code == 303 and "error=Type+a+message" in redirect.value.headers["Location"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {},
    ],
    ids=["another-site", "opaque-origin", "cross-site-without-origin", "no-origin"],
)
def test_a_cross_site_form_cannot_act(sandbox, headers):
    status, answer = act(sandbox, "mention", headers=headers, handle="@csrf_victim", text="posted by another site")

    assert status == 403 and answer["ok"] is False
    assert posts_of(sandbox, "csrf_victim") == []
    before = len(posts_of(sandbox, "csrf_control"))
    assert act(sandbox, "mention", handle="@csrf_control", text="posted by the page")[0] == 200
    assert len(posts_of(sandbox, "csrf_control")) == before + 1


def posts_of(sandbox: Sandbox, handle: str) -> list[dict]:
    try:
        return sandbox.x.posts_by(handle)
    except KeyError:  # no such customer: nothing was ever posted as them
        return []


@pytest.mark.parametrize("host", ["evil.example", "rebound.example:{port}", "127.0.0.1.evil.example:{port}"])
def test_another_host_name_is_refused(sandbox, host):
    """DNS rebinding: a name the attacker controls, pointed at 127.0.0.1, would make the page same-origin to it."""
    port = urlsplit(sandbox.url).port
    name = host.format(port=port)
    page = requests.get(sandbox.url, headers={"Host": name}, timeout=10)
    post = requests.post(
        sandbox.url + "act/mention",
        headers={
            "Host": name,
            "Origin": f"http://{name}",
            "Sec-Fetch-Site": "same-origin",
            "Accept": "application/json",
        },
        data={"handle": "@rebound", "text": "posted through a rebound name"},
        timeout=10,
    )

    assert page.status_code == 400 and "rebound" not in page.text
    assert post.status_code == 400 and posts_of(sandbox, "rebound") == []
    assert requests.get(sandbox.url.replace("127.0.0.1", "localhost"), timeout=10).status_code == 200


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_files_the_bot_uploads_are_shown_and_served(sandbox):
    client = WebClient(token=sandbox.slack.bot_token, base_url=sandbox.slack.url)
    png = b"\x89PNG\r\n\x1a\n" + b"chart" * 20
    client.files_upload_v2(channel="C0DIGESTS", content=png, filename="sla.png", title="SLA this week")

    feed = fragments(sandbox, channel="C0DIGESTS")["slack"]

    upload = sandbox.slack.files[-1]
    assert f'<img src="/files/{upload["id"]}"' in feed and "SLA this week" in feed
    with urllib.request.urlopen(sandbox.url + f"files/{upload['id']}", timeout=10) as response:
        assert response.headers["Content-Type"] == "image/png" and response.read() == png


def test_menus_on_a_card_reach_the_bot_a_users_menu_and_a_saved_reply(sandbox):
    act(sandbox, "say", agent=LUCIA, channel=INBOX, text="/social-replies add gracias ¡Gracias por escribirnos!")
    laura = card_of(sandbox, "lauraben")
    act(
        sandbox,
        "click",
        agent=LUCIA,
        channel=INBOX,
        ts=laura["ts"],
        action_id="case_claim",
        value=buttons(laura)["case_claim"],
    )
    wait_until(lambda: "<@U0LUCIA>" in card_text(card_of(sandbox, "lauraben")))
    feed = wait_until(lambda: (f := fragments(sandbox)["slack"]) and 'data-action="case_saved_reply"' in f and f)
    assert 'data-action="case_reassign"' in feed and '<option value="gracias">gracias</option>' in feed

    status, answer = act(
        sandbox, "select", agent=LUCIA, channel=INBOX, ts=laura["ts"], action_id="case_saved_reply", value="gracias"
    )

    assert (status, answer["ok"]) == (200, True)
    wait_until(lambda: any(p["text"] == "¡Gracias por escribirnos!" for p in sandbox.x.brand_posts()))
    act(sandbox, "select", agent=LUCIA, channel=INBOX, ts=laura["ts"], action_id="case_reassign", value=SAM)
    wait_until(lambda: "<@U0SAM>" in card_text(card_of(sandbox, "lauraben")))


def test_a_button_on_a_private_notice_reaches_the_bot(sandbox):
    client = WebClient(token=sandbox.slack.bot_token, base_url=sandbox.slack.url)
    question = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Your reply was edited. Keep it?"}},
        {
            "type": "actions",
            "block_id": "reply_question",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Keep"},
                    "action_id": "reply_keep",
                    "value": "999999",
                }
            ],
        },
    ]
    client.chat_postEphemeral(channel=INBOX, user=SAM, text="Keep it?", blocks=question)
    wait_until(lambda: "Your reply was edited" in fragments(sandbox, SAM)["slack"])
    notice = next(n for n in sandbox.notices if n.text == "Keep it?")

    status, answer = act(sandbox, "notice", agent=SAM, notice=notice.id, action_id="reply_keep")

    assert (status, answer["ok"]) == (200, True)
    wait_until(lambda: "Your reply was edited" not in fragments(sandbox, SAM)["slack"])
    assert act(sandbox, "notice", agent=LUCIA, notice=notice.id, action_id="reply_keep")[0] == 400, "not hers"


def test_the_digests_are_posted_on_demand_with_their_charts(sandbox):
    before = len(sandbox.slack.messages("C0DIGESTS"))

    status, answer = act(sandbox, "digest", agent=LUCIA)

    assert (status, answer["ok"]) == (200, True) and "#social-digests" in answer["message"]
    assert len(sandbox.slack.messages("C0DIGESTS")) >= before + 6, "the day's and the week's, each with a chart"
    feed = fragments(sandbox, channel="C0DIGESTS")["slack"]
    assert "digest" in feed.lower() and '<img src="/files/' in feed
    assert 'action="/act/digest"' in get(sandbox.url)[1]


def test_two_sandboxes_run_at_once_without_touching_the_environment():
    before = dict(os.environ)
    with Sandbox(seed=False) as one, Sandbox(seed=False) as two:
        assert len({one.url, two.url, one.bot_url, two.bot_url, one.slack.url, two.slack.url}) == 6
        assert get(one.url)[0] == get(two.url)[0] == 200
        assert one.data_dir != two.data_dir
        data_dir = one.data_dir
    assert dict(os.environ) == before
    assert not data_dir.exists(), "a temporary sandbox leaves nothing behind"


def test_a_data_folder_keeps_the_world_across_restarts(tmp_path):
    with Sandbox(tmp_path / "data", seed=False) as first:
        post = first.post_as_customer("ana_p", "hola, ¿abrís el domingo?", name="Ana Pérez")
        wait_until(lambda: len(first.slack.messages(INBOX)) == 1)

    with Sandbox(tmp_path / "data") as second:
        assert not second.seeded, "only a new world is seeded"
        assert [m["text"] for m in second.slack.messages(INBOX)][0].startswith("Mention from @ana_p")
        assert second.customers == ["ana_p"]
        second.post_as_customer("ana_p", "¿y el lunes?", in_reply_to=post["id"])
        wait_until(lambda: len(second.slack.replies(INBOX, second.slack.messages(INBOX)[0]["ts"])) == 1)
        assert len(second.slack.messages(INBOX)) == 1, "the same conversation: a follow-up in the thread"


def test_a_data_folder_keeps_the_bluesky_world_across_restarts(tmp_path):
    with Sandbox(tmp_path / "data", seed=False) as first:
        post = first.post_on_bluesky("ana.bsky.social", "hola, ¿abrís el domingo?", name="Ana Pérez")
        wait_until(lambda: len(first.slack.messages(INBOX)) == 1)

    with Sandbox(tmp_path / "data") as second:
        assert second.bluesky_customers == ["ana.bsky.social"]
        assert "¿abrís el domingo?" in fragments(second)["x"], "the post is still on the stand-in"
        second.post_on_bluesky("ana.bsky.social", "¿y el lunes?", in_reply_to=post["uri"])
        wait_until(lambda: len(second.slack.replies(INBOX, second.slack.messages(INBOX)[0]["ts"])) == 1)
        assert len(second.slack.messages(INBOX)) == 1, "the same conversation: a follow-up in the thread"
        assert second.bluesky.sessions_created == 0, "the bot went on with its kept session (sign-ins are limited)"


def test_run_without_any_credentials_starts_the_sandbox(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SECRET_NAMES}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    with open(tmp_path / "stderr.txt", "w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            first = process.stdout.readline()
            assert first.startswith("No Slack or X credentials are set: starting the sandbox"), first
            deadline = time.monotonic() + 60
            line = ""
            while "Sandbox ready" not in line and time.monotonic() < deadline:
                line = process.stdout.readline()
                assert line, "the sandbox stopped before it was ready"
            status, page = get(line.split("open ", 1)[1].strip())
            assert status == 200 and "María García" in page
            wait_until(lambda: "for @acme.bsky.social" in (tmp_path / "stderr.txt").read_text())  # Bluesky polled
        finally:
            process.send_signal(signal.SIGTERM)
            status = process.wait(timeout=30)
    logged = (tmp_path / "stderr.txt").read_text()
    assert status == 0, logged[-3000:]
    assert "HTTP Request:" not in logged  # no line per request to Bluesky (httpx's INFO)


def test_run_with_some_credentials_still_names_the_missing_ones(monkeypatch, capsys):
    for name in SECRET_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-only-this")

    assert cli.main(["run"]) == 2
    assert "SLACK_SIGNING_SECRET" in capsys.readouterr().err
