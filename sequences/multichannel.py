"""`multichannel`: each send goes out on the lead's preferred channel when it can reach the lead
there (WhatsApp and SMS need a phone), else by email."""

from sequences.dsl import Email, EmailBody, Message, Sequence, Wait

MULTICHANNEL = Sequence(
    "multichannel",
    Message(
        "intro",
        email=EmailBody(
            subject="Quick question, {{ lead.first_name }}",
            body=(
                "Hi {{ lead.first_name }},\n\n"
                "Would a 15-minute call next week be useful?\n\n"
                "Best,\nThe SalesPad team"
            ),
        ),
        whatsapp="Hi {{ lead.first_name }}, would a 15-minute call next week be useful?",
        sms="Hi {{ lead.first_name }}, would a quick call next week help? Reply STOP to opt out.",
    ),
    Wait(days=2),
    Message(
        "bump",
        email=EmailBody(
            subject="Following up, {{ lead.first_name }}",
            body="Hi {{ lead.first_name }}, bumping this in case it got buried.",
        ),
        whatsapp="Hi {{ lead.first_name }}, just bumping my earlier message.",
        sms="Hi {{ lead.first_name }}, bumping my earlier message. Reply STOP to opt out.",
        thread=True,
    ),
    Wait(days=3),
    Email(
        "breakup",
        subject="Closing the loop, {{ lead.first_name }}",
        body="Hi {{ lead.first_name }}, I'll stop here. Reply any time if the timing changes.",
    ),
    description="Message steps on the lead's preferred channel, then a last email.",
)
