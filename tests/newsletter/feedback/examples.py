"""The providers' documented webhook examples (field for field), with our test addresses."""

from __future__ import annotations

import copy
from typing import Any

POSTMARK_BOUNCE: dict[str, Any] = {
    "RecordType": "Bounce", "MessageStream": "outbound", "ID": 4323372036854775807,
    "Type": "HardBounce", "TypeCode": 1, "Name": "Hard bounce", "Tag": "Test",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "Metadata": {"a_key": "a_value", "b_key": "b_value"}, "ServerID": 23,
    "Description": "The server was unable to deliver your message (ex: unknown user, "
                   "mailbox not found).",
    "Details": "Test bounce details", "Email": "john@example.com",
    "From": "sender@example.com", "BouncedAt": "2019-11-05T16:33:54.9070259Z",
    "DumpAvailable": True, "Inactive": True, "CanActivate": True, "Subject": "Test subject",
    "Content": "<Full dump of bounce>"}

POSTMARK_SPAM: dict[str, Any] = {
    "RecordType": "SpamComplaint", "MessageStream": "outbound", "ID": 42,
    "Type": "SpamComplaint", "TypeCode": 512, "Name": "Spam complaint", "Tag": "Test",
    "MessageID": "00000000-0000-0000-0000-000000000000",
    "Metadata": {"a_key": "a_value", "b_key": "b_value"}, "ServerID": 1234,
    "Description": "", "Details": "Test spam complaint details", "Email": "john@example.com",
    "From": "sender@example.com", "BouncedAt": "2019-11-05T16:33:54.9070259Z",
    "DumpAvailable": True, "Inactive": True, "CanActivate": False, "Subject": "Test subject",
    "Content": "<Abuse report dump>"}

MAILGUN_FAILED: dict[str, Any] = {
    "signature": {"timestamp": "1529006854",
                  "token": "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0",
                  "signature": "d2271d12299f6592d9d44cd9d250f0704e4674c30d79d07c47a66f95ce71cf55"},
    "event-data": {
        "event": "failed", "severity": "permanent", "reason": "bounce",
        "id": "G9Bn5sl1TC6nu79C8C0bwg", "timestamp": 1521233195.375624, "log-level": "error",
        "recipient": "alice@example.com", "recipient-domain": "example.com",
        "delivery-status": {"attempt-no": 1, "message": "", "code": 605,
                            "description": "Not delivering to previously bounced address",
                            "session-seconds": 0.0},
        "message": {"headers": {"to": "Alice <alice@example.com>",
                                "message-id": "20130503192659.13651.20287@example.com",
                                "from": "Bob <bob@example.com>",
                                "subject": "Test permanent_fail webhook"},
                    "attachments": [], "size": 111},
        "flags": {"is-routed": False, "is-authenticated": True, "is-system-test": False,
                  "is-test-mode": False},
        "tags": ["my_tag_1", "my_tag_2"],
        "user-variables": {"my_var_1": "Mailgun Variable #1", "my-var-2": "awesome"}}}

SENDGRID_EVENTS: list[dict[str, Any]] = [
    {"email": "example@test.com", "timestamp": 1513299569,
     "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>", "event": "bounce",
     "category": "cat facts", "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPw==",
     "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
     "reason": "500 unknown recipient", "status": "5.0.0", "type": "bounce"},
    {"email": "example@test.com", "timestamp": 1513299569,
     "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>", "event": "delivered",
     "category": "cat facts", "sg_event_id": "rWVYmVk90MjZJ9iohOBa3w==",
     "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
     "response": "250 OK"},
    {"email": "example@test.com", "timestamp": 1513299569,
     "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>", "event": "spamreport",
     "category": "cat facts", "sg_event_id": "37nvH5QBz858KGVYCM4uOA==",
     "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"},
    {"email": "example@test.com", "timestamp": 1513299569,
     "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>", "event": "dropped",
     "category": "cat facts", "sg_event_id": "zmzJhfJgAfUSOW80yEbPyw==",
     "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
     "reason": "Bounced Address", "status": "5.0.0"},
    {"email": "example@test.com", "timestamp": 1513299569,
     "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>", "event": "bounce",
     "category": "cat facts", "sg_event_id": "Lh7Ym1nGOX1gC9WtNuvKOA==",
     "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
     "reason": "550 blocked by policy", "status": "5.7.1", "type": "blocked"}]

SES_BOUNCE: dict[str, Any] = {
    "notificationType": "Bounce",
    "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
               "bouncedRecipients": [{"emailAddress": "recipient@example.com",
                                      "action": "failed", "status": "5.1.1",
                                      "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
               "timestamp": "2016-01-27T14:59:38.237Z",
               "feedbackId": "0000013786031775-fea503bc-7497-49e1-881b-a0379bb037d3-000000",
               "remoteMtaIp": "127.0.2.0",
               "reportingMTA": "dsn; a27-42.smtp-out.us-west-2.amazonses.com"},
    "mail": {"timestamp": "2016-01-27T14:59:38.237Z", "source": "john@example.com",
             "sourceArn": "arn:aws:ses:us-west-2:888888888888:identity/example.com",
             "sourceIp": "127.0.3.0", "sendingAccountId": "123456789012",
             "messageId": "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",
             "destination": ["recipient@example.com"]}}

SES_COMPLAINT: dict[str, Any] = {
    "notificationType": "Complaint",
    "complaint": {"userAgent": "AnyCompany Feedback Loop (V0.01)",
                  "complainedRecipients": [{"emailAddress": "recipient@example.com"}],
                  "complaintFeedbackType": "abuse",
                  "arrivalDate": "2016-01-27T14:59:38.237Z",
                  "timestamp": "2016-01-27T14:59:38.237Z",
                  "feedbackId": "000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000"},
    "mail": copy.deepcopy(SES_BOUNCE["mail"])}

TOPIC = "arn:aws:sns:us-west-2:123456789012:MyTopic"
CERT_URL = ("https://sns.us-west-2.amazonaws.com/"
            "SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem")

SNS_CONFIRMATION: dict[str, Any] = {
    "Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
    "Token": "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f",
    "TopicArn": TOPIC,
    "Message": f"You have chosen to subscribe to the topic {TOPIC}.\nTo confirm the "
               "subscription, visit the SubscribeURL included in this message.",
    "SubscribeURL": f"https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&"
                    f"TopicArn={TOPIC}&Token=2336412f37fb687f5d51e6e241d09c805a5a57b30d712f7",
    "Timestamp": "2012-04-26T20:45:04.751Z", "SignatureVersion": "1",
    "SigningCertURL": CERT_URL}

SNS_NOTIFICATION: dict[str, Any] = {
    "Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
    "TopicArn": TOPIC, "Timestamp": "2012-05-02T00:54:06.655Z", "SignatureVersion": "1",
    "SigningCertURL": CERT_URL,
    "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&"
                      f"SubscriptionArn={TOPIC}:c9135db0-26c4-47ec-8998-413945fb5a96"}
