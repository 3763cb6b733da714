"""Text-message (SMS) subscriptions and the gateway's delivery receipts (``relief/web/api_sms.py``)."""
from __future__ import annotations

from relief.domain.vocabulary import SMS_RECEIPT_STATUSES, TOPICS
from relief.web.openapi.admin import HAZARDS, SUBSCRIPTION
from relief.web.openapi.parts import array, body, code, enum, header, json, obj, once, op, query, text

TAG = "text messages"

RECEIPT = obj({"message_id": text(200), "status": enum(SMS_RECEIPT_STATUSES), "error": text()},
              required=["message_id", "status"])

OPERATIONS = {
    "api_sms.list_subscriptions": op("The caller's text-message subscriptions (an admin: all), numbers masked",
                                     tag=TAG, responses=json(obj())),
    "api_sms.create_subscription": op(
        "Subscribe a phone number to alerts", tag=TAG,
        request=body(obj({"phone": text(40), "areas": array(code(24)), "topics": array({"enum": list(TOPICS)}),
                          "kinds": array(text(80)), "hazards": HAZARDS, "min_level": {}, "mode": text(40)},
                         required=["phone"])),
        responses=once(SUBSCRIPTION, "the subscription")),
    "api_sms.delete_subscription": op("Stop a text-message subscription", tag=TAG,
                                      request=body(obj(), required=False), responses=once(obj(), status=200)),
    "api_sms.receipts": op(
        "The gateway's delivery receipts (no login: the shared RELIEF_SMS_RECEIPT_TOKEN)", tag=TAG,
        params=[header("X-Receipt-Token", text(200), "the shared receipt token"),
                query("token", text(200), "the shared receipt token, when the gateway cannot send headers")],
        request=body({"anyOf": [RECEIPT, obj({"receipts": array(RECEIPT)}, required=["receipts"])]}, once=False),
        responses=json(obj()), errors=[401, 404, 409]),
}
