"""Block Kit as Slack checks it when a message is posted or updated: the stand-in refuses what Slack refuses.

`problems(blocks)` gives Slack's ``invalid_blocks`` messages, each ending with the JSON pointer of the faulty part
(``must be less than 3001 characters [json-pointer:/blocks/0/text/text]``), as Slack words them in the
answer's ``errors``. `size(blocks)` is what the total cap (``msg_blocks_too_long``) is measured on: Slack does not
document it; it refuses messages whose blocks come to about 12–13k characters whatever each block's own limit, so
the stand-in measures the blocks' compact JSON, which is never less than their text.
"""

from __future__ import annotations

import json

MAX_BLOCKS = 50
MAX_BLOCKS_CHARS = 12_000
BLOCK_TYPES = {
    "section",
    "divider",
    "image",
    "actions",
    "context",
    "header",
    "input",
    "file",
    "rich_text",
    "video",
    "markdown",
}
ACTION_ELEMENTS = {
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "overflow",
    "radio_buttons",
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
    "timepicker",
    "workflow_button",
}
SELECTS = {"static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes"}


def size(blocks) -> int:
    return len(json.dumps(blocks, ensure_ascii=False, separators=(",", ":")))


def problems(blocks) -> list[str]:
    if not isinstance(blocks, list):
        return ["must provide an array [json-pointer:/blocks]"]
    if len(blocks) > MAX_BLOCKS:
        return [f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"]
    check = _Check()
    for i, block in enumerate(blocks):
        check.block(block, f"/blocks/{i}")
    return check.found


class _Check:
    """Walks a message's blocks, collecting Slack's problems, each under its JSON pointer."""

    def __init__(self):
        self.found: list[str] = []
        self.block_ids: set[str] = set()

    def say(self, message: str, where: str) -> None:
        self.found.append(f"{message} [json-pointer:{where}]")

    def unique(self, value, seen: set[str], where: str) -> None:
        """A block_id or action_id: 1 to 255 characters, once."""
        if value is None:
            return
        if not isinstance(value, str) or not 1 <= len(value) <= 255:
            self.say("must be between 1 and 255 characters", where)
        elif value in seen:
            self.say(f"duplicate {where.rpartition('/')[2]}: {value}", where)
        else:
            seen.add(value)

    def items(self, items, where: str, most: int) -> bool:
        """A list of 1 to `most` items; False when there is none to check."""
        if not isinstance(items, list) or not items:
            self.say("must provide at least 1 item", where)
            return False
        if len(items) > most:
            self.say(f"no more than {most} items allowed", where)
        return True

    def block(self, block, where: str) -> None:
        if not isinstance(block, dict):
            self.say("must provide an object", where)
            return
        kind = block.get("type")
        if kind is None:
            self.say("missing required field: type", where)
            return
        if kind not in BLOCK_TYPES:
            self.say(f"unsupported type: {kind}", f"{where}/type")
            return
        self.unique(block.get("block_id"), self.block_ids, f"{where}/block_id")
        if kind == "section":
            self.section(block, where)
        elif kind == "header":
            self.text(block.get("text"), f"{where}/text", limit=150, plain_only=True)
        elif kind == "context" and self.items(block.get("elements"), f"{where}/elements", 10):
            for j, element in enumerate(block["elements"]):
                if not (isinstance(element, dict) and element.get("type") == "image"):
                    self.text(element, f"{where}/elements/{j}", limit=3000)
        elif kind == "actions" and self.items(block.get("elements"), f"{where}/elements", 25):
            action_ids: set[str] = set()
            for j, element in enumerate(block["elements"]):
                self.element(element, f"{where}/elements/{j}", action_ids)

    def section(self, block: dict, where: str) -> None:
        text, fields = block.get("text"), block.get("fields")
        if text is None and fields is None:
            self.say("must provide either text or fields", where)
        if text is not None:
            self.text(text, f"{where}/text", limit=3000)
        if fields is not None and self.items(fields, f"{where}/fields", 10):
            for j, field in enumerate(fields):
                self.text(field, f"{where}/fields/{j}", limit=2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{where}/accessory", set())

    def text(self, obj, where: str, *, limit: int, plain_only: bool = False) -> None:
        """A text object: plain_text (or mrkdwn where allowed) of 1 to `limit` characters."""
        if not isinstance(obj, dict):
            self.say("must provide an object", where)
            return
        kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if obj.get("type") not in kinds:
            self.say(f"must be one of: {', '.join(kinds)}", f"{where}/type")
        text = obj.get("text")
        if not isinstance(text, str):
            self.say("missing required field: text", where)
        elif not text:
            self.say("must be more than 0 characters", f"{where}/text")
        elif len(text) > limit:
            self.say(f"must be less than {limit + 1} characters", f"{where}/text")

    def element(self, element, where: str, action_ids: set[str]) -> None:
        if not isinstance(element, dict):
            self.say("must provide an object", where)
            return
        kind = element.get("type")
        if kind not in ACTION_ELEMENTS and kind != "image":
            self.say(f"unsupported type: {kind}", f"{where}/type")
            return
        self.unique(element.get("action_id"), action_ids, f"{where}/action_id")
        if "placeholder" in element:
            self.text(element["placeholder"], f"{where}/placeholder", limit=150, plain_only=True)
        if kind == "button":
            self.text(element.get("text"), f"{where}/text", limit=75, plain_only=True)
            value = element.get("value")
            if value is not None and (not isinstance(value, str) or len(value) > 2000):
                self.say("must be less than 2001 characters", f"{where}/value")
            if len(element.get("url") or "") > 3000:
                self.say("must be less than 3001 characters", f"{where}/url")
            if element.get("style") not in (None, "primary", "danger"):
                self.say("must be one of: primary, danger", f"{where}/style")
        elif kind in SELECTS:
            self.options(element, where)

    def options(self, element: dict, where: str) -> None:
        options = element.get("options")
        if options is None:
            if element.get("option_groups") is None:
                self.say("must provide either options or option_groups", where)
            return
        if not self.items(options, f"{where}/options", 100):
            return
        for k, option in enumerate(options):
            at = f"{where}/options/{k}"
            if not isinstance(option, dict):
                self.say("must provide an object", at)
                continue
            self.text(option.get("text"), f"{at}/text", limit=75)
            value = option.get("value")
            if not isinstance(value, str) or not value:
                self.say("must be more than 0 characters", f"{at}/value")
            elif len(value) > 150:
                self.say("must be less than 151 characters", f"{at}/value")
