"""Bluesky (AT Protocol): ``createSession`` once, then ``createRecord`` of ``app.bsky.feed.post``.

The session is cached; when the access token expires (``ExpiredToken``) it is renewed with
``refreshSession`` (or a new login) and the call is repeated once. Threads use
``reply.root``/``reply.parent`` strong refs; the first post carries an
``app.bsky.embed.external`` card for the item's link. Bluesky has no idempotency key.
"""

from __future__ import annotations

from typing import Any

import requests

from k2publisher.deliver.http import HttpChannel, error_detail
from k2publisher.errors import AuthDeliveryError, DeliveryError
from k2publisher.models import PartReceipt, Rendering

POST = "app.bsky.feed.post"


class _ExpiredToken(AuthDeliveryError):
    """The access token expired: refresh the session and try once more."""


class BlueskyChannel(HttpChannel):
    """A Bluesky account on its PDS (``service``, default https://bsky.social)."""

    type_name = "bluesky"
    profile = "bluesky"
    supports_threads = True
    required_settings = ("handle", "password")
    optional_settings = ("service", "language")
    secret_settings = ("password",)
    description = "posts to Bluesky with link cards and facets (threads as replies)"

    def __init__(self, name: str, options: Any, context: Any = None):
        super().__init__(name, options, context)
        self._session: dict[str, Any] | None = None
        self._refs: dict[str, dict[str, Any]] = {}  # uri -> {"ref": strongRef, "root": ref}

    def _xrpc(self, method: str) -> str:
        return f"{self.base_url('service', 'https://bsky.social')}/xrpc/{method}"

    def _login(self) -> dict[str, Any]:
        response = self.http.request("POST", self._xrpc("com.atproto.server.createSession"),
                                     json={"identifier": self.options["handle"],
                                           "password": self.options["password"]},
                                     retry_safe=True)
        self._session = self.http.json(response, retry_safe=True)
        self.http.secrets += [str(self._session.get(k)) for k in ("accessJwt", "refreshJwt")
                              if self._session.get(k)]
        return self._session

    def _refresh(self) -> None:
        token = (self._session or {}).get("refreshJwt")
        try:
            if not token:
                raise AuthDeliveryError("no refresh token")
            response = self.http.request("POST", self._xrpc("com.atproto.server.refreshSession"),
                                         headers={"Authorization": f"Bearer {token}"},
                                         on_error=self._expired, retry_safe=True)
            self._session = {**(self._session or {}), **self.http.json(response, retry_safe=True)}
        except AuthDeliveryError:
            self._login()

    def _expired(self, response: requests.Response) -> DeliveryError | None:
        if response.status_code in (400, 401) and "ExpiredToken" in response.text:
            return _ExpiredToken(self.http.mask(error_detail(response)), channel=self.name,
                                 status=response.status_code)
        return None

    def _authed(self, method: str, xrpc: str, **kwargs: Any) -> Any:
        """An authenticated XRPC call; an expired token is renewed and the call made again."""
        for attempt in (1, 2):
            token = (self._session or self._login())["accessJwt"]
            try:
                response = self.http.request(method, self._xrpc(xrpc), on_error=self._expired,
                                             headers={"Authorization": f"Bearer {token}"},
                                             **kwargs)
                return self.http.json(response, retry_safe=False)
            except _ExpiredToken:
                if attempt == 2:
                    raise
                self._refresh()
        raise AssertionError("unreachable")

    def _strong_ref(self, uri: str) -> dict[str, Any]:
        """The ref and thread root of a post (cached, else read back with ``getRecord``)."""
        if uri not in self._refs:
            repo, collection, rkey = uri.removeprefix("at://").split("/", 2)
            record = self._authed("GET", "com.atproto.repo.getRecord",
                                  params={"repo": repo, "collection": collection, "rkey": rkey})
            ref = {"uri": uri, "cid": self.http.field(record, "cid", retry_safe=True)}
            root = (record.get("value") or {}).get("reply", {}).get("root") or ref
            self._refs[uri] = {"ref": ref, "root": root}
        return self._refs[uri]

    def _card(self, rendering: Rendering) -> dict[str, Any]:
        """The link card: the rendering's title and summary (the guard has seen both)."""
        return {"$type": "app.bsky.embed.external",
                "external": {"uri": rendering.link, "title": rendering.title,
                             "description": rendering.summary}}

    def record(self, rendering: Rendering, index: int, reply: dict[str, Any] | None
               ) -> dict[str, Any]:
        """The ``app.bsky.feed.post`` record for part ``index``."""
        part = rendering.parts[index]
        now = self.http.clock()
        record: dict[str, Any] = {
            "$type": POST, "text": part.text,
            "createdAt": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}
        settings = getattr(self.context, "settings", None)
        lang = self.options.get("language") or (settings.site.get("language") if settings
                                                else None)
        if lang:
            record["langs"] = [lang]
        if part.facets:
            record["facets"] = [dict(f) for f in part.facets]
        if index == 0 and rendering.link:
            record["embed"] = self._card(rendering)
        if reply:
            record["reply"] = reply
        return record

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Create one post record; the receipt holds its at:// URI and bsky.app URL."""
        reply = None
        if previous is not None:
            parent = self._strong_ref(previous.remote_id)
            reply = {"root": parent["root"], "parent": parent["ref"]}
        session = self._session or self._login()
        answer = self._authed("POST", "com.atproto.repo.createRecord", json={
            "repo": session["did"], "collection": POST,
            "record": self.record(rendering, index, reply)})
        uri = self.http.field(answer, "uri", retry_safe=False)
        ref = {"uri": uri, "cid": self.http.field(answer, "cid", retry_safe=False)}
        self._refs[uri] = {"ref": ref, "root": reply["root"] if reply else ref}
        handle = (self._session or session).get("handle") or self.options["handle"]
        return PartReceipt(index=index, remote_id=uri,
                           url=f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}")

    def describe(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 idempotency_key: str) -> str:
        """The createRecord request (after a createSession login) for part ``index``."""
        reply = None
        if previous is not None:
            ref = {"uri": f"at://<did>/{POST}/<{previous.remote_id}>", "cid": "<cid>"}
            reply = {"root": {"uri": "<first post uri>", "cid": "<cid>"}, "parent": ref}
        return self.preview("POST", self._xrpc("com.atproto.repo.createRecord"),
                            {"Authorization": "Bearer <accessJwt>"},
                            {"repo": "<did>", "collection": POST,
                             "record": self.record(rendering, index, reply)})

    def check(self) -> str:
        """Log in with ``createSession``."""
        session = self._login()
        return f"logged in as {session.get('handle')} ({session.get('did')})"
