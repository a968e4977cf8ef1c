"""The FastAPI layer: starts campaigns over REST and tells workflows about replies."""
