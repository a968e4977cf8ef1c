"""Local fake provider servers for tests: real SDKs, real HTTP, 127.0.0.1 only."""
