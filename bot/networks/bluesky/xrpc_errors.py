"""What an XRPC error answer says: its status, error code, message and headers, and when a 429 ends."""

from datetime import UTC, datetime

from atproto_client.exceptions import RequestException


def said(err: RequestException) -> tuple[int, str, str, dict]:
    response = err.response
    content = getattr(response, "content", None)
    code = content.error if hasattr(content, "error") else ""
    message = content.message if hasattr(content, "message") else str(content or "")
    return getattr(response, "status_code", 0), code or "", message or "", dict(getattr(response, "headers", {}) or {})


def reset_at(headers: dict) -> datetime | None:
    reset = {k.lower(): v for k, v in headers.items()}.get("ratelimit-reset")
    return datetime.fromtimestamp(int(reset), UTC) if reset and str(reset).isdigit() else None
