"""The X adapter: the Network port over tweepy's API v2 client."""

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import requests
import tweepy
from requests.adapters import HTTPAdapter

from bot.domain.clock import to_utc
from bot.domain.errors import (
    AllowanceSpent,
    BadCredentials,
    NetworkError,
    OutcomeUnknown,
    RateLimited,
    ReplyRejected,
    SourceRefused,
)
from bot.domain.types import Author, BrandAccount, FetchResult, InboundPost, OwnPost, PostedReply
from bot.networks.x.text import MAX_WEIGHTED_LENGTH, invalid_characters, unescape, weighted_length

log = logging.getLogger(__name__)

TWEEPY_HOST = "https://api.twitter.com"
PAGE_SIZE = 100
REACHABLE_MENTIONS = 800  # X returns only the newest 800 mentions; since_id beyond that is silently moved
SNOWFLAKE_EPOCH_MS = 1288834974657
SNOWFLAKE_TIME_SHIFT = 22  # a post id's creation time in ms (since SNOWFLAKE_EPOCH_MS) sits above the low 22 bits
# Recent search reaches back 7 days; an older cursor is dropped rather than refused by X.
SEARCH_REACH = timedelta(days=6, hours=12)
TWEET_FIELDS = [
    "created_at",
    "conversation_id",
    "author_id",
    "in_reply_to_user_id",
    "note_tweet",
    "entities",
    "referenced_tweets",
    "lang",
]
USER_FIELDS = ["username", "name", "public_metrics", "location"]
DM_EVENT_FIELDS = ["id", "text", "event_type", "created_at", "dm_conversation_id", "sender_id", "participant_ids"]
DM_MAX_LENGTH = 10_000  # characters of a direct message (not the weighted 280 of a post)
DM_PAGES = 10  # dm_events has no since_id: a poll reads back until it meets a stored event, at most this far


class RebasedTransport(HTTPAdapter):
    """tweepy always calls https://api.twitter.com: send its requests to X_API_URL instead, with timeouts."""

    def __init__(self, base_url: str, timeout=(5, 30)):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, request, **kwargs):
        if self.base_url != TWEEPY_HOST and request.url.startswith(TWEEPY_HOST):
            request.url = self.base_url + request.url[len(TWEEPY_HOST) :]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def post_time(post_id: str) -> datetime:
    ms = (int(post_id) >> SNOWFLAKE_TIME_SHIFT) + SNOWFLAKE_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, UTC)


def overlapped_since(since_id: str | None, overlap_seconds: float) -> str | None:
    """A since_id `overlap_seconds` older than since_id: X indexes late, so polls overlap and dedupe on post id."""
    if since_id is None:
        return None
    back = int(overlap_seconds * 1000) << SNOWFLAKE_TIME_SHIFT
    return str(max(int(since_id) - back, 1))


def text_problem(text: str) -> str | None:
    """Why X would refuse a text as a post, in words for the agent (the count is X's weighted length)."""
    length = weighted_length(text)
    if length > MAX_WEIGHTED_LENGTH:
        return (
            f"it is {length} characters as X counts them, over the limit of {MAX_WEIGHTED_LENGTH} by "
            f"{length - MAX_WEIGHTED_LENGTH}: shorten it"
        )
    if invalid_characters(text):
        return "it contains characters X does not accept (such as U+FFFE or text-direction overrides)"
    return None


def dm_text_problem(text: str) -> str | None:
    if len(text) > DM_MAX_LENGTH:
        return (
            f"it is {len(text):,} characters, over the {DM_MAX_LENGTH:,} a direct message allows by "
            f"{len(text) - DM_MAX_LENGTH:,}: shorten it"
        )
    return None


def _first_message(err: tweepy.HTTPException) -> str:
    return "; ".join(str(m) for m in err.api_messages) or str(err)


def _day_resets(headers) -> list[int]:
    """When the 24-hour limits X reports as used up (the user's, the app's) renew, as epoch seconds."""
    return [
        int(headers[f"{limit}-reset"])
        for limit in ("x-user-limit-24hour", "x-app-limit-24hour")
        if headers.get(f"{limit}-remaining") == "0" and (headers.get(f"{limit}-reset") or "").isdigit()
    ]


def _at(resets: list[int]) -> datetime | None:
    return datetime.fromtimestamp(max(resets), UTC) if resets else None


def _reset_at(err: tweepy.TooManyRequests) -> datetime | None:
    """When a 429 ends: the latest of the 15-minute window's reset and any used-up 24-hour limit's."""
    headers = err.response.headers
    resets = _day_resets(headers)
    if (headers.get("x-rate-limit-reset") or "").isdigit():
        resets.append(int(headers["x-rate-limit-reset"]))
    return _at(resets)


CREDENTIALS_MESSAGE = (
    "X rejected the brand's credentials (X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET)."
)

# X's problem types (the last part of the body's "type", https://api.twitter.com/2/problems/…) that refuse the app
# or the account itself, whatever the request; the words of what to do about each.
PROJECT_FIX = (
    "In the X developer portal, attach the app to a Project whose plan includes this endpoint{enrollment}{url}."
)
SUSPENDED_FIX = (
    "X suspended the account: nothing can be read or posted with its tokens until X restores it "
    "(appeal at https://help.x.com/forms/account-access/appeals)."
)
PERMISSIONS_FIX = (
    "In the X developer portal set the app's permissions to 'Read and write and Direct message', then regenerate "
    "the account's access token and secret (a token keeps the permissions it was made with)."
)
USAGE_CAP_FIX = (
    "Raise the cap or move to a plan with a larger one in the X developer console (the app's Project → Usage); "
    "until then X serves nothing more."
)
CREDITS_FIX = "Buy credits, or turn on auto-recharge, in the X developer console (Billing → Credits)."
# What to do about a refusal X gives no problem type for, by what was asked.
READ_FIX = (
    "Check, in the X developer portal, that the app is in a Project whose plan includes this endpoint, and the "
    "app's permissions."
)
REQUEST_FIX = (
    "X refused a parameter the bridge sends, which usually follows a change on X's side: tell whoever maintains "
    "the bridge (its log has the details)."
)
QUERY_FIX = "Correct the term in ACCOUNTS_FILE: X's search did not accept it as a query."
SEARCH_FIX = "Check, in the X developer portal, that the app's plan includes recent search."
DM_FIX = "The account's token needs the Direct Messages permission. " + PERMISSIONS_FIX


def _problem(err: tweepy.HTTPException) -> dict:
    """X's problem body (RFC 7807: type, title, detail, and fields of its own), or {}."""
    try:
        body = err.response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _refusal(err: tweepy.HTTPException) -> NetworkError | None:
    """A refusal of the app or the account rather than of this request, by X's problem type: a spent allowance
    (429 usage-capped, 402 credits) or a refused source (client-forbidden, user-suspended, oauth1-permissions)."""
    body = _problem(err)
    kind = str(body.get("type") or "").rstrip("/").rsplit("/", 1)[-1]
    said = _first_message(err)
    if kind == "usage-capped":
        # {"title": "UsageCapExceeded", "period": "Monthly" | "Daily", "scope": "Product" | "Account", …}: the
        # 15-minute headers still show room; only the 24-hour ones, when X sends them, say when it renews.
        period = str(body.get("period") or "").lower()
        scope = {"product": "the app's plan", "account": "the developer account"}.get(str(body.get("scope")).lower())
        cap = " ".join(w for w in (period, "usage cap") if w) + (f" of {scope}" if scope else "")
        return AllowanceSpent(
            _at(_day_resets(err.response.headers)), f"X's {cap} is reached", said=said, fix=USAGE_CAP_FIX
        )
    if err.response.status_code == 402 or kind in ("credits", "credits-depleted"):
        return AllowanceSpent(None, "X's credits are used up", said=said, fix=CREDITS_FIX)
    if kind == "client-forbidden":
        enrollment = body.get("required_enrollment")
        url = body.get("registration_url")
        fix = PROJECT_FIX.format(
            enrollment=f" (X asks for: {enrollment})" if enrollment else "", url=f"; see {url}" if url else ""
        )
        return SourceRefused("X refuses the app", said=said, fix=fix)
    if kind == "user-suspended" or 64 in err.api_codes:  # 64: the v1.1 code of "Your account is suspended"
        return SourceRefused("X refuses the account", said=said, fix=SUSPENDED_FIX)
    if kind == "oauth1-permissions":
        return SourceRefused("X refuses the token's permissions", said=said, fix=PERMISSIONS_FIX)
    return None


def _refused(err: tweepy.HTTPException, what: str, fix: str) -> SourceRefused:
    """Any other refusal of a read: the source stops until X serves it again."""
    said = _first_message(err)
    return SourceRefused(f"X refused {what} ({err.response.status_code})", said=said, fix=fix)


def _refused_parameters(err: tweepy.HTTPException) -> set[str]:
    """The parameters a 400 names (its errors' "parameters")."""
    return {name for e in err.api_errors if isinstance(e, dict) for name in e.get("parameters") or {}}


def without_retweets(query: str) -> str:
    """A tracked term's search leaves retweets out (they pass a post on; they are not someone's own). The term is
    wrapped so that `a OR b` stays one clause: in X's syntax AND binds tighter than OR. A term that says what it
    wants of retweets is left as it is."""
    if re.search(r"(?<![\w:])-?is:retweet\b", query, re.IGNORECASE):
        return query
    return f"({query}) -is:retweet"


# v2 problems carry no numeric code: classify by the words of api_messages.
FORBIDDEN_REASONS = (
    (
        "duplicate content",
        "duplicate",
        "X refused it as duplicate content: the brand has already posted this exact text. Reword it and send again.",
    ),
    (
        "deleted or not visible",
        "deleted",
        "the customer's post was deleted or is no longer visible to the brand, so there is nothing to reply to.",
    ),
    (
        "not allowed because you have not been mentioned",
        "not_allowed",
        "X does not allow this reply: the customer's post neither mentions the brand nor quotes it.",
    ),
    ("too long", "too_long", "X says the text is too long."),
)


class XDirectMessages:
    """X's direct messages of the account an XNetwork signs in as (the DirectMessages capability)."""

    ends_by_itself = False  # no since_id: read back until a stored message

    def __init__(self, network: "XNetwork"):
        self.network = network

    def pages(self, account: BrandAccount):
        return self.network.dm_pages(account)

    def send(self, account: BrandAccount, to_user_id: str, text: str) -> PostedReply:
        return self.network.send_dm(account, to_user_id, text)

    def sent(self, account: BrandAccount, to_user_id: str, since_id: str | None) -> list[OwnPost]:
        return self.network.sent_dms(account, to_user_id, since_id)

    def check_text(self, text: str) -> str | None:
        return dm_text_problem(text)


class XNetwork:
    name = "x"
    display_name = "X"
    reachable_mentions = REACHABLE_MENTIONS

    def __init__(
        self,
        *,
        api_url: str,
        bearer_token,
        consumer_key,
        consumer_secret,
        access_token,
        access_token_secret,
        timeout: float = 30.0,
        credentials_message: str = CREDENTIALS_MESSAGE,
    ):
        self.credentials_message = credentials_message  # which settings to check when X refuses them
        self.client = tweepy.Client(
            bearer_token=bearer_token,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            access_token=access_token,
            access_token_secret=access_token_secret,
            wait_on_rate_limit=False,
        )
        transport = RebasedTransport(api_url, timeout=(min(5.0, timeout), timeout))
        self.client.session.mount("https://", transport)
        self.requests_made = 0
        self.direct_messages = XDirectMessages(self)

    def _call(self, fn, *args, **kwargs):
        self.requests_made += 1
        try:
            return fn(*args, **kwargs)
        except tweepy.TooManyRequests as err:
            raise _refusal(err) or RateLimited(_reset_at(err), "X's rate limit is reached") from err
        except tweepy.Unauthorized as err:
            raise BadCredentials(self.credentials_message) from err
        except tweepy.TwitterServerError as err:
            raise OutcomeUnknown(f"X answered {err.response.status_code}: {_first_message(err)}") from err
        except tweepy.HTTPException as err:
            refusal = _refusal(err)
            if refusal is None:
                raise  # a refusal of this very request: its caller says what it means
            raise refusal from err
        except requests.RequestException as err:
            raise OutcomeUnknown(f"X could not be reached: {type(err).__name__}") from err

    def me(self) -> BrandAccount:
        try:
            response = self._call(self.client.get_me, user_auth=True, user_fields=["username", "name"])
        except tweepy.HTTPException as err:
            raise _refused(err, "to say who the account is", READ_FIX) from err
        return BrandAccount(
            network=self.name,
            account_id=str(response.data.id),
            handle=response.data.username,
            name=response.data.name,
        )

    def fetch_mentions(self, account: BrandAccount, since_id: str | None) -> FetchResult:
        """Every page of the account's mentions newer than since_id, authors by expansion."""
        try:
            result = self._timeline(
                "mentions",
                self.client.get_users_mentions,
                account.account_id,
                since_id=since_id,
                token="pagination_token",
            )
        except tweepy.HTTPException as err:
            fix = REQUEST_FIX if isinstance(err, tweepy.BadRequest) else READ_FIX
            raise _refused(err, f"the mentions of @{account.handle}", fix) from err
        return replace(result, window_full=len(result.posts) >= REACHABLE_MENTIONS)

    def _timeline(self, what: str, fetch, *args, since_id, token: str, max_pages: int | None = None) -> FetchResult:
        """Page through a timeline of posts, 100 at a time, authors by expansion, with the account's token. A page
        that fails after the first leaves the result incomplete (newest_id None): the cursor stays where it was and
        the next poll reads again, the duplicates dropped on the post id."""
        posts: list[InboundPost] = []
        newest_id = next_token = None
        pages = 0
        while max_pages is None or pages < max_pages:
            try:
                response = self._call(
                    fetch,
                    *args,
                    max_results=PAGE_SIZE,
                    since_id=since_id,
                    expansions=["author_id"],
                    tweet_fields=TWEET_FIELDS,
                    user_fields=USER_FIELDS,
                    user_auth=True,
                    **{token: next_token},
                )
            except (RateLimited, OutcomeUnknown) as err:
                if not posts:
                    raise
                log.warning("%s paging interrupted after %d posts: %s", what, len(posts), err.message)
                return FetchResult(posts, None, pages)
            pages += 1
            meta = response.meta or {}
            newest_id = newest_id or meta.get("newest_id")
            users = {str(u.id): u for u in (response.includes or {}).get("users", [])}
            posts.extend(self._inbound(t, users) for t in response.data or [])
            next_token = meta.get("next_token")
            if not next_token:
                break
        return FetchResult(posts, newest_id, pages, oldest_id=min((p.id for p in posts), key=int, default=None))

    @staticmethod
    def _inbound(tweet, users) -> InboundPost:
        data = tweet.data
        user = users.get(str(data["author_id"]))
        metrics = (user.public_metrics or {}) if user else {}
        author = Author(
            id=str(data["author_id"]),
            handle=user.username if user else str(data["author_id"]),
            name=user.name if user else "",
            followers=metrics.get("followers_count"),
            location=getattr(user, "location", None) if user else None,
        )
        created = data.get("created_at")
        created_at = (
            to_utc(datetime.fromisoformat(created.replace("Z", "+00:00"))) if created else post_time(data["id"])
        )
        mentions = ((data.get("note_tweet") or {}).get("entities") or data.get("entities") or {}).get("mentions", [])
        refs = data.get("referenced_tweets") or []
        return InboundPost(
            id=str(data["id"]),
            conversation_id=str(data.get("conversation_id") or data["id"]),
            author=author,
            text=unescape((data.get("note_tweet") or {}).get("text") or data["text"]),
            created_at=created_at,
            in_reply_to_user_id=data.get("in_reply_to_user_id"),
            mentioned=frozenset(m["username"].lower() for m in mentions if m.get("username")),
            repost_of=next((str(r["id"]) for r in refs if r.get("type") == "retweeted"), None),
        )

    def reply(self, account: BrandAccount, in_reply_to: str, text: str) -> PostedReply:
        try:
            response = self._call(self.client.create_tweet, text=text, in_reply_to_tweet_id=in_reply_to, user_auth=True)
        except tweepy.Forbidden as err:
            message = _first_message(err)
            lowered = message.lower()
            if "authenticat" in lowered:
                raise BadCredentials(self.credentials_message) from err
            for words, reason, plain in FORBIDDEN_REASONS:
                if words in lowered:
                    raise ReplyRejected(reason, plain) from err
            raise ReplyRejected("forbidden", f"X refused the reply: {message}") from err
        except tweepy.NotFound as err:
            raise ReplyRejected("deleted", FORBIDDEN_REASONS[1][2]) from err
        except tweepy.BadRequest as err:
            raise ReplyRejected("bad_request", f"X refused the reply: {_first_message(err)}") from err
        except tweepy.HTTPException as err:
            raise OutcomeUnknown(f"X answered {err.response.status_code}") from err
        post_id = str(response.data["id"])
        return PostedReply(id=post_id, url=self.post_url(account.handle, post_id))

    def delete_post(self, account: BrandAccount, post_id: str) -> None:
        try:
            self._call(self.client.delete_tweet, post_id, user_auth=True)
        except tweepy.NotFound:
            return  # already gone: what was asked is true
        except tweepy.HTTPException as err:
            raise ReplyRejected("delete_refused", f"X refused to delete it: {_first_message(err)}") from err

    def recent_posts(self, account: BrandAccount, since_id: str | None) -> list[OwnPost]:
        try:
            response = self._call(
                self.client.get_users_tweets,
                account.account_id,
                since_id=since_id,
                max_results=PAGE_SIZE,
                tweet_fields=["referenced_tweets", "in_reply_to_user_id", "created_at"],
                user_auth=True,
            )
        except tweepy.HTTPException as err:
            raise _refused(err, f"the posts of @{account.handle}", READ_FIX) from err
        found = []
        for tweet in response.data or []:
            refs = tweet.data.get("referenced_tweets") or []
            parent = next((str(r["id"]) for r in refs if r.get("type") == "replied_to"), None)
            found.append(OwnPost(id=str(tweet.id), text=unescape(tweet.text), in_reply_to=parent))
        return found

    def search(self, account: BrandAccount, query: str, since_id: str | None, *, max_pages: int | None = None):
        """Recent search (the last 7 days), retweets left out: every page newer than since_id, with the account's
        token."""
        try:
            return self._timeline(
                "search",
                self.client.search_recent_tweets,
                without_retweets(query),
                since_id=since_id,
                token="next_token",
                max_pages=max_pages,
            )
        except tweepy.HTTPException as err:
            if isinstance(err, tweepy.BadRequest):
                fix = QUERY_FIX if "query" in _refused_parameters(err) else REQUEST_FIX
            else:
                fix = SEARCH_FIX
            raise _refused(err, f"the search for {query!r}", fix) from err

    def dm_pages(self, account: BrandAccount):
        """The account's direct messages, newest first, a page (of InboundPost) at a time; the caller stops when
        it meets what it has. X keeps only the last 30 days and offers no since_id."""
        token = None
        for _ in range(DM_PAGES):
            try:
                response = self._call(
                    self.client.get_direct_message_events,
                    event_types="MessageCreate",
                    max_results=100,
                    dm_event_fields=DM_EVENT_FIELDS,
                    expansions=["sender_id"],
                    user_fields=USER_FIELDS,
                    pagination_token=token,
                    user_auth=True,
                )
            except tweepy.HTTPException as err:
                raise _refused(err, f"the direct messages of @{account.handle}", DM_FIX) from err
            users = {str(u.id): u for u in (response.includes or {}).get("users", [])}
            page = [self._dm(event, users) for event in response.data or []]
            if not page:
                return
            yield page
            token = (response.meta or {}).get("next_token")
            if not token:
                return

    def _dm(self, event, users) -> InboundPost:
        data = event.data
        sender = str(data.get("sender_id") or "")
        user = users.get(sender)
        metrics = (user.public_metrics or {}) if user else {}
        created = data.get("created_at")
        created_at = to_utc(datetime.fromisoformat(created.replace("Z", "+00:00"))) if created else None
        return InboundPost(
            id=str(data["id"]),
            conversation_id=str(data.get("dm_conversation_id") or sender),
            author=Author(
                id=sender,
                handle=user.username if user else sender,
                name=user.name if user else "",
                followers=metrics.get("followers_count"),
                location=getattr(user, "location", None) if user else None,
            ),
            text=data.get("text") or "",
            created_at=created_at or post_time(data["id"]),
        )

    def send_dm(self, account: BrandAccount, to_user_id: str, text: str) -> PostedReply:
        try:
            response = self._call(
                self.client.create_direct_message, participant_id=to_user_id, text=text, user_auth=True
            )
        except tweepy.Forbidden as err:
            message = _first_message(err)
            if "authenticat" in message.lower():
                raise BadCredentials(self.credentials_message) from err
            raise ReplyRejected(
                "dm_refused",
                f"X refused the direct message ({message}): the customer may not accept messages from @{account.handle}"
                ", or the app lacks the Direct Messages permission.",
            ) from err
        except (tweepy.BadRequest, tweepy.NotFound) as err:
            raise ReplyRejected("dm_refused", f"X refused the direct message: {_first_message(err)}") from err
        except tweepy.HTTPException as err:
            raise OutcomeUnknown(f"X answered {err.response.status_code}") from err
        return PostedReply(id=str(response.data["dm_event_id"]), url="")

    def sent_dms(self, account: BrandAccount, to_user_id: str, since_id: str | None) -> list[OwnPost]:
        """The account's latest direct messages to one person, newer than since_id: to settle an interrupted send."""
        try:
            response = self._call(
                self.client.get_direct_message_events,
                participant_id=to_user_id,
                event_types="MessageCreate",
                max_results=100,
                dm_event_fields=DM_EVENT_FIELDS,
                user_auth=True,
            )
        except tweepy.HTTPException as err:
            raise OutcomeUnknown(f"X did not list the direct messages: {_first_message(err)}") from err
        return [
            OwnPost(id=str(e.data["id"]), text=e.data.get("text") or "", in_reply_to=None)
            for e in response.data or []
            if str(e.data.get("sender_id")) == account.account_id
            and (since_id is None or int(e.data["id"]) > int(since_id))
        ]

    def post_url(self, handle: str, post_id: str) -> str:
        return f"https://x.com/{handle}/status/{post_id}"

    def profile_url(self, handle: str) -> str:
        return f"https://x.com/{handle}"

    def check_text(self, text: str) -> str | None:
        return text_problem(text)

    def order_key(self, post_id: str) -> int:
        return int(post_id)

    def post_time(self, post_id: str) -> datetime:
        return post_time(post_id)

    def overlapped_since(self, since_id: str | None, seconds: float) -> str | None:
        return overlapped_since(since_id, seconds)

    def search_reaches(self, since_id: str, now: datetime) -> bool:
        return now - post_time(since_id) <= SEARCH_REACH
