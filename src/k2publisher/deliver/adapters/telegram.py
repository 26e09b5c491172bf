"""Telegram Bot API: ``sendMessage`` with ``parse_mode=HTML`` to a channel or chat id.

Later parts reply to the part before (``reply_parameters``). Telegram wraps every answer in
``{"ok": ..., "result" | "error_code", "description", "parameters"}``; a failed envelope is
classified by ``error_code`` and flood control honours ``parameters.retry_after`` (read by
the request core). The bot token sits in the URL path, so it is masked in every message.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from k2publisher.deliver.http import HttpChannel, classify_status, retry_after
from k2publisher.errors import DeliveryError
from k2publisher.models import PartReceipt, Rendering
from k2publisher.render.counting import count_utf16

#: a photo's caption, after entities parsing (Bot API sendPhoto)
CAPTION_LIMIT = 1024


class TelegramChannel(HttpChannel):
    """A Telegram bot posting to one chat or channel (``chat_id`` = id or ``@channelname``)."""

    type_name = "telegram"
    profile = "telegram"
    supports_threads = True
    required_settings = ("token", "chat_id")
    optional_settings = ("api_base",)
    secret_settings = ("token",)
    description = "sends HTML messages through a Telegram bot"

    def _url(self, method: str) -> str:
        base = self.base_url("api_base", "https://api.telegram.org")
        return f"{base}/bot{self.options['token']}/{method}"

    def _envelope_error(self, response: requests.Response) -> DeliveryError | None:
        try:
            envelope = response.json()
        except ValueError:
            return None
        if not isinstance(envelope, dict) or envelope.get("ok") is not False:
            return None
        code = int(envelope.get("error_code") or response.status_code)
        wait = retry_after(response, self.http.clock()) if code == 429 or code >= 500 else None
        return classify_status(code, self.http.mask(str(envelope.get("description", ""))),
                               channel=self.name, retry_after_s=wait)

    def _call(self, method: str, body: dict[str, Any] | None = None, *,
              files: dict[str, Any] | None = None) -> Any:
        payload: dict[str, Any] = {"json": body or {}}
        if files:      # multipart: the fields as form values (nested ones as JSON)
            payload = {"files": files, "data": {k: v if isinstance(v, str | int) else
                                                 json.dumps(v) for k, v in (body or {}).items()}}
        response = self.http.request("POST", self._url(method), **payload,
                                     on_error=self._envelope_error,
                                     retry_safe=method not in ("sendMessage", "sendPhoto"))
        envelope = self.http.json(response, retry_safe=False)
        problem = self._envelope_error(response)  # some proxies answer 200 with ok:false
        if problem is not None:
            raise problem
        return self.http.field(envelope, "result", retry_safe=False)

    def _body(self, rendering: Rendering, index: int, previous: PartReceipt | None
              ) -> dict[str, Any]:
        part = rendering.parts[index]
        body: dict[str, Any] = {"chat_id": self.options["chat_id"],
                                "text": part.html or part.text, "parse_mode": "HTML",
                                "link_preview_options": {"is_disabled": index > 0}}
        if previous is not None:
            reply_to: Any = int(previous.remote_id) if previous.remote_id.isdigit() \
                else previous.remote_id
            body["reply_parameters"] = {"message_id": reply_to}
        return body

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Send one message; the receipt holds its message id (and t.me URL for channels).

        A part with an image card goes as ``sendPhoto``: the text as its caption when it
        fits Telegram's 1024, else the photo first and the text as a reply to it.
        """
        body = self._body(rendering, index, previous)
        media = rendering.parts[index].media
        if media:
            photo = {k: v for k, v in body.items() if k in ("chat_id", "reply_parameters")}
            caption = count_utf16(body["text"]) <= CAPTION_LIMIT
            if caption:
                photo.update(caption=body["text"], parse_mode="HTML")
            sent = self._call("sendPhoto", photo,
                              files={"photo": ("card.png", media[0].data, media[0].mime)})
            if caption:
                return self._receipt(index, sent)
            body["reply_parameters"] = {"message_id": sent.get("message_id")}
        return self._receipt(index, self._call("sendMessage", body))

    def _receipt(self, index: int, message: Any) -> PartReceipt:
        message_id = str(self.http.field(message, "message_id", retry_safe=False))
        chat = str(self.options["chat_id"])
        url = f"https://t.me/{chat.removeprefix('@')}/{message_id}" if chat.startswith("@") \
            else ""
        return PartReceipt(index=index, remote_id=message_id, url=url)

    def describe(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 idempotency_key: str) -> str:
        """The sendMessage request :meth:`send_part` would make (token masked)."""
        return self.preview("POST", self._url("sendMessage"),
                            {"Content-Type": "application/json"},
                            self._body(rendering, index, previous))

    def check(self) -> str:
        """``getMe``: the token is valid and the API reachable."""
        bot = self._call("getMe")
        return f"bot @{bot.get('username', '?')} reachable"
