"""Reading Inbound Parse forms: the parsed and the raw ("send raw") shapes, charsets, HTML."""

from __future__ import annotations

from starlette.datastructures import FormData

from api.webhooks.inbound_mail import from_form, html_to_text, unreadable
from tests.fakes.webhooks import inbound_fields

RAW_MIME = (
    "From: =?utf-8?q?Zo=C3=AB?= <zoe@example.com>\r\n"
    "To: sales@salespad.example.com\r\n"
    "Subject: Re: Hello\r\n"
    "Message-ID: <raw-1@example.com>\r\n"
    "In-Reply-To: <0123456789abcdef0123456789abcdef@salespad>\r\n"
    "Auto-Submitted: auto-replied\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/alternative; boundary="b1"\r\n'
    "\r\n"
    "--b1\r\n"
    'Content-Type: text/html; charset="utf-8"\r\n'
    "\r\n"
    "<p>Out of office until Monday</p>\r\n"
    "--b1\r\n"
    'Content-Type: text/plain; charset="iso-8859-1"\r\n'
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Je suis absente jusqu'=E0 lundi.\r\n"
    "--b1--\r\n"
)


def _form(fields: dict[str, str | bytes]) -> FormData:
    """What Starlette makes of the post: bytes that are not UTF-8 arrive decoded as Latin-1."""
    return FormData(
        [(k, v if isinstance(v, str) else v.decode("latin-1")) for k, v in fields.items()]
    )


def test_parsed_form() -> None:
    fields = inbound_fields(
        sender='"Lovelace, Ada" <Ada@Example.com>',
        in_reply_to="<first@salespad>",
        references="<older@salespad> <first@salespad>",
    )
    mail = from_form(_form(fields))
    assert mail.sender == "ada@example.com"
    assert mail.subject == "Re: Quick question, Ada"
    assert mail.provider_message_id == "<reply-1@mail.example.com>"
    assert mail.references == ("<first@salespad>", "<older@salespad>")
    assert mail.to == "sales@salespad.example.com"
    assert mail.headers["Message-ID"] == "<reply-1@mail.example.com>"
    assert "Received" not in mail.headers


def test_raw_mime_form_with_auto_reply_headers() -> None:
    fields = {"email": RAW_MIME, "to": "sales@salespad.example.com", "from": "", "subject": ""}
    mail = from_form(_form(fields))  # type: ignore[arg-type]
    assert mail.sender == "zoe@example.com"
    assert mail.text.strip() == "Je suis absente jusqu'à lundi."
    assert mail.provider_message_id == "<raw-1@example.com>"
    assert mail.references == ("<0123456789abcdef0123456789abcdef@salespad>",)
    assert mail.headers["Auto-Submitted"] == "auto-replied"


def test_html_only_mail_and_missing_message_id() -> None:
    fields = inbound_fields(message_id=None)
    fields["text"] = ""
    fields["html"] = (
        "<html><head><style>p{}</style></head><body><p>Yes &amp; thanks</p>"
        "<div>Tuesday?</div><script>x()</script></body></html>"
    )
    mail = from_form(_form(fields))
    assert mail.text == "Yes & thanks\nTuesday?"
    # Without a Message-ID a redelivery must still map to the same id.
    assert mail.provider_message_id.startswith("sg-inbound-")
    assert from_form(_form(fields)).provider_message_id == mail.provider_message_id


def test_field_in_a_declared_charset() -> None:
    fields = inbound_fields()
    # Starlette could not read these bytes as UTF-8 and fell back to Latin-1, where 0x80 and
    # 0x97 are control characters; windows-1252 says they are "€" and "—".
    fields["subject"] = "Re: Grüße — 5 €".encode("windows-1252")
    fields["charsets"] = '{"subject": "windows-1252"}'
    assert from_form(_form(fields)).subject == "Re: Grüße — 5 €"


def test_unreadable_post_is_kept_whole() -> None:
    mail = unreadable(b"garbage \xff bytes", "text/plain")
    assert mail.sender is None
    assert mail.text.startswith("garbage")
    assert mail.provider_message_id == unreadable(b"garbage \xff bytes", "x").provider_message_id


def test_html_to_text_keeps_line_breaks() -> None:
    assert html_to_text("a<br>b<p>c</p>") == "a\nb\nc"
    assert html_to_text("") == ""
