"""A stand-in for the X API v2 endpoints the bridge uses, served over real HTTP on 127.0.0.1.

Response shapes copy the recorded responses in ``tests/fixtures/x-api`` (tweepy's cassettes); errors
use X's problem bodies, so tweepy's exceptions carry useful ``api_messages``. Tests drive it through
an unmodified ``tweepy.Client`` whose session rewrites ``https://api.twitter.com`` to ``FakeX.url``.

Deliberate choices where X is vague: an over-long post is a 400 invalid-request (what X answers to
v2 writes today); the brand may always reply to its own posts; ``post()`` stores the text as given
(an X-app reply starts with the customer's ``@handle`` only if the test writes it).

As on X, a post's ``text`` and ``note_tweet.text`` are HTML-escaped (``&amp; &lt; &gt;``, those three only) in every
answer that carries posts: mentions, search, user timelines, lookups and the answer to a create (tweepy's cassettes
``test_client_get_list_tweets.yaml`` "Q&amp;A", ``test_client_get_liked_tweets.yaml`` "ep &amp; show runner");
the control API (``post()``, ``get()``, ``posts_by()``) keeps the text as written. ``retweet()`` makes a retweet
(``referenced_tweets`` type ``retweeted``, text ``RT @author: …``), which mentions and search return as X does.
``refuse()`` makes an endpoint answer one of X's real refusals (``REFUSALS``): 403 problems, a 400, a 402, a
usage-capped 429. Posting carries both 24-hour limits, the user's and the app's (``x-user-limit-24hour-*``,
``x-app-limit-24hour-*``).

One fake may serve several brand accounts of one X app (``add_brand``): each has its own access token,
``/2/users/me``, posts, replies and DMs answer for the user whose token signed the request, as on X.
"""

from __future__ import annotations

import copy
import json
import math
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from twitter_text import parse_tweet

from bot.sandbox.standins.server import QuietServer

TWEPOCH_MS = 1288834974657
MENTIONS_REACH = 800  # only the newest 800 mentions are reachable at all
USER_TWEETS_REACH = 3200
SEARCH_DAYS = 7
DM_DAYS = 30
DAY_S = 24 * 3600
MAX_WEIGHTED_LENGTH = 280
SHOWN_CHARS = 280  # a longer post shows this many characters + "…"; the rest lives in note_tweet

DEFAULT_LIMITS = {  # per 15-minute window, as in the recorded headers
    "me": (75, 900),
    "user_lookup": (300, 900),
    "mentions": (450, 900),
    "user_tweets": (1500, 900),
    "tweet_lookup": (300, 900),
    "create_tweet": (200, 900),
    "delete_tweet": (50, 900),
    "search": (450, 900),
    "dm_events": (300, 900),
    "dm_send": (200, 900),
    "create_tweet_24h": (2400, DAY_S),  # per brand account: the x-user-limit-24hour-* counter
    "create_tweet_24h_app": (10_000, DAY_S),  # all accounts of the app: the x-app-limit-24hour-* counter
}
WRITES = ("create_tweet", "delete_tweet", "dm_send")

INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"
MSG_TOO_LONG = (
    "Your Tweet text is too long. For more information on how Twitter determines text length "
    "see https://github.com/twitter/twitter-text."
)
MSG_DELETED_TARGET = "You attempted to reply to a Tweet that is deleted or not visible to you."
MSG_DELETED_QUOTE = "You attempted to quote a Tweet that is deleted or not visible to you."
MSG_REPLY_NOT_ALLOWED = (
    "Reply to this conversation is not allowed because you have not been mentioned or "
    "otherwise engaged by the author of the post you are replying to."
)
MSG_DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
MSG_NOT_YOURS = "You are not allowed to delete a Tweet that you did not create."
RT_SHOWN_CHARS = 140  # a retweet's text is "RT @author: " and the post, cut to this many characters with "…"
PROBLEMS = "https://api.twitter.com/2/problems/"
PROJECT_SENTENCE = (
    "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter "
    "developer App that is attached to a Project. You can create a project via the developer portal."
)
# X's refusals, as recorded in public reports (the account and client ids are placeholders): what ``refuse()`` answers.
# Each is (status, body); "{account_id}" in a body is the refused brand's id, and ``refuse(**fields)`` overrides fields.
REFUSALS = {
    # An app that is not in a Project: xdevplatform/samples#58 (2021), the standalone-app case.
    "client-not-enrolled": (
        403,
        {
            "client_id": "27512824",
            "detail": PROJECT_SENTENCE,
            "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
            "title": "Client Forbidden",
            "required_enrollment": "Standard Basic",
            "reason": "client-not-enrolled",
            "type": PROBLEMS + "client-forbidden",
        },
    ),
    # An app whose plan lacks the endpoint: xdevplatform/samples#160, xdevplatform/twitter-api-java-sdk#64 (2023-24).
    "client-forbidden": (
        403,
        {
            "client_id": "27512824",
            "detail": PROJECT_SENTENCE,
            "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
            "title": "Client Forbidden",
            "required_enrollment": "Appropriate Level of API Access",
            "reason": "client-not-enrolled",
            "type": PROBLEMS + "client-forbidden",
        },
    ),
    # The account whose token signed the request is suspended: akrherz/iembot#156 (2026).
    "user-suspended": (
        403,
        {
            "detail": "The user used for authentication is suspended",
            "title": "Forbidden",
            "status": 403,
            "type": PROBLEMS + "user-suspended",
        },
    ),
    # A token made before the app had the permission the endpoint needs (posting, DMs): plhery/node-twitter-api-v2#493.
    "oauth1-permissions": (
        403,
        {
            "title": "Forbidden",
            "status": 403,
            "detail": "Your client app is not configured with the appropriate oauth1 app permissions for this "
            "endpoint.",
            "type": PROBLEMS + "oauth1-permissions",
        },
    ),
    # A parameter X does not accept: the invalid-request shape of v2's 400s, here what X says of a since_id older than
    # it serves (as quoted by projects that met it, e.g. in their tests).
    "invalid-request": (
        400,
        {
            "errors": [
                {
                    "parameters": {"since_id": ["1"]},
                    "message": "'since_id' must be a tweet id created after 2026-06-22T16:35Z. Please use a "
                    "'since_id' that is larger than 2069097036665323520",
                }
            ],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": INVALID_REQUEST,
        },
    ),
    # The pay-per-use credits are spent: a 402 with X's "credits" problem (content-length 185 in
    # tryethernal/ethernal#1324's headers, the body as quoted in several projects' tests).
    "credits-depleted": (
        402,
        {
            "account_id": "{account_id}",
            "title": "CreditsDepleted",
            "detail": "Your enrolled account [{account_id}] does not have any credits to fulfill this request.",
            "type": PROBLEMS + "credits",
        },
    ),
    # A monthly or daily usage cap: xdevplatform/xdk#25 (2026), a 429 whose 15-minute headers still show room.
    # ``refuse("mentions", "usage-capped", period="Daily", scope="Account")`` for the other kinds.
    "usage-capped": (
        429,
        {
            "account_id": "{account_id}",
            "product_name": "standard-basic",
            "title": "UsageCapExceeded",
            "period": "Monthly",
            "scope": "Product",
            "detail": "Usage cap exceeded: Monthly product cap",
            "type": PROBLEMS + "usage-capped",
        },
    ),
}
# Refused before the request counts against any window (the app or the account itself); the others count, as the
# recorded headers of a 402 and a usage-capped 429 show.
REFUSED_BEFORE_LIMITS = ("client-not-enrolled", "client-forbidden", "user-suspended", "oauth1-permissions")
MSG_APP_ONLY = (
    "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported "
    "authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context]."
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


TWEET_FIELDS = _words(
    "article attachments author_id card_uri community_id context_annotations conversation_id "
    "created_at display_text_range edit_controls edit_history_tweet_ids entities geo id "
    "in_reply_to_user_id lang media_metadata non_public_metrics note_tweet organic_metrics "
    "possibly_sensitive promoted_metrics public_metrics referenced_tweets reply_settings scopes "
    "source text withheld"
)
USER_FIELDS = _words(
    "affiliation connection_status created_at description entities id location most_recent_tweet_id "
    "name pinned_tweet_id profile_banner_url profile_image_url protected public_metrics "
    "receives_your_dm subscription_type url username verified verified_type withheld"
)
DM_EVENT_FIELDS = _words(
    "attachments created_at dm_conversation_id event_type id participant_ids referenced_tweets sender_id text"
)
TWEET_EXPANSIONS = _words(
    "article.cover_media article.media_entities attachments.media_keys "
    "attachments.media_source_tweet attachments.poll_ids author_id edit_history_tweet_ids "
    "entities.mentions.username entities.note.mentions.username geo.place_id in_reply_to_user_id "
    "referenced_tweets.id referenced_tweets.id.attachments.media_keys referenced_tweets.id.author_id"
)
USER_EXPANSIONS = frozenset({"affiliation.user_id", "most_recent_tweet_id", "pinned_tweet_id"})
DM_EXPANSIONS = frozenset({"attachments.media_keys", "participant_ids", "referenced_tweets.id", "sender_id"})
FIELD_SETS = {"tweet.fields": TWEET_FIELDS, "user.fields": USER_FIELDS, "dm_event.fields": DM_EVENT_FIELDS}

POST_FIELDS = (
    "author_id",
    "conversation_id",
    "created_at",
    "entities",
    "in_reply_to_user_id",
    "lang",
    "note_tweet",
    "referenced_tweets",
)
USER_ATTRS = (
    "created_at",
    "description",
    "location",
    "profile_image_url",
    "protected",
    "public_metrics",
    "url",
    "verified",
)
DM_ATTRS = ("created_at", "dm_conversation_id", "participant_ids", "sender_id")

_LOOKUP_USERS = ("expansions", "tweet.fields", "user.fields")
_LOOKUP_TWEETS = ("expansions", "media.fields", "place.fields", "poll.fields", "tweet.fields", "user.fields")
_TIMELINE = _LOOKUP_TWEETS + (
    "end_time",
    "max_results",
    "pagination_token",
    "since_id",
    "start_time",
    "until_id",
)
_SEARCH = _TIMELINE + ("next_token", "query", "sort_order")
_DM_LIST = (
    "dm_event.fields",
    "event_types",
    "expansions",
    "max_results",
    "media.fields",
    "pagination_token",
    "tweet.fields",
    "user.fields",
)

_MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,15})")
_HASHTAG_RE = re.compile(r"(?<![\w&#])#(\w*[^\W\d_]\w*)")
_URL_RE = re.compile(r"https?://\S+")
_OAUTH_PARAM_RE = re.compile(r'(\w+)="([^"]*)"')
_QUERY_TOKEN_RE = re.compile(r'-?"[^"]*"|-?\(|\)|[^\s()]+')
_TOKEN_PREFIX = "7140dib"


@dataclass
class FaultPlan:
    rate: float
    seed: int = 0
    kinds: tuple = ("429", "500", "503", "drop", "drop_after")
    endpoints: tuple | None = None  # endpoint keys; None = all
    reset_in: int = 2  # seconds until x-rate-limit-reset for injected 429s


class _ApiError(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(status)
        self.status, self.body = status, body


def _problem(status: int, title: str, detail: str, type_: str = "about:blank") -> dict:
    return {"title": title, "detail": detail, "type": type_, "status": status}


def _invalid(param: str, value: str, message: str) -> _ApiError:
    return _ApiError(
        400,
        {
            "errors": [{"parameters": {param: [value]}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": INVALID_REQUEST,
        },
    )


def _not_found(resource: str, parameter: str, value: str) -> dict:
    return {
        "value": value,
        "detail": f"Could not find {resource} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource,
        "parameter": parameter,
        "resource_id": value,
        "type": NOT_FOUND,
    }


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _to_ms(value: datetime | str | float) -> int:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return int(value * 1000)


def _id_ms(snowflake: str) -> int:
    return (int(snowflake) >> 22) + TWEPOCH_MS


def _public(item: dict) -> dict:
    return {k: copy.deepcopy(v) for k, v in item.items() if not k.startswith("_")}


def _ref_id(item: dict | str | int) -> str:
    return str(item["id"]) if isinstance(item, dict) else str(item)


def _escaped(text: str) -> str:
    """A post's text as X's answers carry it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Window:
    """A fixed-window request counter."""

    def __init__(self, limit: int, seconds: float):
        self.limit, self.seconds, self.start, self.used = limit, seconds, 0.0, 0

    def roll(self, now: float) -> None:
        if now >= self.start + self.seconds:
            self.start, self.used = now, 0

    @property
    def reset(self) -> int:
        return math.ceil(self.start + self.seconds)

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: str
    key: str
    handler: str
    params: tuple = ()
    expansions: frozenset = frozenset()
    user_only: bool = False


_ROUTES = [
    _Route("GET", r"/2/users/me", "me", "_h_me", _LOOKUP_USERS, USER_EXPANSIONS, user_only=True),
    _Route("GET", r"/2/users/by/username/(\w+)", "user_lookup", "_h_user_by_name", _LOOKUP_USERS, USER_EXPANSIONS),
    _Route(
        "GET",
        r"/2/users/by",
        "user_lookup",
        "_h_users_by_name",
        ("usernames",) + _LOOKUP_USERS,
        USER_EXPANSIONS,
    ),
    _Route("GET", r"/2/users/(\d+)/mentions", "mentions", "_h_mentions", _TIMELINE, TWEET_EXPANSIONS),
    _Route(
        "GET",
        r"/2/users/(\d+)/tweets",
        "user_tweets",
        "_h_user_tweets",
        _TIMELINE + ("exclude",),
        TWEET_EXPANSIONS,
    ),
    _Route("GET", r"/2/users/(\d+)", "user_lookup", "_h_user", _LOOKUP_USERS, USER_EXPANSIONS),
    _Route("GET", r"/2/users", "user_lookup", "_h_users", ("ids",) + _LOOKUP_USERS, USER_EXPANSIONS),
    _Route("GET", r"/2/tweets/search/recent", "search", "_h_search", _SEARCH, TWEET_EXPANSIONS),
    _Route("GET", r"/2/tweets/(\d+)", "tweet_lookup", "_h_tweet", _LOOKUP_TWEETS, TWEET_EXPANSIONS),
    _Route("GET", r"/2/tweets", "tweet_lookup", "_h_tweets", ("ids",) + _LOOKUP_TWEETS, TWEET_EXPANSIONS),
    _Route("POST", r"/2/tweets", "create_tweet", "_h_create_tweet", user_only=True),
    _Route("DELETE", r"/2/tweets/(\d+)", "delete_tweet", "_h_delete_tweet", user_only=True),
    _Route("GET", r"/2/dm_events", "dm_events", "_h_dm_events", _DM_LIST, DM_EXPANSIONS, user_only=True),
    _Route(
        "GET",
        r"/2/dm_conversations/with/(\d+)/dm_events",
        "dm_events",
        "_h_dm_events",
        _DM_LIST,
        DM_EXPANSIONS,
        user_only=True,
    ),
    _Route("POST", r"/2/dm_conversations/with/(\d+)/messages", "dm_send", "_h_dm_send", user_only=True),
]


@dataclass
class _Req:
    route: _Route
    groups: tuple
    q: dict
    body: dict | None
    actor: str = ""  # the brand whose user token signed the request (the first brand for app-only calls)

    def csv(self, name: str) -> list[str]:
        return [v for v in self.q.get(name, "").split(",") if v]


class _QueryParser:
    """X search syntax: AND binds tighter than OR, parentheses group, a leading '-' negates."""

    def __init__(self, query: str, atom: Callable[[str], Callable[[dict], bool]]):
        self.tokens, self.pos, self.atom = _QUERY_TOKEN_RE.findall(query), 0, atom

    def parse(self) -> Callable[[dict], bool]:
        pred = self._or()
        if self.pos != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.pos]!r}")
        return pred

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _or(self) -> Callable[[dict], bool]:
        groups = [self._and()]
        while self._peek() == "OR":
            self.pos += 1
            groups.append(self._and())
        return lambda p: any(g(p) for g in groups)

    def _and(self) -> Callable[[dict], bool]:
        terms = []
        while (tok := self._peek()) not in (None, ")", "OR"):
            self.pos += 1
            negate = tok.startswith("-") and len(tok) > 1
            tok = tok[1:] if negate else tok
            if tok == "(":
                term = self._or()
                if self._peek() != ")":
                    raise ValueError("missing ')'")
                self.pos += 1
            else:
                term = self.atom(tok)
            terms.append((lambda t: lambda p: not t(p))(term) if negate else term)
        if not terms:
            raise ValueError("empty clause")
        return lambda p: all(t(p) for t in terms)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        fake: FakeX = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if fake.latency:
            time.sleep(fake.latency)
        answer = (
            None if fake._stopped else fake._dispatch(self.command, self.path, raw, self.headers.get("Authorization"))
        )
        if answer is None:  # dropped: close the connection without a response
            self.close_connection = True
            return
        status, body, headers = answer
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PUT = _serve

    def log_message(self, format, *args):  # quiet
        pass


class FakeX:
    """In-memory X with a control API (thread-safe) and an HTTP front (``start()``)."""

    def __init__(
        self,
        *,
        brand_id="1500000000000000001",
        brand_username="AcmeSupport",
        brand_name="Acme Support",
        consumer_key="ck-test",
        consumer_secret="cs-test",
        access_token="1500000000000000001-at-test",
        access_token_secret="ats-test",
        bearer_token="bearer-test",
        reply_rule=True,
        latency=0.0,
        faults: FaultPlan | None = None,
        limits: dict | None = None,
    ):
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.access_token, self.access_token_secret = access_token, access_token_secret
        self.bearer_token = bearer_token
        self.reply_rule, self.latency, self.faults = reply_rule, latency, faults
        self.clock: Callable[[], float] = time.time
        self.url: str | None = None
        self.requests: list[dict] = []
        self.rate_limited = 0
        self.faults_injected: dict[str, int] = dict.fromkeys(faults.kinds if faults else (), 0)
        self._lock = threading.RLock()
        self._rng, self._rng_plan = random.Random(), None
        self._limits = {**DEFAULT_LIMITS, **(limits or {})}
        self._windows: dict[str, _Window] = {}
        self._counts: Counter[str] = Counter()
        self._credentials_valid = True
        self._refusals: dict[tuple[str, str | None], tuple[str, dict]] = {}  # (endpoint, brand or None) -> refusal
        self._users: dict[str, dict] = {}
        self._by_name: dict[str, dict] = {}
        self._posts: dict[str, dict] = {}
        self._dms: dict[str, dict] = {}
        self._used_ids: set[int] = set()
        self._last_id = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.brand_id = brand_id
        self.add_user(brand_username, brand_name, user_id=brand_id)
        self._tokens: dict[str, tuple[str, str]] = {access_token: (access_token_secret, brand_id)}

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> str:
        self._server = QuietServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self
        self._stopped = False
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-x", daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        self._stopped = True  # keep-alive connections still open get dropped from now on
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> FakeX:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- control API -----------------------------------------------------------------------------

    def set_credentials_valid(self, valid: bool) -> None:
        with self._lock:
            self._credentials_valid = valid

    def refuse(self, endpoint: str, problem: str | None, *, user: str | None = None, **fields) -> None:
        """From now on ``endpoint`` (a route key: "mentions", "search", "dm_events", "user_tweets", "create_tweet",
        "me", …) answers X's refusal ``problem`` (a key of ``REFUSALS``), to every caller or only to requests signed
        by ``user``'s token (id or username); ``fields`` replace fields of the body (``period="Daily"``). ``problem``
        None serves it again."""
        with self._lock:
            if endpoint not in {route.key for route in _ROUTES}:
                raise ValueError(f"unknown endpoint {endpoint!r}")
            if problem is not None and problem not in REFUSALS:
                raise ValueError(f"unknown refusal {problem!r}: one of {', '.join(REFUSALS)}")
            who = self._user(user)["id"] if user is not None else None
            if problem is None:
                self._refusals.pop((endpoint, who), None)
            else:
                self._refusals[(endpoint, who)] = (problem, fields)

    def add_user(
        self,
        username: str,
        name: str | None = None,
        *,
        followers: int = 0,
        location: str | None = None,
        user_id: str | None = None,
    ) -> dict:
        with self._lock:
            if username.lower() in self._by_name or str(user_id) in self._users:
                raise ValueError(f"user @{username} or id {user_id} exists")
            uid = str(user_id) if user_id is not None else self._new_id()
            user = {
                "id": uid,
                "name": name or username,
                "username": username,
                "created_at": _iso(_to_ms(self.clock())),
                "description": "",
                "location": location,
                "profile_image_url": f"https://pbs.twimg.com/profile_images/{uid}/normal.jpg",
                "protected": False,
                "verified": False,
                "url": "",
                "public_metrics": {
                    "followers_count": followers,
                    "following_count": 0,
                    "tweet_count": 0,
                    "listed_count": 0,
                },
            }
            self._users[uid] = self._by_name[username.lower()] = user
            return _public(user)

    def add_brand(
        self,
        username: str,
        name: str | None = None,
        *,
        access_token: str | None = None,
        access_token_secret: str = "ats-test",
        user_id: str | None = None,
    ) -> dict:
        """Another brand account of the same app: a user whose own access token (default ``<id>-at-test``) signs
        its requests. Returns the user with its ``access_token`` and ``access_token_secret``."""
        with self._lock:
            user = self.add_user(username, name, user_id=user_id)
            token = access_token or f"{user['id']}-at-test"
            self._tokens[token] = (access_token_secret, user["id"])
            return {**user, "access_token": token, "access_token_secret": access_token_secret}

    def post(
        self,
        author: str,
        text: str,
        *,
        in_reply_to: dict | str | None = None,
        quote_of: dict | str | None = None,
        created_at: datetime | str | None = None,
    ) -> dict:
        """A post by ``author`` (id or username); replies/quotes take a post id or a post dict."""
        with self._lock:
            ms = None if created_at is None else _to_ms(created_at)
            return _public(
                self._add_post(self._user(author)["id"], text, in_reply_to=in_reply_to, quote_of=quote_of, ms=ms)
            )

    def retweet(self, user: str, post: dict | str, *, created_at: datetime | str | None = None) -> dict:
        """``user`` (id or username) retweets ``post`` (its id or dict): a post of its own whose text is
        "RT @author: " and the post's text, cut to 140 characters, with a ``retweeted`` reference to it. It appears
        in the mentions of whoever it mentions and in search, unless the query says ``-is:retweet``."""
        with self._lock:
            original = self._posts[_ref_id(post)]
            text = f"RT @{self._users[original['author_id']]['username']}: {self._full_text(original)}"
            if len(text) > RT_SHOWN_CHARS:
                text = text[: RT_SHOWN_CHARS - 1] + "…"
            ms = None if created_at is None else _to_ms(created_at)
            return _public(self._add_post(self._user(user)["id"], text, retweet_of=original["id"], ms=ms))

    def user(self, ref: str | int) -> dict:
        """A user by id or username."""
        with self._lock:
            return _public(self._user(ref))

    def delete(self, post_id: str | int) -> None:
        with self._lock:
            post = self._posts[_ref_id(post_id)]
            if not post["deleted"]:
                post["deleted"] = True
                self._users[post["author_id"]]["public_metrics"]["tweet_count"] -= 1

    def get(self, post_id: str | int) -> dict | None:
        with self._lock:
            post = self._posts.get(_ref_id(post_id))
            return _public(post) if post else None

    def posts_by(self, user: str) -> list[dict]:
        """The user's posts, oldest first, deleted ones included (flagged ``deleted``)."""
        with self._lock:
            uid = self._user(user)["id"]
            return [_public(p) for p in self._sorted(self._posts.values()) if p["author_id"] == uid][::-1]

    def brand_posts(self, brand: str | None = None) -> list[dict]:
        """The posts of the first brand, or of ``brand`` (id or username)."""
        return self.posts_by(brand or self.brand_id)

    def send_dm(
        self, sender: str, text: str, *, to: str | None = None, created_at: datetime | str | None = None
    ) -> dict:
        """A DM from ``sender`` to the brand (or to ``to``, another brand), or from a brand to ``to``."""
        with self._lock:
            sender_id = self._user(sender)["id"]
            if to is None and sender_id == self.brand_id:
                raise ValueError("a DM from the brand needs to=")
            to_id = self.brand_id if to is None else self._user(to)["id"]
            return _public(self._add_dm(sender_id, to_id, text, None if created_at is None else _to_ms(created_at)))

    @property
    def dms(self) -> list[dict]:
        with self._lock:
            return [_public(d) for d in self._sorted(self._dms.values())][::-1]

    def count(self, endpoint_key: str) -> int:
        """How many requests reached the endpoint, whatever the answer."""
        with self._lock:
            return self._counts[endpoint_key]

    # Users, posts and DMs, for a sandbox that keeps its world across restarts (not requests or limits).
    _KEPT = ("_users", "_posts", "_dms", "_used_ids", "_last_id")

    def snapshot(self) -> dict:
        with self._lock:
            return copy.deepcopy({name: getattr(self, name) for name in self._KEPT})

    def restore(self, state: dict) -> None:
        with self._lock:
            for name, value in copy.deepcopy(state).items():
                if name in self._KEPT:
                    setattr(self, name, value)
            self._by_name = {user["username"].lower(): user for user in self._users.values()}

    # --- store -----------------------------------------------------------------------------------

    def _user(self, ref: str | int) -> dict:
        ref = str(ref)
        user = self._users.get(ref) or self._by_name.get(ref.lstrip("@").lower())
        if user is None:
            raise KeyError(f"unknown user {ref}")
        return user

    def _new_id(self, ms: int | None = None) -> str:
        now = ms is None
        snowflake = ((_to_ms(self.clock()) if now else ms) - TWEPOCH_MS) << 22
        if now:
            snowflake = max(snowflake, self._last_id + 1)
        while snowflake in self._used_ids:
            snowflake += 1
        self._used_ids.add(snowflake)
        if now:
            self._last_id = snowflake
        return str(snowflake)

    @staticmethod
    def _sorted(items) -> list[dict]:
        return sorted(items, key=lambda item: int(item["id"]), reverse=True)

    def _entities(self, text: str) -> dict:
        entities = {}
        mentions = [
            {"start": m.start(), "end": m.end(), "username": m.group(1), "id": user["id"]}
            for m in _MENTION_RE.finditer(text)
            if (user := self._by_name.get(m.group(1).lower()))
        ]
        hashtags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)} for m in _HASHTAG_RE.finditer(text)]
        urls = []
        for m in _URL_RE.finditer(text):
            url = m.group(0).rstrip(".,;:!?)'\"")
            urls.append(
                {
                    "start": m.start(),
                    "end": m.start() + len(url),
                    "url": url,
                    "expanded_url": url,
                    "display_url": url.split("://", 1)[1],
                }
            )
        for key, items in (("mentions", mentions), ("hashtags", hashtags), ("urls", urls)):
            if items:
                entities[key] = items
        return entities

    def _add_post(
        self, author_id: str, text: str, *, in_reply_to=None, quote_of=None, retweet_of=None, ms=None
    ) -> dict:
        refs, target = [], None
        if retweet_of is not None:
            refs.append({"type": "retweeted", "id": retweet_of})
        if in_reply_to is not None:
            target = self._posts.get(_ref_id(in_reply_to))
            if target is None:
                raise KeyError(f"unknown post {in_reply_to}")
            refs.append({"type": "replied_to", "id": target["id"]})
        if quote_of is not None:
            if _ref_id(quote_of) not in self._posts:
                raise KeyError(f"unknown post {quote_of}")
            refs.append({"type": "quoted", "id": _ref_id(quote_of)})
        pid = self._new_id(ms)
        full_entities = self._entities(text)
        shown = text[:SHOWN_CHARS] + "…" if len(text) > SHOWN_CHARS else text
        note = None
        if shown != text:
            note = {"text": text, **({"entities": full_entities} if full_entities else {})}
        post = {
            "id": pid,
            "text": shown,
            "author_id": author_id,
            "created_at": _iso(_id_ms(pid)),
            "conversation_id": target["conversation_id"] if target else pid,
            "in_reply_to_user_id": target["author_id"] if target else None,
            "referenced_tweets": refs or None,
            "entities": self._entities(shown) or None,
            "lang": "en",
            "note_tweet": note,
            "edit_history_tweet_ids": [pid],
            "deleted": False,
            "_mention_ids": {m["id"] for m in full_entities.get("mentions", [])},
        }
        self._posts[pid] = post
        self._users[author_id]["public_metrics"]["tweet_count"] += 1
        return post

    def _add_dm(self, sender_id: str, to_id: str, text: str, ms: int | None) -> dict:
        eid = self._new_id(ms)
        low, high = sorted((sender_id, to_id), key=int)
        event = {
            "id": eid,
            "text": text,
            "event_type": "MessageCreate",
            "created_at": _iso(_id_ms(eid)),
            "sender_id": sender_id,
            "dm_conversation_id": f"{low}-{high}",
            "participant_ids": [sender_id, to_id],
        }
        self._dms[eid] = event
        return event

    def _full_text(self, post: dict) -> str:
        return post["note_tweet"]["text"] if post["note_tweet"] else post["text"]

    def _engaged_brand(self, post: dict, brand_id: str) -> bool:
        """The Feb-2026 reply rule: the author mentioned the brand in that post or quoted a brand post."""
        if post["author_id"] == brand_id or brand_id in post["_mention_ids"]:
            return True
        quoted = [self._posts.get(r["id"]) for r in post["referenced_tweets"] or () if r["type"] == "quoted"]
        return any(q and q["author_id"] == brand_id for q in quoted)

    # --- HTTP dispatch ---------------------------------------------------------------------------

    def _auth(self, header: str | None) -> tuple[str | None, bool, str]:
        """(kind, valid, the acting brand's id)."""
        if not header:
            return None, False, self.brand_id
        if header.startswith("Bearer "):
            return "app", header[7:] == self.bearer_token, self.brand_id
        if header.startswith("OAuth "):
            params = {k: unquote(v) for k, v in _OAUTH_PARAM_RE.findall(header)}
            brand = self._tokens.get(params.get("oauth_token", ""), (None, None))[1]
            ok = params.get("oauth_consumer_key") == self.consumer_key and brand is not None
            return "user", ok, brand or self.brand_id
        return None, False, self.brand_id

    def _window(self, key: str) -> _Window:
        if key not in self._windows:
            self._windows[key] = _Window(*self._limits[key])
        window = self._windows[key]
        window.roll(self.clock())
        return window

    @staticmethod
    def _limit_headers(window: _Window, prefix: str = "x-rate-limit") -> dict:
        return {
            f"{prefix}-limit": str(window.limit),
            f"{prefix}-remaining": str(window.remaining),
            f"{prefix}-reset": str(window.reset),
        }

    def _pick_fault(self, key: str) -> str | None:
        plan = self.faults
        if plan is None or (plan.endpoints is not None and key not in plan.endpoints):
            return None
        if plan is not self._rng_plan:  # a plan swapped in at run time starts its own sequence
            self._rng, self._rng_plan = random.Random(plan.seed), plan
        if self._rng.random() >= plan.rate:
            return None
        kind = self._rng.choice(plan.kinds)
        self.faults_injected[kind] = self.faults_injected.get(kind, 0) + 1
        return kind

    def _dispatch(self, method: str, target: str, raw: bytes, authz: str | None):
        """(status, body, headers), or None to drop the connection."""
        split = urlsplit(target)
        q = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        kind, valid, actor = self._auth(authz)
        with self._lock:
            entry = {"method": method, "path": split.path, "params": q, "json": body, "auth": kind}
            self.requests.append(entry)
            route, groups = self._route(method, split.path)
            if route is None:
                entry["status"] = 404
                return 404, _problem(404, "Not Found Error", f"No route {method} {split.path}."), {}
            self._counts[route.key] += 1
            answer = self._answer(_Req(route, groups, q, body, actor), kind, valid)
            entry["status"] = answer[0] if answer else "dropped"
            return answer

    @staticmethod
    def _route(method: str, path: str) -> tuple[_Route | None, tuple]:
        for route in _ROUTES:
            if route.method == method and (m := re.fullmatch(route.pattern, path)):
                return route, m.groups()
        return None, ()

    def _answer(self, req: _Req, kind: str | None, valid: bool):
        answer = self._decide(req, kind, valid)
        if answer is not None and req.route.key in WRITES:
            user_day, app_day = self._days(req.actor)
            answer[2].update(self._limit_headers(user_day, "x-user-limit-24hour"))
            answer[2].update(self._limit_headers(app_day, "x-app-limit-24hour"))
        return answer

    def _days(self, actor: str) -> tuple[_Window, _Window]:
        """The 24-hour posting windows: the acting brand's own, and the app's (all its brands together)."""
        for key, limit in ((f"create_tweet_24h:{actor}", "create_tweet_24h"), ("create_tweet_24h_app", None)):
            if key not in self._windows:
                self._windows[key] = _Window(*self._limits[limit or key])
            self._windows[key].roll(self.clock())
        return self._windows[f"create_tweet_24h:{actor}"], self._windows["create_tweet_24h_app"]

    def _refusal(self, req: _Req, headers: dict, before_limits: bool):
        """The refusal ``refuse()`` set for this endpoint and caller, if it is answered at this point."""
        problem, fields = (
            self._refusals.get((req.route.key, req.actor)) or self._refusals.get((req.route.key, None)) or (None, {})
        )
        if problem is None or (problem in REFUSED_BEFORE_LIMITS) != before_limits:
            return None
        status, body = REFUSALS[problem]
        body = {
            k: v.replace("{account_id}", req.actor) if isinstance(v, str) else copy.deepcopy(v) for k, v in body.items()
        }
        body.update(fields)
        if problem == "usage-capped":
            body["detail"] = f"Usage cap exceeded: {body['period']} {str(body['scope']).lower()} cap"
        if status == 429:
            self.rate_limited += 1
        return status, body, headers

    def _decide(self, req: _Req, kind: str | None, valid: bool):
        """Auth, limits and faults in X's order, then the endpoint itself; None means drop."""
        key = req.route.key
        window = self._window(key)
        days = self._days(req.actor) if key == "create_tweet" else ()
        if not (self._credentials_valid and valid):
            body = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
            return 401, body, self._limit_headers(window)
        if req.route.user_only and kind == "app":
            return (
                403,
                _problem(
                    403,
                    "Unsupported Authentication",
                    MSG_APP_ONLY,
                    "https://api.twitter.com/2/problems/unsupported-authentication",
                ),
                self._limit_headers(window),
            )
        if refused := self._refusal(req, {}, before_limits=True):
            return refused
        if window.used >= window.limit:
            return self._too_many({**self._limit_headers(window), "x-rate-limit-remaining": "0"})
        if any(day.used >= day.limit for day in days):
            # As on X: the 15-minute headers still show room; only the 24-hour ones say why.
            return self._too_many(self._limit_headers(window))
        window.used += 1
        headers = self._limit_headers(window)
        if refused := self._refusal(req, headers, before_limits=False):
            return refused
        fault = self._pick_fault(key)
        if fault == "429":
            reset = math.ceil(self.clock()) + self.faults.reset_in
            return self._too_many({**headers, "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)})
        if fault in ("500", "503"):
            title = "Internal Server Error" if fault == "500" else "Service Unavailable"
            return int(fault), _problem(int(fault), title, title), headers
        if fault == "drop":
            return None
        try:
            self._check_params(req)
            status, body = getattr(self, req.route.handler)(req)
        except _ApiError as error:
            status, body = error.status, error.body
        if status == 201:
            for day in days:
                day.used += 1
        return None if fault == "drop_after" else (status, body, headers)

    def _too_many(self, headers: dict):
        self.rate_limited += 1
        body = {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        }
        return 429, body, headers

    def _check_params(self, req: _Req) -> None:
        allowed = req.route.params
        for name, value in req.q.items():
            if name not in allowed:
                raise _invalid(name, value, f"The query parameter [{name}] is not one of [{','.join(allowed)}]")
            valid = FIELD_SETS.get(name) or (req.route.expansions if name == "expansions" else None)
            for item in req.csv(name) if valid else ():
                if item not in valid:
                    raise _invalid(
                        name,
                        item,
                        f"The `{name}` query parameter value [{item}] is not one of [{','.join(sorted(valid))}]",
                    )

    # --- parameters --------------------------------------------------------------------------------

    @staticmethod
    def _int_param(req: _Req, name: str, low: int, high: int, default: int) -> int:
        value = req.q.get(name)
        if value is None:
            return default
        if not value.isdigit() or not low <= int(value) <= high:
            raise _invalid(name, value, f"The `{name}` query parameter value [{value}] is not between {low} and {high}")
        return int(value)

    @staticmethod
    def _id_param(req: _Req, name: str) -> int | None:
        value = req.q.get(name)
        if value is not None and not value.isdigit():
            raise _invalid(name, value, f"The `{name}` query parameter value [{value}] is not valid")
        return None if value is None else int(value)

    @staticmethod
    def _time_param(req: _Req, name: str) -> int | None:
        value = req.q.get(name)
        try:
            return None if value is None else _to_ms(value)
        except ValueError:
            raise _invalid(
                name,
                value,
                f"The `{name}` query parameter value [{value}] does not match "
                "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?(Z|[+-]\\d{2}:\\d{2})$",
            ) from None

    def _page(
        self, req: _Req, items: list[dict], *, low: int, high: int, default: int, ids_in_meta: bool = True
    ) -> tuple[list[dict], dict]:
        """One page of ``items`` (newest first) and its meta, honouring since/until/start/end and tokens."""
        size = self._int_param(req, "max_results", low, high, default)
        since, until = self._id_param(req, "since_id"), self._id_param(req, "until_id")
        start, end = self._time_param(req, "start_time"), self._time_param(req, "end_time")
        token_name = "pagination_token" if "pagination_token" in req.q else "next_token"
        token = req.q.get(token_name)
        cursor = None
        if token is not None:
            digits = token[len(_TOKEN_PREFIX) :]
            if not token.startswith(_TOKEN_PREFIX) or not re.fullmatch(r"[0-9a-z]+", digits):
                raise _invalid(token_name, token, f"The `{token_name}` query parameter value [{token}] is not valid")
            cursor = int(digits, 36)
        selected = [
            item
            for item in items
            if (since is None or int(item["id"]) > since)
            and (until is None or int(item["id"]) < until)
            and (cursor is None or int(item["id"]) < cursor)
            and (start is None or _id_ms(item["id"]) >= start)
            and (end is None or _id_ms(item["id"]) < end)
        ]
        page = selected[:size]
        meta: dict = {"result_count": len(page)}
        if page and ids_in_meta:
            meta["newest_id"], meta["oldest_id"] = page[0]["id"], page[-1]["id"]
        if len(selected) > size:
            meta["next_token"] = _TOKEN_PREFIX + _base36(int(page[-1]["id"]))
        return page, meta

    # --- rendering -----------------------------------------------------------------------------------

    def _render_post(self, post: dict, fields: list[str]) -> dict:
        out = {
            "id": post["id"],
            "text": _escaped(post["text"]),
            "edit_history_tweet_ids": list(post["edit_history_tweet_ids"]),
        }
        for field in fields:
            if field == "note_tweet" and post[field] is not None:
                out[field] = {**post[field], "text": _escaped(post[field]["text"])}
            elif field in POST_FIELDS and post[field] is not None:
                out[field] = post[field]
            elif field == "public_metrics":
                refs = [
                    r
                    for p in self._posts.values()
                    if not p["deleted"]
                    for r in p["referenced_tweets"] or ()
                    if r["id"] == post["id"]
                ]
                out[field] = {
                    "retweet_count": sum(r["type"] == "retweeted" for r in refs),
                    "like_count": 0,
                    "bookmark_count": 0,
                    "impression_count": 0,
                    "reply_count": sum(r["type"] == "replied_to" for r in refs),
                    "quote_count": sum(r["type"] == "quoted" for r in refs),
                }
            elif field == "possibly_sensitive":
                out[field] = False
            elif field == "reply_settings":
                out[field] = "everyone"
        return out

    @staticmethod
    def _render_user(user: dict, fields: list[str]) -> dict:
        out = {"id": user["id"], "name": user["name"], "username": user["username"]}
        out.update({f: user[f] for f in fields if f in USER_ATTRS and user[f] is not None})
        return out

    def _body(self, req: _Req, *, posts=(), users=(), dms=(), meta=None, errors=(), single=False) -> dict:
        """data / includes / errors / meta, with only the asked-for fields and expansions."""
        tweet_fields, user_fields, exps = (
            req.csv("tweet.fields"),
            req.csv("user.fields"),
            set(req.csv("expansions")),
        )
        inc_users: dict[str, dict] = {}
        inc_posts: dict[str, dict] = {}
        errors = list(errors)

        def include_user(uid):
            if uid and uid in self._users:
                inc_users.setdefault(uid, self._users[uid])

        def include_refs(refs):
            for ref in refs or ():
                target = self._posts.get(ref["id"])
                if target is None or target["deleted"]:
                    errors.append(_not_found("tweet", "referenced_tweets.id", ref["id"]))
                    continue
                if "referenced_tweets.id" in exps:
                    inc_posts.setdefault(target["id"], target)
                if "referenced_tweets.id.author_id" in exps:
                    include_user(target["author_id"])

        for post in posts:
            if "author_id" in exps:
                include_user(post["author_id"])
            if "in_reply_to_user_id" in exps:
                include_user(post["in_reply_to_user_id"])
            if "entities.mentions.username" in exps:
                for mention in (post["entities"] or {}).get("mentions", ()):
                    include_user(mention["id"])
            if exps & {"referenced_tweets.id", "referenced_tweets.id.author_id"}:
                include_refs(post["referenced_tweets"])
        for event in dms:
            if "sender_id" in exps:
                include_user(event["sender_id"])
            for uid in event["participant_ids"] if "participant_ids" in exps else ():
                include_user(uid)

        if posts:
            data = [self._render_post(p, tweet_fields) for p in posts]
        elif users:
            data = [self._render_user(u, user_fields) for u in users]
        else:
            dm_fields = req.csv("dm_event.fields")
            data = [
                {
                    "id": e["id"],
                    "event_type": e["event_type"],
                    "text": e["text"],
                    **{f: e[f] for f in dm_fields if f in DM_ATTRS},
                }
                for e in dms
            ]
        body: dict = {}
        if data:
            body["data"] = data[0] if single else data
        includes = {}
        if inc_users:
            includes["users"] = [self._render_user(u, user_fields) for u in inc_users.values()]
        if inc_posts:
            includes["tweets"] = [self._render_post(p, tweet_fields) for p in inc_posts.values()]
        if includes:
            body["includes"] = includes
        if errors:
            body["errors"] = list({e["value"]: e for e in errors}.values())
        if meta is not None:
            body["meta"] = meta
        return body

    # --- endpoint handlers -----------------------------------------------------------------------

    def _h_me(self, req: _Req):
        return 200, self._body(req, users=[self._users[req.actor]], single=True)

    def _lookup_users(self, req: _Req, refs: list[str], parameter: str, by_name: bool):
        if not refs:
            raise _invalid(parameter, "", f"The `{parameter}` query parameter can not be empty")
        found, errors = [], []
        for ref in refs:
            user = self._by_name.get(ref.lower()) if by_name else self._users.get(ref)
            if user:
                found.append(user)
            else:
                errors.append(_not_found("user", parameter, ref))
        return found, errors

    def _h_user(self, req: _Req):
        found, errors = self._lookup_users(req, [req.groups[0]], "id", False)
        return 200, self._body(req, users=found, errors=errors, single=True)

    def _h_users(self, req: _Req):
        found, errors = self._lookup_users(req, req.csv("ids"), "ids", False)
        return 200, self._body(req, users=found, errors=errors)

    def _h_user_by_name(self, req: _Req):
        found, errors = self._lookup_users(req, [req.groups[0]], "username", True)
        return 200, self._body(req, users=found, errors=errors, single=True)

    def _h_users_by_name(self, req: _Req):
        found, errors = self._lookup_users(req, req.csv("usernames"), "usernames", True)
        return 200, self._body(req, users=found, errors=errors)

    def _timeline(self, req: _Req, select: Callable[[dict], bool], reach: int):
        uid = req.groups[0]
        if uid not in self._users:
            return 200, self._body(req, errors=[_not_found("user", "id", uid)])
        live = self._sorted(p for p in self._posts.values() if not p["deleted"] and select(p))
        page, meta = self._page(req, live[:reach], low=5, high=100, default=10)
        return 200, self._body(req, posts=page, meta=meta)

    def _h_mentions(self, req: _Req):
        uid = req.groups[0]
        return self._timeline(req, lambda p: uid in p["_mention_ids"], MENTIONS_REACH)

    def _h_user_tweets(self, req: _Req):
        uid, exclude = req.groups[0], set(req.csv("exclude"))

        def select(post):
            is_reply = any(r["type"] == "replied_to" for r in post["referenced_tweets"] or ())
            return post["author_id"] == uid and not ("replies" in exclude and is_reply)

        return self._timeline(req, select, USER_TWEETS_REACH)

    def _lookup_posts(self, refs: list[str], parameter: str):
        found, errors = [], []
        for ref in refs:
            post = self._posts.get(ref)
            if post and not post["deleted"]:
                found.append(post)
            else:
                errors.append(_not_found("tweet", parameter, ref))
        return found, errors

    def _h_tweet(self, req: _Req):
        found, errors = self._lookup_posts([req.groups[0]], "id")
        return 200, self._body(req, posts=found, errors=errors, single=True)

    def _h_tweets(self, req: _Req):
        ids = req.csv("ids")
        if not ids:
            raise _invalid("ids", "", "The `ids` query parameter can not be empty")
        found, errors = self._lookup_posts(ids, "ids")
        return 200, self._body(req, posts=found, errors=errors)

    def _h_search(self, req: _Req):
        query = req.q.get("query", "")
        if not query.strip():
            raise _invalid("query", query, "The `query` query parameter can not be empty")
        try:
            match = _QueryParser(query, self._search_atom).parse()
        except ValueError as error:
            raise _invalid("query", query, f"There were errors processing your request: {error}") from None
        oldest_ms = _to_ms(self.clock()) - SEARCH_DAYS * DAY_S * 1000
        live = self._sorted(
            p for p in self._posts.values() if not p["deleted"] and _id_ms(p["id"]) >= oldest_ms and match(p)
        )
        page, meta = self._page(req, live, low=10, high=100, default=10)
        return 200, self._body(req, posts=page, meta=meta)

    def _search_atom(self, token: str) -> Callable[[dict], bool]:
        op, _, value = token.partition(":")
        op = op.lower()
        if token.startswith('"'):
            phrase = token.strip('"').lower()
            return lambda p: phrase in self._full_text(p).lower()
        if value and op in ("from", "to"):
            field = "author_id" if op == "from" else "in_reply_to_user_id"
            return lambda p: (
                p[field] is not None and value.lower() in (p[field], self._users[p[field]]["username"].lower())
            )
        if value and op == "conversation_id":
            return lambda p: p["conversation_id"] == value
        if value and op == "lang":
            return lambda p: p["lang"] == value
        if value and op == "is":
            kinds = {"reply": "replied_to", "quote": "quoted", "retweet": "retweeted"}
            ref_type = kinds.get(value.lower(), value.lower())
            return lambda p: any(r["type"] == ref_type for r in p["referenced_tweets"] or ())
        # keywords, @mentions and #hashtags match as whole tokens, case-insensitively
        word = re.compile(rf"(?<!\w){re.escape(token)}(?!\w)", re.IGNORECASE)
        return lambda p: bool(word.search(self._full_text(p)))

    def _h_create_tweet(self, req: _Req):
        body = req.body if isinstance(req.body, dict) else {}
        text = body.get("text")
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        quote_of = body.get("quote_tweet_id")
        if not isinstance(text, str) or not text:
            raise _invalid("text", str(text), "The `text` field can not be empty")
        if parse_tweet(text).weightedLength > MAX_WEIGHTED_LENGTH:
            raise _invalid("text", text, MSG_TOO_LONG)
        forbidden = None
        target = self._posts.get(str(reply_to)) if reply_to is not None else None
        quoted = self._posts.get(str(quote_of)) if quote_of is not None else None
        if reply_to is not None and (target is None or target["deleted"]):
            forbidden = MSG_DELETED_TARGET
        elif target is not None and self.reply_rule and not self._engaged_brand(target, req.actor):
            forbidden = MSG_REPLY_NOT_ALLOWED
        elif quote_of is not None and (quoted is None or quoted["deleted"]):
            forbidden = MSG_DELETED_QUOTE
        elif self._is_duplicate(text, req.actor):
            forbidden = MSG_DUPLICATE
        if forbidden:
            raise _ApiError(403, _problem(403, "Forbidden", forbidden))
        post = self._add_post(req.actor, text, in_reply_to=reply_to, quote_of=quote_of)
        return 201, {"data": {"id": post["id"], "text": _escaped(post["text"]), "edit_history_tweet_ids": [post["id"]]}}

    def _is_duplicate(self, text: str, brand_id: str) -> bool:
        since_ms = _to_ms(self.clock()) - DAY_S * 1000
        return any(
            p["author_id"] == brand_id
            and not p["deleted"]
            and _id_ms(p["id"]) >= since_ms
            and self._full_text(p) == text
            for p in self._posts.values()
        )

    def _h_delete_tweet(self, req: _Req):
        post = self._posts.get(req.groups[0])
        if post is None:
            raise _ApiError(
                404,
                _problem(404, "Not Found Error", f"Could not find tweet with id: [{req.groups[0]}].", NOT_FOUND),
            )
        if post["author_id"] != req.actor:
            raise _ApiError(403, _problem(403, "Forbidden", MSG_NOT_YOURS))
        if post["deleted"]:
            return 200, {"data": {"deleted": False}}
        self.delete(post["id"])
        return 200, {"data": {"deleted": True}}

    def _h_dm_events(self, req: _Req):
        oldest_ms = _to_ms(self.clock()) - DM_DAYS * DAY_S * 1000
        conversation = None
        if req.groups:
            conversation = "-".join(sorted((req.actor, req.groups[0]), key=int))
        types = set(req.csv("event_types")) or {"MessageCreate", "ParticipantsJoin", "ParticipantsLeave"}
        events = self._sorted(
            e
            for e in self._dms.values()
            if req.actor in e["participant_ids"]
            and _id_ms(e["id"]) >= oldest_ms
            and e["event_type"] in types
            and conversation in (None, e["dm_conversation_id"])
        )
        page, meta = self._page(req, events, low=1, high=100, default=100, ids_in_meta=False)
        return 200, self._body(req, dms=page, meta=meta)

    def _h_dm_send(self, req: _Req):
        participant = req.groups[0]
        text = (req.body or {}).get("text") if isinstance(req.body, dict) else None
        if participant not in self._users or participant == req.actor:
            raise _invalid("participant_id", participant, f"The `participant_id` [{participant}] is not valid")
        if not isinstance(text, str) or not text:
            raise _invalid("text", str(text), "The `text` field can not be empty")
        event = self._add_dm(req.actor, participant, text, None)
        return 201, {"data": {"dm_conversation_id": event["dm_conversation_id"], "dm_event_id": event["id"]}}


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"
