"""A .qwc file, read and checked as the Web Connector checks it when the user adds the application."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

REQUIRED = ("AppName", "AppID", "AppURL", "AppDescription", "AppSupport", "UserName", "OwnerID", "FileID", "QBType")
MAY_BE_EMPTY = {"AppID", "AppDescription"}
QB_TYPES = ("QBFS", "QBPOS")
STYLES = ("Document", "DocWrapped", "RPC")
PERSONAL_DATA_PREFS = ("pdpNotNeeded", "pdpOptional", "pdpRequired")
UNATTENDED_MODE_PREFS = ("umpRequired", "umpOptional")
LOOPBACK_NAMES = {"localhost"}
_GUID = re.compile(r"^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$")

ADD_FAILED = "QBWC1039"
NOT_HTTPS = "QBWC1010"
IP_ADDRESS_URL = "QBWC1001"
SUPPORT_ON_OTHER_HOST = "QBWC1000"


class QwcError(ValueError):
    """Why QBWC refused to add the application, with the code its dialog and log show."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Qwc:
    app_name: str
    app_id: str
    app_url: str
    app_description: str
    app_support: str
    user_name: str
    owner_id: str
    file_id: str
    qb_type: str
    run_every_seconds: int | None = None
    is_read_only: bool = False
    auth_flags: int = 0
    personal_data_pref: str | None = None
    unattended_mode_pref: str | None = None
    app_display_name: str | None = None
    app_unique_name: str | None = None
    cert_url: str | None = None
    notify: bool = False
    style: str = "Document"

    def as_dict(self) -> dict[str, object]:
        return {
            "app_name": self.app_name,
            "app_id": self.app_id,
            "app_url": self.app_url,
            "app_description": self.app_description,
            "app_support": self.app_support,
            "user_name": self.user_name,
            "owner_id": self.owner_id,
            "file_id": self.file_id,
            "qb_type": self.qb_type,
            "run_every_seconds": self.run_every_seconds,
            "is_read_only": self.is_read_only,
            "auth_flags": self.auth_flags,
            "style": self.style,
        }


def parse_qwc(text: str | bytes) -> Qwc:
    root = _root(text)
    values = {child.tag: (child.text or "").strip() for child in root if isinstance(child.tag, str)}
    for name in REQUIRED:
        if name not in values:
            raise QwcError(ADD_FAILED, f"The .qwc file has no <{name}> element.")
        if not values[name] and name not in MAY_BE_EMPTY:
            raise QwcError(ADD_FAILED, f"The .qwc file's <{name}> element is empty.")
    for name in ("OwnerID", "FileID"):
        if not _GUID.match(values[name]):
            example = "{57F3B9B1-86F1-4fcc-B1EE-566DE1813D20}"
            raise QwcError(ADD_FAILED, f"<{name}> {values[name]!r} is not a GUID such as {example}.")
    url_host = _check_app_url(values["AppURL"])
    support_host = _host(values["AppSupport"], "AppSupport")
    if support_host != url_host:
        raise QwcError(
            SUPPORT_ON_OTHER_HOST,
            f"Invalid AppSupport URL {values['AppSupport']!r}: it must be on the same host as the AppURL ({url_host}).",
        )
    return Qwc(
        app_name=values["AppName"],
        app_id=values["AppID"],
        app_url=values["AppURL"],
        app_description=values["AppDescription"],
        app_support=values["AppSupport"],
        user_name=values["UserName"],
        owner_id=values["OwnerID"],
        file_id=values["FileID"],
        qb_type=_choice(values, "QBType", QB_TYPES, default="QBFS"),
        run_every_seconds=_schedule(root),
        is_read_only=_boolean(values, "IsReadOnly"),
        auth_flags=_auth_flags(values.get("AuthFlags")),
        personal_data_pref=_optional_choice(values, "PersonalDataPref", PERSONAL_DATA_PREFS),
        unattended_mode_pref=_optional_choice(values, "UnattendedModePref", UNATTENDED_MODE_PREFS),
        app_display_name=values.get("AppDisplayName") or None,
        app_unique_name=values.get("AppUniqueName") or None,
        cert_url=values.get("CertURL") or None,
        notify=_boolean(values, "Notify"),
        style=_choice(values, "Style", STYLES, default="Document"),
    )


def _root(text: str | bytes) -> etree._Element:
    raw = text.encode() if isinstance(text, str) else text
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise QwcError(ADD_FAILED, f"The .qwc file is not well-formed XML: {exc}") from None
    if root.tag != "QBWCXML":
        raise QwcError(ADD_FAILED, f"The .qwc file's root element is <{root.tag!s}>, not <QBWCXML>.")
    return root


def _check_app_url(url: str) -> str:
    parts = urlsplit(url)
    host = _host(url, "AppURL")
    if parts.scheme == "http" and not _is_loopback(host):
        raise QwcError(NOT_HTTPS, f"Invalid URL {url!r}: the AppURL must use HTTPS, except on localhost.")
    if parts.scheme not in ("http", "https"):
        raise QwcError(ADD_FAILED, f"Invalid AppURL {url!r}: only https:// (or http://localhost) URLs are accepted.")
    if _is_ip(host) and not _is_loopback(host):
        raise QwcError(IP_ADDRESS_URL, f"Invalid URL {url!r}: use a host name, not an IP address.")
    return host


def _host(url: str, element: str) -> str:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    if not host:
        raise QwcError(ADD_FAILED, f"<{element}> {url!r} is not an absolute URL.")
    return host.lower()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _schedule(root: etree._Element) -> int | None:
    scheduler = root.find("Scheduler")
    if scheduler is None:
        return None
    for child in scheduler:
        if child.tag in ("RunEveryNMinutes", "RunEveryNSeconds"):
            text = (child.text or "").strip()
            if not text.isdigit() or int(text) <= 0:
                raise QwcError(ADD_FAILED, f"<Scheduler><{child.tag}> must be a positive whole number, got {text!r}.")
            # QBWC takes whichever of the two comes first and ignores the other.
            return int(text) * (60 if child.tag == "RunEveryNMinutes" else 1)
    return None


def _boolean(values: dict[str, str], name: str) -> bool:
    text = values.get(name, "false").lower()
    if text not in ("true", "false"):
        raise QwcError(ADD_FAILED, f"<{name}> must be true or false, got {values[name]!r}.")
    return text == "true"


def _auth_flags(text: str | None) -> int:
    if not text:
        return 0
    try:
        flags = int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        raise QwcError(ADD_FAILED, f"<AuthFlags> {text!r} is not a number such as 0xC.") from None
    if not 0 <= flags <= 0xF:
        raise QwcError(ADD_FAILED, f"<AuthFlags> {text!r} has bits other than 0x1, 0x2, 0x4 and 0x8.")
    return flags


def _choice(values: dict[str, str], name: str, allowed: tuple[str, ...], *, default: str) -> str:
    value = values.get(name) or default
    if value not in allowed:
        raise QwcError(ADD_FAILED, f"<{name}> must be one of {', '.join(allowed)}, got {value!r}.")
    return value


def _optional_choice(values: dict[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    if not values.get(name):
        return None
    return _choice(values, name, allowed, default=allowed[0])
