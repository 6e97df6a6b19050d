"""Parsing raw mail: headers, charsets, transfer encodings, bodies, attachments, and
the flags that mark automatic mail and bounces. Pure functions: no database."""

from __future__ import annotations

import base64

import pytest

from helpline.intake.charsets import decode_bytes, decode_words
from helpline.intake.parse import Address, parse_message
from helpline.intake.tests.helpers import bounce, mail


def raw(headers: str, body: bytes | str = b"Hello\r\n") -> bytes:
    head = headers.strip().replace("\n", "\r\n").encode("utf-8", "surrogateescape")
    data = body.encode() if isinstance(body, str) else body
    return head + b"\r\n\r\n" + data


# --- headers ----------------------------------------------------------------------------


def test_it_reads_the_envelope_headers() -> None:
    message = parse_message(
        mail(
            sender='"Adams, Ken" <ken@example.com>',
            to="support@helpline.test, Boss <boss@example.com>",
            cc="Carol <carol@example.org>",
            message_id="<abc@mail.example.com>",
            in_reply_to="<hl.1.a.b@x>",
            references="<one@x> <two@y>",
            headers={"Reply-To": "Ken at home <ken@home.example>"},
        )
    )

    assert message.sender == Address("Adams, Ken", "ken@example.com")
    assert message.from_address == "ken@example.com"
    assert [a.email for a in message.to] == ["support@helpline.test", "boss@example.com"]
    assert message.cc == [Address("Carol", "carol@example.org")]
    assert message.reply_to == [Address("Ken at home", "ken@home.example")]
    assert message.message_id == "<abc@mail.example.com>"
    assert message.in_reply_to == "<hl.1.a.b@x>"
    assert message.references == ["<one@x>", "<two@y>"]
    assert message.date is not None and message.date.tzinfo is not None
    assert message.has_headers


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("=?UTF-8?B?w4RyZ2VyIG1pdCBkZW0gRHJ1Y2tlcg==?=", "Ärger mit dem Drucker"),
        ("=?iso-8859-1?Q?Die_Hasen_und_die_Fr=F6sche?=", "Die Hasen und die Frösche"),
        ("=?utf-8?q?caf=C3=A9?= =?utf-8?q?_cr=C3=A8me?=", "café crème"),
        # A multi-byte character split across two words, as some mailers do.
        ("=?UTF-8?B?4oI=?= =?UTF-8?B?rCByYXRlcw==?=", "€ rates"),
        ("=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは"),
        ("=?koi8-r?B?8NLJ18XU?=", "Привет"),
        ("=?gb2312?B?xOO6ww==?=", "你好"),
        ("=?ks_c_5601-1987?B?vsiz58fPvLy/5A==?=", "안녕하세요"),
        ("Re: =?x-unknown-charset?Q?caf=E9?= order", "Re: café order"),
        ("=?utf-8?B?broken base64!!?=", "\ufffd"),  # garbage in, no crash out
        ("plain subject", "plain subject"),
    ],
)
def test_it_decodes_encoded_words_in_every_charset(header: str, expected: str) -> None:
    message = parse_message(raw(f"From: a@example.com\nSubject: {header}"))

    if expected == "\ufffd":
        assert message.subject  # something, not an exception
    else:
        assert message.subject == expected


def test_raw_utf8_and_latin1_bytes_in_headers_are_decoded() -> None:
    utf8 = parse_message(
        b"From: J\xc3\xb6rg <j@example.com>\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nx"
    )
    latin1 = parse_message(b"From: j@example.com\r\nSubject: Gr\xfc\xdfe\r\n\r\nx")

    assert utf8.subject == "Grüße"
    assert utf8.sender == Address("Jörg", "j@example.com")
    assert latin1.subject == "Grüße"


def test_encoded_display_names_are_decoded() -> None:
    message = parse_message(raw("From: =?utf-8?Q?J=C3=B6rg_M=C3=BCller?= <jm@example.de>"))

    assert message.sender == Address("Jörg Müller", "jm@example.de")


@pytest.mark.parametrize("sender", ["", "undisclosed-recipients:;", "not an address", "@", "a@"])
def test_a_missing_or_unusable_from_gives_no_sender(sender: str) -> None:
    message = parse_message(raw(f"From: {sender}\nSubject: hi"))

    assert message.sender is None
    assert message.from_address == ""


def test_an_unreadable_date_is_none() -> None:
    assert parse_message(raw("From: a@example.com\nDate: yesterday-ish")).date is None


def test_random_bytes_are_not_a_mail_message() -> None:
    message = parse_message(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR binary stuff")

    assert not message.has_headers
    assert message.sender is None


# --- bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("iso-8859-1", "Grüße aus Köln"),
        ("windows-1252", "“Smart quotes” – and € signs"),  # noqa: RUF001
        ("iso-8859-15", "Prix: 10 €"),
        ("shift_jis", "プリンターが壊れました"),
        ("iso-2022-jp", "プリンターが壊れました"),
        ("euc-kr", "프린터가 고장났어요"),
        ("gb18030", "打印机坏了"),
        ("big5", "印表機壞了"),
        ("koi8-r", "Принтер сломался"),
        ("windows-1251", "Принтер сломался"),
        ("iso-8859-7", "Ο εκτυπωτής χάλασε"),  # noqa: RUF001
        ("iso-8859-8", "המדפסת התקלקלה"),
        ("utf-7", "Grüße +/- 100 €"),
        ("utf-8", "Grüße 👋"),
    ],
)
@pytest.mark.parametrize("encoding", ["8bit", "quoted-printable", "base64"])
def test_text_bodies_are_decoded_in_their_charset_and_transfer_encoding(
    charset: str, text: str, encoding: str
) -> None:
    data = text.encode(charset)
    if encoding == "base64":
        body = base64.encodebytes(data)
    elif encoding == "quoted-printable":
        import quopri

        body = quopri.encodestring(data)
    else:
        body = data
    message = parse_message(
        raw(
            "From: a@example.com\nMIME-Version: 1.0\n"
            f'Content-Type: text/plain; charset="{charset}"\n'
            f"Content-Transfer-Encoding: {encoding}",
            body,
        )
    )

    assert message.text.strip() == text


def test_an_unknown_charset_falls_back_without_failing() -> None:
    utf8 = parse_message(
        raw("From: a@example.com\nContent-Type: text/plain; charset=x-martian", "Grüße".encode())
    )
    latin = parse_message(
        raw("From: a@example.com\nContent-Type: text/plain; charset=x-martian", b"Gr\xfc\xdfe")
    )

    assert utf8.text.strip() == "Grüße"
    assert latin.text.strip() == "Grüße"


def test_a_wrongly_declared_charset_falls_back_to_what_decodes() -> None:
    message = parse_message(
        raw("From: a@example.com\nContent-Type: text/plain; charset=utf-8", b"Gr\xfc\xdfe")
    )

    assert message.text.strip() == "Grüße"


def test_broken_base64_and_nul_characters_do_not_break_the_body() -> None:
    broken = parse_message(
        raw(
            "From: a@example.com\nContent-Type: text/plain\nContent-Transfer-Encoding: base64",
            b"SGVsbG8gd29ybGQ=!!!not*base64\r\n",
        )
    )
    nul = parse_message(raw("From: a@example.com\nSubject: a\x00b", b"null\x00byte"))

    assert "Hello world" in broken.text
    assert nul.subject == "ab"
    assert "\x00" not in nul.text and "nullbyte" in nul.text


def test_html_is_sanitized_and_a_text_version_is_made_from_it() -> None:
    message = parse_message(
        raw(
            "From: a@example.com\nContent-Type: text/html; charset=utf-8",
            '<html><head><style>p{color:red}</style></head><body><p onclick="x()">Hello'
            "<script>alert(1)</script></p><p>World &amp; all</p></body></html>",
        )
    )

    assert "<script" not in message.html
    assert "onclick" not in message.html
    assert "color:red" not in message.html
    assert "<p>Hello</p>" in message.html
    # The same text as a mail's text part (lib.html.html_to_text): paragraphs apart.
    assert message.text == "Hello\n\nWorld & all"


def test_both_alternatives_are_kept() -> None:
    message = parse_message(mail(body="plain version", html="<p>html <b>version</b></p>"))

    assert message.text.strip() == "plain version"
    assert message.html == "<p>html <b>version</b></p>"


def test_a_multipart_without_its_boundary_keeps_its_body_as_text() -> None:
    message = parse_message(
        raw("From: a@example.com\nContent-Type: multipart/mixed", "just some text\r\n")
    )

    assert "just some text" in message.text


# --- attachments ------------------------------------------------------------------------


def test_attachments_keep_their_names_types_and_bytes() -> None:
    pdf = b"%PDF-1.4 fake"
    message = parse_message(mail(attachments=[("invoice.pdf", "application/pdf", pdf)]))

    [attachment] = message.attachments
    assert attachment.filename == "invoice.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.content == pdf
    assert not attachment.is_inline


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ("attachment; filename*=UTF-8''%E2%82%AC%20rates%20%C3%BCber.pdf", "€ rates über.pdf"),
        (
            "attachment; filename*0*=UTF-8''%E2%82%AC%20rates; filename*1*=%20%C3%BCber.pdf",
            "€ rates über.pdf",
        ),
        ('attachment; filename="=?UTF-8?Q?=E2=82=AC_rates_=C3=BCber.pdf?="', "€ rates über.pdf"),
        ("attachment; filename*=iso-8859-1'de'%FCber%20rates.pdf", "über rates.pdf"),
        ('attachment; filename="plain name.pdf"', "plain name.pdf"),
    ],
)
def test_rfc2231_and_encoded_word_file_names_are_decoded(disposition: str, expected: str) -> None:
    message = parse_message(
        raw(
            'From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"',
            "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            f"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: {disposition}\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n",
        )
    )

    [attachment] = message.attachments
    assert attachment.filename == expected
    assert attachment.content == b"%PDF"
    assert message.text.strip() == "see attached"


def test_a_path_in_a_file_name_is_dropped() -> None:
    message = parse_message(mail(attachments=[("../../etc/passwd.txt", "text/plain", b"x")]))

    assert message.attachments[0].filename == "passwd.txt"


def test_inline_images_keep_their_content_id() -> None:
    message = parse_message(
        raw(
            'From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/related; boundary="r"',
            '--r\r\nContent-Type: text/html\r\n\r\n<p>Logo: <img src="cid:logo@x"></p>\r\n'
            "--r\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--r--\r\n",
        )
    )

    [image] = message.attachments
    assert image.is_inline
    assert image.content_id == "logo@x"
    assert image.filename == "image-1.png"
    assert image.content.startswith(b"\x89PNG")
    assert 'src="cid:logo@x"' in message.html


def test_a_forwarded_message_is_kept_as_an_eml_attachment() -> None:
    inner = mail(subject="the original", body="original text")
    message = parse_message(
        raw(
            'From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="f"',
            b"--f\r\nContent-Type: text/plain\r\n\r\nFYI\r\n--f\r\n"
            b"Content-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--f--\r\n",
        )
    )

    [attached] = message.attachments
    assert attached.filename.endswith(".eml")
    assert b"original text" in attached.content
    assert message.text.strip() == "FYI"


# --- automatic mail and bounces -------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "automatic"),
    [
        ({"Auto-Submitted": "auto-replied"}, True),
        ({"Auto-Submitted": "auto-generated; type=something"}, True),
        ({"Auto-Submitted": "no"}, False),
        ({"Precedence": "bulk"}, True),
        ({"Precedence": "junk"}, True),
        ({"Precedence": "list"}, True),
        ({"Precedence": "auto_reply"}, True),
        ({"Precedence": "first-class"}, False),
        ({"X-Autoreply": "yes"}, True),
        ({"X-Autorespond": "Out of office"}, True),
        ({}, False),
    ],
)
def test_automatic_mail_is_recognised(headers: dict[str, str], automatic: bool) -> None:
    message = parse_message(mail(headers=headers))

    assert message.is_auto_reply is automatic
    assert bool(message.automatic_reason) is automatic


def test_a_read_receipt_is_automatic() -> None:
    message = parse_message(
        raw(
            "From: a@example.com\nMIME-Version: 1.0\n"
            'Content-Type: multipart/report; report-type=disposition-notification; boundary="m"',
            "--m\r\nContent-Type: text/plain\r\n\r\nYour message was read.\r\n--m--\r\n",
        )
    )

    assert message.is_receipt and message.is_auto_reply


def test_a_delivery_status_report_is_a_bounce_naming_the_original() -> None:
    original = mail(message_id="<orig@helpline.test>", references="<hl.123456.r1.x@y>")
    message = parse_message(bounce(original=original))

    assert message.is_bounce
    assert message.original_message_id == "<orig@helpline.test>"
    assert "<hl.123456.r1.x@y>" in message.original_ids
    assert "nobody@example.org" in message.bounce_summary
    assert "5.1.1" in message.bounce_summary
    assert "No such user" in message.bounce_summary


def test_an_old_style_bounce_from_the_mailer_daemon_is_a_bounce() -> None:
    message = parse_message(
        raw(
            "From: MAILER-DAEMON@mx.example.org\nSubject: failure notice",
            "Sorry, I couldn't deliver your message.\r\n\r\n--- Below this line is a copy.\r\n\r\n"
            "Message-ID: <orig@helpline.test>\r\nSubject: Printer on fire\r\n",
        )
    )

    assert message.is_bounce
    assert message.original_message_id == "<orig@helpline.test>"


def test_a_postmaster_sender_is_a_bounce() -> None:
    assert parse_message(mail(sender="postmaster@example.org")).is_bounce
    assert not parse_message(mail(sender="post@example.org")).is_bounce


# --- decoding helpers ------------------------------------------------------------------------


def test_decoding_never_fails_and_never_returns_surrogates() -> None:
    for data in (b"\xff\xfe\xfd", bytes(range(256)), b"ok"):
        for charset in (None, "utf-8", "ascii", "x-nope", "base64", "zlib", "utf-8\x00", ""):
            text = decode_bytes(data, charset)
            text.encode("utf-8")  # no lone surrogates
            assert "\x00" not in text


def test_whitespace_between_encoded_words_is_dropped_but_not_around_plain_text() -> None:
    assert decode_words("=?utf-8?q?a?= =?utf-8?q?b?=") == "ab"
    assert decode_words("=?utf-8?q?a?= =?iso-8859-1?q?b?=") == "ab"
    assert decode_words("x =?utf-8?q?a?= y") == "x a y"
