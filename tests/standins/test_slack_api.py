"""FakeSlack driven by the real slack_sdk WebClient, and SlackDriver checked against slack_sdk's verifier."""

import json
import threading
import time
import urllib.request
from http.client import RemoteDisconnected
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackObjectFormationError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.models.blocks import Block
from slack_sdk.signature import SignatureVerifier

from bot.sandbox.standins import block_kit
from bot.sandbox.standins.slack_api import FakeSlack, FaultPlan
from bot.sandbox.standins.slack_driver import SlackDriver
from tests.harness import wait_until

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*New case*"}}
CLAIM = {
    "type": "button",
    "action_id": "claim",
    "value": "case-1",
    "text": {"type": "plain_text", "text": "Claim"},
}
BUTTONS = {"type": "actions", "block_id": "case_actions", "elements": [CLAIM]}


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


def web(fake: FakeSlack, **kwargs) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.url, **kwargs)


def api_error(call, *args, **kwargs) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call(*args, **kwargs)
    return caught.value


# -- Web API ---------------------------------------------------------------------------------------------


def test_auth_test_answers_with_the_bot_identity_and_scopes(slack):
    answer = web(slack).auth_test()
    assert (answer["user_id"], answer["team_id"], answer["bot_id"]) == ("UBOT", "T0TEST", "BBOT")
    assert "chat:write" in answer.headers["x-oauth-scopes"].split(",")
    assert slack.url.endswith("/api/") and slack.count("auth.test") == 1


def test_post_thread_update_and_history_with_metadata(slack):
    client = web(slack)
    metadata = {"event_type": "case", "event_payload": {"case_id": 7}}
    parent = client.chat_postMessage(channel="#inbox", text="case 7", blocks=[SECTION, BUTTONS], metadata=metadata)
    assert parent["channel"] == "C_INBOX" and parent["message"]["metadata"] == metadata
    first = client.chat_postMessage(channel="C_INBOX", text="first", thread_ts=parent["ts"])
    second = client.chat_postMessage(channel="inbox", text="second", thread_ts=parent["ts"])
    assert parent["ts"] < first["ts"] < second["ts"]

    updated = client.chat_update(channel="C_INBOX", ts=parent["ts"], text="case 7 (claimed)", blocks=[SECTION])
    assert updated["message"]["text"] == "case 7 (claimed)" and updated["message"]["metadata"] == metadata

    plain = client.conversations_history(channel="C_INBOX")["messages"]
    assert [m["ts"] for m in plain] == [parent["ts"]] and "metadata" not in plain[0]
    assert plain[0]["reply_count"] == 2 and plain[0]["latest_reply"] == second["ts"]
    rich = client.conversations_history(channel="C_INBOX", include_all_metadata=True)["messages"]
    assert rich[0]["metadata"] == metadata

    thread = client.conversations_replies(channel="C_INBOX", ts=parent["ts"])["messages"]
    assert [m["text"] for m in thread] == ["case 7 (claimed)", "first", "second"]
    assert [m["ts"] for m in slack.replies("C_INBOX", parent["ts"])] == [first["ts"], second["ts"]]
    assert len(slack.messages("C_INBOX")) == 1 and len(slack.all_posts()) == 3

    client.chat_delete(channel="C_INBOX", ts=second["ts"])
    assert slack.messages("C_INBOX")[0]["reply_count"] == 1


def test_history_pages_newest_first(slack):
    client = web(slack)
    posted = [client.chat_postMessage(channel="C_DIGEST", text=str(i))["ts"] for i in range(5)]
    seen, cursor = [], None
    while True:
        page = client.conversations_history(channel="C_DIGEST", limit=2, cursor=cursor)
        seen += [m["ts"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == posted[::-1]
    assert [m["ts"] for m in client.conversations_history(channel="C_DIGEST", oldest=posted[2])["messages"]] == posted[
        :2:-1
    ]


def test_ephemeral_permalink_users_groups_views_reactions(slack):
    client = web(slack)
    slack.add_user("U_ANA", "ana", "Ana Lima", tz="Europe/Lisbon")
    slack.add_usergroup("S_CARE", "care", ["U_ANA", "U_BO"])
    ts = client.chat_postMessage(channel="C_INBOX", text="x")["ts"]

    assert client.chat_postEphemeral(channel="C_INBOX", user="U_ANA", text="only you")["message_ts"]
    assert slack.ephemerals == [
        {"channel": "C_INBOX", "user": "U_ANA", "text": "only you", "blocks": None, "thread_ts": None}
    ]
    err = api_error(client.chat_postEphemeral, channel="C_INBOX", user="nobody", text="x")
    assert err.response["error"] == "user_not_in_channel"
    link = client.chat_getPermalink(channel="C_INBOX", message_ts=ts)["permalink"]
    assert link == f"https://fake.slack.com/archives/C_INBOX/p{ts.replace('.', '')}"

    assert client.users_info(user="U_ANA")["user"]["profile"]["real_name"] == "Ana Lima"
    assert client.users_info(user="U_NEW")["user"]["name"] == "u_new"  # auto-created
    assert api_error(client.users_info, user="bogus").response["error"] == "user_not_found"
    assert client.usergroups_users_list(usergroup="S_CARE")["users"] == ["U_ANA", "U_BO"]
    assert (
        api_error(client.conversations_history, channel="C_INBOX", limit="abc").response["error"] == "invalid_arguments"
    )

    view = {"type": "modal", "title": {"type": "plain_text", "text": "Reassign"}, "blocks": []}
    assert client.views_open(trigger_id="123.456.abc", view=view)["view"]["id"].startswith("V")
    client.views_publish(user_id="U_ANA", view={"type": "home", "blocks": []})
    assert [v["method"] for v in slack.views] == ["views.open", "views.publish"]
    assert client.reactions_add(channel="C_INBOX", timestamp=ts, name="eyes")["ok"]
    assert slack.message("C_INBOX", ts)["reactions"][0]["users"] == ["UBOT"]


def test_files_upload_v2_end_to_end(slack, tmp_path):
    client = web(slack)
    answer = client.files_upload_v2(
        channel="C_INBOX", file=b"a,b\n1,2\n", filename="sla.csv", title="SLA", initial_comment="today's SLA"
    )
    assert answer["file"]["name"] == "sla.csv" and answer["file"]["title"] == "SLA"
    path = tmp_path / "chart.png"
    path.write_bytes(b"\x89PNG fake")
    client.files_upload_v2(channel="C_DIGEST", file=str(path), title="Chart")

    first, second = slack.files
    assert (first["bytes"], first["channel"]) == (b"a,b\n1,2\n", "C_INBOX")
    assert first["initial_comment"] == "today's SLA"
    assert (second["filename"], second["bytes"]) == ("chart.png", b"\x89PNG fake")
    share = slack.messages("C_INBOX")[-1]
    assert share["text"] == "today's SLA" and share["files"] == [{"id": first["id"], "title": "SLA", "name": "sla.csv"}]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")  # the no_text case
def test_errors_as_slack_answers_them(slack):
    client = web(slack)
    slack.add_channel("C_OTHER", member=False)
    post, too_many = client.chat_postMessage, [SECTION] * 51
    cases = [
        (web(slack).api_call, ("foo.bar",), {}, "unknown_method"),
        (WebClient(token="xoxb-wrong", base_url=slack.url).auth_test, (), {}, "invalid_auth"),
        (WebClient(base_url=slack.url).auth_test, (), {}, "not_authed"),
        (post, (), {"channel": "#nope", "text": "x"}, "channel_not_found"),
        (post, (), {"channel": "C_OTHER", "text": "x"}, "not_in_channel"),
        (post, (), {"channel": "C_INBOX", "text": ""}, "no_text"),
        (post, (), {"channel": "C_INBOX", "text": "x", "blocks": too_many}, "invalid_blocks"),
        (post, (), {"channel": "C_INBOX", "text": "x" * 40001}, "msg_too_long"),
        (client.chat_update, (), {"channel": "C_INBOX", "ts": "1.000001", "text": "x"}, "message_not_found"),
        (client.conversations_info, (), {"channel": "C_NONE"}, "channel_not_found"),
        (client.apps_connections_open, (), {"app_token": "xoxb-test-token"}, "not_allowed_token_type"),
    ]
    for call, args, kwargs, error in cases:
        err = api_error(call, *args, **kwargs)
        assert (err.response.status_code, err.response["error"]) == (200, error)
    assert client.apps_connections_open(app_token="xapp-1-x")["url"] == "ws://127.0.0.1:1/"
    assert slack.all_posts() == []

    assert client.conversations_join(channel="C_OTHER")["channel"]["is_member"]
    assert client.chat_postMessage(channel="C_OTHER", text="now a member")["ok"]
    slack.revoke()
    assert api_error(client.auth_test).response["error"] == "token_revoked"
    slack.set_token("xoxb-new")
    assert WebClient(token="xoxb-new", base_url=slack.url).auth_test()["ok"]


def _text(text, kind="mrkdwn"):
    return {"type": kind, "text": text}


def _menu(options):
    placeholder = _text("Pick", "plain_text")
    return {
        "type": "actions",
        "elements": [{"type": "static_select", "action_id": "m", "placeholder": placeholder, "options": options}],
    }


def _option(text, value):
    return {"text": _text(text, "plain_text"), "value": value}


# (blocks, the JSON pointer Slack names in its error): each breaks one of Block Kit's limits.
REFUSED = {
    "header over 150": ([{"type": "header", "text": _text("h" * 151, "plain_text")}], "/blocks/0/text/text"),
    "11 fields": ([{"type": "section", "fields": [_text("f")] * 11}], "/blocks/0/fields"),
    "a field over 2,000": ([{"type": "section", "fields": [_text("f" * 2001)]}], "/blocks/0/fields/0/text"),
    "section over 3,000": ([{"type": "section", "text": _text("s" * 3001)}], "/blocks/0/text/text"),
    "empty section text": ([{"type": "section", "text": _text("")}], "/blocks/0/text/text"),
    "11 context elements": ([{"type": "context", "elements": [_text("c")] * 11}], "/blocks/0/elements"),
    "button text over 75": (
        [{"type": "actions", "elements": [{**CLAIM, "text": _text("b" * 76, "plain_text")}]}],
        "/blocks/0/elements/0/text/text",
    ),
    "option text over 75": ([_menu([_option("o" * 76, "v")])], "/blocks/0/elements/0/options/0/text/text"),
    "option value over 150": ([_menu([_option("o", "v" * 151)])], "/blocks/0/elements/0/options/0/value"),
    "101 options": ([_menu([_option("o", str(i)) for i in range(101)])], "/blocks/0/elements/0/options"),
    "unknown block type": ([{"type": "frobnicate"}], "/blocks/0/type"),
    "51 blocks": ([SECTION] * 51, "/blocks"),
    "a block_id twice": ([{**SECTION, "block_id": "b"}, {**SECTION, "block_id": "b"}], "/blocks/1/block_id"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_block_kit_limits_are_refused_as_slack_refuses_them(slack, name):
    bad, pointer = REFUSED[name]
    for call, where in [(web(slack).chat_postMessage, {}), (web(slack).chat_update, {"ts": _card(slack)})]:
        err = api_error(call, channel="C_INBOX", text="x", blocks=bad, **where)
        assert (err.response.status_code, err.response["error"]) == (200, "invalid_blocks")
        assert any(e.endswith(f"[json-pointer:{pointer}]") for e in err.response["errors"]), err.response["errors"]
        assert err.response["response_metadata"]["messages"][0].startswith("[ERROR] ")
    assert [m["text"] for m in slack.messages("C_INBOX")] == ["card"], "nothing posted, nothing changed"


def _card(slack) -> str:
    if not slack.messages("C_INBOX"):
        web(slack).chat_postMessage(channel="C_INBOX", text="card", blocks=[SECTION, BUTTONS])
    return slack.messages("C_INBOX")[0]["ts"]


def test_the_stand_in_refuses_every_block_slack_sdks_models_refuse():
    """slack_sdk's models know some of Slack's limits; the stand-in is never more lenient than they are."""
    for name, (bad, _) in REFUSED.items():
        for raw in bad[:1]:
            try:
                parsed = Block.parse(raw)
                parsed.to_dict()
            except (SlackObjectFormationError, AttributeError):
                refused_by_sdk = True
            else:
                refused_by_sdk = False
            assert not refused_by_sdk or block_kit.problems(bad), name


def test_a_message_over_slacks_total_size_is_refused_whatever_each_blocks_limit(slack):
    client = web(slack)
    sections = [{"type": "section", "text": _text("s" * 2900)} for _ in range(5)]  # each under 3,000
    err = api_error(client.chat_postMessage, channel="C_INBOX", text="x", blocks=sections)
    assert err.response["error"] == "msg_blocks_too_long"
    ts = client.chat_postMessage(channel="C_INBOX", text="x", blocks=sections[:3])["ts"]
    err = api_error(client.chat_update, channel="C_INBOX", ts=ts, text="x", blocks=sections)
    assert err.response["error"] == "msg_blocks_too_long"
    assert api_error(client.chat_postMessage, channel="C_INBOX", text="x" * 40001).response["error"] == "msg_too_long"


def test_chat_update_is_tier_3_with_a_429_and_retry_after_past_it():
    with FakeSlack(update_rate_per_minute=60, update_burst=3) as slack:
        bare = web(slack, retry_handlers=[])
        ts = bare.chat_postMessage(channel="C_INBOX", text="card")["ts"]
        for i in range(3):
            bare.chat_update(channel="C_INBOX", ts=ts, text=f"card {i}")
        err = api_error(bare.chat_update, channel="C_INBOX", ts=ts, text="card 3")
        assert err.response.status_code == 429 and int(err.response.headers["Retry-After"]) >= 1
        assert slack.message("C_INBOX", ts)["text"] == "card 2"
        assert bare.chat_postMessage(channel="C_INBOX", text="posts are another limit")["ok"]

        retrying = web(slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)])
        assert retrying.chat_update(channel="C_INBOX", ts=ts, text="card 4")["ok"]
        assert slack.message("C_INBOX", ts)["text"] == "card 4"
    with FakeSlack() as unlimited:  # by default chat.update is not limited: tests that do not care are unaffected
        client = web(unlimited, retry_handlers=[])
        ts = client.chat_postMessage(channel="C_INBOX", text="card")["ts"]
        assert all(client.chat_update(channel="C_INBOX", ts=ts, text=str(i))["ok"] for i in range(60))


def test_an_ephemeral_goes_only_to_someone_in_the_channel(slack):
    client = web(slack)
    assert client.chat_postEphemeral(channel="C_INBOX", user="U_ANYONE", text="everyone is in by default")["ok"]
    slack.set_members("C_INBOX", ["U_ANA"])
    assert client.chat_postEphemeral(channel="C_INBOX", user="U_ANA", text="a member")["ok"]
    err = api_error(client.chat_postEphemeral, channel="C_INBOX", user="U_BO", text="not a member")
    assert err.response["error"] == "user_not_in_channel"
    assert client.chat_postEphemeral(channel="C_DIGEST", user="U_BO", text="in another channel")["ok"]
    assert [e["text"] for e in slack.ephemerals] == ["everyone is in by default", "a member", "in another channel"]


def test_rate_limit_answers_429_and_the_sdk_retry_stores_once():
    with FakeSlack(post_rate_per_channel=5, burst=1) as slack:
        bare = web(slack, retry_handlers=[])
        bare.chat_postMessage(channel="C_INBOX", text="one")
        err = api_error(bare.chat_postMessage, channel="C_INBOX", text="two")
        assert err.response.status_code == 429 and err.response["error"] == "ratelimited"
        assert int(err.response.headers["Retry-After"]) >= 1
        assert [m["text"] for m in slack.messages("C_INBOX")] == ["one"]
        assert bare.chat_postMessage(channel="C_DIGEST", text="other channel")["ok"]  # limits are per channel

        retrying = web(slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)])
        started = time.monotonic()
        assert retrying.chat_postMessage(channel="C_INBOX", text="three")["ok"]
        assert time.monotonic() - started >= 0.9  # slept Retry-After
        assert [m["text"] for m in slack.messages("C_INBOX")] == ["one", "three"]
        assert slack.rate_limited == 2 and len(slack.post_times["C_INBOX"]) == 2


@pytest.mark.parametrize("kind", ["429", "500", "drop", "drop_after"])
def test_each_fault_kind(kind):
    plan = FaultPlan(rate=1.0, kinds=(kind,), methods=("chat.postMessage",), retry_after=2)
    with FakeSlack(faults=plan) as slack:
        client = web(slack, retry_handlers=[])
        assert client.auth_test()["ok"]  # not in plan.methods
        if kind in ("429", "500"):
            err = api_error(client.chat_postMessage, channel="C_INBOX", text="hi")
            assert err.response.status_code == int(kind)
            assert err.response["error"] == ("ratelimited" if kind == "429" else "internal_error")
            if kind == "429":
                assert err.response.headers["Retry-After"] == "2"
        else:
            # The connection closes with no answer: urllib's RemoteDisconnected reaches the caller.
            with pytest.raises(RemoteDisconnected):
                client.chat_postMessage(channel="C_INBOX", text="hi")
        stored = [m["text"] for m in slack.messages("C_INBOX")]
        assert stored == (["hi"] if kind == "drop_after" else [])
        assert dict(slack.faults_injected) == {kind: 1}


def test_drop_after_with_the_sdks_default_retry_posts_twice():
    # slack_sdk's default ConnectionErrorRetryHandler resends once after a dropped connection: the message
    # Slack already stored is posted again. Callers must not rely on that retry for chat.postMessage.
    plan = FaultPlan(rate=1.0, kinds=("drop_after",), methods=("chat.postMessage",))
    with FakeSlack(faults=plan) as slack:
        with pytest.raises(RemoteDisconnected):
            web(slack).chat_postMessage(channel="C_INBOX", text="hi")
        assert [m["text"] for m in slack.messages("C_INBOX")] == ["hi", "hi"]
        assert slack.count("chat.postMessage") == 2


def test_faults_are_reproducible_from_the_seed():
    def outcomes():
        with FakeSlack(faults=FaultPlan(rate=0.5, seed=42, kinds=("500",))) as slack:
            client = web(slack, retry_handlers=[])
            result = []
            for i in range(12):
                try:
                    client.chat_postMessage(channel="C_INBOX", text=str(i))
                    result.append("ok")
                except SlackApiError:
                    result.append("fault")
            return result

    first = outcomes()
    assert first == outcomes() and "ok" in first and "fault" in first


def test_human_messages_and_response_urls(slack):
    parent = slack.add_human_message("C_INBOX", "U_ANA", "hello")
    reply = slack.add_human_message("inbox", "U_BO", "me too", thread_ts=parent["ts"])
    assert "bot_id" not in reply and reply["client_msg_id"]
    assert slack.messages("C_INBOX")[0]["reply_users"] == ["U_BO"]
    assert slack.edit_human_message("C_INBOX", reply["ts"], "edited")["edited"]["user"] == "U_BO"
    slack.delete_message("C_INBOX", reply["ts"])
    assert "reply_count" not in slack.messages("C_INBOX")[0]

    body = json.dumps({"text": "Claimed", "replace_original": False}).encode()
    request = urllib.request.Request(
        slack.response_url_base + "abc",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
    assert slack.responses == [{"url": slack.response_url_base + "abc", "text": "Claimed", "replace_original": False}]


# -- SlackDriver ------------------------------------------------------------------------------------------

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
# Slack's published example, as in slack_sdk's tests/slack_sdk/signature/test_signature_verifier.py.
VECTOR_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
VECTOR_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


class _VerifyingApp(BaseHTTPRequestHandler):
    """A stand-in Request URL that checks each request with slack_sdk's SignatureVerifier."""

    def log_message(self, format, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        valid = SignatureVerifier(SECRET).is_valid_request(body, dict(self.headers))
        self.server.received.append({"headers": dict(self.headers), "body": body, "valid": valid})
        answer = b'{"ok": true}' if valid else b'{"error": "invalid signature"}'
        self.send_response(200 if valid else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def app_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _VerifyingApp)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def driver(slack, app_server):
    return SlackDriver(slack, f"http://127.0.0.1:{app_server.server_address[1]}/slack/events", SECRET)


def test_signature_matches_slacks_published_vector(slack):
    signed = SlackDriver(slack, "http://unused", SECRET).sign(VECTOR_BODY.encode(), 1531420618)
    assert signed == {"X-Slack-Request-Timestamp": "1531420618", "X-Slack-Signature": VECTOR_SIGNATURE}


def test_message_events_are_signed_and_shaped_like_slacks(slack, driver, app_server):
    parent = driver.say("U_ANA", "C_INBOX", "my order is late")
    assert (parent.status, parent.json) == (200, {"ok": True}) and parent.elapsed_ms < 3000
    envelope = parent.payload
    assert envelope["type"] == "event_callback" and envelope["event_id"] == parent.event_id
    assert envelope["authorizations"][0]["user_id"] == "UBOT"
    event = envelope["event"]
    assert (event["type"], event["channel"], event["user"], event["ts"]) == (
        "message",
        "C_INBOX",
        "U_ANA",
        parent.ts,
    )
    assert event["blocks"][0]["type"] == "rich_text" and slack.messages("C_INBOX")[0]["ts"] == parent.ts

    reply = driver.say("U_ANA", "C_INBOX", "any news?", thread_ts=parent.ts)
    assert reply.payload["event"]["thread_ts"] == parent.ts
    assert reply.payload["event"]["parent_user_id"] == "U_ANA"

    again = driver.redeliver(reply, retry_num=2)
    same_id = driver.say("U_ANA", "C_INBOX", "ignored", event_id=reply.event_id, retry_num=1)
    assert again.payload == reply.payload == same_id.payload
    assert len(slack.replies("C_INBOX", parent.ts)) == 1  # retries store nothing new
    headers = app_server.received[-2]["headers"]
    assert (headers["X-Slack-Retry-Num"], headers["X-Slack-Retry-Reason"]) == ("2", "http_timeout")
    assert "X-Slack-Retry-Num" not in app_server.received[0]["headers"]

    edited = driver.edit("U_ANA", "C_INBOX", reply.ts, "any news??")
    assert edited.payload["event"]["subtype"] == "message_changed"
    assert edited.payload["event"]["previous_message"]["text"] == "any news?"
    assert edited.payload["event"]["message"]["text"] == "any news??"
    deleted = driver.delete("C_INBOX", reply.ts)
    assert deleted.payload["event"]["deleted_ts"] == reply.ts and slack.replies("C_INBOX", parent.ts) == []
    assert all(r["valid"] for r in app_server.received)


def test_interactive_payloads(slack, driver, app_server):
    ts = web(slack).chat_postMessage(channel="C_INBOX", text="case", blocks=[SECTION, BUTTONS])["ts"]
    click = driver.click("U_ANA", "C_INBOX", ts, "claim", "case-1")
    assert click.status == 200
    sent = parse_qs(app_server.received[-1]["body"].decode())
    payload = json.loads(sent["payload"][0])
    assert payload == click.payload and payload["type"] == "block_actions"
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "C_INBOX",
        "is_ephemeral": False,
    }
    assert payload["message"]["blocks"] == [SECTION, BUTTONS]
    action = payload["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"], action["text"]["text"]) == (
        "claim",
        "case_actions",
        "case-1",
        "Claim",
    )
    assert payload["response_url"].startswith(slack.response_url_base)

    pick = driver.select_user("U_ANA", "C_INBOX", ts, "reassign", "U_BO")
    assert pick.payload["actions"][0]["selected_user"] == "U_BO"

    command = driver.command("U_ANA", "/social-stats", "week")
    form = parse_qs(app_server.received[-1]["body"].decode())
    assert form["command"] == ["/social-stats"] and form["text"] == ["week"]
    assert form["channel_name"] == ["inbox"] and command.payload["user_name"] == "u_ana"

    values = {"owner": {"pick": {"type": "users_select", "selected_user": "U_BO"}}}
    submitted = driver.submit_view("U_ANA", {"callback_id": "reassign", "private_metadata": "7"}, values)
    assert submitted.payload["view"]["state"]["values"] == values
    assert all(r["valid"] for r in app_server.received)


def test_forged_and_stale_requests_are_refused(driver):
    body = b'{"type": "event_callback"}'
    assert driver.post_raw(body, content_type="application/json", signature="v0=" + "0" * 64).status == 401
    stale = driver.post_raw(body, content_type="application/json", timestamp=int(time.time()) - 600)
    assert stale.status == 401
    assert driver.post_raw(body, content_type="application/json").status == 200


def test_events_slack_gives_up_on_or_drops_are_stored_not_sent_and_a_replay_is_the_same_request(
    slack, driver, app_server
):
    parent = driver.say("U_ANA", "C_INBOX", "my order is late")
    lost = driver.say("U_ANA", "C_INBOX", "given up on", thread_ts=parent.ts, deliver=False)
    with driver.events_rate_limited() as notice:
        dropped = driver.say("U_ANA", "C_INBOX", "dropped", thread_ts=parent.ts)
    assert notice.status == 200 and notice.payload["type"] == "app_rate_limited"
    assert notice.payload["minute_rate_limited"] % 60 == 0 and "event" not in notice.payload
    assert not lost.delivered and not dropped.delivered and len(app_server.received) == 2  # the parent, the notice
    thread = web(slack).conversations_replies(channel="C_INBOX", ts=parent.ts)["messages"]
    assert [m["text"] for m in thread] == ["my order is late", "given up on", "dropped"]  # read back, though

    late = driver.redeliver(lost)
    replayed = driver.replay(parent)
    assert replayed.status == 200 and late.delivered and late.payload["event"]["text"] == "given up on"
    first, again = app_server.received[0], app_server.received[-1]
    assert (
        again["body"] == first["body"]
        and again["headers"]["X-Slack-Signature"] == first["headers"]["X-Slack-Signature"]
    )


def test_a_stalled_method_answers_only_when_released(slack):
    gate = slack.stall("usergroups.users.list")
    slack.add_usergroup("S1", "agents", ["U_ANA"])
    answer = []
    caller = threading.Thread(target=lambda: answer.append(web(slack).usergroups_users_list(usergroup="S1")["users"]))
    caller.start()
    wait_until(lambda: slack.count("usergroups.users.list") == 1)
    assert caller.is_alive()
    gate.set()
    caller.join(timeout=10)
    assert answer == [["U_ANA"]]
