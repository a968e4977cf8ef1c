"""Header aliases of CRM exports, explicit mappings, and what is kept in metadata."""

from __future__ import annotations

import pytest

from services.errors import InvalidInput
from services.imports.columns import parse_mapping, plan_columns

HUBSPOT = ["First Name", "Last Name", "Email", "Phone Number", "Company Name", "Job Title",
           "Contact owner"]  # fmt: skip
APOLLO = ["First Name", "Last Name", "Title", "Company", "Email", "Mobile Phone",
          "Corporate Phone", "Person Linkedin Url"]  # fmt: skip
SALESFORCE = ["First Name", "Last Name", "Email", "Phone", "Mobile", "Account Name", "Title",
              "Lead Owner"]  # fmt: skip


def fields(header: list[str], mapping: dict[str, str] | None = None) -> dict[str, str]:
    return plan_columns(header, mapping).describe()


def test_hubspot_apollo_and_salesforce_exports_need_no_mapping() -> None:
    assert fields(HUBSPOT) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Phone Number": "phone",
        "Company Name": "company",
        "Job Title": "title",
        "Contact owner": "owner",
    }
    apollo = plan_columns(APOLLO)
    assert [APOLLO[i] for i in apollo.phones] == ["Mobile Phone", "Corporate Phone"]
    assert apollo.describe()["Person Linkedin Url"] == "metadata.linkedin_url"
    salesforce = plan_columns(SALESFORCE)
    assert [SALESFORCE[i] for i in salesforce.phones] == ["Mobile", "Phone"]  # mobile first
    assert salesforce.describe()["Account Name"] == "company"
    assert salesforce.describe()["Lead Owner"] == "owner"


def test_aliases_ignore_case_spaces_and_punctuation() -> None:
    described = fields(["E-MAIL", "email_address ", "Full Name", "Time Zone", "Owner", "Notes"])
    assert described == {
        "E-MAIL": "email",
        "email_address ": "metadata.email_address ",  # a second email column is kept, not used
        "Full Name": "name",
        "Time Zone": "timezone",
        "Owner": "owner",
        "Notes": "metadata.Notes",
    }


def test_an_explicit_mapping_overrides_the_aliases() -> None:
    described = fields(
        ["Email", "Work Mail", "Source", "Junk"],
        {"Work Mail": "email", "source": "metadata.lead_source", "Junk": "ignore"},
    )
    assert described == {
        "Work Mail": "email",
        "Email": "metadata.Email",
        "Source": "metadata.lead_source",
    }


def test_bad_mappings_and_unusable_headers_are_4xx_naming_the_problem() -> None:
    with pytest.raises(InvalidInput, match="unknown field 'e-mail' for column 'X'"):
        parse_mapping({"X": "e-mail"})
    with pytest.raises(InvalidInput, match="JSON object"):
        parse_mapping(["email"])
    with pytest.raises(InvalidInput, match="column 'Nope', which the file does not have"):
        plan_columns(["Email"], {"Nope": "email"})
    with pytest.raises(InvalidInput, match="no email or phone column") as err:
        plan_columns(["Name", "Company"])
    assert "Name, Company" in err.value.detail[0]["message"]
