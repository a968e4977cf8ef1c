"""The application layer: one package per domain (a service, its queries and schemas) and
the one gateway to a lead's workflow. Routes, the CLI and activities call in here."""
