"""The integration and the server read voices, blends and options alike.

The integration cannot import the server (another environment, another
Python), so it restates the server's rules. Here both are run on one table
of cases: the integration's parsers and limits in this process, the
server's own in a subprocess of the server's environment. A case where the
integration lets through what the server would refuse (or the other way
round) fails the test, whichever side changed.
"""

from __future__ import annotations

import json
import math
import subprocess
from typing import Any

import pytest
import voluptuous as vol
from conftest import REPO_ROOT, SERVER_PYTHON

from custom_components.wyoming_kokoro.blends import BadBlendError, parse_blend, parse_blends
from custom_components.wyoming_kokoro.const import FORMATS
from custom_components.wyoming_kokoro.tts import OPTIONS_SCHEMA

# Evaluated by the server's Python, in the repository root: its own blend
# parser, its request options and its voice lookup, on the cases from stdin.
SERVER_SIDE = r"""
import json, sys
from wyoming_kokoro.config import Preset
from wyoming_kokoro.errors import KokoroError
from wyoming_kokoro.pipeline.request import parse_options
from wyoming_kokoro.model.voices import CATALOGUE, VoiceCatalogue, parse_blend

def verdict(call):
    try:
        result = call()
    except KokoroError as err:
        return {"ok": False, "code": err.code}
    return {"ok": True, "value": result}

cases = json.load(sys.stdin)
out = {
    "blends": [verdict(lambda: [list(p) for p in parse_blend(text)]) for text in cases["blends"]],
    "options": [verdict(lambda: repr(parse_options(data, 24000))) for data in cases["options"]],
    "names": [],
}
for length in cases["names"]:
    name = "p" * length
    voices = VoiceCatalogue(CATALOGUE, [Preset(name, "af_heart", None, None)], "af_heart")
    out["names"].append(verdict(lambda: voices.resolve(name).name == name))
json.dump(out, sys.stdout)
"""

BLENDS = [
    "af_bella",
    "af_bella:0.7+af_sky:0.3",
    " af_bella : 0.7 + af_sky ",
    "af_bella:.5+af_sky:2.",
    "af_bella+af_bella:3",
    "af_bella:1e-1+af_sky",
    "af_bella:+1",
    "af_bella:-1",
    "af_bella:0",
    "af_bella:0.0+af_sky",
    "af_bella:inf",
    "af_bella:nan",
    "af_bella:1_0",
    "af_bella:0x1",
    "af_bella:",
    "af_bella:0.5:0.5",
    "af_bella:1 0",
    "+af_sky",
    "af_bella++af_sky",
    "af_bella+",
    ":0.5",
    "+".join(
        ["af_bella", "af_sky", "af_heart", "am_adam", "bf_emma", "ef_dora", "em_alex", "ff_siwis"]
    ),
    "+".join(
        [
            "af_bella",
            "af_sky",
            "af_heart",
            "am_adam",
            "bf_emma",
            "ef_dora",
            "em_alex",
            "ff_siwis",
            "if_sara",
        ]
    ),
    "+".join(["af_bella"] * 9),
]

SPEEDS: list[Any] = [0.5, 0.49, 2.0, 2.01, 1, 1.5, 0, -1.0, True, math.inf, math.nan, None]
RATES: list[Any] = [8000, 7999, 48000, 48001, 16000, 16000.0, 16000.5, True, None]
# What a request may ask for: every name the integration offers, and some it must not.
FORMAT_NAMES: list[Any] = [*FORMATS, "AAC", "ogg", "m4a", "", 3]
NAME_LENGTHS = [1, 511, 512, 513, 2000]


def integration_options(options: dict[str, Any]) -> dict[str, Any] | None:
    """The kokoro object the entity would send for these options, or None if it refuses."""
    try:
        valid = OPTIONS_SCHEMA(options)
    except vol.Invalid:
        return None
    kokoro: dict[str, Any] = {}
    if (fmt := valid.get("preferred_format")) is not None:
        kokoro["format"] = fmt
    if (rate := valid.get("preferred_sample_rate")) is not None:
        kokoro["rate"] = rate
        # A rate alone means PCM to the server; every format takes every
        # rate in range except opus and mp3, which have their own lists.
        kokoro.setdefault("format", "wav")
    if (speed := valid.get("speed")) is not None:
        kokoro["speed"] = speed
    return kokoro


def option_cases() -> list[tuple[str, dict[str, Any]]]:
    """(label, Home Assistant options) for every speed, rate and format case."""
    cases = [(f"speed={v!r}", {"speed": v}) for v in SPEEDS]
    cases += [(f"rate={v!r}", {"preferred_sample_rate": v}) for v in RATES]
    cases += [(f"format={v!r}", {"preferred_format": v}) for v in FORMAT_NAMES]
    return cases


def run_server_side(cases: dict[str, Any]) -> dict[str, Any]:
    """The server's verdicts on the cases, from the server's own code."""
    result = subprocess.run(
        [str(SERVER_PYTHON), "-c", SERVER_SIDE],
        cwd=REPO_ROOT,
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
    )
    if result.returncode != 0:
        pytest.fail(f"the server side failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def server_side() -> tuple[list[tuple[str, dict[str, Any] | None, dict[str, Any]]], dict[str, Any]]:
    """Every option case with what the integration sends, and the server's verdicts."""
    options = []
    for label, ha_options in option_cases():
        sent = integration_options(ha_options)
        # A refused case is put to the server as it came, so that both sides
        # are asked about the same value.
        raw = {"kokoro": {k: v for k, v in ha_options.items() if v is not None}}
        raw_kokoro = {
            {"preferred_format": "format", "preferred_sample_rate": "rate"}.get(k, k): v
            for k, v in raw["kokoro"].items()
        }
        if "rate" in raw_kokoro:
            raw_kokoro.setdefault("format", "wav")
        options.append((label, sent, {"kokoro": sent if sent is not None else raw_kokoro}))
    # JSON has no NaN or infinity in its grammar, but Python's json writes and
    # reads them, as the wyoming package does on the wire.
    verdicts = run_server_side(
        {
            "blends": BLENDS + [form_voice(text) or text for text in BLENDS],
            "options": [case[2] for case in options],
            "names": NAME_LENGTHS,
        }
    )
    return options, verdicts


def form_voice(text: str) -> str | None:
    """The voice the options form stores for a line `label = TEXT`, or None if it refuses."""
    try:
        (blend,) = parse_blends(f"label = {text}")
    except ValueError:
        return None
    return blend.voice


def integration_blend(text: str) -> list[list[Any]] | None:
    try:
        return [list(part) for part in parse_blend(text)]
    except BadBlendError:
        return None


@pytest.mark.parametrize("index", range(len(BLENDS)), ids=[repr(b)[:40] for b in BLENDS])
def test_blends_parse_alike(server_side: tuple[Any, dict[str, Any]], index: int) -> None:
    """Same verdict, same voices, same normalised weights."""
    text = BLENDS[index]
    server = server_side[1]["blends"][index]
    ours = integration_blend(text)
    if not server["ok"]:
        assert server["code"] == "bad_blend"
        assert ours is None, f"the integration accepts {text!r}, the server refuses it"
        assert form_voice(text) is None, f"the options form takes {text!r}"
        return
    assert ours is not None, f"the server accepts {text!r}, the integration refuses it"
    assert [name for name, _ in ours] == [name for name, _ in server["value"]]
    assert [w for _, w in ours] == pytest.approx([w for _, w in server["value"]])
    # The options form stores its own spelling of the line; the server reads
    # that as the same blend.
    sent = form_voice(text)
    assert sent is not None
    as_sent = server_side[1]["blends"][len(BLENDS) + index]
    assert as_sent["ok"] and as_sent["value"] == server["value"], (sent, as_sent)


def test_option_limits_agree(server_side: tuple[Any, dict[str, Any]]) -> None:
    """Speed, rate and format: what the entity sends is accepted, what it refuses is refused."""
    cases, verdicts = server_side
    disagreements = []
    for (label, sent, _), server in zip(cases, verdicts["options"], strict=True):
        if (sent is not None) != server["ok"]:
            side = "integration" if sent is not None else "server"
            disagreements.append(f"{label}: only the {side} accepts it ({server})")
    assert not disagreements, disagreements


def test_every_server_format_is_offered(server_side: tuple[Any, dict[str, Any]]) -> None:
    """The integration offers no format the server lacks, and lacks none it has."""
    cases, verdicts = server_side
    for (label, sent, _), server in zip(cases, verdicts["options"], strict=True):
        if label.startswith("format=") and label[len("format=") :].strip("'") in FORMATS:
            assert sent is not None and server["ok"], label
    # The server's list, straight from its code, against ours.
    result = subprocess.run(
        [str(SERVER_PYTHON), "-c", "from wyoming_kokoro.pipeline.output import FORMATS; print(*FORMATS)"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
    )
    assert set(result.stdout.split()) == set(FORMATS)


def test_voice_name_limit_agrees(server_side: tuple[Any, dict[str, Any]]) -> None:
    """The longest name the entity passes on is the longest the server looks up."""
    for length, server in zip(NAME_LENGTHS, server_side[1]["names"], strict=True):
        try:
            OPTIONS_SCHEMA({"voice": "p" * length})
            ours = True
        except vol.Invalid:
            ours = False
        assert ours == server["ok"], (length, server)
