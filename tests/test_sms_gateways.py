"""SMS gateways: the file gateway appends JSON lines; the HTTP gateway fills its template and reads the id."""
from __future__ import annotations

import json

import pytest

from relief.sms_gateways import FileGateway, GatewayError, HttpGateway, NotConfigured, from_settings, render


def test_the_file_gateway_appends_one_json_line_per_message(tmp_path):
    gateway = from_settings({"SMS_GATEWAY": f"file:{tmp_path / 'out' / 'sms.jsonl'}"})
    assert isinstance(gateway, FileGateway)
    assert gateway.send("13800138000", "【救灾】测试", "sms_1") == "file-sms_1"
    gateway.send("13800138001", "第二条", "sms_2")
    assert [(line["phone"], line["text"], line["message_id"]) for line in gateway.lines()] == [
        ("13800138000", "【救灾】测试", "sms_1"), ("13800138001", "第二条", "sms_2")]


def test_the_http_gateway_fills_the_template_escaped_and_reads_the_gateways_id():
    posted = []

    def post(url, body, headers, timeout):
        posted.append((url, json.loads(body), headers))
        return 200, '{"result": {"sid": "GW-77"}}'

    gateway = from_settings({"SMS_GATEWAY_URL": "https://sms.example.cn/send", "SMS_GATEWAY_ID_FIELD": "result.sid",
                             "SMS_GATEWAY_AUTHORIZATION": "Bearer k",
                             "SMS_GATEWAY_BODY": '{"to": "{phone}", "content": "{text}", "ref": "{message_id}"}'})
    gateway.post = post
    assert gateway.send("13800138000", 'say "hi"\n', "sms_9") == "GW-77"
    url, body, headers = posted[0]
    assert url == "https://sms.example.cn/send" and body == {"to": "13800138000", "content": 'say "hi"\n',
                                                             "ref": "sms_9"}
    assert headers["authorization"] == "Bearer k" and headers["idempotency-key"] == "sms_9"


def test_a_form_body_is_url_encoded():
    assert render("to={phone}&msg={text}", {"phone": "138", "text": "滑坡 & 撤离"}, form=True) == \
        "to=138&msg=%E6%BB%91%E5%9D%A1+%26+%E6%92%A4%E7%A6%BB"


def test_a_refusal_or_an_unreachable_gateway_is_a_gateway_error():
    gateway = HttpGateway(url="https://sms.example.cn/send", post=lambda *a: (503, "busy"))
    with pytest.raises(GatewayError, match="HTTP 503"):
        gateway.send("13800138000", "t", "sms_1")

    def refused(*_args):
        raise ConnectionRefusedError("refused")

    with pytest.raises(GatewayError):
        HttpGateway(url="https://sms.example.cn/send", post=refused).send("13800138000", "t", "sms_1")
    silent = HttpGateway(url="https://sms.example.cn/send", post=lambda *a: (200, ""))
    assert silent.send("13800138000", "t", "sms_1") == "sms_1"  # no id of its own: ours


@pytest.mark.parametrize("settings, names", [
    ({}, "RELIEF_SMS_GATEWAY"), ({"SMS_GATEWAY": "pigeon"}, "file:<path> or http"),
    ({"SMS_GATEWAY": "file:"}, "needs a path"), ({"SMS_GATEWAY_URL": "ftp://x"}, "RELIEF_SMS_GATEWAY_URL"),
    ({"SMS_GATEWAY_URL": "https://x", "SMS_GATEWAY_BODY": "{text}"}, "RELIEF_SMS_GATEWAY_BODY"),
])
def test_bad_configuration_names_the_variable(settings, names, monkeypatch):
    for name in ("RELIEF_SMS_GATEWAY", "RELIEF_SMS_GATEWAY_URL", "RELIEF_SMS_GATEWAY_BODY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(NotConfigured, match=names.replace("<", ".").replace(">", ".")):
        from_settings(settings)
