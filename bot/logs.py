"""Logging set-up: every secret value, and every Authorization header's value, is masked in every record, whoever
logs it; no library logs a request body or its signed headers, at any LOG_LEVEL."""

import logging
import re

# Library loggers kept quiet: their debug output carries request headers (tokens) and bodies, oauthlib's and
# requests-oauthlib's the OAuth Authorization header they sign, sqlalchemy's INFO is every statement, apscheduler's
# INFO is every run of every job, httpx's (atproto's HTTP client) INFO is every request to Bluesky.
QUIET = {
    "tweepy": logging.INFO,
    "urllib3": logging.INFO,
    "oauthlib": logging.WARNING,
    "requests_oauthlib": logging.WARNING,
    "slack_sdk": logging.INFO,
    "slack_bolt": logging.INFO,
    "waitress": logging.INFO,
    "apscheduler": logging.WARNING,
    "sqlalchemy": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.INFO,
    "alembic": logging.WARNING,  # its INFO lines repeat on every start; `migrate` says what it did itself
}


# The value of an Authorization header, as a header line or in a printed dict, and the credential parts of an OAuth
# 1.0a header or a bearer token wherever they appear.
CREDENTIALS = (
    re.compile(r"""(?i)(authorization['"]?\s*[:=]\s*)('[^']*'|"[^"]*"|[^\r\n]*)"""),
    re.compile(r"""(?i)(oauth_(?:signature|token|consumer_key)=)("[^"]*"|[^&\s,'"]*)"""),
    re.compile(r"""(?i)(bearer\s+)([A-Za-z0-9%._~+/=-]{8,})"""),
)


# Loggers whose every line carries a request's body: Bolt's signature check logs the whole body of a request it
# refuses (the gate in bot/request_gate.py refuses those first; this is for the odd one it does not). Bolt sets
# its loggers' levels itself when the app is built, so these are dropped at the handler instead.
BODY_LOGGERS = frozenset({"slack_bolt.RequestVerification"})


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        for pattern in CREDENTIALS:
            text = pattern.sub(r"\1[redacted]", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in BODY_LOGGERS:
            return False
        message = record.getMessage()
        masked = self.mask(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure(level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, floor in QUIET.items():
        logging.getLogger(name).setLevel(max(floor, logging.getLevelName(level)))
