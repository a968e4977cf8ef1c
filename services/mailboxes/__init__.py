"""Mailboxes: sender identities with their own pacing (caps, gap and jitter, window, ramp),
the pool a send picks one from, their deliverability health, and replies read over IMAP."""
