"""The sandbox page, rendered on the server: the Slack channel as Slack shows it, beside the brand's conversations
on X and Bluesky."""

import hashlib
import html
import mimetypes
import re
from datetime import UTC, datetime
from urllib.parse import urlencode

from bot.domain.wording import plural
from bot.networks.bluesky import ids
from bot.sandbox import assets, slack_html
from bot.sandbox.runtime import (
    AGENTS,
    BLUESKY,
    BLUESKY_BRAND,
    BRAND_HANDLE,
    BRAND_NAME,
    CHANNELS,
    INBOX,
    Notice,
    Sandbox,
)

X_ENTITY = re.compile(r"(https?://\S+)|(@\w{1,15})|(#\w+)")
BSKY_ENTITY = re.compile(r"(https?://\S+)|(@[\w-]+(?:\.[\w-]+)*)|(#\w+)")
# Links the bot writes for a real install (X's posts and profiles, Slack permalinks) lead nowhere from the sandbox:
# the page points them at the post, the customer or the message on this page instead. The bot keeps writing them.
OUT = r'" target="_blank" rel="noopener"'
X_POST_LINK = re.compile(r'href="https://x\.com/(\w{1,15})/status/(\d+)' + OUT)
X_PROFILE_LINK = re.compile(r'href="https://x\.com/(\w{1,15})' + OUT)
BSKY_POST_LINK = re.compile(r'href="https://bsky\.app/profile/([\w.-]+)/post/(\w+)' + OUT)
BSKY_PROFILE_LINK = re.compile(r'href="https://bsky\.app/profile/([\w.-]+)' + OUT)
SLACK_PERMALINK = re.compile(r'href="https://[\w-]+\.slack\.com/archives/(\w+)/p(\d+)(?:\?[^"]*)?' + OUT)
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp")


def _moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def esc(value) -> str:
    return html.escape(str(value if value is not None else ""), quote=True)


def initials(name: str) -> str:
    words = [w for w in re.split(r"[\s_.]+", name) if w]
    return ("".join(w[0] for w in words[:2]) or "?").upper()


def hue(seed: str) -> int:
    return int(hashlib.sha1(seed.encode()).hexdigest()[:4], 16) % 360


def avatar(name: str, seed: str, extra: str = "") -> str:
    return f'<div class="avatar {extra}" style="--hue:{hue(seed)}">{esc(initials(name))}</div>'


class Renderer:
    def __init__(self, sandbox: Sandbox, agent: str, channel: str):
        self.sandbox = sandbox
        self.agent = agent if agent in AGENTS else next(iter(AGENTS))
        self.channel = channel if channel in CHANNELS else INBOX
        self.tz = sandbox.settings.tz if sandbox.settings else UTC

    # -- helpers ------------------------------------------------------------------------------------------

    def clock(self, moment: datetime) -> str:
        local = moment.astimezone(self.tz)
        return f'<time title="{esc(local.strftime("%Y-%m-%d %H:%M %Z"))}">{local.strftime("%H:%M")}</time>'

    def ts_clock(self, ts: str | float) -> str:
        return self.clock(datetime.fromtimestamp(float(ts), UTC))

    def user_name(self, uid: str) -> str:
        return self.sandbox.user_name(uid)

    def hidden(self, **fields) -> str:
        fields.setdefault("agent", self.agent)
        fields.setdefault("view", self.channel)
        return "".join(f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">' for k, v in fields.items())

    def button(self, element: dict, action: str, fields: str) -> str:
        style = element.get("style") or ""
        label = slack_html.text_object(element.get("text"), self.user_name)
        return (
            f'<form class="inline" method="post" action="{action}" data-async>{fields}'
            f'<button type="submit" class="btn {esc(style)}" data-action="{esc(element.get("action_id", ""))}">'
            f"{label}</button></form>"
        )

    def menu(self, element: dict, fields: str, options: list[tuple[str, str]]) -> str:
        placeholder = (element.get("placeholder") or {}).get("text") or "Choose…"
        items = "".join(f'<option value="{esc(value)}">{esc(label)}</option>' for value, label in options)
        return (
            f'<form class="inline" method="post" action="/act/select" data-async>{fields}'
            f'<select name="value" class="menu" data-autosubmit data-action="{esc(element.get("action_id", ""))}">'
            f'<option value="" selected disabled>{esc(placeholder)}</option>{items}</select></form>'
        )

    def control(self, element: dict, *, channel: str, ts: str) -> str | None:
        """A message's button or menu, as a form that the page forwards to the bot as Slack would."""
        kind = element.get("type")
        action_id = element.get("action_id", "")
        if kind == "button":
            fields = self.hidden(channel=channel, ts=ts, action_id=action_id, value=element.get("value", ""))
            return self.button(element, "/act/click", fields)
        fields = self.hidden(channel=channel, ts=ts, action_id=action_id)
        if kind == "users_select":
            return self.menu(element, fields, [(uid, real) for uid, (_, real) in AGENTS.items()])
        if kind == "static_select":
            options = [
                (o.get("value", ""), (o.get("text") or {}).get("text", "")) for o in element.get("options") or []
            ]
            return self.menu(element, fields, options)
        return None

    def local_links(self, fragment: str) -> str:
        """The rendered links to X and to Slack permalinks, pointed at what this page shows."""

        def message(m: re.Match) -> str:
            channel, anchor = m.group(1), f"#m{m.group(2)}"
            if channel != self.channel and channel in CHANNELS:
                return f'href="{esc(self.link(channel=channel))}{anchor}" data-pane="slack"'
            return f'href="{anchor}" data-pane="slack"'

        fragment = X_POST_LINK.sub(lambda m: f'href="#x{m.group(2)}" data-pane="x"', fragment)
        fragment = X_PROFILE_LINK.sub(lambda m: f'href="#xu-{m.group(1).lower()}" data-pane="x"', fragment)
        fragment = BSKY_POST_LINK.sub(lambda m: f'href="#b{m.group(2)}" data-pane="x"', fragment)
        fragment = BSKY_PROFILE_LINK.sub(lambda m: f'href="#bu-{m.group(1).lower()}" data-pane="x"', fragment)
        return SLACK_PERMALINK.sub(message, fragment)

    # -- the Slack side -----------------------------------------------------------------------------------

    def message(self, msg: dict, channel: str) -> str:
        is_bot = bool(msg.get("bot_id"))
        name = "Social Inbox" if is_bot else self.user_name(msg.get("user", ""))
        badge = '<span class="app">APP</span>' if is_bot else ""

        def control(element, block_id):
            return self.control(element, channel=channel, ts=msg["ts"])

        if msg.get("blocks"):
            body = slack_html.blocks(msg["blocks"], self.user_name, control)
        else:
            body = f'<div class="b-text">{slack_html.mrkdwn(msg.get("text", ""), self.user_name)}</div>'
        if msg.get("blocks") and msg.get("upload") and msg.get("text"):
            body = f'<div class="b-text">{slack_html.mrkdwn(msg["text"], self.user_name)}</div>' + body
        body += self.files(msg.get("files") or [])
        kind = ((msg.get("metadata") or {}).get("event_type") or "").replace("_", "-")
        return (
            f'<div class="msg {esc(kind)}" id="m{esc(msg["ts"].replace(".", ""))}" data-ts="{esc(msg["ts"])}">'
            f"{avatar(name, msg.get('user', ''), 'bot' if is_bot else '')}"
            f'<div class="msg-body"><div class="meta"><b>{esc(name)}</b>{badge} {self.ts_clock(msg["ts"])}</div>'
            f"{body}</div></div>"
        )

    def files(self, files: list[dict]) -> str:
        out = []
        for f in files:
            name = f.get("name") or f.get("title") or f.get("id")
            src = f"/files/{esc(f.get('id'))}"
            title = esc(f.get("title") or name)
            if (mimetypes.guess_type(name)[0] or "") in IMAGE_TYPES:
                out.append(
                    f'<figure class="file"><figcaption>{title}</figcaption><a href="{src}" target="_blank">'
                    f'<img src="{src}" alt="{title}"></a></figure>'
                )
            else:
                out.append(f'<a class="file-chip" href="{src}" download="{esc(name)}">📄 {title}</a>')
        return "".join(out)

    def notice(self, notice: Notice) -> str:
        def control(element, block_id):
            if element.get("type") != "button":
                return None
            fields = self.hidden(notice=notice.id, action_id=element.get("action_id", ""))
            return self.button(element, "/act/notice", fields)

        body = slack_html.blocks(notice.blocks, self.user_name, control) if notice.blocks else ""
        if not body:
            body = f'<div class="b-text">{slack_html.mrkdwn(notice.text, self.user_name)}</div>'
        title = f'<div class="notice-cmd">{esc(notice.title)}</div>' if notice.title else ""
        return (
            f'<div class="msg notice">{avatar("Social Inbox", "", "bot")}<div class="msg-body">'
            f'<div class="meta"><b>Social Inbox</b><span class="app">APP</span> {self.ts_clock(notice.at)}'
            f' <span class="only-you">👁 Only visible to you</span></div>{title}{body}</div></div>'
        )

    def thread(self, parent: dict, replies: list[dict], notices: list[Notice], channel: str) -> str:
        items = [(float(r["ts"]), self.message(r, channel)) for r in replies]
        items += [(n.at, self.notice(n)) for n in notices]
        items.sort(key=lambda item: item[0])
        count = len(replies)
        head = plural(count, "reply", "replies") if count else "No replies yet"
        placeholder = f"Reply in thread as {self.user_name(self.agent)}…"
        form = (
            f'<form class="reply" method="post" action="/act/say" data-async>'
            f"{self.hidden(channel=channel, thread_ts=parent['ts'])}"
            f'<input type="text" name="text" autocomplete="off" placeholder="{esc(placeholder)}" '
            f'data-keep="reply-{esc(parent["ts"])}" data-clear="">'
            f'<button type="submit" class="btn primary send">Send</button></form>'
        )
        return (
            f'<div class="thread"><div class="thread-head">{head}</div>'
            f"{''.join(html_ for _, html_ in items)}{form}</div>"
        )

    def slack_feed(self) -> str:
        channel = self.channel
        posts = self.sandbox.slack.all_posts(channel)
        notices = self.sandbox.notices_for(self.agent, channel)
        tops = [
            p
            for p in posts
            if not p.get("thread_ts") or p["thread_ts"] == p["ts"] or p.get("subtype") == "thread_broadcast"
        ]
        top_ts = {p["ts"] for p in tops}
        replies: dict[str, list[dict]] = {}
        for p in posts:
            if p.get("thread_ts") and p["thread_ts"] != p["ts"]:
                replies.setdefault(p["thread_ts"], []).append(p)
        thread_notices: dict[str, list[Notice]] = {}
        loose: list[Notice] = []
        for n in notices:
            anchor = n.thread_ts or n.anchor_ts
            if anchor in top_ts:
                thread_notices.setdefault(anchor, []).append(n)
            else:
                loose.append(n)
        items = []
        for p in tops:
            block = self.message(p, channel)
            is_case = (p.get("metadata") or {}).get("event_type") == "social_case"
            if is_case or replies.get(p["ts"]) or thread_notices.get(p["ts"]):
                block += self.thread(p, replies.get(p["ts"], []), thread_notices.get(p["ts"], []), channel)
            items.append((float(p["ts"]), f'<div class="entry">{block}</div>'))
        items += [(n.at, f'<div class="entry">{self.notice(n)}</div>') for n in loose]
        items.sort(key=lambda item: item[0])
        if not items:
            empty = {
                INBOX: "No cases yet. Post a mention as a customer on the right: it shows up here as a card.",
            }.get(channel, "Nothing here yet. The daily digests are posted in this channel.")
            return f'<div class="empty">{esc(empty)}</div>'
        return "".join(html_ for _, html_ in items)

    # -- the social side: X and Bluesky --------------------------------------------------------------------

    @staticmethod
    def post_text(text: str, entity: re.Pattern = X_ENTITY) -> str:
        out, last = [], 0
        for m in entity.finditer(text):
            out.append(esc(text[last : m.start()]))
            token = m.group(0)
            if m.group(1):
                out.append(f'<a href="{esc(token)}" target="_blank" rel="noopener">{esc(token)}</a>')
            else:
                out.append(f'<span class="x-entity">{esc(token)}</span>')
            last = m.end()
        out.append(esc(text[last:]))
        return "".join(out).replace("\n", "<br>")

    def social_post(
        self, *, anchor: str, post_id: str, network: str, name: str, handle: str, brand: bool, created, to, body
    ) -> str:
        """One post of a conversation, an X post or a Bluesky one, with its network named."""
        replying = f'<div class="replying">Replying to <span class="x-entity">@{esc(to)}</span></div>' if to else ""
        net = "on-bsky" if network == BLUESKY else "on-x"  # not "x": that is the pane's class
        badge = '<span class="verified" title="The brand">✓</span>' if brand else ""
        label = f'<span class="net {net}">{"Bluesky" if network == BLUESKY else "X"}</span>'
        return (
            f'<article class="tweet {net}{" brand" if brand else ""}" id="{esc(anchor)}" data-id="{esc(post_id)}">'
            f"{avatar(name, handle, f'brand {net}' if brand else 'round')}"
            f'<div class="tweet-body"><div class="who"><b>{esc(name)}</b>{badge} '
            f'<span class="handle">@{esc(handle)} · {self.clock(created)}</span>{label}</div>'
            f"{replying}{body}</div></article>"
        )

    def x_post(self, post: dict, parent: dict | None) -> str:
        author = post["author"]
        text = (post.get("note_tweet") or {}).get("text") or post["text"]
        body = (
            '<p class="deleted">This post was deleted.</p>' if post.get("deleted") else f"<p>{self.post_text(text)}</p>"
        )
        return self.social_post(
            anchor=f"x{post['id']}",
            post_id=post["id"],
            network="x",
            name=author["name"],
            handle=author["username"],
            brand=author["username"].lower() == BRAND_HANDLE.lower(),
            created=_moment(post["created_at"]),
            to=parent["author"]["username"] if parent is not None else None,
            body=body,
        )

    def bluesky_post(self, post: dict) -> str:
        return self.social_post(
            anchor=f"b{ids.rkey(post['uri'])}",
            post_id=post["uri"],
            network=BLUESKY,
            name=post["author"]["displayName"],
            handle=post["author"]["handle"],
            brand=post["author"]["handle"] == BLUESKY_BRAND,
            created=_moment(post["record"]["createdAt"]),
            to=post["parent_handle"],
            body=f"<p>{self.post_text(post['record'].get('text', ''), BSKY_ENTITY)}</p>",
        )

    def reply_form(self, customer: str, in_reply_to: str, keep: str, network: str = "x") -> str:
        return (
            f'<form class="x-reply" method="post" action="/act/mention" data-async>'
            f"{self.hidden(handle=customer, in_reply_to=in_reply_to, network=network)}"
            f'<input type="text" name="text" autocomplete="off" data-keep="{esc(keep)}" '
            f'data-clear="" placeholder="Reply as @{esc(customer)}…">'
            f'<button type="submit" class="btn x-btn">Reply</button></form>'
        )

    def conversation(self, rendered: list[str], form: str, customer: str | None, anchored: set, prefix: str) -> str:
        anchor = ""
        if customer is not None and (prefix + customer.lower()) not in anchored:
            anchored.add(prefix + customer.lower())
            anchor = f' id="{prefix}{esc(customer.lower())}"'
        return f'<section class="conversation"{anchor}>{"".join(rendered)}{form}</section>'

    def x_conversation(self, posts: list[dict], anchored: set) -> str:
        by_id = {p["id"]: p for p in posts}
        rendered = []
        for p in posts:
            parent_id = next((r["id"] for r in p.get("referenced_tweets") or [] if r["type"] == "replied_to"), None)
            rendered.append(self.x_post(p, by_id.get(parent_id)))
        customer = next((p["author"] for p in posts if p["author"]["username"].lower() != BRAND_HANDLE.lower()), None)
        form = ""
        if customer is not None:
            latest = next((p for p in reversed(posts) if not p.get("deleted")), posts[-1])
            form = self.reply_form(customer["username"], latest["id"], f"x-{posts[0]['id']}")
        return self.conversation(rendered, form, customer and customer["username"], anchored, "xu-")

    def bluesky_conversation(self, posts: list[dict], anchored: set) -> str:
        customer = next((p["author"]["handle"] for p in posts if p["author"]["handle"] != BLUESKY_BRAND), None)
        form = ""
        if customer is not None:
            form = self.reply_form(customer, posts[-1]["uri"], f"b-{ids.rkey(posts[0]['uri'])}", BLUESKY)
        return self.conversation([self.bluesky_post(p) for p in posts], form, customer, anchored, "bu-")

    def x_feed(self) -> str:
        """The brand's conversations on both networks, the liveliest first."""
        x = [(_moment(c[-1]["created_at"]), c, self.x_conversation) for c in self.sandbox.x_conversations()]
        bluesky = [
            (_moment(c[-1]["record"]["createdAt"]), c, self.bluesky_conversation)
            for c in self.sandbox.bluesky_conversations()
        ]
        if not x and not bluesky:
            return '<div class="empty">No posts yet. Write one above as a customer.</div>'
        anchored: set[str] = set()
        ordered = sorted(x + bluesky, key=lambda item: item[0], reverse=True)
        return "".join(render(posts, anchored) for _, posts, render in ordered)

    # -- the whole page -----------------------------------------------------------------------------------

    def fragments(self) -> dict:
        slack, x = self.local_links(self.slack_feed()), self.local_links(self.x_feed())
        stamp = hashlib.sha1((slack + x).encode()).hexdigest()[:16]
        return {"slack": slack, "x": x, "stamp": stamp}

    def link(self, **changes) -> str:
        params = {"agent": self.agent, "channel": self.channel, **changes}
        return "/?" + urlencode(params)

    def page(self, error: str | None = None) -> str:
        fragments = self.fragments()
        agents = "".join(
            f'<a class="agent{" current" if uid == self.agent else ""}" href="{esc(self.link(agent=uid))}">'
            f"{avatar(real, uid, 'small')}{esc(real)}</a>"
            for uid, (_, real) in AGENTS.items()
        )
        channels = "".join(
            f'<a class="channel{" current" if cid == self.channel else ""}" href="{esc(self.link(channel=cid))}">'
            f"# {esc(name)}</a>"
            for cid, name in CHANNELS.items()
        )
        if self.sandbox.digests is not None:
            digest = (
                f'<form class="inline" method="post" action="/act/digest" data-async>{self.hidden()}'
                f'<button class="btn top-btn" type="submit">📊 Post the digests now</button></form>'
            )
        else:
            digest = '<span class="top-note" title="Not in this version of the bridge">Digests: not available</span>'
        customers = "".join(
            f'<option value="@{esc(h)}">' for h in self.sandbox.customers + self.sandbox.bluesky_customers
        )
        banner = (
            f'<div class="toast show" id="toast">{esc(error)}</div>'
            if error
            else '<div class="toast" id="toast"></div>'
        )
        channel_name = CHANNELS[self.channel]
        topic = {
            INBOX: f"Every mention of @{BRAND_HANDLE} on X and @{BLUESKY_BRAND} on Bluesky becomes a card. Claim "
            "it, reply in the thread: the owner's replies go out on the customer's network. Start with note: to keep "
            "a message internal.",
        }.get(self.channel, "Daily SLA and resolution digests for managers.")
        return assets.PAGE.format(
            title=f"Social Inbox sandbox · @{BRAND_HANDLE}",
            agent=esc(self.agent),
            channel=esc(self.channel),
            stamp=esc(fragments["stamp"]),
            css=assets.CSS,
            js=assets.JS,
            agents=agents,
            digest=digest,
            channels=channels,
            channel_name=esc(channel_name),
            topic=esc(topic),
            slack=fragments["slack"],
            composer_hidden=self.hidden(channel=self.channel),
            composer_placeholder=esc(f"Message #{channel_name} as {self.user_name(self.agent)} — try /social-stats"),
            brand_handle=esc(BRAND_HANDLE),
            bluesky_brand=esc(BLUESKY_BRAND),
            brand_name=esc(BRAND_NAME),
            brand_avatar=avatar(BRAND_NAME, BRAND_HANDLE, "brand"),
            x_hidden=self.hidden(),
            customers=customers,
            x=fragments["x"],
            banner=banner,
        )
