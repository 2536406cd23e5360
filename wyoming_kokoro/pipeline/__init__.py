"""One request from text to audio: options, text front-end, sentences, output."""
