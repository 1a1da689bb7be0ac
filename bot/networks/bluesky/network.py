"""The Network port on Bluesky, over the atproto SDK's Client pointed at BLUESKY_PDS_URL (the real PDS, a local
network or the stand-in). One instance per brand account; it signs in once and reuses its session."""

import json
import logging
import math
from datetime import UTC, datetime, timedelta

import httpx
from atproto import Client, models
from atproto_client.exceptions import BadRequestError, NetworkError, RequestException, UnauthorizedError

from bot.domain.errors import BadCredentials, OutcomeUnknown, RateLimited, ReplyRejected
from bot.domain.types import Author, BrandAccount, FetchResult, InboundPost, OwnPost, PostedReply
from bot.networks.bluesky import ids, text, write_budget
from bot.networks.bluesky.chat import BlueskyDirectMessages
from bot.networks.bluesky.write_budget import WriteBudget
from bot.networks.bluesky.xrpc_errors import reset_at as _reset_at
from bot.networks.bluesky.xrpc_errors import said as _error

log = logging.getLogger(__name__)
CASE_REASONS = ["mention", "reply", "quote"]
PAGE_SIZE = 100
PROFILE_BATCH = 25  # app.bsky.actor.getProfiles takes 25 actors a call
POSTS_BATCH = 25  # app.bsky.feed.getPosts takes 25 uris a call
SEARCH_REACH = timedelta(days=7)


class BlueskyNetwork:
    name = "bluesky"
    display_name = "Bluesky"
    reachable_mentions = 10_000  # listNotifications pages back as far as asked

    def __init__(
        self, *, pds_url: str, handle: str, app_password: str, sessions=None, credentials_message=None, budget=None
    ):
        self.client = Client(base_url=pds_url)
        self.pds_url = pds_url
        self.handle, self._password = handle, app_password
        self.sessions = sessions  # where the session string is kept across restarts (None: memory only)
        self.credentials_message = credentials_message or (
            f"Bluesky rejected the handle or app password of {handle} (BLUESKY_HANDLE, BLUESKY_APP_PASSWORD)."
        )
        self.requests_made = 0
        self.sessions_created = 0
        self._signed_in = False
        self._dids: dict[str, str | None] = {}
        self.client.on_session_change(self._keep_session)
        self.direct_messages = BlueskyDirectMessages(self)
        self.budget = budget or WriteBudget(handle)
        self.budget.sessions = sessions

    # --- session: createSession is limited (30 / 5 min, 300 / day): sign in once, then refresh or import
    def keep_sessions_in(self, sessions) -> None:
        """Keep the session in `sessions` (load, save) so that a restarted bot goes on with it."""
        self.sessions = sessions
        self.budget.sessions = sessions

    def use_clock(self, clock) -> None:
        """Count the write budget on the bridge's clock."""
        self.budget.clock = clock

    def _keep_session(self, event, session) -> None:
        if self.sessions is not None:
            self.sessions.save(self.name, self.handle, kept_session(self.pds_url, self.client.export_session_string()))

    def _sign_in(self) -> None:
        if self._signed_in:
            return
        saved = self.sessions.load(self.name, self.handle) if self.sessions is not None else None
        saved = session_kept_for(saved, self.pds_url, self.handle)
        try:
            if saved:
                try:
                    self.client.login(session_string=saved, fetch_bsky_profile=False)
                    self._signed_in = True
                    return
                except (UnauthorizedError, BadRequestError):
                    log.info("the saved Bluesky session of %s is no longer valid: signing in again", self.handle)
            self.requests_made += 1
            self.sessions_created += 1
            self.client.login(self.handle, self._password, fetch_bsky_profile=False)
        except (UnauthorizedError, BadRequestError) as err:
            status, _, _, headers = _error(err)
            if status == 429:
                raise RateLimited(_reset_at(headers), "Bluesky's sign-in limit is reached") from err
            raise BadCredentials(self.credentials_message) from err
        except NetworkError as err:
            raise OutcomeUnknown(f"Bluesky could not be reached: {err}") from err
        self._signed_in = True

    def _call(self, fn, *args, **kwargs):
        self._sign_in()
        self.requests_made += 1
        try:
            return fn(*args, **kwargs)
        except NetworkError as err:
            raise OutcomeUnknown(f"Bluesky could not be reached: {type(err).__name__}") from err
        except RequestException as err:
            status, code, message, headers = _error(err)
            if status == 429:
                raise RateLimited(_reset_at(headers), "Bluesky's rate limit is reached") from err
            if status == 401 or code in ("ExpiredToken", "InvalidToken", "AuthenticationRequired"):
                raise BadCredentials(self.credentials_message) from err
            if status >= 500 or status == 0:
                raise OutcomeUnknown(f"Bluesky answered {status}: {message}") from err
            raise
        except httpx.HTTPError as err:
            raise OutcomeUnknown(f"Bluesky could not be reached: {type(err).__name__}") from err

    def me(self) -> BrandAccount:
        self._sign_in()
        session = self.client._session
        profile = self._profiles([session.did]).get(session.did)
        return BrandAccount(self.name, session.did, session.handle, profile.display_name or "" if profile else "")

    # --- reading
    def _profiles(self, dids: list[str]) -> dict:
        found: dict = {}
        unique = list(dict.fromkeys(dids))
        for start in range(0, len(unique), PROFILE_BATCH):
            batch = unique[start : start + PROFILE_BATCH]
            response = self._call(self.client.app.bsky.actor.get_profiles, {"actors": batch})
            found.update({p.did: p for p in response.profiles})
        return found

    def _inbound(self, view, profiles) -> InboundPost:
        record = view.record
        profile = profiles.get(view.author.did)
        author = Author(
            id=view.author.did,
            handle=view.author.handle,
            name=(profile.display_name if profile else view.author.display_name) or "",
            followers=profile.followers_count if profile else None,
            location=None,  # Bluesky has no location: the card says nothing rather than something false
        )
        reply = getattr(record, "reply", None)
        mentioned = {
            self._handle_of(feature.did)
            for facet in getattr(record, "facets", None) or []
            for feature in facet.features
            if getattr(feature, "did", None)
        }
        created = getattr(record, "created_at", None) or view.indexed_at
        return InboundPost(
            id=view.uri,
            conversation_id=reply.root.uri if reply else view.uri,
            author=author,
            text=getattr(record, "text", ""),
            created_at=datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone(UTC),
            in_reply_to_user_id=ids.did_of(reply.parent.uri) if reply else None,
            mentioned=frozenset(h.lower() for h in mentioned if h),
        )

    def _handle_of(self, did: str) -> str | None:
        if did == getattr(self.client._session, "did", None):
            return self.client._session.handle.lower()
        return None

    def _posts(self, uris: list[str]) -> list:
        views = []
        for start in range(0, len(uris), POSTS_BATCH):
            views += self._call(self.client.app.bsky.feed.get_posts, {"uris": uris[start : start + POSTS_BATCH]}).posts
        return views

    def fetch_mentions(self, account: BrandAccount, since_id: str | None) -> FetchResult:
        """Every page of mentions, replies and quotes newer than since_id (the high-water mark), authors by batched
        getProfiles. Reposts and likes are not cases."""
        since = ids.order_key(since_id) if since_id else None
        notes, cursor, pages = {}, None, 0
        while True:
            params = {"reasons": CASE_REASONS, "limit": PAGE_SIZE}
            if cursor:
                params["cursor"] = cursor
            try:
                response = self._call(self.client.app.bsky.notification.list_notifications, params)
            except (RateLimited, OutcomeUnknown):
                if not notes:
                    raise
                return FetchResult([], None, pages)  # incomplete: the cursor stays, the next poll reads again
            pages += 1
            reached = False
            for note in response.notifications:
                if note.reason not in CASE_REASONS or ids.POST_COLLECTION not in note.uri:
                    continue
                if since is not None and ids.order_key(note.uri) <= since:
                    reached = True
                    continue
                notes.setdefault(note.uri, note)  # a notification carries the post itself: no getPosts
            cursor = response.cursor
            if reached or not cursor or not response.notifications:
                break
        return self._result(list(notes.values()), pages)

    def _result(self, views: list, pages: int) -> FetchResult:
        """The posts of `views` (they carry their records), oldest first, authors by batched getProfiles."""
        profiles = self._profiles([v.author.did for v in views]) if views else {}
        posts = sorted((self._inbound(v, profiles) for v in views), key=lambda p: ids.order_key(p.id))
        requests = pages + math.ceil(len(profiles) / PROFILE_BATCH)
        newest = posts[-1].id if posts else None
        return FetchResult(posts, newest, requests, oldest_id=posts[0].id if posts else None)

    def search(self, account: BrandAccount, query: str, since_id: str | None, *, max_pages: int | None = None):
        since = ids.order_key(since_id) if since_id else None
        views, cursor, pages = [], None, 0
        while max_pages is None or pages < max_pages:
            params = {"q": query, "sort": "latest", "limit": PAGE_SIZE}
            if cursor:
                params["cursor"] = cursor
            response = self._call(self.client.app.bsky.feed.search_posts, params)
            pages += 1
            fresh = [v for v in response.posts if since is None or ids.order_key(v.uri) > since]
            views += fresh
            cursor = response.cursor
            if len(fresh) < len(response.posts) or not cursor or not response.posts:
                break
        return self._result(views, pages)

    def recent_posts(self, account: BrandAccount, since_id: str | None) -> list[OwnPost]:
        response = self._call(
            self.client.app.bsky.feed.get_author_feed,
            {"actor": account.account_id, "filter": "posts_with_replies", "limit": PAGE_SIZE},
        )
        since = ids.order_key(since_id) if since_id else None
        found = []
        for item in response.feed:
            post = item.post
            if post.author.did != account.account_id or getattr(item, "reason", None):
                continue  # someone else's, or a repost
            if since is not None and ids.order_key(post.uri) <= since:
                continue
            reply = getattr(post.record, "reply", None)
            found.append(OwnPost(post.uri, getattr(post.record, "text", ""), reply.parent.uri if reply else None))
        return found

    # --- writing
    def _resolve_did(self, handle: str) -> str | None:
        if handle not in self._dids:
            try:
                self._dids[handle] = self._call(self.client.resolve_handle, handle).did
            except RequestException:
                self._dids[handle] = None
        return self._dids[handle]

    def reply(self, account: BrandAccount, in_reply_to: str, text_: str) -> PostedReply:
        problem = text.text_problem(text_)
        if problem:
            raise ReplyRejected("too_long", problem)
        try:
            parents = self._posts([in_reply_to])
        except RequestException as err:
            raise ReplyRejected("deleted", f"Bluesky could not find the post answered: {_error(err)[2]}") from err
        if not parents:
            raise ReplyRejected("deleted", "The post answered was deleted: nothing was posted.")
        parent = parents[0]
        parent_ref = models.create_strong_ref(parent)
        root = getattr(parent.record, "reply", None)
        root_ref = root.root if root else parent_ref
        builder = text.build(text_, self._resolve_did)
        self.budget.spend(write_budget.CREATE)
        try:
            record = models.AppBskyFeedPost.Record(
                text=builder.build_text(),
                facets=builder.build_facets() or None,
                reply=models.AppBskyFeedPost.ReplyRef(root=root_ref, parent=parent_ref),
                created_at=self.client.get_current_time_iso(),
                langs=None,
            )
            created = self._call(
                self.client.com.atproto.repo.create_record,
                models.ComAtprotoRepoCreateRecord.Data(
                    repo=account.account_id, collection=ids.POST_COLLECTION, record=record
                ),
            )
        except BadRequestError as err:
            raise ReplyRejected("bad_request", f"Bluesky refused the reply: {_error(err)[2]}") from err
        return PostedReply(id=created.uri, url=ids.post_url(account.handle, created.uri))

    def delete_post(self, account: BrandAccount, post_id: str) -> None:
        self.budget.spend(write_budget.DELETE)
        try:
            self._call(self.client.delete_post, post_id)
        except BadRequestError as err:
            raise ReplyRejected("delete_refused", f"Bluesky refused to delete it: {_error(err)[2]}") from err

    # --- ids
    def post_url(self, handle: str, post_id: str) -> str:
        return ids.post_url(handle, post_id)

    def profile_url(self, handle: str) -> str:
        return ids.profile_url(handle)

    def check_text(self, text_: str) -> str | None:
        return text.text_problem(text_)

    def order_key(self, post_id: str) -> int:
        return ids.order_key(post_id)

    def post_time(self, post_id: str) -> datetime | None:
        return ids.post_time(post_id)

    def overlapped_since(self, since_id: str | None, seconds: float) -> str | None:
        return ids.moved_back(since_id, seconds) if since_id else None

    def search_reaches(self, since_id: str, now: datetime) -> bool:
        made = ids.post_time(since_id)
        return made is not None and now - made <= SEARCH_REACH


def kept_session(pds_url: str, session_string: str) -> str:
    """What is kept of a session: the library's session string and the BLUESKY_PDS_URL it was made through."""
    return json.dumps({"pds_url": pds_url, "session": session_string})


def session_kept_for(kept: str | None, pds_url: str, handle: str) -> str | None:
    """The kept session string, when it was made through this BLUESKY_PDS_URL (one kept before the URL was kept with
    it is used as it is). A session made elsewhere names its own server: after the setting changed, the bot would go
    on calling that server, so it signs in again instead."""
    if not kept:
        return None
    made_through, session_string = kept_parts(kept)
    if made_through not in (None, pds_url):
        log.info("BLUESKY_PDS_URL of %s changed since its session was kept: signing in again", handle)
        return None
    return session_string


def kept_parts(kept: str) -> tuple[str | None, str]:
    """(the BLUESKY_PDS_URL a kept session was made through, None when not kept with it; the session string)."""
    if not kept.startswith("{"):
        return None, kept
    value = json.loads(kept)
    return value["pds_url"], value["session"]
