"""Which column feeds which lead field: header aliases (HubSpot, Apollo and Salesforce exports
among them), overridden by an explicit mapping; every other column is kept in the lead's
metadata under its header."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.errors import InvalidInput

SINGLE_FIELDS = (
    "email",
    "name",
    "first_name",
    "last_name",
    "company",
    "title",
    "timezone",
    "owner",
    "preferred_channel",
)
# Mapping targets: the lead's fields, "linkedin_url" (kept in metadata under that key),
# "metadata" (kept under the header), "metadata.KEY", and "ignore" (dropped).
TARGETS = (*SINGLE_FIELDS, "phone", "linkedin_url", "metadata", "ignore")

_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "mail", "workemail", "businessemail", "primaryemail"),
    "name": ("name", "fullname", "contactname", "leadname", "personname", "contact"),
    "first_name": ("firstname", "givenname", "first", "forename"),
    "last_name": ("lastname", "surname", "familyname", "last"),
    # In priority order: a mobile number reaches WhatsApp and SMS, a switchboard does not.
    "phone": (
        "mobilephone", "mobile", "mobilephonenumber", "mobilenumber", "cellphone", "cell",
        "phone", "phonenumber", "telephone", "tel", "directphone", "workphone",
        "corporatephone", "companyphone", "businessphone",
    ),
    "company": (
        "company", "companyname", "accountname", "account", "organization", "organisation",
        "organizationname", "employer",
    ),
    "title": ("title", "jobtitle", "position", "role", "jobrole"),
    "timezone": ("timezone", "tz", "timezonename", "iana"),
    "owner": ("owner", "contactowner", "leadowner", "accountowner", "salesowner", "assignedto"),
    # Not a bare "Channel": CRMs use it for the lead's source (webinar, ads, ...).
    "preferred_channel": ("preferredchannel", "preferredcontactmethod", "preferredcontactchannel"),
    "linkedin_url": ("linkedin", "linkedinurl", "personlinkedinurl", "linkedinprofile"),
    # The column rejected.csv adds: fixed rows come back with it.
    "ignore": ("reason",),
}  # fmt: skip
_BY_ALIAS = {
    alias: (f, rank) for f, aliases in _ALIASES.items() for rank, alias in enumerate(aliases)
}


def normalize(header: str) -> str:
    """Case, spaces and punctuation do not count: "E-mail" == "email", "Job Title" == "jobtitle"."""
    return re.sub(r"[^0-9a-z]", "", header.lower())


@dataclass
class ColumnPlan:
    header: list[str]
    single: dict[str, int] = field(default_factory=dict)  # field -> column index
    phones: list[int] = field(default_factory=list)  # first non-empty one wins, per row
    meta: list[tuple[int, str]] = field(default_factory=list)  # column index, metadata key

    def describe(self) -> dict[str, str]:
        """{header: target}, as stored with the import."""
        out = {self.header[i]: f for f, i in self.single.items()}
        out.update({self.header[i]: "phone" for i in self.phones})
        out.update({self.header[i]: f"metadata.{key}" for i, key in self.meta})
        return out


def parse_mapping(raw: object) -> dict[str, str]:
    """The `mapping` option: {column: target}; an unknown target is a 422 naming it."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise InvalidInput(
            "mapping must be a JSON object of column names to lead fields",
            [{"field": "mapping", "message": 'e.g. {"Work Mail": "email"}'}],
        )
    for column, target in raw.items():
        if target not in TARGETS and not target.startswith("metadata."):
            raise InvalidInput(
                f"mapping names an unknown field {target!r} for column {column!r}",
                [{"field": "mapping", "message": f"fields: {', '.join(TARGETS)}, metadata.KEY"}],
            )
    return dict(raw)


def plan_columns(header: list[str], mapping: dict[str, str] | None = None) -> ColumnPlan:
    """Assign every column; InvalidInput when the mapping names a missing column or when
    neither an email nor a phone column is left."""
    explicit = _explicit_targets(header, mapping or {})
    mapped_fields = {t for t in explicit.values() if t in (*SINGLE_FIELDS, "phone")}
    plan = ColumnPlan(header=list(header))
    phone_ranked: list[tuple[int, int]] = []
    used_keys: set[str] = set()

    def keep(index: int, key: str) -> None:
        unique, n = key, 2
        while unique in used_keys:
            unique, n = f"{key} ({n})", n + 1
        used_keys.add(unique)
        plan.meta.append((index, unique))

    for index, name in enumerate(header):
        target = explicit.get(index)
        rank = -1  # an explicit mapping outranks every alias
        if target is None:
            target, rank = _BY_ALIAS.get(normalize(name), ("metadata", 0))
            if target in mapped_fields:
                target = "metadata"  # the mapping chose another column for this field
        if target == "ignore":
            continue
        if target == "phone":
            phone_ranked.append((rank, index))
        elif target in SINGLE_FIELDS and target not in plan.single:
            plan.single[target] = index
        elif target == "linkedin_url":
            keep(index, "linkedin_url")
        elif target.startswith("metadata."):
            keep(index, target.removeprefix("metadata."))
        else:
            keep(index, name)
    plan.phones = [index for _, index in sorted(phone_ranked)]
    if "email" not in plan.single and not plan.phones:
        raise InvalidInput(
            "the file has no email or phone column",
            [
                {
                    "field": "file",
                    "message": f"columns found: {', '.join(header) or 'none'}; name one with "
                    'the mapping option, e.g. {"Work Mail": "email"}',
                }
            ],
        )
    return plan


def _explicit_targets(header: list[str], mapping: dict[str, str]) -> dict[int, str]:
    by_name = {name: i for i, name in reversed(list(enumerate(header)))}
    by_norm = {normalize(name): i for i, name in reversed(list(enumerate(header)))}
    out: dict[int, str] = {}
    for column, target in mapping.items():
        index = by_name.get(column, by_norm.get(normalize(column)))
        if index is None:
            raise InvalidInput(
                f"mapping names column {column!r}, which the file does not have",
                [{"field": "mapping", "message": f"columns found: {', '.join(header)}"}],
            )
        out[index] = target
    return out
