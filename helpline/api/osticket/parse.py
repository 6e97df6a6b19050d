"""Reading osTicket API requests (JSON and XML) into one shape, as osTicket reads
them (include/class.api.php): lax about types and structure, strict only where a
ticket could not be opened otherwise.

JSON: `{"name", "email", "subject", "message", "topicId", "attachments": [{"a.png":
"data:image/png;base64,..."}], ...}`, whatever the Content-Type says (osTicket's
example script sends it as a form). XML: `<ticket>` with the same fields as
attributes or child elements, `<message type="text/html">`, and
`<attachments><file name= type= encoding="base64">`.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as StdET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import defusedxml
import defusedxml.ElementTree as SafeET
from django.conf import settings
from django.utils.translation import gettext as _

from helpline.api.inputs import (
    BadInput,
    check_json_shape,
    decode_base64,
    parse_data_url,
)

# Bounds on an XML document, checked while it is parsed (defusedxml already
# refuses entity declarations and external references): far above any real
# <ticket>, far below what costs us memory or time.
MAX_XML_DEPTH = 32
MAX_XML_ELEMENTS = 10_000
# Form fields in a body sent as a form instead of JSON.
MAX_FORM_FIELDS = 1_000


@dataclass
class TicketRequest:
    """An osTicket ticket request, whatever format it came in."""

    fields: dict[str, Any]  # every scalar field by name: standard and custom ones
    message: str = ""
    message_type: str = "text/plain"
    attachments: list[tuple[str, bytes]] = field(default_factory=list)

    def get(self, *names: str) -> Any:
        """The first of `names` present (osTicket clients vary: topicId, topic_id)."""
        for name in names:
            if name in self.fields:
                return self.fields[name]
        return None


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(_("The request body is not UTF-8 text.")) from None


# --- JSON -------------------------------------------------------------------------------

_TRAILING_COMMA = re.compile(r",(\s*[\]}])")


def parse_json(raw: bytes) -> TicketRequest:
    check_json_shape(raw)  # depth and size of the structure, before any parsing
    text = _text(raw)
    try:
        data = json.loads(text)
    except ValueError as error:
        data = _lenient(text, error)
    except RecursionError:  # thousands of nested brackets
        raise BadInput(_("Malformed JSON: nested too deeply.")) from None
    if not isinstance(data, dict):
        raise BadInput(_("Expected a JSON object with the ticket's fields."))
    request = TicketRequest(fields={})
    for key, value in data.items():
        if key == "message":
            request.message, request.message_type = _message(value)
        elif key == "attachments":
            request.attachments = _json_attachments(value)
        elif value is None or isinstance(value, str | int | float | bool):
            request.fields[str(key)] = value
        # Nested values of fields we do not know are ignored, as osTicket does.
    return request


def _lenient(text: str, error: ValueError) -> Any:
    """What some clients send instead of strict JSON: a trailing comma (osTicket's
    own documented example has one), or real form fields."""
    try:
        return json.loads(_TRAILING_COMMA.sub(r"\1", text))
    except ValueError:
        pass
    except RecursionError:  # the first parse stopped at the comma, before the depth
        raise BadInput(_("Malformed JSON: nested too deeply.")) from None
    if "=" in text and not text.lstrip().startswith(("{", "[")):
        try:
            fields = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        except ValueError:
            message = _("Send at most %(count)d form fields.") % {"count": MAX_FORM_FIELDS}
            raise BadInput(message) from None
        return dict(fields)
    if isinstance(error, json.JSONDecodeError):
        where = f" (line {error.lineno}, column {error.colno})"
        raise BadInput(
            _("Malformed JSON: %(error)s%(where)s.") % {"error": error.msg, "where": where}
        ) from None
    raise BadInput(_("Malformed JSON.")) from None


def _message(value: Any) -> tuple[str, str]:
    """Plain text, or an RFC 2397 data: URL (`data:text/html,...`)."""
    if isinstance(value, dict):  # {"type": "text/html", "body": "..."}, seen in the wild
        body = value.get("body", value.get("data", ""))
        return _message_text(body), str(value.get("type") or "text/plain")
    text = _message_text(value)
    if text.startswith("data:"):
        data = parse_data_url(text, "message")
        return data.text(), data.content_type
    return text, "text/plain"


def _message_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise BadInput(_("message: expected text or a data: URL."), "message")


def _json_attachments(value: Any) -> list[tuple[str, bytes]]:
    if value in (None, "", []):
        return []
    if not isinstance(value, list):
        raise BadInput(_("attachments: expected a list of files."), "attachments")
    _check_count(len(value))
    files: list[tuple[str, bytes]] = []
    for index, item in enumerate(value):
        where = f"attachments.{index}"
        if not isinstance(item, dict) or not item:
            raise BadInput(f'{where}: expected {{"name.ext": "data:..."}}.', where)
        if "data" in item and "name" in item:  # {"name", "data", "type", "encoding"}
            name, content = item["name"], item["data"]
            encoding = str(item.get("encoding") or "")
        else:
            [(name, content)] = list(item.items())[:1]
            encoding = ""
        files.append((str(name), _file_content(content, encoding, where)))
    return files


def _file_content(content: Any, encoding: str, where: str) -> bytes:
    if not isinstance(content, str):
        raise BadInput(_("%(where)s: expected the file as a data: URL.") % {"where": where}, where)
    if content.startswith("data:"):
        return parse_data_url(content, where).content
    if encoding.lower() == "base64":
        return decode_base64(content, where)
    return content.encode("utf-8", "surrogatepass")


# --- XML --------------------------------------------------------------------------------


def _tag(element: StdET.Element) -> str:
    return element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""


def _check_count(count: int) -> None:
    """Attachments are counted before any is decoded."""
    limit = settings.HELPLINE_MAX_ATTACHMENTS
    if count > limit:
        message = _("attachments: attach at most %(count)d files.") % {"count": limit}
        raise BadInput(message, "attachments")


class _BoundedBuilder(StdET.TreeBuilder):
    """ElementTree's tree builder, refusing a document past our depth or size."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.elements = 0

    def start(self, tag: str, attrs: dict[str, str]) -> StdET.Element:
        self.depth += 1
        self.elements += 1
        if self.depth > MAX_XML_DEPTH:
            message = _("Malformed XML: nested deeper than %(depth)d elements.")
            raise BadInput(message % {"depth": MAX_XML_DEPTH})
        if self.elements > MAX_XML_ELEMENTS:
            message = _("Malformed XML: more than %(count)d elements.")
            raise BadInput(message % {"count": MAX_XML_ELEMENTS})
        return super().start(tag, attrs)

    def end(self, tag: str) -> StdET.Element:
        self.depth -= 1
        return super().end(tag)


def _xml_tree(raw: bytes) -> StdET.Element:
    parser = SafeET.DefusedXMLParser(target=_BoundedBuilder())
    try:
        parser.feed(raw)
        return parser.close()
    except defusedxml.DefusedXmlException:
        raise BadInput(_("Malformed XML: entities and DTDs are not accepted.")) from None
    except StdET.ParseError as error:
        raise BadInput(_("Malformed XML: %(error)s.") % {"error": error}) from None
    except (LookupError, ValueError):  # encoding="x-bogus", or a multi-byte one expat lacks
        raise BadInput(_("Malformed XML: unknown or unsupported encoding; send UTF-8.")) from None


def parse_xml(raw: bytes) -> TicketRequest:
    """`<ticket>` with its fields as attributes or as child elements. Parsed with
    defusedxml (no entity expansion, no external references) and bounded in
    depth and element count."""
    root = _xml_tree(raw)
    if _tag(root) != "ticket":
        raise BadInput(_("Expected a <ticket> document."))
    request = TicketRequest(fields={k: v for k, v in root.attrib.items() if k != "message"})
    if "message" in root.attrib:
        request.message = root.attrib["message"]
    for child in root:
        name = _tag(child)
        if name == "message":
            request.message = child.text or ""
            request.message_type = child.get("type") or "text/plain"
        elif name == "attachments":
            request.attachments = _xml_attachments(child)
        elif name == "phone":
            ext = child.get("ext", "").strip()
            request.fields["phone"] = (child.text or "").strip() + (f"X{ext}" if ext else "")
        elif len(child) == 0:
            request.fields[name] = (child.text or "").strip()
    return request


def _xml_attachments(element: StdET.Element) -> list[tuple[str, bytes]]:
    items = [e for e in element if _tag(e) == "file"]
    _check_count(len(items))
    files: list[tuple[str, bytes]] = []
    for index, item in enumerate(items):
        where = f"attachments.{index}"
        name = item.get("name") or "attachment"
        text = (item.text or "").strip()  # "automatically trimmed", says osTicket
        if (item.get("encoding") or "").lower() == "base64":
            files.append((name, decode_base64(text, where)))
        else:
            files.append((name, text.encode("utf-8", "surrogatepass")))
    return files
