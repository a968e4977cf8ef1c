"""`cold-outbound`: a realistic first-touch sequence across email, WhatsApp and LinkedIn."""

from datetime import timedelta

from sequences.dsl import (
    Branch,
    BusinessHours,
    Email,
    End,
    HasPhone,
    LinkedInTask,
    Sequence,
    Wait,
    WhatsApp,
)

INTRO = """Hi {{ lead.first_name }},

{% if lead.company %}Teams like {{ lead.company }}{% else %}Most sales teams{% endif %} lose a few
hours a week chasing follow-ups by hand.
SalesPad runs every lead's sequence for you and stops the moment someone replies.

Worth a 15-minute look next week?

{{ lead.owner or "The SalesPad team" }}"""

BUMP = """Hi {{ lead.first_name }}, floating this back up in case it got buried.
Would next Tuesday or Wednesday work for a quick call?"""

WA_NUDGE = (
    "Hi {{ lead.first_name }}, {{ lead.owner or 'SalesPad' }} here: I sent you an email about "
    "automating follow-ups. Happy to share a 2-minute video if that's easier?"
)

LI_NOTE = (
    "Connect with {{ lead.name }}{% if lead.title %} ({{ lead.title }}){% endif %}"
    "{% if lead.company %} at {{ lead.company }}{% endif %}. Note: "
    '"Hi {{ lead.first_name }}, I emailed you about sales follow-ups; glad to connect here."'
)

BREAKUP = """Hi {{ lead.first_name }}, I haven't heard back, so I'll assume the timing isn't right
and close the loop here. If that changes, a reply to this email reaches me directly."""

WORKDAYS = BusinessHours("09:00", "17:00", days="mon-fri")

COLD_OUTBOUND = Sequence(
    "cold-outbound",
    Email("intro", subject="Quick question, {{ lead.first_name }}", body=INTRO),
    Wait(days=2, window=WORKDAYS),
    Email("bump", body=BUMP, thread=True),
    Wait(days=1, window=WORKDAYS),
    Branch(when=HasPhone(), then="wa", otherwise="li", id="has-phone"),
    WhatsApp("wa", body=WA_NUDGE),
    Wait(days=1, window=WORKDAYS),
    LinkedInTask("li", action="connect", note=LI_NOTE, due=timedelta(days=2)),
    Wait(days=3, window=WORKDAYS),
    Email("breakup", body=BREAKUP, thread=True),
    End(),
    description="Email, +2 business days bump, WhatsApp if phone, LinkedIn task, breakup email.",
)
