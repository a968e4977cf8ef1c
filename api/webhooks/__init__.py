"""Provider webhooks and the unsubscribe link: mounted without the API key, each route checks
its provider's own proof (shared token, ECDSA or HMAC signature, or a signed link).

The routers are gathered in `api.webhooks.routes`; what a webhook means is done by services.
"""
