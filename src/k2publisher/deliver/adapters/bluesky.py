"""Bluesky (AT Protocol): ``createSession`` once, then ``createRecord`` of ``app.bsky.feed.post``.

The session is kept in the state folder (:class:`~k2publisher.deliver.sessions.SessionFile`,
0600), so a process reuses the last one instead of logging in again (Bluesky rations
``createSession``: 30 per 5 minutes, 300 a day); when the access token expires
(``ExpiredToken``) it is renewed with ``refreshSession`` (or a new login), stored, and the
call is repeated once. A stored session the server refuses is forgotten and replaced by a
fresh login. Threads use
``reply.root``/``reply.parent`` strong refs; the first post carries an
``app.bsky.embed.external`` card for the item's link. Bluesky has no idempotency key.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import requests

from k2publisher.deliver.http import HttpChannel, error_detail
from k2publisher.deliver.sessions import SessionFile
from k2publisher.errors import AuthDeliveryError, DeliveryError, PermanentDeliveryError
from k2publisher.models import Media, PartReceipt, Rendering

POST = "app.bsky.feed.post"
#: largest image blob app.bsky.embed.images accepts
BLOB_LIMIT = 1_000_000


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
        self._stored = False  # the session came from the state folder, not a login here
        self._refs: dict[str, dict[str, Any]] = {}  # uri -> {"ref": strongRef, "root": ref}
        self._file = self._session_file()

    def _xrpc(self, method: str) -> str:
        return f"{self.base_url('service', 'https://bsky.social')}/xrpc/{method}"

    def _session_file(self) -> SessionFile | None:
        settings = getattr(self.context, "settings", None)
        if settings is None:
            return None
        account = f"{self._xrpc('')}\x1f{self.options['handle']}"
        name = f"bluesky-{hashlib.sha256(account.encode()).hexdigest()[:16]}.json"
        return SessionFile(settings.path("state") / "sessions" / name,
                           ("accessJwt", "refreshJwt", "did"))

    def _current(self) -> dict[str, Any]:
        """The session: this process's, else the stored one, else a new login."""
        if self._session is None and self._file is not None:
            self._session = self._file.load()
            if self._session is not None:
                self._stored = True
                self._remember(self._session)
        return self._session or self._login()

    def _remember(self, session: dict[str, Any]) -> None:
        self.http.secrets += [str(session.get(k)) for k in ("accessJwt", "refreshJwt")
                              if session.get(k)]

    def _store(self) -> None:
        if self._file is not None and self._session is not None:
            self._file.save(self._session)

    def _login(self) -> dict[str, Any]:
        response = self.http.request("POST", self._xrpc("com.atproto.server.createSession"),
                                     json={"identifier": self.options["handle"],
                                           "password": self.options["password"]},
                                     retry_safe=True)
        self._session = self.http.json(response, retry_safe=True)
        self._stored = False
        self._remember(self._session)
        self._store()
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
            self._remember(self._session)
            self._store()
        except AuthDeliveryError:
            self._login()

    def _expired(self, response: requests.Response) -> DeliveryError | None:
        if response.status_code in (400, 401) and "ExpiredToken" in response.text:
            return _ExpiredToken(self.http.mask(error_detail(response)), channel=self.name,
                                 status=response.status_code)
        return None

    def _authed(self, method: str, xrpc: str, *, headers_extra: dict[str, str] | None = None,
                **kwargs: Any) -> Any:
        """An authenticated XRPC call; an expired token is renewed and the call made again."""
        for attempt in (1, 2):
            token = self._current()["accessJwt"]
            try:
                response = self.http.request(method, self._xrpc(xrpc), on_error=self._expired,
                                             headers={"Authorization": f"Bearer {token}",
                                                      **(headers_extra or {})},
                                             **kwargs)
                return self.http.json(response, retry_safe=False)
            except _ExpiredToken:
                if attempt == 2:
                    raise
                self._refresh()
            except AuthDeliveryError:
                if attempt == 2 or not self._stored:
                    raise
                # a stored session the server no longer accepts (revoked, password changed)
                assert self._file is not None
                self._file.forget()
                self._login()
        raise AssertionError("unreachable")

    def _strong_ref(self, uri: str) -> dict[str, Any]:
        """The ref and thread root of a post (cached, else read back with ``getRecord``)."""
        if uri not in self._refs:
            parts = uri.removeprefix("at://").split("/", 2)
            if not uri.startswith("at://") or len(parts) != 3 or not all(parts):
                raise PermanentDeliveryError(
                    f"the previous part's id {uri!r} is not an at:// URI: give it with "
                    "`k2publisher resolve ROW --remote-id URL`", channel=self.name)
            repo, collection, rkey = parts
            record = self._authed("GET", "com.atproto.repo.getRecord",
                                  params={"repo": repo, "collection": collection, "rkey": rkey})
            ref = {"uri": str(record.get("uri") or uri),
                   "cid": self.http.field(record, "cid", retry_safe=True)}
            root = (record.get("value") or {}).get("reply", {}).get("root") or ref
            self._refs[uri] = {"ref": ref, "root": root}
        return self._refs[uri]

    def _card(self, rendering: Rendering) -> dict[str, Any]:
        """The link card: the rendering's title and summary (the guard has seen both)."""
        return {"$type": "app.bsky.embed.external",
                "external": {"uri": rendering.link, "title": rendering.title,
                             "description": rendering.summary}}

    def upload(self, media: Media) -> dict[str, Any]:
        """``com.atproto.repo.uploadBlob`` (raw bytes, at most 1,000,000): the blob ref."""
        if len(media.data) > BLOB_LIMIT:
            raise PermanentDeliveryError(f"image is {len(media.data)} bytes, over Bluesky's "
                                         f"{BLOB_LIMIT}", channel=self.name)
        answer = self._authed("POST", "com.atproto.repo.uploadBlob", data=media.data,
                              headers_extra={"Content-Type": media.mime})
        return dict(self.http.field(answer, "blob", retry_safe=True))

    @staticmethod
    def images_embed(media: tuple[Media, ...], blobs: list[dict[str, Any]]) -> dict[str, Any]:
        """``app.bsky.embed.images`` for uploaded blobs, each with its alt text."""
        return {"$type": "app.bsky.embed.images", "images": [
            {"image": blob, "alt": m.alt,
             **({"aspectRatio": {"width": m.width, "height": m.height}}
                if m.width and m.height else {})} for m, blob in zip(media, blobs, strict=True)]}

    def record(self, rendering: Rendering, index: int, reply: dict[str, Any] | None,
               blobs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
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
        if part.media:          # an image card replaces the link card (one embed per post)
            record["embed"] = self.images_embed(
                part.media, blobs or [{"$type": "blob", "ref": {"$link": "<uploaded>"},
                                       "mimeType": m.mime, "size": len(m.data)}
                                      for m in part.media])
        elif index == 0 and rendering.link:
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
        session = self._current()
        blobs = [self.upload(m) for m in rendering.parts[index].media]
        answer = self._authed("POST", "com.atproto.repo.createRecord", json={
            "repo": session["did"], "collection": POST,
            "record": self.record(rendering, index, reply, blobs)})
        uri = self.http.field(answer, "uri", retry_safe=False)
        ref = {"uri": uri, "cid": self.http.field(answer, "cid", retry_safe=False)}
        self._refs[uri] = {"ref": ref, "root": reply["root"] if reply else ref}
        handle = (self._session or session).get("handle") or self.options["handle"]
        return PartReceipt(index=index, remote_id=uri,
                           url=f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}")

    def receipt_for(self, index: int, value: str) -> PartReceipt:
        """An ``at://`` URI, or a post's ``https://bsky.app/profile/HANDLE/post/RKEY`` URL."""
        value = value.strip()
        found = re.fullmatch(r"https://bsky\.app/profile/([^/]+)/post/([^/?#]+)/?", value)
        if found:
            return PartReceipt(index=index, url=value,
                               remote_id=f"at://{found.group(1)}/{POST}/{found.group(2)}")
        if re.fullmatch(r"at://[^/]+/[^/]+/[^/]+", value):
            return PartReceipt(index=index, remote_id=value)
        raise ValueError(f"{value!r} is neither an at:// URI nor a bsky.app post URL "
                         "(https://bsky.app/profile/HANDLE/post/RKEY)")

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
