"""The gate in front of Bolt on /slack/events: a request reaches Bolt only when its body is at most MAX_BODY_BYTES,
it carries one numeric X-Slack-Request-Timestamp and one X-Slack-Signature, and the signature verifies (or it is
Slack's unsigned `ssl_check`, which Bolt answers without dispatching it).

A body is never read past MAX_BODY_BYTES + 1, and a refused request is logged by its reason alone (at most once a
minute per reason, with a count): a refused body never reaches the log. Bolt verifies the signature again; that
costs one HMAC and keeps Bolt's own check, which logs the whole body when it fails, from ever failing.
"""

import io
import logging
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Slack's largest payloads (a view with many blocks) are a few tens of kB
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
LOG_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class Refusal:
    status: str
    reason: str  # for the log: never anything of the body

    def answer(self, start_response):
        payload = f"{self.status.split(' ', 1)[1]}: {self.reason}. Nothing was changed.\n".encode()
        start_response(
            self.status,
            [("Content-Type", "text/plain"), ("Content-Length", str(len(payload)))],
        )
        return [payload]


TOO_LARGE = Refusal("413 Payload Too Large", f"the body is over {MAX_BODY_BYTES // 1024} KB")
BAD_LENGTH = Refusal("400 Bad Request", "the Content-Length is not a number")
BAD_TIMESTAMP = Refusal("401 Unauthorized", "X-Slack-Request-Timestamp is missing, doubled or not a number")
BAD_SIGNATURE_HEADER = Refusal("401 Unauthorized", "X-Slack-Signature is missing, doubled or malformed")
BAD_SIGNATURE = Refusal("401 Unauthorized", "the signature does not verify (or the timestamp is stale)")


class Gate:
    def __init__(self, signing_secret: str | None):
        self.verifier = SignatureVerifier(signing_secret or "")
        self._refused: dict[str, tuple[float, int]] = {}  # reason -> (when last logged, refusals since)
        self._lock = threading.Lock()

    def admit(self, environ) -> Refusal | None:
        """Check `environ` and, when it passes, leave its body (read once, bounded) in `wsgi.input` for Bolt."""
        refusal = self._check(environ)
        if refusal is not None:
            self._note(refusal)
        return refusal

    def _check(self, environ) -> Refusal | None:
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared and not declared.isdigit():
            return BAD_LENGTH
        if declared and int(declared) > MAX_BODY_BYTES:
            return TOO_LARGE
        # Without a length (a server passing a chunked body through), read one byte past the cap to know.
        body = environ["wsgi.input"].read(int(declared) if declared else MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            return TOO_LARGE
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        if timestamp is None and signature is None and _is_ssl_check(environ, body):
            return None
        if timestamp is None or not _TIMESTAMP.fullmatch(timestamp):
            return BAD_TIMESTAMP
        if signature is None or not _SIGNATURE.fullmatch(signature):
            return BAD_SIGNATURE_HEADER
        if not self.verifier.is_valid(body, timestamp, signature):
            return BAD_SIGNATURE
        return None

    def _note(self, refusal: Refusal) -> None:
        now = time.monotonic()
        with self._lock:
            last, since = self._refused.get(refusal.reason, (-LOG_EVERY_SECONDS, 0))
            if now - last < LOG_EVERY_SECONDS:
                self._refused[refusal.reason] = (last, since + 1)
                return
            self._refused[refusal.reason] = (now, 0)
        more = f" ({since} more like it in the last minute)" if since else ""
        hint = " (every request refused so? check SLACK_SIGNING_SECRET)" if refusal is BAD_SIGNATURE else ""
        log.warning("refused a request to /slack/events, %s: %s%s%s", refusal.status, refusal.reason, more, hint)


def _is_ssl_check(environ, body: bytes) -> bool:
    """Slack's periodic check of a slash command's URL comes unsigned: `ssl_check=1&token=…`, a form."""
    if not (environ.get("CONTENT_TYPE") or "").startswith("application/x-www-form-urlencoded") or len(body) > 1024:
        return False
    return parse_qs(body.decode("utf-8", errors="replace")).get("ssl_check") == ["1"]
