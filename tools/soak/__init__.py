"""The soak: many mixed requests against an in-process server; reports leaks and errors."""
