"""Where a listener's `respond()` goes. A request's `response_url` is called only when it is Slack's
(https://hooks.slack.com/…, or the host of SLACK_API_URL: a proxy or a stand-in), on a pool of its own with a short
timeout, so a slow answer there never holds a listener. A request whose response_url is anything else is still
handled; the person is told through chat.postEphemeral instead, and what only a response_url can do (replace or
delete the message the click came from) is skipped.
"""

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import urlsplit

from slack_bolt import App, BoltContext
from slack_sdk.webhook import WebhookClient

log = logging.getLogger(__name__)

SLACK_HOOKS = ("https", "hooks.slack.com", None)
TIMEOUT_SECONDS = 5
POOL_THREADS = 4


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    port = parts.port
    return parts.scheme, parts.hostname, None if port == {"https": 443, "http": 80}.get(parts.scheme) else port


def is_slacks(url: str, api_url: str) -> bool:
    try:
        if urlsplit(url).username is not None:
            return False
        return _origin(url) in (SLACK_HOOKS, _origin(api_url))
    except ValueError:  # a port that is not a number
        return False


class Responder:
    """Bolt's `respond`, with the same arguments; it returns at once (the Future of the call)."""

    def __init__(self, pool: ThreadPoolExecutor, context: BoltContext, body: dict, *, trusted: bool):
        self.pool, self.context, self.trusted = pool, context, trusted
        self.response_url = context.response_url
        self.thread_ts = (body.get("container") or {}).get("thread_ts") if isinstance(body, dict) else None

    def __call__(self, text: str = "", blocks=None, response_type=None, **options) -> Future | None:
        if self.trusted:
            message = {"text": text, **({"blocks": blocks} if blocks else {})}
            message.update({"response_type": response_type} if response_type else {})
            message.update({k: v for k, v in options.items() if v is not None})
            return self.pool.submit(self._post, message)
        channel, user = self.context.channel_id, self.context.user_id
        if options.get("delete_original") or not (text or blocks) or not (channel and user):
            return None
        return self.pool.submit(self._ephemeral, channel, user, text, blocks)

    def _post(self, message: dict) -> None:
        try:
            client = self.context.client
            WebhookClient(self.response_url, timeout=TIMEOUT_SECONDS, proxy=client.proxy, ssl=client.ssl).send_dict(
                message
            )
        except Exception as err:  # the request was handled; only the notice is lost, and the log says so
            log.warning("could not answer at Slack's response_url (%s): %s", type(err).__name__, err)

    def _ephemeral(self, channel: str, user: str, text: str, blocks) -> None:
        try:
            self.context.client.chat_postEphemeral(
                channel=channel, user=user, text=text, blocks=blocks, thread_ts=self.thread_ts
            )
        except Exception as err:  # as above
            log.warning("could not tell %s privately in %s (%s): %s", user, channel, type(err).__name__, err)


def register(app: App, pool: ThreadPoolExecutor | None = None) -> None:
    pool = pool or ThreadPoolExecutor(POOL_THREADS, thread_name_prefix="respond")
    api_url = app.client.base_url

    @app.middleware
    def response_url_guard(context: BoltContext, body: dict, next):
        url = context.response_url
        if url is not None:
            trusted = is_slacks(url, api_url)
            if not trusted:
                log.warning("a request named a response_url that is not Slack's: it is not called")
            context["respond"] = Responder(pool, context, body, trusted=trusted)
        return next()
