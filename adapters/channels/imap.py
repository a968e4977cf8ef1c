"""Reading a mailbox's folder over IMAP (RFC 3501): what arrived since the last UID we read.

The standard library's imaplib is synchronous: every call here runs on a thread
(`asyncio.to_thread`), one connection per round. Messages are fetched with BODY.PEEK[], which
leaves the \\Seen flag alone; they are marked or moved only when the mailbox says so, and only
after they were recorded (`settle`). The folder is opened read-only (EXAMINE) unless it must be
changed.

Errors carry no secret: a login failure is `ImapLoginError`, anything else on the way (refused,
timed out, TLS, a server that says NO) `ImapError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import re
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Security = Literal["ssl", "starttls", "none"]
_STATUS = re.compile(rb"UIDNEXT (\d+)|UIDVALIDITY (\d+)")
_UID = re.compile(rb"\bUID (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class ImapError(Exception):
    """The server could not be reached or read; worth trying again later."""


class ImapLoginError(ImapError):
    """The server refused the username and password."""


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    username: str
    password: str
    security: Security = "ssl"
    folder: str = "INBOX"
    mark_seen: bool = False
    move_to: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class FetchedMessage:
    uid: int
    raw: bytes
    internal_date: datetime | None


@dataclass(frozen=True)
class FolderRead:
    """One round's read: the folder's UIDVALIDITY and UIDNEXT, and the messages found."""

    uidvalidity: int
    uidnext: int
    messages: list[FetchedMessage]
    more: bool  # more new messages than the batch held
    last_uid: int  # read up to here: the next round asks for the UIDs above it


@dataclass(frozen=True)
class ReadFrom:
    """Where the last round stopped: the folder's UIDVALIDITY then and the last UID read; and
    the moment to read from by date when the UIDs mean nothing (None: the whole folder)."""

    uidvalidity: int | None
    after_uid: int
    since: datetime | None


async def read_new(config: ImapConfig, start: ReadFrom, batch: int) -> FolderRead:
    """Messages with a UID above `start.after_uid`, oldest first, at most `batch`. When the
    folder's UIDVALIDITY is not `start.uidvalidity` (first read, or the folder was recreated),
    the messages that arrived since `start.since` are read instead."""
    return await asyncio.to_thread(_read_new, config, start, batch)


async def settle(config: ImapConfig, uids: Sequence[int]) -> None:
    """Mark the messages \\Seen and/or move them, as the mailbox is configured to."""
    if uids and (config.mark_seen or config.move_to):
        await asyncio.to_thread(_settle, config, list(uids))


def _read_new(config: ImapConfig, start: ReadFrom, batch: int) -> FolderRead:
    uidvalidity, after_uid, since = start.uidvalidity, start.after_uid, start.since
    with _Connection(config) as conn:
        validity, uidnext = conn.status()
        conn.open_folder(readonly=True)
        if validity != uidvalidity:
            found = conn.search(f"SINCE {_imap_date(since)}" if since else "ALL")
            after_uid = 0
        else:
            found = conn.search(f"UID {after_uid + 1}:*")
        # "n:*" names the last message even when its UID is below n: filter.
        uids = sorted(u for u in found if u > after_uid)
        taken = uids[:batch]
        messages = conn.fetch(taken)
    if validity != uidvalidity and since is not None:
        # SINCE has the granularity of a day: the exact arrival time decides.
        messages = [m for m in messages if m.internal_date is None or m.internal_date >= since]
    more = len(uids) > batch
    # Everything below UIDNEXT was there when we looked, and all of it was read unless `more`;
    # a message arriving meanwhile gets a UID of at least that UIDNEXT.
    last_uid = max(taken) if more else max([uidnext - 1, after_uid, *taken])
    return FolderRead(validity, uidnext, messages, more, last_uid)


def _settle(config: ImapConfig, uids: list[int]) -> None:
    with _Connection(config) as conn:
        conn.open_folder(readonly=False)
        members = ",".join(map(str, uids))
        if config.mark_seen:
            conn.check("STORE", conn.imap.uid("STORE", members, "+FLAGS.SILENT", r"(\Seen)"))
        if config.move_to:
            conn.move(members, config.move_to)


class _Connection:
    def __init__(self, config: ImapConfig) -> None:
        self.config = config
        self.imap: imaplib.IMAP4
        self.capabilities: frozenset[str] = frozenset()

    def __enter__(self) -> _Connection:
        c = self.config
        try:
            if c.security == "ssl":
                context = ssl.create_default_context()
                self.imap = imaplib.IMAP4_SSL(
                    c.host, c.port, ssl_context=context, timeout=c.timeout
                )
            else:
                self.imap = imaplib.IMAP4(c.host, c.port, timeout=c.timeout)
                if c.security == "starttls":
                    self.imap.starttls(ssl.create_default_context())
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"cannot reach {c.host}:{c.port} ({_reason(exc)})") from None
        try:
            self.imap.login(c.username, c.password)
        except imaplib.IMAP4.abort as exc:
            self._close()
            raise ImapError(f"{c.host} dropped the connection at login ({_reason(exc)})") from None
        except imaplib.IMAP4.error as exc:
            self._close()
            raise ImapLoginError(f"{c.host} refused the login of {c.username!r}: {exc}") from None
        except OSError as exc:
            self._close()
            raise ImapError(f"{c.host}: {_reason(exc)}") from None
        # The greeting's capabilities are the ones before login (no MOVE, no UIDPLUS yet).
        data = self.call("CAPABILITY")
        self.capabilities = frozenset(
            word.upper() for d in data if isinstance(d, bytes) for word in d.decode().split()
        )
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.imap.logout()
        except (OSError, imaplib.IMAP4.error):
            self._close()

    def _close(self) -> None:
        with contextlib.suppress(OSError):
            self.imap.shutdown()

    def check(self, what: str, result: tuple[str, list[object]]) -> list[object]:
        status, data = result
        if status != "OK":
            raise ImapError(f"{self.config.host}: {what} failed: {data!r:.200}")
        return data

    def call(self, what: str, *args: str) -> list[object]:
        try:
            return self.check(what, getattr(self.imap, what.lower())(*args))
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"{self.config.host}: {what} failed ({_reason(exc)})") from None

    def status(self) -> tuple[int, int]:
        data = self.call("STATUS", _quote(self.config.folder), "(UIDVALIDITY UIDNEXT)")
        line = b" ".join(d for d in data if isinstance(d, bytes))
        found = {"next": 0, "validity": 0}
        for nxt, validity in _STATUS.findall(line):
            found["next"] = int(nxt) if nxt else found["next"]
            found["validity"] = int(validity) if validity else found["validity"]
        if not found["validity"]:
            raise ImapError(f"{self.config.host}: no UIDVALIDITY for {self.config.folder!r}")
        return found["validity"], found["next"]

    def open_folder(self, *, readonly: bool) -> None:
        try:
            status, data = self.imap.select(_quote(self.config.folder), readonly=readonly)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(
                f"{self.config.host}: cannot open the folder ({_reason(exc)})"
            ) from None
        if status != "OK":
            raise ImapError(f"{self.config.host}: cannot open {self.config.folder!r}: {data!r}")

    def search(self, criteria: str) -> list[int]:
        data = self._uid("SEARCH", criteria)
        return [int(n) for d in data if isinstance(d, bytes) for n in d.split()]

    def fetch(self, uids: list[int]) -> list[FetchedMessage]:
        if not uids:
            return []
        data = self._uid("FETCH", ",".join(map(str, uids)), "(UID INTERNALDATE BODY.PEEK[])")
        messages = []
        for item in data:
            if not isinstance(item, tuple) or len(item) != 2:
                continue  # the closing b")" of each message, or a FLAGS update
            head, raw = item
            uid = _UID.search(head)
            if uid is None or not isinstance(raw, bytes):
                continue
            date = _INTERNALDATE.search(head)
            messages.append(
                FetchedMessage(
                    int(uid.group(1)), raw, _internal_date(date.group(1)) if date else None
                )
            )
        return sorted(messages, key=lambda m: m.uid)

    def move(self, members: str, folder: str) -> None:
        try:
            self._move(members, folder)
        except ImapError as exc:
            if "TRYCREATE" not in str(exc):
                raise
            self.call("CREATE", _quote(folder))  # the folder to move to is not there yet
            self._move(members, folder)

    def _move(self, members: str, folder: str) -> None:
        if "MOVE" in self.capabilities:
            self._uid("MOVE", members, _quote(folder))
            return
        # RFC 6851's fallback: copy, flag \Deleted, expunge only these (UIDPLUS) or leave them.
        self._uid("COPY", members, _quote(folder))
        self._uid("STORE", members, "+FLAGS.SILENT", r"(\Deleted)")
        if "UIDPLUS" in self.capabilities:
            self._uid("EXPUNGE", members)

    def _uid(self, command: str, *args: str) -> list[object]:
        try:
            return self.check(f"UID {command}", self.imap.uid(command, *args))
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"{self.config.host}: UID {command} failed ({_reason(exc)})") from None


def _quote(name: str) -> str:
    """A folder name as an IMAP quoted string (ASCII names; spaces and quotes escaped)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _imap_date(moment: datetime) -> str:
    day = moment.astimezone(UTC)
    return f"{day.day}-{_MONTHS[day.month - 1]}-{day.year}"


def _internal_date(raw: bytes) -> datetime | None:
    """`17-Jul-1996 02:44:25 -0700` (the day may be space-padded)."""
    try:
        return datetime.strptime(raw.decode("ascii").strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"[:200]
