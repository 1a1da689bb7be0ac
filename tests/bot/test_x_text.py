"""X's weighted length against the official twitter-text conformance suite (tests/fixtures/twitter-text)."""

import json
from pathlib import Path

import pytest
import yaml
from twitter_text import parse_tweet
from twitter_text.config import config as parser_config

from bot.networks.x.text import MAX_WEIGHTED_LENGTH, invalid_characters, weighted_length

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "twitter-text"
SUITE = FIXTURES / "validate.yml"


def cases(group: str):
    tests = yaml.safe_load(SUITE.read_text(encoding="utf-8"))["tests"][group]
    return [pytest.param(t["text"], t["expected"], id=t["description"][:60]) for t in tests]


def pytest_generate_tests(metafunc):
    if "v3_case" in metafunc.fixturenames:
        params = []
        for group in ("WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest"):
            params += cases(group)
        metafunc.parametrize("v3_case", [p.values for p in params], ids=[p.id for p in params])
    if "v2_case" in metafunc.fixturenames:
        params = cases("WeightedTweetsCounterTest")
        metafunc.parametrize("v2_case", [p.values for p in params], ids=[p.id for p in params])


def test_current_rules_match_the_suite(v3_case):
    """The rules X applies today (v3: emoji discounted to 2): the ones the bot enforces."""
    text, expected = v3_case
    assert weighted_length(text) == expected["weightedLength"]
    postable = 0 < weighted_length(text) <= MAX_WEIGHTED_LENGTH and not invalid_characters(text)
    assert postable == expected["valid"]


def test_the_parser_also_passes_the_v2_suite(v2_case):
    text, expected = v2_case
    v2 = {
        "version": 2,
        "max_weighted_tweet_length": 280,
        "scale": 100,
        "default_weight": 200,
        "transformed_url_length": 23,
        "emoji_parsing_enabled": False,
        "ranges": [
            {"start": 0, "end": 4351, "weight": 100},
            {"start": 8192, "end": 8205, "weight": 100},
            {"start": 8208, "end": 8223, "weight": 100},
            {"start": 8242, "end": 8247, "weight": 100},
        ],
    }
    result = parse_tweet(text, v2)
    assert result.weightedLength == expected["weightedLength"] and result.valid == expected["valid"]


def test_the_parser_applies_the_official_v3_configuration():
    official = json.loads((FIXTURES / "config_v3.json").read_text(encoding="utf-8"))
    python_names = {
        "maxWeightedTweetLength": "max_weighted_tweet_length",
        "defaultWeight": "default_weight",
        "emojiParsingEnabled": "emoji_parsing_enabled",
        "transformedURLLength": "transformed_url_length",
    }
    assert parser_config["defaults"] == {python_names.get(k, k): v for k, v in official.items()}


def test_crlf_counts_as_one_character():
    assert weighted_length("a\r\nb") == weighted_length("a\nb") == 3
