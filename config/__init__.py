"""The neutral piece every layer may import: settings and the Temporal client factory."""
