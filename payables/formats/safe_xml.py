"""Parsing untrusted XML (vendor e-invoices) safely.

What an invoice document may not do to the parser:
- reference anything outside itself: external entities, external DTDs, XInclude, the
  network (the parser loads nothing and resolves no entities);
- declare a DOCTYPE at all: UBL never needs one, and an internal subset is how entity
  expansion bombs ("billion laughs") are built, so a document with one is refused outright;
- be larger than `max_bytes` (20 MB by default), or nest deeper than libxml2's normal limits.

Every refusal is an `XmlRejected` whose message says what was wrong and where, so that the
quarantine reason can be acted on.
"""

from __future__ import annotations

import re
import threading

from lxml import etree

__all__ = ["DEFAULT_MAX_BYTES", "XmlRejected", "parse_xml"]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# A DOCTYPE can only appear in the prolog, before the root element's start tag, so that is
# where to look (documents with base64 attachments run to megabytes after it). UTF-16
# documents, rare, are scanned whole.
_DOCTYPE_UTF8 = b"<!DOCTYPE"
_DOCTYPE_UTF16 = tuple("<!DOCTYPE".encode(codec) for codec in ("utf-16-le", "utf-16-be"))
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_BLANK = b" \t\r\n\x00\xef\xbb\xbf\xfe\xff"

_POSITION_SUFFIX = re.compile(r",? line \d+, column \d+$")


class XmlRejected(ValueError):
    """The bytes are not a document payops will parse; the message says why and where."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


_local = threading.local()


def _parser() -> etree.XMLParser:
    # One parser per thread: lxml parsers are not safe to share between threads, and making
    # one per document costs as much as parsing a small invoice.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _new_parser()
    return parser


def _new_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,  # never substitute entities (internal or external)
        load_dtd=False,  # never fetch an external DTD
        dtd_validation=False,
        no_network=True,  # never touch the network, whatever the document says
        huge_tree=False,  # keep libxml2's limits on depth and text node size
        remove_blank_text=False,
    )


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"


def _check_doctype_bytes(data: bytes) -> None:
    if b"\x00" in data[:4] or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        found = [at for at in (data.find(m) for m in _DOCTYPE_UTF16) if at >= 0]
        at = min(found) if found else -1
    else:
        root = _ROOT_START.search(data)
        at = data.find(_DOCTYPE_UTF8, 0, root.start() if root else len(data))
    if at >= 0:
        line = data.count(b"\n", 0, at) + 1
        raise XmlRejected(_doctype_message(line), line=line)


def _doctype_message(line: int | None) -> str:
    where = f"line {line}: " if line else ""
    return (
        f"{where}the document declares a DOCTYPE; payops refuses XML with a DOCTYPE (it is how "
        "external-entity and entity-expansion attacks are made, and UBL invoices never need one). "
        "Ask the sender to remove the DOCTYPE declaration and send the invoice again."
    )


def parse_xml(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """The root element of `data`, parsed with no entities, no DTD and no network.

    Raises XmlRejected naming the size, the DOCTYPE, or the line and column of a syntax error.
    """
    if len(data) > max_bytes:
        raise XmlRejected(
            f"the document is {_size_text(len(data))}, above the {_size_text(max_bytes)} limit "
            "for one XML document; ask the sender to split it or to send attachments by reference"
        )
    # Only a short document can be blank; a long blank one fails to parse as "empty" below.
    if len(data) <= 4096 and not data.strip(_BLANK):
        raise XmlRejected("the document is empty (no XML content)")
    _check_doctype_bytes(data)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, None)
        message = _POSITION_SUFFIX.sub("", (exc.msg or str(exc)).strip())
        if "Excessive depth" in message:  # libxml2's hint to lift the limit is not for senders
            message = "elements are nested deeper than 256 levels"
        if not data.strip(_BLANK):
            raise XmlRejected("the document is empty (no XML content)") from None
        where = f"line {line}, column {column}" if column else f"line {line}"
        raise XmlRejected(
            f"not well-formed XML at {where}: {message}. Ask the sender for a corrected document.",
            line=line,
            column=column,
        ) from None
    if root is None:
        raise XmlRejected("the document has no root element")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRejected(_doctype_message(None))
    return root
