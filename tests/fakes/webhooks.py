"""What the webhook tests share: settings with every webhook secret, and requests signed the way
SendGrid and Twilio sign theirs (a P-256 key made here; twilio's own RequestValidator)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr
from sqlalchemy import func
from sqlmodel import select
from twilio.request_validator import RequestValidator

from config.settings import SendGridSettings, Settings, TwilioSettings
from models.db import Database
from models.tables import EventLog, Lead, Message, Suppression
from tests.conftest import make_settings

PUBLIC_URL = "https://salespad.example.com"
SECRET_KEY = "test-secret-key-0123456789abcdef0123456789"
INBOUND_TOKEN = "inbound-token-s3cret"
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-auth-token"
SIGNING_KEY = ec.generate_private_key(ec.SECP256R1())
# SendGrid shows its verification key as base64 DER (SubjectPublicKeyInfo), no PEM armour.
PUBLIC_KEY = base64.b64encode(
    SIGNING_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()


def webhook_settings(database_url: str, task_queue: str) -> Settings:
    base = make_settings(database_url, task_queue)
    return base.model_copy(
        update={
            "public_url": PUBLIC_URL,
            "secret_key": SecretStr(SECRET_KEY),
            "sendgrid": SendGridSettings(
                inbound_token=SecretStr(INBOUND_TOKEN),
                webhook_public_key=PUBLIC_KEY,
            ),
            "twilio": TwilioSettings(
                account_sid=TWILIO_SID,
                auth_token=SecretStr(TWILIO_TOKEN),
            ),
        }
    )


def signed_events(
    events: list[Any], *, timestamp: int | None = None, key: Any = SIGNING_KEY
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(events).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return body, {
        "Content-Type": "application/json",
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
    }


def twilio_signed(path: str, params: dict[str, str], token: str = TWILIO_TOKEN) -> dict[str, str]:
    signature = RequestValidator(token).compute_signature(PUBLIC_URL + path, params)
    return {"X-Twilio-Signature": signature}


def multipart(fields: dict[str, str | bytes], files: int = 0) -> tuple[bytes, str]:
    """A multipart/form-data body as Inbound Parse sends it; bytes values go in unchanged, so
    a test can post a field in another charset."""
    boundary = f"xYzZY{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        raw = value if isinstance(value, bytes) else value.encode()
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(head.encode() + raw + b"\r\n")
    for n in range(1, files + 1):
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachment{n}"; '
            f'filename="file{n}.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        )
        parts.append(head.encode() + b"%PDF-1.4 not really\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def inbound_fields(
    *,
    sender: str = "Ada Lovelace <ada@example.com>",
    text: str = "Sounds interesting, call me Tuesday.",
    subject: str = "Re: Quick question, Ada",
    message_id: str | None = "<reply-1@mail.example.com>",
    in_reply_to: str | None = None,
    references: str | None = None,
) -> dict[str, str | bytes]:
    headers = [
        "Received: by mx.sendgrid.net with SMTP id abc; Tue, 25 Nov 2025 10:00:00 +0000",
        f"From: {sender}",
        "To: sales@salespad.example.com",
        f"Subject: {subject}",
    ]
    if message_id:
        headers.append(f"Message-ID: {message_id}")
    if in_reply_to:
        headers.append(f"In-Reply-To: {in_reply_to}")
    if references:
        headers.append(f"References: {references}")
    address = sender.rpartition("<")[2].rstrip(">")
    return {
        "headers": "\n".join(headers) + "\n",
        "dkim": "{@example.com : pass}",
        "to": "sales@salespad.example.com",
        "from": sender,
        "text": text,
        "html": f"<p>{text}</p>",
        "sender_ip": "203.0.113.5",
        "envelope": json.dumps({"to": ["sales@salespad.example.com"], "from": address}),
        "attachments": "0",
        "subject": subject,
        "charsets": json.dumps(
            {"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8", "text": "UTF-8"}
        ),
        "SPF": "pass",
    }


async def post_inbound(
    api: httpx.AsyncClient,
    fields: dict[str, str | bytes],
    *,
    token: str | None = INBOUND_TOKEN,
    files: int = 0,
) -> httpx.Response:
    body, content_type = multipart(fields, files)
    url = "/webhooks/sendgrid/inbound" + (f"?token={token}" if token is not None else "")
    # Providers carry no API key: drop the fixture's.
    return await api.post(
        url, content=body, headers={"Content-Type": content_type, "Authorization": ""}
    )


async def snapshot(db: Database) -> dict[str, Any]:
    """Row counts and lead statuses: equal snapshots mean a request changed nothing."""
    async with db.session() as session:
        counts = {
            table.__name__: (await session.exec(select(func.count()).select_from(table))).one()
            for table in (Message, EventLog, Suppression)
        }
        statuses = sorted((await session.exec(select(Lead.id, Lead.status))).all())
    return {**counts, "statuses": statuses}
