"""E-mail notifier: one message per monitor and window over SMTP, plain text and HTML.

The connection is secured with STARTTLS (the default, port 587) or implicit
TLS (``security: ssl``, port 465); ``security: none`` is for a local relay
and refuses a password, which would cross the network in the clear.
Credentials come from the environment through the rule file's ``${NAME}``.
The ``Message-ID`` is derived from the alerts' idempotency keys, so a
retried message carries the id of its first attempt and mail systems can
drop the duplicate. SMTP's own rules decide retries: 4xx replies and network
errors are retried, 5xx replies (a refused login, recipient or message) are
final. The password never appears in logs or errors.
"""

from __future__ import annotations

import html
import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from monitor.alerts.notifiers.base import Notification, Notifier, NotifierConfig, group_key
from monitor.alerts.notifiers.render import (
    alert_title,
    format_number,
    group_link,
    group_title,
    identity_labels,
    top_columns,
    truncate,
    window_text,
)
from monitor.alerts.notifiers.transport import LinkOptions, check_timeout
from monitor.errors import NotifierError

__all__ = ["EmailNotifier", "email_message"]

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
SUBJECT_LIMIT = 200


def _address(value: str, what: str) -> str:
    _name, address = parseaddr(value)
    if any(c in value for c in "\r\n") or "@" not in address:
        raise ValueError(f"{what} must be an e-mail address such as ml@example.com, got '{value}'")
    return value


def email_message(
    payloads: Sequence[Mapping[str, Any]],
    *,
    sender: str,
    to: Sequence[str],
    message_key: str,
    now: datetime,
    subject_prefix: str = "[monitor]",
    link: str | None = None,
    max_columns: int = 10,
) -> EmailMessage:
    """Build the e-mail (plain text with an HTML alternative) for alerts of one run."""
    if not payloads:
        raise ValueError("email_message needs at least one alert payload")
    message = EmailMessage()
    subject = f"{subject_prefix} {group_title(payloads)}".strip()
    message["Subject"] = truncate(" ".join(subject.split()), SUBJECT_LIMIT)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(now.astimezone(UTC))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "monitor.invalid"
    message["Message-ID"] = f"<{message_key}.monitor@{domain}>"
    message["X-Monitor-Idempotency-Key"] = message_key
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    url = group_link(payloads, link)
    message.set_content(_plain(payloads, url, max_columns))
    message.add_alternative(_html(payloads, url, max_columns), subtype="html")
    return message


def _facts(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    facts = [("Window", window_text(payload)), ("Severity", str(payload.get("severity"))),
             ("Value", format_number(payload.get("value")))]
    segment = identity_labels(payload).get("segment")
    return [*facts, ("Segment", segment)] if segment else facts


def _plain(payloads: Sequence[Mapping[str, Any]], url: str | None, max_columns: int) -> str:
    parts = []
    for payload in payloads:
        lines = [alert_title(payload), *(f"{k}: {v}" for k, v in _facts(payload)),
                 str(payload.get("summary") or "")]
        columns, omitted = top_columns(payload, max_columns)
        if columns and payload.get("status") != "resolved":
            lines.append("Top drifted columns:")
            lines += [f"  - {c.column}: {c.text}" for c in columns]
            if omitted:
                lines.append(f"  … and {omitted} more")
        parts.append("\n".join(lines))
    text = "\n\n".join(parts)
    return text + (f"\n\nOpen: {url}\n" if url else "\n")


def _html(payloads: Sequence[Mapping[str, Any]], url: str | None, max_columns: int) -> str:
    e = html.escape
    sections = []
    for payload in payloads:
        colour = "#2e7d32" if payload.get("status") == "resolved" else "#c62828"
        rows = "".join(f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>"
                       for k, v in _facts(payload))
        block = (f"<h2 style='color:{colour}'>{e(alert_title(payload))}</h2>"
                 f"<p>{e(str(payload.get('summary') or ''))}</p><table>{rows}</table>")
        columns, omitted = top_columns(payload, max_columns)
        if columns and payload.get("status") != "resolved":
            items = "".join(f"<li><b>{e(c.column)}</b>: {e(c.text)}</li>" for c in columns)
            more = f"<li>… and {omitted} more</li>" if omitted else ""
            block += f"<h3>Top drifted columns</h3><ul>{items}{more}</ul>"
        sections.append(block)
    link = f"<p><a href='{e(url)}'>Open</a></p>" if url else ""
    return f"<html><body>{'<hr>'.join(sections)}{link}</body></html>\n"


class EmailNotifier(Notifier):
    """Sends the alerts of one monitor and window as one e-mail over SMTP."""

    groups = True
    max_group = 50

    class Config(NotifierConfig, LinkOptions):
        """The ``type: email`` block of a rule file."""

        model_config = ConfigDict(extra="forbid", hide_input_in_errors=True,
                                  populate_by_name=True)

        type: Literal["email"]
        host: str = Field(min_length=1)
        port: int | None = Field(default=None, ge=1, le=65535)
        security: Literal["starttls", "ssl", "none"] = "starttls"
        username: str | None = None
        password: str | None = Field(default=None, repr=False)
        sender: str = Field(alias="from")
        to: list[str] = Field(min_length=1)
        timeout: float = 30.0
        ca_file: str | None = Field(default=None, description="PEM file of CAs to trust")
        subject_prefix: str = "[monitor]"

        @field_validator("sender")
        @classmethod
        def _check_sender(cls, sender: str) -> str:
            return _address(sender, "from")

        @field_validator("to")
        @classmethod
        def _check_to(cls, to: list[str]) -> list[str]:
            return [_address(item, "to") for item in to]

        @field_validator("timeout")
        @classmethod
        def _check_timeout(cls, timeout: float) -> float:
            return check_timeout(timeout)

        @field_validator("ca_file")
        @classmethod
        def _check_ca_file(cls, ca_file: str | None) -> str | None:
            if ca_file is not None and not Path(ca_file).is_file():
                raise ValueError(f"ca_file '{ca_file}' is not a readable file")
            return ca_file

        @model_validator(mode="after")
        def _check_login(self) -> EmailNotifier.Config:
            if (self.username is None) != (self.password is None):
                raise ValueError("give both username and password (from the environment), "
                                 "or neither")
            if self.password is not None and self.security == "none":
                raise ValueError("a password needs security: starttls or ssl; with 'none' it "
                                 "would cross the network in the clear")
            return self

    config: Config

    def __init__(
        self,
        config: NotifierConfig,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(config)
        self.port = self.config.port or DEFAULT_PORTS[self.config.security]
        self.where = f"email {self.config.host}:{self.port}"
        self._clock = clock

    def deliver(self, notification: Notification) -> None:
        """Send one alert as one e-mail."""
        self.deliver_group([notification])

    def deliver_group(self, notifications: Sequence[Notification]) -> None:
        """Send the alerts of one monitor and window as one e-mail."""
        config = self.config
        message = email_message(
            [n.payload for n in notifications], sender=config.sender, to=config.to,
            message_key=group_key(notifications), now=self._clock(),
            subject_prefix=config.subject_prefix, link=config.link,
            max_columns=config.max_columns,
        )
        try:
            refused = self._send(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise self._error(exc) from None
        if refused:
            logger.warning("%s: %d of %d recipients refused the alert e-mail: %s", self.where,
                           len(refused), len(config.to), ", ".join(sorted(refused)))
        logger.debug("delivered %d alert(s) by %s", len(notifications), self.where)

    def _send(self, message: EmailMessage) -> dict[str, Any]:
        config = self.config
        context = ssl.create_default_context(cafile=config.ca_file)
        smtp: smtplib.SMTP
        if config.security == "ssl":
            smtp = smtplib.SMTP_SSL(config.host, self.port, timeout=config.timeout,
                                    context=context)
        else:
            smtp = smtplib.SMTP(config.host, self.port, timeout=config.timeout)
        with smtp:
            smtp.ehlo()
            if config.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if config.username is not None and config.password is not None:
                smtp.login(config.username, config.password)
            return dict(smtp.send_message(message))

    def _error(self, exc: BaseException) -> NotifierError:
        return smtp_error(self.where, self.config.timeout, exc)


def smtp_error(where: str, timeout: float, exc: BaseException) -> NotifierError:
    """Classify an SMTP failure: 4xx and network errors retryable, 5xx final."""
    if isinstance(exc, TimeoutError):
        return NotifierError(f"{where}: no answer within {timeout:g}s (will retry)")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return NotifierError(f"{where}: the server's certificate is not trusted "
                             f"({exc.verify_message}); set ca_file or fix the certificate "
                             "(will retry)")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return NotifierError(f"{where}: login refused (SMTP {exc.smtp_code}); check username "
                             "and the password's environment variable", retryable=False)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return NotifierError(f"{where}: {str(exc).rstrip('.')}; check security and port",
                             retryable=False)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        final = any(code >= 500 for code in codes)
        return NotifierError(f"{where}: every recipient was refused (SMTP {codes})"
                             + ("; check 'to'" if final else " (will retry)"), retryable=not final)
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)
        said = f"server answered {exc.smtp_code} {truncate(' '.join(reply.split()), 120)}"
        if exc.smtp_code >= 500:
            return NotifierError(f"{where}: {said}: the message was refused", retryable=False)
        return NotifierError(f"{where}: {said} (will retry)")
    return NotifierError(f"{where}: could not reach the server ({type(exc).__name__}) "
                         "(will retry)")
