"""Realistic bounce-mailbox messages: RFC 3464 DSNs, an Exim bounce, an ARF report.

Written after the forms Postfix, Exim and mailbox providers' feedback loops produce; each
function takes the failed recipient and the envelope address the copy was sent from, so
a test can put a VERP return path where the real MTA would put it.
"""

from __future__ import annotations


def postfix_dsn(rcpt: str, return_path: str, *, action: str = "failed",
                status: str = "5.1.1", code: str = "550 5.1.1 <{rcpt}>: Recipient address "
                "rejected: User unknown in virtual mailbox table",
                message_id: str = "<20261125101500.3F2A1C0021@mx.k2.example.org>") -> bytes:
    """A Postfix non-delivery (or delay) report, multipart/report with delivery-status."""
    diag = code.format(rcpt=rcpt)
    return f"""Return-Path: <>
Delivered-To: {return_path}
Received: by mx.k2.example.org (Postfix) id 3F2A1C0021; Wed, 25 Nov 2026 10:15:00 +0000 (UTC)
Date: Wed, 25 Nov 2026 10:15:00 +0000 (UTC)
From: MAILER-DAEMON@mx.k2.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {return_path}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="3F2A1C0021.1764065700/mx.k2.example.org"
Message-Id: {message_id}

This is a MIME-encapsulated message.

--3F2A1C0021.1764065700/mx.k2.example.org
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.k2.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<{rcpt}>: host mail.example.net[203.0.113.25] said: {diag} (in reply to RCPT TO command)

--3F2A1C0021.1764065700/mx.k2.example.org
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.k2.example.org
X-Postfix-Queue-ID: 3F2A1C0021
X-Postfix-Sender: rfc822; {return_path}
Arrival-Date: Wed, 25 Nov 2026 10:14:58 +0000 (UTC)

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822;{rcpt}
Action: {action}
Status: {status}
Remote-MTA: dns; mail.example.net
Diagnostic-Code: smtp; {diag}

--3F2A1C0021.1764065700/mx.k2.example.org
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <{return_path}>
From: K2 Notes <editor@k2.example.org>
To: {rcpt}
Subject: K2 weekly: menaquinone-7
Message-ID: <k2.0123456789abcdef.42@k2.example.org>

--3F2A1C0021.1764065700/mx.k2.example.org--
""".replace("\n", "\r\n").encode()


def exim_bounce(rcpt: str, return_path: str) -> bytes:
    """Exim's plain-text bounce (no RFC 3464 part): flufl.bounce's Exim detector reads it."""
    return f"""Return-path: <>
Envelope-to: {return_path}
Received: from mail by mx2.example.com with local (Exim 4.96)
\tid 1tQ7yD-0004bL-2e for {return_path}; Wed, 25 Nov 2026 10:20:01 +0000
X-Failed-Recipients: {rcpt}
Auto-Submitted: auto-replied
From: Mail Delivery System <Mailer-Daemon@mx2.example.com>
To: {return_path}
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1tQ7yD-0004bL-2e@mx2.example.com>
Date: Wed, 25 Nov 2026 10:20:01 +0000

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {rcpt}
    SMTP error from remote mail server after RCPT TO:<{rcpt}>:
    550 5.1.1 No such user here

------ This is a copy of the message, including all the headers. ------

Return-path: <{return_path}>
From: K2 Notes <editor@k2.example.org>
To: {rcpt}
Subject: K2 weekly: menaquinone-7
""".replace("\n", "\r\n").encode()


def arf_report(rcpt: str, return_path: str, *, feedback_type: str = "abuse",
               message_id: str = "<arf.20261125.7731@fbl.example.net>") -> bytes:
    """An RFC 5965 feedback report, as a mailbox provider's feedback loop sends it."""
    return f"""Return-Path: <fbl@fbl.example.net>
Delivered-To: {return_path}
From: Feedback Loop <fbl@fbl.example.net>
To: {return_path}
Subject: FW: K2 weekly: menaquinone-7
Date: Wed, 25 Nov 2026 11:02:11 +0000
Message-ID: {message_id}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
\tboundary="part1_13d.2e68ed54_boundary"

--part1_13d.2e68ed54_boundary
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP
198.51.100.10 on Wed, 25 Nov 2026 10:05:00 +0000.

--part1_13d.2e68ed54_boundary
Content-Type: message/feedback-report

Feedback-Type: {feedback_type}
User-Agent: ExampleFBL/1.0
Version: 1
Original-Mail-From: <{return_path}>
Original-Rcpt-To: <{rcpt}>
Arrival-Date: Wed, 25 Nov 2026 10:05:00 +0000
Source-IP: 198.51.100.10
Reported-Domain: k2.example.org

--part1_13d.2e68ed54_boundary
Content-Type: message/rfc822
Content-Disposition: inline

Return-Path: <{return_path}>
From: K2 Notes <editor@k2.example.org>
To: {rcpt}
Subject: K2 weekly: menaquinone-7
Message-ID: <k2.0123456789abcdef.42@k2.example.org>
Date: Wed, 25 Nov 2026 10:04:59 +0000

Vitamin K2 news.

--part1_13d.2e68ed54_boundary--
""".replace("\n", "\r\n").encode()
