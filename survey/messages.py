"""The invitation and reminder e-mails: plain text and HTML from the Jinja2 templates in
``survey/templates/mail/`` (``invitation.<language>.txt|html``; the text template sets the subject),
in the contact's language.

The HTML is autoescaped: a name such as ``<script>`` arrives as text. Header values (the subject,
which carries the company name) are put on one line, so no setting or name can add a header.
The recipient's name goes only into the salutation, never into a header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import jinja2

from survey.i18n import language_or_default, minutes_needed
from survey.models import utcnow

TEMPLATES = Path(__file__).with_name("templates") / "mail"
_TEXT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=False,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
_HTML = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
)


def one_line(text: str) -> str:
    """Text safe for a header: control characters and line breaks become single spaces."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", text).split())


@dataclass(frozen=True)
class Survey:
    """What every message of a campaign says: who asks, about what, until when, whom to ask."""

    company: str
    year: int
    topics: int
    deadline: str
    contact: str
    group_names: dict[str, dict[str, str]]  # group key -> language -> name


@dataclass(frozen=True)
class Letter:
    """One message's subject and bodies, before it is addressed."""

    subject: str
    text: str
    html: str


def compose(survey: Survey, *, group: str, language: str, name: str, link: str, reminder: bool) -> Letter:
    """The invitation (or reminder) to one contact, in its language (English when unknown)."""
    language = language_or_default(language)
    names = survey.group_names.get(group, {})
    values = {
        "company": survey.company,
        "year": survey.year,
        "topics": survey.topics,
        "minutes": minutes_needed(survey.topics),
        "deadline": survey.deadline,
        "contact": survey.contact,
        "group": names.get(language) or names.get("en") or group,
        "name": one_line(name),
        "link": link,
        "reminder": reminder,
    }
    text_template = _TEXT.get_template(f"invitation.{language}.txt")
    subject = one_line(str(getattr(text_template.make_module(values), "subject")))  # noqa: B009 - set by the template
    return Letter(
        subject=subject,
        text=text_template.render(values).lstrip("\n"),
        html=_HTML.get_template(f"invitation.{language}.html").render(values),
    )


def address(letter: Letter, *, sender: Address, recipient: str) -> EmailMessage:
    """The message to `recipient` (a checked address, without a display name) from `sender`."""
    message = EmailMessage()
    message["Subject"] = letter.subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.domain or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(letter.text)
    message.add_alternative(letter.html, subtype="html")
    return message
