"""The two Slack app manifests (HTTP and Socket Mode) describe the same app, and the README says what they ask for."""

import copy
import re
from pathlib import Path

from bot.chats.slack import manifest

ROOT = Path(__file__).resolve().parents[2]
HTTP = manifest.load(ROOT / "manifest.yml")
SOCKET_MODE = manifest.load(ROOT / "manifest.socket-mode.yml")


def without_urls(document):
    if isinstance(document, dict):
        return {k: without_urls(v) for k, v in document.items() if k not in ("url", "request_url")}
    if isinstance(document, list):
        return [without_urls(v) for v in document]
    return document


def test_the_socket_mode_manifest_is_the_http_one_without_its_urls():
    expected = without_urls(copy.deepcopy(HTTP))
    expected["settings"]["socket_mode_enabled"] = True

    assert expected == SOCKET_MODE
    assert "https://" not in (ROOT / "manifest.socket-mode.yml").read_text(encoding="utf-8").split("\ndisplay_")[1]
    assert HTTP["settings"]["socket_mode_enabled"] is False


def test_the_http_manifest_points_every_url_at_the_events_path():
    urls = re.findall(r"https://\S+", (ROOT / "manifest.yml").read_text(encoding="utf-8").split("\ndisplay_")[1])
    assert len(urls) == 5 and set(urls) == {"https://bridge.example.com/slack/events"}


def test_the_readme_names_every_slash_command_the_commands_scope_covers():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    covered = re.search(r"`commands`\s*\(([^)]*)\)", readme).group(1)
    assert manifest.slash_commands(HTTP) == ["/social-stats", "/social-replies", "/reply"]
    for command in manifest.slash_commands(HTTP):
        assert f"`{command}`" in covered, command
    assert "manifest.socket-mode.yml" in readme
