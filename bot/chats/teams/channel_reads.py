"""Reading a channel back through Microsoft Graph: the posts of a channel and the replies of a thread.

The Bot Connector has no call that lists a channel's messages; Graph does, for an app granted the resource-specific
permission `ChannelMessage.Read.Group` in the team (the app package asks for it). The bridge reads back (1) a card
whose posting answer was lost, before it posts it again, and (2) thread messages Teams never delivered.
"""

import json
import logging
from datetime import datetime

import requests

from bot.chats.teams.sign_in import GRAPH_SCOPE, SignInRefused, TeamsSignIn
from bot.domain.errors import ChatRefused, ChatUncertain

log = logging.getLogger(__name__)

PAGE = 50
MAX_PAGES = 20


class ChannelReads:
    def __init__(self, sign_in: TeamsSignIn, graph_url: str, *, timeout: float = 15.0):
        self.sign_in, self.graph_url, self.timeout = sign_in, graph_url.rstrip("/"), timeout
        self.http = requests.Session()

    def messages(self, group_id: str, channel: str, root: str | None = None, *, since: datetime | None = None):
        """The channel's posts (or one thread's replies), newest first, as Graph gives them."""
        path = f"/v1.0/teams/{group_id}/channels/{channel}/messages" + (f"/{root}/replies" if root else "")
        url = f"{self.graph_url}{path}?$top={PAGE}"
        for _ in range(MAX_PAGES):
            page = self._get(url)
            for item in page.get("value", []):
                created = _moment(item.get("createdDateTime"))
                if since is not None and created is not None and created < since and not root:
                    return
                yield item
            url = page.get("@odata.nextLink")
            if not url:
                return

    def _get(self, url: str) -> dict:
        try:
            token = self.sign_in.token(GRAPH_SCOPE)
        except SignInRefused as err:
            raise ChatRefused("sign_in", f"the bot could not sign in to Graph ({err})") from None
        try:
            answer = self.http.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=self.timeout)
        except requests.RequestException as err:
            raise ChatUncertain("uncertain", f"Graph could not be reached ({type(err).__name__})") from None
        if answer.status_code == 403:
            raise ChatRefused(
                "http_403",
                "Graph refused to list the channel's messages: the app needs ChannelMessage.Read.Group (reinstall "
                "the app package in the team)",
            )
        if answer.status_code >= 400:
            kind = ChatUncertain if answer.status_code >= 500 else ChatRefused
            raise kind(f"http_{answer.status_code}", "Graph refused to list the channel's messages")
        return answer.json()


def cards_of(item: dict) -> list[dict]:
    """The Adaptive Cards of a Graph message (their content is a JSON string)."""
    found = []
    for attachment in item.get("attachments") or []:
        content = attachment.get("content")
        try:
            parsed = json.loads(content) if isinstance(content, str) else content
        except ValueError:
            continue
        if isinstance(parsed, dict):
            found.append(parsed)
    return found


def _moment(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
