"""The stand-ins' world in a JSON file, so a sandbox started again on the same --data folder finds it as it was."""

import base64
import json
import os
from pathlib import Path

VERSION = 1


def _encode(value):
    if isinstance(value, set | frozenset):
        return {"__set__": sorted((_encode(v) for v in value), key=str)}
    if isinstance(value, bytes | bytearray):
        return {"__bytes__": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value):
    if isinstance(value, dict):
        if set(value) == {"__set__"}:
            return {_decode(v) for v in value["__set__"]}
        if set(value) == {"__bytes__"}:
            return base64.b64decode(value["__bytes__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def save(path: Path, slack, x, bluesky, extra: dict) -> None:
    document = {
        "version": VERSION,
        "slack": slack.snapshot(),
        "x": x.snapshot(),
        "bluesky": bluesky.snapshot(),
        "sandbox": extra,
    }
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(_encode(document)), encoding="utf-8")
    os.replace(temporary, path)


def load(path: Path, slack, x, bluesky) -> dict:
    document = _decode(json.loads(path.read_text(encoding="utf-8")))
    if document.get("version") != VERSION:
        raise ValueError(f"{path} was written by another version of the sandbox: use another --data folder")
    slack.restore(document["slack"])
    x.restore(document["x"])
    if "bluesky" in document:  # a folder kept before the sandbox had Bluesky: its stand-in starts as new
        bluesky.restore(document["bluesky"])
    return document.get("sandbox") or {}
