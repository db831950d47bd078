import re

from hypothesis import given, settings
from hypothesis import strategies as st

from services.indexer.enrich.sanitize import html_to_text, plain_text, sanitize


def test_script_is_removed_with_its_content():
    assert sanitize("<p>Hi<script>alert(1)</script></p>") == "<p>Hi</p>"


def test_style_is_removed_with_its_content():
    assert sanitize("<style>p{color:red}</style><p>x</p>") == "<p>x</p>"


def test_event_handler_attributes_are_removed():
    assert "onclick" not in sanitize('<p onclick="steal()">x</p>')


def test_img_with_onerror_is_removed():
    out = sanitize('<img src="x" onerror="alert(1)"><p>x</p>')
    assert "onerror" not in out and "<img" not in out


def test_javascript_url_is_dropped_from_link():
    assert "javascript" not in sanitize('<a href="javascript:alert(1)">x</a>')


def test_link_with_refused_url_keeps_only_its_text():
    # <a rel> without href is invalid HTML (the Nu HTML Checker refuses it)
    out = sanitize('<p>Voir <a href="javascript:alert(1)">ici</a> ou <a href="/x">là</a>'
                   ' et <a href="https://a.org/">là-bas</a></p>')
    assert out == ('<p>Voir ici ou là et <a href="https://a.org/" rel="noopener noreferrer">'
                   "là-bas</a></p>")


def test_data_url_is_dropped_from_link():
    assert "data:" not in sanitize('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>')


def test_vbscript_url_is_dropped_from_link():
    assert "vbscript" not in sanitize('<a href="vbscript:msgbox(1)">x</a>')


def test_link_keeps_https_href_and_gets_rel():
    out = sanitize('<a href="https://example.org/" target="_blank">site</a>')
    assert 'href="https://example.org/"' in out and 'rel="noopener noreferrer"' in out
    assert "target" not in out


def test_svg_is_removed_with_its_content():
    assert sanitize("<p>a</p><svg><script>alert(1)</script><text>t</text></svg>") == "<p>a</p>"


def test_iframe_object_form_base_meta_are_removed():
    out = sanitize(
        '<base href="http://evil/"><meta http-equiv="refresh" content="0">'
        '<iframe src="http://evil"></iframe><object data="x"></object>'
        '<form action="http://evil"><input name="q"></form><p>ok</p>'
    )
    for bad in ("<base", "<meta", "<iframe", "<object", "<form", "<input"):
        assert bad not in out
    assert "<p>ok</p>" in out


def test_allowed_formatting_is_kept():
    html = "<p><strong>a</strong> <em>b</em></p><ul><li>c</li></ul><blockquote>d</blockquote>"
    assert sanitize(html) == html


def test_h1_becomes_h3():
    assert sanitize("<h1>Titre</h1>") == "<h3>Titre</h3>"


def test_div_becomes_paragraph():
    assert sanitize("<div>a</div><div>b</div>") == "<p>a</p><p>b</p>"


def test_plain_text_is_escaped():
    assert sanitize("a < b & c") == "<p>a &lt; b &amp; c</p>"


def test_plain_text_newlines_become_br_and_blank_lines_paragraphs():
    assert sanitize("l1\nl2\n\nl3") == "<p>l1<br>l2</p><p>l3</p>"


def test_blank_description_gives_empty_string():
    assert sanitize("  \n ") == ""


def test_text_of_blocks_is_one_line_each():
    assert html_to_text("<p>a</p><ul><li>b</li><li>c</li></ul>") == "a\n- b\n- c"


def test_text_decodes_entities():
    assert html_to_text("<p>d&eacute;j&agrave; &amp; &#233;t&#xE9;</p>") == "déjà & été"


def test_text_collapses_whitespace():
    assert html_to_text("<p>  a \n\t b  </p>") == "a b"


def test_text_of_br_is_newline():
    assert html_to_text("a<br>b") == "a\nb"


def test_plain_text_normalizes_whitespace_without_reading_markup():
    assert plain_text("  a  &amp; <b>\n\n  c ") == "a &amp; <b>\nc"


TAG = re.compile(r"<[^>]*>")
HTMLISH = st.lists(
    st.sampled_from(
        list("ab <>/=\"'&;:#\n")
        + [
            "<p>",
            "</p>",
            "<script>",
            "</script>",
            "<a href=",
            "javascript:",
            "onerror=",
            "<img ",
            "<svg>",
            "<b>",
            "</b>",
            "<li>",
            "<ul>",
            "<br>",
            "&amp;",
            "&lt;",
            "<style>",
            "<!--",
            "-->",
            "data:",
            "<div>",
            "<h1>",
            "<table><tr>",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(HTMLISH)
def test_sanitize_is_idempotent(raw):
    once = sanitize(raw)
    assert sanitize(once) == once


@settings(max_examples=400, deadline=None)
@given(HTMLISH)
def test_sanitize_output_has_no_active_content(raw):
    out = sanitize(raw).lower()
    tags = "".join(TAG.findall(out))  # text may mention "onerror=", only markup matters
    assert "<script" not in out
    assert "javascript:" not in tags and "data:" not in tags
    assert "onerror" not in tags and " on" not in tags.replace(' rel="noopener noreferrer"', "")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_sanitize_is_idempotent_on_any_text(raw):
    once = sanitize(raw)
    assert sanitize(once) == once
