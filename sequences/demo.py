"""`demo`: three emails ten seconds apart, so a newcomer sees the whole flow in a minute."""

from sequences.dsl import Email, Sequence, Wait

DEMO = Sequence(
    "demo",
    Email(
        "intro",
        subject="Quick question, {{ lead.first_name }}",
        body=(
            "Hi {{ lead.first_name }},\n\n"
            "{% if lead.company %}I noticed {{ lead.company }} is growing its sales team. "
            "{% endif %}"
            "Would a 15-minute call next week be useful?\n\n"
            "Best,\nThe SalesPad demo"
        ),
    ),
    Wait(seconds=10),
    Email(
        "bump",
        body="Hi {{ lead.first_name }}, just bumping this to the top of your inbox.",
        thread=True,
    ),
    Wait(seconds=10),
    Email(
        "breakup",
        body=(
            "Hi {{ lead.first_name }}, I'll stop here. If the timing is better later, "
            "just reply to this email."
        ),
        thread=True,
    ),
    description="Email, wait 10 s, email, wait 10 s, email: the whole flow in under a minute.",
)
