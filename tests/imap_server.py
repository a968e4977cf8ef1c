"""A real IMAP server for the tests: Debian's Dovecot (`make test` installs dovecot-imapd),
started in the foreground from a generated configuration on a free loopback port. Its passdb
is static: any username logs in with the one password (so every test has a user, and an empty
INBOX, of its own without touching the server), and each user's mail is a maildir under a
temporary directory. Tests deliver mail to
it with IMAP APPEND and read flags back as any mail client would."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from config.settings import Settings
from models.db import Database
from models.mailboxes import Mailbox
from models.secrets import seal
from salespad.local import free_port
from tests.processes import stop_processes

DOVECOT = shutil.which("dovecot") or next(
    (p for p in ("/usr/sbin/dovecot",) if os.access(p, os.X_OK)), None
)
MISSING = "dovecot not found: `make test` installs Debian's dovecot-imapd package"

_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = salespad-test-{port}
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 1
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class Dovecot:
    """One Dovecot; every user's password is `password`."""

    def __init__(self, password: str = "imap-secret") -> None:
        assert DOVECOT is not None, MISSING
        self.password = password
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="salespad-imap-"))
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        root = self.root
        root.chmod(0o755)  # the mail processes run as another user when we are root
        (root / "mail").mkdir()
        if os.geteuid() == 0:  # Debian's package made these users
            users = {"internal": "dovecot", "login": "dovenull", "mail_user": "dovecot"}
            mail = pwd.getpwnam("dovecot")
            os.chown(root / "mail", mail.pw_uid, mail.pw_gid)
        else:  # everything runs as us
            me = pwd.getpwuid(os.geteuid()).pw_name
            users = {"internal": me, "login": me, "mail_user": me}
        (root / "dovecot.conf").write_text(
            _CONFIG.format(root=root, port=self.port, password=self.password, **users)
        )
        assert DOVECOT is not None
        # Through salespad.deathsig: Dovecot goes with this process however it ends.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "salespad.deathsig", str(os.getpid()), DOVECOT, "-F", "-c",
             str(root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=open(root / "stderr.log", "wb"),  # noqa: SIM115
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"dovecot did not listen on {self.port}: {self.log()}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_processes([self.proc], within=10)
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        parts = [self.root / "dovecot.log", self.root / "stderr.log"]
        return "\n".join(p.read_text(errors="replace") for p in parts if p.exists())

    @contextmanager
    def client(self, user: str) -> Iterator[imaplib.IMAP4]:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            imap.login(user, self.password)
            yield imap
        finally:
            imap.logout()

    def append(
        self,
        user: str,
        raw: bytes,
        *,
        folder: str = "INBOX",
        flags: str | None = None,
        date: datetime | None = None,
    ) -> None:
        with self.client(user) as imap:
            when = imaplib.Time2Internaldate(date) if date else None
            status, data = imap.append(folder, flags, when, raw)
            assert status == "OK", data

    def flags(self, user: str, folder: str = "INBOX") -> dict[int, str]:
        """{uid: the FETCH FLAGS answer} for every message in the folder."""
        with self.client(user) as imap:
            status, _ = imap.select(folder, readonly=True)
            assert status == "OK", folder
            status, data = imap.uid("FETCH", "1:*", "(FLAGS)")
            assert status == "OK", data
        found = {}
        for line in data:
            if isinstance(line, bytes) and b"UID " in line:
                uid = int(line.split(b"UID ")[1].split()[0].rstrip(b")"))
                found[uid] = line.decode()
        return found

    def command(self, user: str, *args: str) -> None:
        """A folder command (CREATE, DELETE, ...), as a mail client would send it."""
        with self.client(user) as imap:
            status, data = getattr(imap, args[0].lower())(*args[1:])
            assert status == "OK", data


async def add_mailbox(
    db: Database, settings: Settings, dovecot: Dovecot, user: str, **imap: Any
) -> Mailbox:
    config = {
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "imap_security": "none",
        "imap_username": user,
        "imap_password": dovecot.password,
        **imap,
    }
    mailbox = Mailbox(
        name=f"box-{uuid.uuid4().hex[:6]}",
        channel_type="EMAIL",
        provider="smtp",
        address=user,
        config=seal(config, settings.secret_key.get_secret_value()),
    )
    async with db.session() as session:
        session.add(mailbox)
        await session.commit()
    return mailbox
