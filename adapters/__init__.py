"""The outside world behind small Protocols: channels (email, WhatsApp, SMS, tasks) and LLMs."""
