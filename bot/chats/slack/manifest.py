"""The Slack app manifest (manifest.yml): the scopes and slash commands a real install is created with."""

from pathlib import Path

import yaml

MANIFEST_NAME = "manifest.yml"


def find_manifest() -> Path | None:
    """manifest.yml in the working directory, else beside the installed source tree (an editable install)."""
    for folder in (Path.cwd(), Path(__file__).resolve().parents[3]):
        candidate = folder / MANIFEST_NAME
        if candidate.is_file():
            return candidate
    return None


def load(path: Path | None = None) -> dict:
    path = path or find_manifest()
    if path is None:
        raise FileNotFoundError(f"{MANIFEST_NAME} not found in {Path.cwd()} or beside the bot package")
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def bot_scopes(manifest: dict) -> list[str]:
    return list(((manifest.get("oauth_config") or {}).get("scopes") or {}).get("bot") or [])


def slash_commands(manifest: dict) -> list[str]:
    return [c["command"] for c in (manifest.get("features") or {}).get("slash_commands") or [] if c.get("command")]
