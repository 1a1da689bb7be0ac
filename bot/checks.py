"""One line of `python -m bot doctor`, and the list each wing's checks add theirs to."""

from dataclasses import dataclass

from bot.command_settings import SETTINGS

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
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return None


class Checklist:
    def __init__(self):
        self.checks: list[Check] = []

    def add(self, name: str, status: str, detail: str, fix: str | None = None) -> Check:
        check = Check(name, status, detail, fix)
        self.checks.append(check)
        return check

    def not_set(self, name: str, *settings: str) -> None:
        """A FAIL line for settings a real install needs and that are not set, each with how to get it."""
        fixes = [f"{s}: {SETTINGS[s].fix}" if len(settings) > 1 else SETTINGS[s].fix for s in settings]
        self.add(name, FAIL, f"{', '.join(settings)} {'is' if len(settings) == 1 else 'are'} not set", "; ".join(fixes))
