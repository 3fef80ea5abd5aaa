"""safe_xml: untrusted XML is parsed without entities, DTDs or network, and within a size bound."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from payables.formats import safe_xml
from payables.formats.safe_xml import DEFAULT_MAX_BYTES, XmlRejected, parse_xml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Invoice><cbc:Note xmlns:cbc="urn:x">&lol9;</cbc:Note></Invoice>"""


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        type(self).hits.append(self.path)
        body = b'<!ENTITY leak "FETCHED">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request: nothing may reach it."""
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _attacks(base: str) -> list[bytes]:
    return [
        # classic XXE: an external general entity
        f'<?xml version="1.0"?><!DOCTYPE i [<!ENTITY x SYSTEM "{base}/entity">]><i>&x;</i>'.encode(),
        # external DTD
        f'<?xml version="1.0"?><!DOCTYPE i SYSTEM "{base}/external.dtd"><i/>'.encode(),
        # external parameter entity (out-of-band exfiltration)
        f'<!DOCTYPE i [<!ENTITY % p SYSTEM "{base}/param.dtd"> %p;]><i>&leak;</i>'.encode(),
        # local file
        b'<!DOCTYPE i [<!ENTITY x SYSTEM "file:///etc/passwd">]><i>&x;</i>',
    ]


def test_parses_a_plain_document() -> None:
    root = parse_xml(b'<?xml version="1.0" encoding="UTF-8"?>\n<a xmlns="urn:x"><b>1</b></a>')
    assert root.tag == "{urn:x}a"
    assert root[0].text == "1"


def test_keeps_the_declared_encoding() -> None:
    root = parse_xml('<?xml version="1.0" encoding="ISO-8859-1"?><a>Müller</a>'.encode("latin-1"))
    assert root.text == "Müller"


def test_syntax_error_names_line_and_column() -> None:
    with pytest.raises(XmlRejected) as caught:
        parse_xml(b"<a>\n  <b>1</a>\n")
    error = caught.value
    assert error.line == 2
    assert error.column is not None and 9 <= error.column <= 12  # at the stray </a>
    assert f"not well-formed XML at line 2, column {error.column}:" in str(error)
    assert "mismatch" in str(error)


def test_undefined_entity_is_a_syntax_error() -> None:
    with pytest.raises(XmlRejected, match="line 1, column .*'foo' not defined"):
        parse_xml(b"<a>&foo;</a>")


@pytest.mark.parametrize("data", [b"", b"   \n", b"\xef\xbb\xbf"])
def test_empty_document_rejected(data: bytes) -> None:
    with pytest.raises(XmlRejected, match="empty"):
        parse_xml(data)


def test_not_xml_rejected() -> None:
    with pytest.raises(XmlRejected, match="line 1, column 1"):
        parse_xml(b"client_id,vendor_id\nC017,V1\n")


def test_xxe_rejected_and_nothing_fetched(http_server: tuple[str, list[str]]) -> None:
    base, hits = http_server
    for attack in _attacks(base):
        with pytest.raises(XmlRejected, match="DOCTYPE") as caught:
            parse_xml(attack)
        assert "root:" not in str(caught.value)  # no file content leaks into the message
    assert hits == []


def test_parser_itself_fetches_nothing(
    monkeypatch: pytest.MonkeyPatch, http_server: tuple[str, list[str]]
) -> None:
    """Second line of defence: even without the DOCTYPE pre-scan, the parser loads nothing."""
    base, hits = http_server
    monkeypatch.setattr(safe_xml, "_check_doctype_bytes", lambda data: None)
    for attack in [*_attacks(base), BILLION_LAUGHS]:
        with pytest.raises(XmlRejected):
            parse_xml(attack)
    assert hits == []


def test_billion_laughs_rejected_quickly() -> None:
    started = time.perf_counter()
    with pytest.raises(XmlRejected) as caught:
        parse_xml(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1.0
    message = str(caught.value)
    assert message.startswith("line 2: the document declares a DOCTYPE")
    assert "remove the DOCTYPE" in message


def test_doctype_in_utf16_rejected() -> None:
    with pytest.raises(XmlRejected, match="DOCTYPE"):
        parse_xml(
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'.encode(
                "utf-16"
            )
        )


def test_oversized_document_rejected_naming_the_size() -> None:
    data = b"<a>" + b"x" * (21 * 1024 * 1024) + b"</a>"
    with pytest.raises(XmlRejected) as caught:
        parse_xml(data)
    assert "the document is 21.0 MB, above the 20.0 MB limit" in str(caught.value)
    assert DEFAULT_MAX_BYTES == 20 * 1024 * 1024


def test_deep_nesting_rejected() -> None:
    with pytest.raises(XmlRejected, match="nested deeper than 256 levels"):
        parse_xml(b"<a>" * 10_000 + b"</a>" * 10_000)


def test_size_limit_is_configurable() -> None:
    document = b"<a>" + b"x" * 2000 + b"</a>"
    assert parse_xml(document, max_bytes=len(document)).tag == "a"
    with pytest.raises(XmlRejected, match=r"2\.0 KB, above the 1\.0 KB limit"):
        parse_xml(document, max_bytes=1024)
