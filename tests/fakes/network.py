"""FakeNetwork: the Network port in memory, with post ids that are not numbers (AT-URI-like by default), so that a
domain test shows the domain never reads meaning into an id. Its order is the order posts were made here."""

from datetime import UTC, datetime
from itertools import count

from bot.domain.errors import OutcomeUnknown
from bot.domain.types import Author, BrandAccount, FetchResult, InboundPost, OwnPost, PostedReply


class FakeDirectMessages:
    ends_by_itself = False

    def __init__(self, network: "FakeNetwork", max_length: int = 1000):
        self.network = network
        self.max_length = max_length
        self.inbox: list[InboundPost] = []
        self.sent_messages: list[tuple[str, str, str]] = []  # (brand handle, to user id, text)

    def pages(self, account: BrandAccount):
        if self.inbox:
            yield list(reversed(self.inbox))

    def send(self, account: BrandAccount, to_user_id: str, text: str) -> PostedReply:
        self.sent_messages.append((account.handle, to_user_id, text))
        return PostedReply(id=self.network.new_id("dm"), url="")

    def sent(self, account: BrandAccount, to_user_id: str, since_id: str | None) -> list[OwnPost]:
        return []

    def check_text(self, text: str) -> str | None:
        return f"it is {len(text)} characters, over the {self.max_length}" if len(text) > self.max_length else None


class FakeNetwork:
    """One brand account on a network called `name`. `lose_next_answer` makes the next reply go out but its answer
    be lost (OutcomeUnknown), as a timeout after the network posted would."""

    reachable_mentions = 100

    def __init__(self, name: str, display_name: str, *, handle: str = "brand", max_length: int = 300, dms=False):
        self.name, self.display_name, self.max_length = name, display_name, max_length
        self.account = BrandAccount(network=name, account_id=f"{name}-brand", handle=handle, name=handle)
        self.direct_messages = FakeDirectMessages(self) if dms else None
        self._ids = count(1)
        self._order: dict[str, int] = {}
        self.mentions: list[InboundPost] = []
        self.posted: list[OwnPost] = []  # the brand's replies, in the order they went out
        self.deleted: list[str] = []
        self.lose_next_answer = False
        self.calls: list[tuple[str, str]] = []  # (what, post id or text): every call that acts on the network

    def new_id(self, kind: str = "post") -> str:
        post_id = f"at://did:plc:{self.name}{next(self._ids)}/app.bsky.feed.{kind}/3k"
        self._order[post_id] = len(self._order)
        return post_id

    def mention(self, customer: str, text: str, *, post_id: str | None = None, conversation: str | None = None):
        """A customer mentions the brand: the post the next fetch returns."""
        post_id = post_id or self.new_id()
        self._order.setdefault(post_id, len(self._order))
        author = Author(id=f"{self.name}-{customer}", handle=customer, name=customer.title())
        post = InboundPost(
            id=post_id,
            conversation_id=conversation or post_id,
            author=author,
            text=text,
            created_at=datetime.now(UTC),
            mentioned=frozenset({self.account.handle}),
        )
        self.mentions.append(post)
        return post

    def me(self) -> BrandAccount:
        return self.account

    def fetch_mentions(self, account: BrandAccount, since_id: str | None) -> FetchResult:
        self.calls.append(("fetch", since_id or ""))
        after = -1 if since_id is None else self.order_key(since_id)
        posts = [p for p in self.mentions if self.order_key(p.id) > after]
        newest = max((p.id for p in posts), key=self.order_key, default=None)
        return FetchResult(posts=posts, newest_id=newest, requests=1)

    def reply(self, account: BrandAccount, in_reply_to: str, text: str) -> PostedReply:
        self.calls.append(("reply", in_reply_to))
        post = OwnPost(id=self.new_id(), text=text, in_reply_to=in_reply_to)
        self.posted.append(post)
        if self.lose_next_answer:
            self.lose_next_answer = False
            raise OutcomeUnknown(f"{self.display_name} did not answer in time")
        return PostedReply(id=post.id, url=self.post_url(account.handle, post.id))

    def recent_posts(self, account: BrandAccount, since_id: str | None) -> list[OwnPost]:
        self.calls.append(("recent", since_id or ""))
        after = -1 if since_id is None else self.order_key(since_id)
        return [p for p in self.posted if self.order_key(p.id) > after]

    def delete_post(self, account: BrandAccount, post_id: str) -> None:
        self.calls.append(("delete", post_id))
        self.deleted.append(post_id)

    def search(self, account, query, since_id, *, max_pages=None) -> FetchResult:
        return FetchResult(posts=[], newest_id=None, requests=1)

    def post_url(self, handle: str, post_id: str) -> str:
        return f"https://{self.name}.example/{handle}/post/{post_id.rsplit('/', 1)[-1]}?uri={post_id}"

    def profile_url(self, handle: str) -> str:
        return f"https://{self.name}.example/{handle}"

    def check_text(self, text: str) -> str | None:
        if len(text) > self.max_length:
            return f"it is {len(text)} characters, over the {self.max_length} {self.display_name} allows"
        return None

    def order_key(self, post_id: str) -> int:
        return self._order.get(post_id, -1)

    def post_time(self, post_id: str) -> datetime | None:
        return None

    def overlapped_since(self, since_id: str | None, seconds: float) -> str | None:
        return since_id

    def search_reaches(self, since_id: str, now: datetime) -> bool:
        return True
