"""The text front-end inside the server: what is spoken is the cleaned text."""

from __future__ import annotations

from tests.expected import expected_samples
from tests.wyoming_client import stream, synthesize
from wyoming_kokoro.pipeline.textnorm import normalize

MARKDOWN = (
    "## El tiempo\n\n"
    "**Hoy** hará *21,5 °C* en [Madrid](https://www.aemet.es/es/eltiempo) 🌞.\n"
    "- Humedad: 45 %\n"
    "- Viento: 10–12 km/h\n"
)


async def test_markdown_answer_speaks_the_cleaned_text(start_server, loaded_model):
    server = await start_server()
    cleaned = normalize(MARKDOWN, "e")
    assert "*" not in cleaned and "https" not in cleaned and "🌞" not in cleaned
    result = await synthesize(server, MARKDOWN, "ef_dora")
    assert result.error is None
    assert result.samples == expected_samples(loaded_model, cleaned, "e")
    assert result.samples != expected_samples(loaded_model, MARKDOWN, "e")


async def test_streamed_markdown_matches_the_one_shot_result(start_server, loaded_model):
    server = await start_server()
    # Markers and numbers split across deltas.
    deltas = ["## El tie", "mpo\n\n*", "*Hoy** hará *21", ",5 °", "C* en [Madrid](https://www.ae",
              "met.es/es/eltiempo) 🌞", ".\n- Humedad: 45", " %\n- Viento: 10–12 km/h\n"]
    assert "".join(deltas) == MARKDOWN
    result = await stream(server, deltas, "ef_dora")
    assert result.error is None
    assert result.samples == expected_samples(loaded_model, normalize(MARKDOWN, "e"), "e")


async def test_normalising_can_be_switched_off(start_server, loaded_model):
    server = await start_server(text={"normalize": False})
    text = "Hola **mundo**."
    result = await synthesize(server, text, "ef_dora")
    assert result.samples == expected_samples(loaded_model, text, "e")


async def test_misaki_phoneme_syntax_passes_through(start_server):
    assert normalize("Say [Kokoro](/kˈOkəɹO/) now.", "a") == "Say [Kokoro](/kˈOkəɹO/) now."
