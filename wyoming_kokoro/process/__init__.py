"""The process: start-up, serving, shutdown, flags, discovery, memory."""
