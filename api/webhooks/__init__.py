"""Provider webhooks and the unsubscribe link: mounted without the API key, each route checks
its provider's own proof (shared token, ECDSA or HMAC signature, or a signed link).

Kept free of imports so the worker can use `api.webhooks.tokens` without loading FastAPI; the
routers are gathered in `api.webhooks.routes`.
"""
