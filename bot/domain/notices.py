"""What the domain tells people, as typed notices: who, which case, what happened. The chat adapter renders the
words and the markup (how a person or a group is called, emoji, links); the domain never writes them."""

from dataclasses import dataclass
from enum import StrEnum


class SlaStage(StrEnum):
    WARNING = "warning"  # nearing the first-response target
    BREACHED = "breach"  # past it: said in the thread and, calling ALERT_MENTION, in the channel


@dataclass(frozen=True)
class SlaAlert:
    """A case waiting for its first public reply: said once per case per stage."""

    case_id: int
    stage: SlaStage
    minutes: int  # how long it has waited (business time when BUSINESS_HOURS is set)
    target_minutes: int
    owner: str | None  # the agent who owns it; None: nobody has claimed it
    customer_handle: str
    call: str | None = None  # whom a breach calls in the channel (ALERT_MENTION as configured), if anyone


# -- what the domain says, in neutral parts: the chat adapter decides how each part looks ------------------------


@dataclass(frozen=True)
class Person:
    """Someone in the chat, by their chat id; None: nobody."""

    id: str | None


@dataclass(frozen=True)
class Link:
    url: str
    label: str


@dataclass(frozen=True)
class Quote:
    """Someone's text, set apart as a quote, every line of it."""

    text: str


@dataclass(frozen=True)
class Emphasis:
    text: str


@dataclass(frozen=True)
class Icon:
    """A pictogram by its common short name ("no_entry", "white_check_mark"): the chat draws it its own way."""

    name: str


Part = str | Person | Link | Quote | Emphasis | Icon


@dataclass(frozen=True)
class Said:
    """A sentence for people, as parts: plain text (shown exactly as written, whoever wrote it), people, links,
    quotes, emphasis. Adding a str or another Said makes a longer one; formatting one into an f-string is a
    mistake (it would lose its parts), so it raises."""

    parts: tuple[Part, ...] = ()

    def __add__(self, other: "Said | str") -> "Said":
        return said(*self.parts, *_parts(other))

    def __radd__(self, other: str) -> "Said":
        return said(*_parts(other), *self.parts)

    def __bool__(self) -> bool:
        return any(p != "" for p in self.parts)

    def __format__(self, spec):
        raise TypeError("a Said is not text: add its parts (said(...), +), let the chat render it")

    @property
    def plain(self) -> str:
        """The words without any look: for logs and tests (a person as @id)."""
        return "".join(plain_part(p) for p in self.parts)

    def __contains__(self, words: str) -> bool:
        return words in self.plain


Words = Said | str  # what crosses the Chat port: a str is plain text, shown as written


def _parts(words: "Said | str | None") -> tuple[Part, ...]:
    if words is None or words == "":
        return ()
    return words.parts if isinstance(words, Said) else (words,)


def said(*parts: "Part | Said | None") -> Said:
    """Parts (or whole Saids) in a row; adjacent plain texts are joined."""
    out: list[Part] = []
    for part in parts:
        for p in _parts(part) if isinstance(part, (Said, str)) or part is None else (part,):
            if isinstance(p, str) and out and isinstance(out[-1], str):
                out[-1] += p
            elif p != "":
                out.append(p)
    return Said(tuple(out))


def joined(separator: str, items) -> Said:
    out: list = []
    for i, item in enumerate(items):
        out += [separator, item] if i else [item]
    return said(*out)


def plain_part(part: Part) -> str:
    match part:
        case str():
            return part
        case Person(id=None):
            return "nobody"
        case Person():
            return f"@{part.id}"
        case Link():
            return f"{part.label} ({part.url})"
        case Quote():
            return "\n".join("> " + line for line in part.text.splitlines() or [""])
        case Emphasis() | Icon():
            return part.text if isinstance(part, Emphasis) else f"[{part.name}]"
    raise TypeError(f"not a part of what is said: {part!r}")
