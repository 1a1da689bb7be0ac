"""A stand-in for the Bluesky XRPC endpoints the bridge uses (PDS and AppView in one), over real HTTP on 127.0.0.1.

It answers in the real shapes: errors as {"error": ..., "message": ...}; 400 InvalidRequest for a post over 300
graphemes or 3,000 bytes; 429 with ratelimit-limit/-remaining/-reset/-policy headers when a fault asks for it; 400
ExpiredToken for an access token past its time. Tokens are unsigned JWTs whose `exp` the SDK reads to refresh.

The chat service (chat.bsky.convo.*) answers only requests that carry the proxy header
(`atproto-proxy: did:web:api.bsky.chat#bsky_chat`; without it, 501 as from a PDS that does not serve them), with its
refusals: 400 MessagingDisabled for someone who accepts no messages from the brand, 400 InvalidConvo for a
conversation that is gone, 400 InvalidRequest for a message over 1,000 graphemes or 10,000 bytes."""

import base64
import copy
import itertools
import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

from bot.networks.bluesky import ids
from bot.networks.bluesky.text import DM_MAX_BYTES, DM_MAX_GRAPHEMES, MAX_BYTES, MAX_GRAPHEMES, graphemes
from bot.sandbox.standins.server import QuietServer


class _XrpcError(Exception):
    def __init__(self, status: int, error: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.body, self.headers = status, {"error": error, "message": message}, headers or {}


def _jwt(payload: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}.c2ln"


def _payload(token: str) -> dict:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
MESSAGE_VIEW = "chat.bsky.convo.defs#messageView"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _now_iso() -> str:
    return _iso(datetime.now(UTC))


class FakeBluesky:
    def __init__(self, access_seconds: int = 7200):
        self.access_seconds = access_seconds
        self.users: dict[str, dict] = {}  # did -> {handle, password, name, followers}
        self.posts: dict[str, dict] = {}  # uri -> {uri, cid, author, record, indexedAt}
        self.notifications: dict[str, list[dict]] = {}  # did -> newest last
        self.calls: list[str] = []  # the NSIDs asked, in order
        self.sessions_created = 0
        self.fail_next: dict[str, list[tuple]] = {}  # nsid -> [(status, error, message, headers)] or ("drop",)
        self.lose_answer_of_next_post = False
        self.convos: dict[str, dict] = {}  # convo id -> {id, members: [did, did], messages: [view], rev}
        self.chat_log: dict[str, list[dict]] = {}  # did -> its log entries, oldest first
        self.closed_to_messages: set[str] = set()  # dids that accept no direct messages
        self._seq = itertools.count(1)
        self._clock = itertools.count(int(time.time() * 1_000_000))
        self._lock = threading.RLock()
        self.server = QuietServer(("127.0.0.1", 0), _Handler)
        self.server.fake = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> str:
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    _KEPT = ("users", "posts", "notifications", "convos", "chat_log", "closed_to_messages")

    def snapshot(self) -> dict:
        """The world (accounts, posts, notifications, conversations), for restore() in another process."""
        with self._lock:
            seq = next(self._seq)
            self._seq = itertools.count(seq)
            return copy.deepcopy({**{name: getattr(self, name) for name in self._KEPT}, "seq": seq})

    def restore(self, state: dict) -> None:
        with self._lock:
            for name in self._KEPT:
                if name in state:
                    setattr(self, name, copy.deepcopy(state[name]))
            self.closed_to_messages = set(self.closed_to_messages)
            self._seq = itertools.count(state.get("seq", 1))  # no did or cid of the restored world is made again

    # --- the test's side
    def add_user(self, handle: str, password: str = "app-pass-1234", name: str = "", followers: int = 0) -> str:
        did = f"did:plc:{handle.split('.')[0]}{next(self._seq)}"
        self.users[did] = {"handle": handle, "password": password, "name": name or handle, "followers": followers}
        self.notifications[did] = []
        return did

    def did_of(self, handle: str) -> str:
        return next(d for d, u in self.users.items() if u["handle"] == handle)

    def post(
        self,
        handle: str,
        text: str,
        *,
        reply_to: str | None = None,
        mention: str | None = None,
        created_at: datetime | None = None,
    ) -> str:
        """A post by `handle`; mentioning @mention (a facet) and/or replying to a post, notifying whom it concerns.
        `created_at` is the time its author's app wrote in the record (the rkey is still made now)."""
        created = _now_iso() if created_at is None else _iso(created_at)
        record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": created}
        if mention and f"@{mention}" in text:
            start = len(text[: text.index(f"@{mention}")].encode())
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": self.did_of(mention)}
            record["facets"] = [
                {"index": {"byteStart": start, "byteEnd": start + len(mention.encode()) + 1}, "features": [feature]}
            ]
        if reply_to:
            parent = self.posts[reply_to]
            root = parent["record"].get("reply", {}).get("root") or {"uri": parent["uri"], "cid": parent["cid"]}
            record["reply"] = {"root": root, "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
        return self._create(self.did_of(handle), record)["uri"]

    def repost(self, handle: str, uri: str) -> None:
        author = self.did_of(handle)
        target = self.posts[uri]["author"]
        self._notify(
            target, author, f"at://{author}/app.bsky.feed.repost/{ids.micros_tid(next(self._clock))}", "repost"
        )

    def dm(self, sender: str, to: str, text: str) -> dict:
        """A direct message from handle `sender` to handle `to`, in the conversation of the two (made if new)."""
        with self._lock:
            return self._send(self._convo_of([self.did_of(sender), self.did_of(to)]), self.did_of(sender), text)

    def dms_from(self, handle: str) -> list[dict]:
        """The direct messages `handle` sent, oldest first."""
        did = self.did_of(handle)
        return [m for c in self.convos.values() for m in c["messages"] if m["sender"]["did"] == did]

    def views(self) -> list[dict]:
        """Every post as the AppView shows it (with its author's handle and name), oldest first."""
        with self._lock:
            return [self._view(p) for p in sorted(self.posts.values(), key=lambda p: ids.order_key(p["uri"]))]

    def replies_to(self, uri: str) -> list[dict]:
        return [p for p in self.posts.values() if p["record"].get("reply", {}).get("parent", {}).get("uri") == uri]

    # --- the server's side
    def _create(self, did: str, record: dict) -> dict:
        with self._lock:
            uri = f"at://{did}/app.bsky.feed.post/{ids.micros_tid(next(self._clock))}"
            post = {"uri": uri, "cid": f"bafyrei{next(self._seq):08d}", "author": did, "record": record}
            post["indexedAt"] = _now_iso()
            self.posts[uri] = post
            concerned = set()
            for facet in record.get("facets", []):
                concerned |= {f["did"] for f in facet["features"] if f.get("did")}
            reason_of = {d: "mention" for d in concerned}
            if "reply" in record:
                parent_author = self.posts[record["reply"]["parent"]["uri"]]["author"]
                reason_of[parent_author] = "reply"
            for target, reason in reason_of.items():
                if target != did and target in self.notifications:
                    self._notify(target, did, uri, reason, record)
            return post

    def _tid(self) -> str:
        return ids.micros_tid(next(self._clock))

    def _convo_of(self, members: list[str]) -> dict:
        found = next((c for c in self.convos.values() if set(c["members"]) == set(members)), None)
        if found is None:
            found = {"id": self._tid(), "members": list(dict.fromkeys(members)), "messages": [], "rev": self._tid()}
            self.convos[found["id"]] = found
            for did in found["members"]:
                self._log(did, {"$type": "chat.bsky.convo.defs#logBeginConvo", "convoId": found["id"]})
        return found

    def _log(self, did: str, entry: dict) -> None:
        self.chat_log.setdefault(did, []).append({**entry, "rev": self._tid()})

    def _send(self, convo: dict, sender: str, text: str) -> dict:
        view = {"$type": MESSAGE_VIEW, "id": self._tid(), "text": text, "sender": {"did": sender}, "sentAt": _now_iso()}
        view["rev"] = convo["rev"] = self._tid()
        convo["messages"].append(view)
        for did in convo["members"]:
            self._log(did, {"$type": "chat.bsky.convo.defs#logCreateMessage", "convoId": convo["id"], "message": view})
        return view

    def _convo_view(self, convo: dict) -> dict:
        last = convo["messages"][-1] if convo["messages"] else None
        return {
            "id": convo["id"],
            "rev": convo["rev"],
            "members": [self._basic(d) for d in convo["members"]],
            **({"lastMessage": last} if last else {}),
            "muted": False,
            "unreadCount": 0,
            "status": "accepted",
        }

    @staticmethod
    def _page(items: list, query: dict, key: str) -> dict:
        offset, limit = int(query.get("cursor", ["0"])[0]), min(int(query.get("limit", ["50"])[0]), 100)
        more = offset + limit < len(items)
        return {key: items[offset : offset + limit], **({"cursor": str(offset + limit)} if more else {})}

    def _chat(self, me: str, nsid: str, query: dict, body: dict) -> dict:
        if nsid == "chat.bsky.convo.getLog":
            log = self.chat_log.get(me, [])
            cursor = query.get("cursor", [None])[0]
            if cursor is None:  # the log's current cursor, to read on from
                return {"logs": [], **({"cursor": log[-1]["rev"]} if log else {})}
            newer = [e for e in log if e["rev"] > cursor][:100]
            return {"logs": newer, "cursor": newer[-1]["rev"] if newer else cursor}
        if nsid == "chat.bsky.convo.listConvos":
            mine = sorted((c for c in self.convos.values() if me in c["members"]), key=lambda c: c["rev"], reverse=True)
            return self._page([self._convo_view(c) for c in mine], query, "convos")
        if nsid == "chat.bsky.convo.getConvoForMembers":
            members = [self._did(m) for m in query.get("members", [])]
            if None in members:
                raise _XrpcError(400, "RecipientNotFound", "recipient not found")
            if any(m in self.closed_to_messages for m in members):
                raise _XrpcError(400, "MessagingDisabled", "recipient has disabled incoming messages")
            return {"convo": self._convo_view(self._convo_of([me, *members]))}
        convo = self.convos.get(query.get("convoId", [None])[0] or body.get("convoId"))
        if convo is None or me not in convo["members"]:
            raise _XrpcError(400, "InvalidConvo", "Convo not found")
        if nsid == "chat.bsky.convo.getMessages":
            return self._page(list(reversed(convo["messages"])), query, "messages")
        if nsid == "chat.bsky.convo.sendMessage":
            text = body["message"]["text"]
            if graphemes(text) > DM_MAX_GRAPHEMES or len(text.encode()) > DM_MAX_BYTES:
                raise _XrpcError(400, "InvalidRequest", "Input/message/text must not be longer than 1000 graphemes")
            if any(d in self.closed_to_messages for d in convo["members"] if d != me):
                raise _XrpcError(400, "MessagingDisabled", "recipient has disabled incoming messages")
            return self._send(convo, me, text)
        raise _XrpcError(501, "MethodNotImplemented", f"Method Not Implemented: {nsid}")

    def _notify(self, target: str, author: str, uri: str, reason: str, record: dict | None = None) -> None:
        self.notifications[target].append(
            {
                "uri": uri,
                "cid": "bafyreinote",
                "author": self._basic(author),
                "reason": reason,
                "record": record or {"$type": "app.bsky.feed.repost", "createdAt": _now_iso()},
                "isRead": False,
                "indexedAt": _now_iso(),
                "labels": [],
            }
        )

    def _basic(self, did: str) -> dict:
        user = self.users[did]
        return {"did": did, "handle": user["handle"], "displayName": user["name"], "labels": []}

    def _view(self, post: dict) -> dict:
        return {
            "uri": post["uri"],
            "cid": post["cid"],
            "author": self._basic(post["author"]),
            "record": post["record"],
            "indexedAt": post["indexedAt"],
            "labels": [],
        }

    def _session(self, did: str) -> dict:
        user = self.users[did]
        exp = int(time.time()) + self.access_seconds
        return {
            "did": did,
            "handle": user["handle"],
            "accessJwt": _jwt({"scope": "com.atproto.appPass", "sub": did, "exp": exp, "iat": int(time.time())}),
            "refreshJwt": _jwt({"scope": "com.atproto.refresh", "sub": did, "exp": exp + 86400, "jti": str(exp)}),
            "active": True,
        }

    def _caller(self, headers, scope: str = "com.atproto.appPass") -> str:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise _XrpcError(401, "AuthenticationRequired", "Authentication Required")
        payload = _payload(auth.removeprefix("Bearer "))
        if payload.get("scope") != scope:
            raise _XrpcError(400, "InvalidToken", "Bad token scope")
        if payload["exp"] < time.time():
            raise _XrpcError(400, "ExpiredToken", "Token has expired")
        return payload["sub"]

    def handle(self, method: str, nsid: str, query: dict, body: dict, headers) -> dict:
        self.calls.append(nsid)
        planned = self.fail_next.get(nsid)
        if planned:
            fault = planned.pop(0)
            raise _XrpcError(*fault)
        if nsid == "com.atproto.server.createSession":
            self.sessions_created += 1
            user = next((d for d, u in self.users.items() if body.get("identifier") in (u["handle"], d)), None)
            if user is None or self.users[user]["password"] != body.get("password"):
                raise _XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
            return self._session(user)
        if nsid == "com.atproto.server.refreshSession":
            return self._session(self._caller(headers, "com.atproto.refresh"))
        if nsid == "com.atproto.identity.resolveHandle":
            try:
                return {"did": self.did_of(query["handle"][0])}
            except StopIteration:
                raise _XrpcError(400, "InvalidRequest", "Unable to resolve handle") from None
        me = self._caller(headers)
        if nsid.startswith("chat.bsky."):
            if headers.get("atproto-proxy") != CHAT_PROXY:
                raise _XrpcError(501, "MethodNotImplemented", "Method Not Implemented")  # the PDS does not serve chat
            return self._chat(me, nsid, query, body)
        if nsid == "com.atproto.server.getSession":
            return {"did": me, "handle": self.users[me]["handle"], "active": True}
        if nsid == "app.bsky.notification.listNotifications":
            reasons = set(query.get("reasons", [])) or None
            limit = min(int(query.get("limit", ["50"])[0]), 100)
            offset = int(query.get("cursor", ["0"])[0])
            notes = [n for n in reversed(self.notifications[me]) if reasons is None or n["reason"] in reasons]
            page = notes[offset : offset + limit]
            more = offset + limit < len(notes)
            return {"notifications": page, **({"cursor": str(offset + limit)} if more else {}), "seenAt": _now_iso()}
        if nsid == "app.bsky.feed.getPosts":
            return {"posts": [self._view(self.posts[u]) for u in query.get("uris", []) if u in self.posts]}
        if nsid == "app.bsky.actor.getProfiles":
            actors = query.get("actors", [])
            if len(actors) > 25:
                raise _XrpcError(400, "InvalidRequest", "Error: actors must not have more than 25 elements")
            return {"profiles": [self._profile(a) for a in actors if self._did(a)]}
        if nsid == "app.bsky.actor.getProfile":
            return self._profile(query["actor"][0])
        if nsid == "app.bsky.feed.searchPosts":
            words = query["q"][0].lower()
            found = [self._view(p) for p in reversed(self.posts.values()) if words in p["record"]["text"].lower()]
            return {"posts": found[: int(query.get("limit", ["25"])[0])]}
        if nsid == "app.bsky.feed.getAuthorFeed":
            actor = self._did(query["actor"][0])
            own = [p for p in reversed(self.posts.values()) if p["author"] == actor]
            return {"feed": [{"post": self._view(p)} for p in own[: int(query.get("limit", ["50"])[0])]]}
        if nsid == "com.atproto.repo.createRecord":
            record = body["record"]
            count, size = graphemes(record.get("text", "")), len(record.get("text", "").encode())
            if count > MAX_GRAPHEMES or size > MAX_BYTES:
                message = (
                    f"Invalid app.bsky.feed.post record: Record/text must not be longer than {MAX_GRAPHEMES} graphemes"
                )
                raise _XrpcError(400, "InvalidRequest", message)
            if "reply" in record and record["reply"]["parent"]["uri"] not in self.posts:
                raise _XrpcError(400, "InvalidRequest", "Could not locate record")
            post = self._create(me, record)
            if self.lose_answer_of_next_post:
                self.lose_answer_of_next_post = False
                raise ConnectionAbortedError("the answer is lost")
            return {"uri": post["uri"], "cid": post["cid"], "validationStatus": "valid"}
        if nsid == "com.atproto.repo.deleteRecord":
            self.posts.pop(f"at://{body['repo']}/{body['collection']}/{body['rkey']}", None)
            return {}
        raise _XrpcError(501, "MethodNotImplemented", f"Method Not Implemented: {nsid}")

    def _did(self, actor: str) -> str | None:
        if actor in self.users:
            return actor
        return next((d for d, u in self.users.items() if u["handle"] == actor), None)

    def _profile(self, actor: str) -> dict:
        did = self._did(actor)
        if did is None:
            raise _XrpcError(400, "InvalidRequest", "Profile not found")
        user = self.users[did]
        return {**self._basic(did), "followersCount": user["followers"], "followsCount": 0, "postsCount": 0}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def _serve(self) -> None:
        fake: FakeBluesky = self.server.fake
        url = urlparse(self.path)
        nsid = url.path.removeprefix("/xrpc/")
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
            with fake._lock:
                answer, status, headers = (
                    fake.handle(self.command, nsid, parse_qs(url.query), body, self.headers),
                    200,
                    {},
                )
        except ConnectionAbortedError:
            self.close_connection = True
            return  # the record was made; the answer never arrives
        except _XrpcError as err:
            answer, status, headers = err.body, err.status, err.headers
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _serve
