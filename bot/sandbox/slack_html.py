"""Slack's message formats as HTML: mrkdwn text and the Block Kit blocks the bot sends, rendered generically."""

import html
import re
from collections.abc import Callable

EMOJI = {
    "large_green_circle": "🟢",
    "red_circle": "🔴",
    "large_yellow_circle": "🟡",
    "large_orange_circle": "🟠",
    "raising_hand": "🙋",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "x": "❌",
    "arrows_counterclockwise": "🔄",
    "round_pushpin": "📍",
    "warning": "⚠️",
    "bar_chart": "📊",
    "chart_with_upwards_trend": "📈",
    "chart_with_downwards_trend": "📉",
    "stopwatch": "⏱️",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳",
    "alarm_clock": "⏰",
    "speech_balloon": "💬",
    "busts_in_silhouette": "👥",
    "bust_in_silhouette": "👤",
    "trophy": "🏆",
    "fire": "🔥",
    "memo": "📝",
    "link": "🔗",
    "eyes": "👀",
    "tada": "🎉",
    "calendar": "📅",
    "date": "📅",
    "mailbox": "📫",
    "inbox_tray": "📥",
    "outbox_tray": "📤",
    "information_source": "ℹ️",
    "earth_americas": "🌎",
    "globe_with_meridians": "🌐",
    "label": "🏷️",
    "mag": "🔍",
    "rotating_light": "🚨",
    "lock": "🔒",
    "zzz": "💤",
    "wave": "👋",
}

LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
EMOJI_CODE = re.compile(r":([a-z0-9_+\-]+):")
BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")
STRIKE = re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])")
CODE = re.compile(r"`([^`\n]+)`")
BARE_URL = re.compile(r"https?://[^\s<>]*[^\s<>.,;:!?)\]'\"]")  # Slack links bare addresses too

UserName = Callable[[str], str]


def unescape(text: str) -> str:
    """Slack escapes only &, < and > in message text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def emoji(text: str) -> str:
    return EMOJI_CODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def _link(match: re.Match, user_name: UserName) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):
        return f'<span class="mention">@{html.escape(label or user_name(target[1:]))}</span>'
    if target.startswith("#"):
        return f'<span class="mention">#{html.escape(label or target[1:])}</span>'
    if target.startswith("!"):
        word = label or target[1:].split("^")[0]
        return f'<span class="mention">@{html.escape(word)}</span>'
    return _anchor(unescape(target), unescape(label) if label else None)


def _anchor(target: str, label: str | None = None) -> str:
    text = html.escape(label or target)
    return f'<a href="{html.escape(target, quote=True)}" target="_blank" rel="noopener">{text}</a>'


def _inline(text: str, user_name: UserName) -> str:
    """One line of mrkdwn (Slack-escaped) as HTML: links first (kept aside), then the emphasis marks."""
    kept: list[str] = []

    def keep(fragment: str) -> str:
        kept.append(fragment)
        return f"\x00{len(kept) - 1}\x00"

    text = LINK.sub(lambda m: keep(_link(m, user_name)), text)
    text = CODE.sub(lambda m: keep(f"<code>{html.escape(unescape(m.group(1)))}</code>"), text)
    text = BARE_URL.sub(lambda m: keep(_anchor(unescape(m.group(0)))), text)
    text = html.escape(emoji(unescape(text)), quote=False)
    text = BOLD.sub(r"<b>\1</b>", text)
    text = ITALIC.sub(r"<i>\1</i>", text)
    text = STRIKE.sub(r"<s>\1</s>", text)
    return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], text)


def mrkdwn(text: str, user_name: UserName = lambda uid: uid) -> str:
    """Slack mrkdwn as HTML: *bold*, _italic_, ~strike~, `code`, ```blocks```, > quotes, links, mentions."""
    out: list[str] = []
    quote: list[str] = []
    parts = (text or "").split("```")
    for index, part in enumerate(parts):
        if index % 2 == 1 and index < len(parts) - 1:
            out.append(f"<pre>{html.escape(unescape(part.strip(chr(10))))}</pre>")
            continue
        lines = part.split("\n")
        for line in lines:
            if line.startswith(("&gt;", ">")):
                quote.append(_inline(re.sub(r"^(&gt;|>) ?", "", line), user_name))
                continue
            if quote:
                out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
                quote = []
            out.append(_inline(line, user_name) + "<br>")
        if quote:
            out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
            quote = []
    rendered = "".join(out)
    return rendered[:-4] if rendered.endswith("<br>") else rendered


def text_object(obj: dict | None, user_name: UserName) -> str:
    if not obj:
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn(obj.get("text", ""), user_name)
    return html.escape(emoji(obj.get("text", ""))).replace("\n", "<br>")


# Renders an interactive element (button, menu) as the page wants it, or None for the generic rendering.
Control = Callable[[dict, str | None], str | None]


def _element(element: dict, block_id: str | None, user_name: UserName, control: Control) -> str:
    rendered = control(element, block_id)
    if rendered is not None:
        return rendered
    kind = element.get("type")
    if kind == "button":
        return f'<span class="btn disabled">{text_object(element.get("text"), user_name)}</span>'
    if kind == "image":
        src = html.escape(element.get("image_url", ""), quote=True)
        alt = html.escape(element.get("alt_text", ""), quote=True)
        return f'<img class="ctx-img" src="{src}" alt="{alt}">'
    if kind in ("mrkdwn", "plain_text"):
        return f"<span>{text_object(element, user_name)}</span>"
    label = html.escape((element.get("placeholder") or {}).get("text") or kind or "element")
    return f'<span class="unsupported">[{label}]</span>'


def _rich_text(block: dict, user_name: UserName) -> str:
    """What people type arrives as rich_text; its plain runs are enough here."""
    pieces = []
    for section in block.get("elements") or []:
        for item in section.get("elements") or []:
            if item.get("type") == "text":
                pieces.append(html.escape(item.get("text", "")).replace("\n", "<br>"))
            elif item.get("type") == "user":
                pieces.append(f'<span class="mention">@{html.escape(user_name(item.get("user_id", "")))}</span>')
            elif item.get("type") == "link":
                url = html.escape(item.get("url", ""), quote=True)
                pieces.append(
                    f'<a href="{url}" target="_blank" rel="noopener">{html.escape(item.get("text") or url)}</a>'
                )
            elif item.get("type") == "emoji":
                pieces.append(EMOJI.get(item.get("name", ""), f":{html.escape(item.get('name', ''))}:"))
    return f'<div class="b-rich">{"".join(pieces)}</div>'


def block(block: dict, user_name: UserName, control: Control) -> str:
    kind = block.get("type")
    block_id = block.get("block_id")
    if kind == "section":
        inner = f'<div class="b-text">{text_object(block.get("text"), user_name)}</div>' if block.get("text") else ""
        fields = block.get("fields") or []
        if fields:
            cells = "".join(f'<div class="b-field">{text_object(f, user_name)}</div>' for f in fields)
            inner += f'<div class="b-fields">{cells}</div>'
        accessory = block.get("accessory")
        if accessory:
            inner += f'<div class="b-accessory">{_element(accessory, block_id, user_name, control)}</div>'
        return f'<div class="b-section">{inner}</div>'
    if kind == "context":
        elements = "".join(_element(e, block_id, user_name, control) for e in block.get("elements") or [])
        return f'<div class="b-context">{elements}</div>'
    if kind == "actions":
        elements = "".join(_element(e, block_id, user_name, control) for e in block.get("elements") or [])
        return f'<div class="b-actions">{elements}</div>'
    if kind == "header":
        return f'<div class="b-header">{text_object(block.get("text"), user_name)}</div>'
    if kind == "divider":
        return '<hr class="b-divider">'
    if kind == "image":
        src = html.escape(block.get("image_url", ""), quote=True)
        title = text_object(block.get("title"), user_name)
        alt = html.escape(block.get("alt_text", ""), quote=True)
        caption = f'<div class="b-caption">{title}</div>' if title else ""
        return f'<figure class="b-image">{caption}<img src="{src}" alt="{alt}"></figure>'
    if kind == "rich_text":
        return _rich_text(block, user_name)
    return f'<div class="unsupported">[a {html.escape(str(kind))} block]</div>'


def blocks(items: list[dict], user_name: UserName, control: Control) -> str:
    return "".join(block(b, user_name, control) for b in items if isinstance(b, dict))
