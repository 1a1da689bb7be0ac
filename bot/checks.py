"""The lines `python -m bot doctor` prints: one Check each, written by the shell and by each wing's own checks."""

from dataclasses import dataclass

OK, FAIL, SKIP = "ok", "FAIL", "skip"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str
    fix: str | None = None

    def line(self) -> str:
        text = f"{self.status:<4}  {self.name}: {self.detail}"
        return text + (f" → fix: {self.fix}" if self.fix and self.status == FAIL else "")


def header(headers, name: str) -> str | None:
    """A response header by its lowercase name, whatever case the service sent it in."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return None
