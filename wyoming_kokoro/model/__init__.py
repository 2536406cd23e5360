"""The model: files, loading, the engine, voices and the one scheduler."""
