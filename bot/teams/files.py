"""Files for Teams members through the Teams bot API: a file consent card, then an upload to their OneDrive.

The bot API works in personal chat only, so a file asked for in a channel or group chat is offered
in the member's personal chat. The bytes wait in the database (`OfferStore`) until the member answers,
because the process that gets `fileConsent/invoke` may not be the one that made the offer.
"""

import logging
import secrets
from datetime import timedelta
from typing import Any, Protocol

import aiohttp
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, Attachment
from botbuilder.schema.teams import FileConsentCard, FileInfoCard

from bot.teams.references import MEMBER, References, load_reference
from bot.teams.turns import tenant_of, user_key
from bot.views import Attachment as File

log = logging.getLogger(__name__)
CONSENT = "application/vnd.microsoft.teams.card.file.consent"
INFO = "application/vnd.microsoft.teams.card.file.info"
OFFER_TTL = timedelta(hours=24)
STALE_CLAIM = timedelta(minutes=5)  # an upload that started this long ago died with its process
UPLOAD_SECONDS = 10.0  # bounded, so the invoke is answered well inside Teams' limit
KINDS = {"text/csv": "A CSV file", "application/json": "A JSON file", "image/png": "A PNG image"}
SAVED = "Done: the file is in your OneDrive."
DECLINED = "OK, I won't send it."
GONE = ("I can't find that file any more: it was already sent, or it waited over 24 hours. "
        "Ask me for it again and I'll send a fresh one.")
ON_ITS_WAY = "That file is already on its way to your OneDrive."
UPLOAD_FAILED = ("Sorry, I couldn't save {name} to your OneDrive just now, and nothing was left half-saved. "
                 "You can try again below.")


class OfferStore(Protocol):
    """What we need from storage (`storage/teams_files.py`): offers by id, claimed once."""

    async def add(self, offer_id: str, tenant_id: str, member_key: str, filename: str, content_type: str,
                  content: bytes, now: Any, expired_before: Any) -> None: ...

    async def get(self, offer_id: str, tenant_id: str, member_key: str) -> Any: ...

    async def claim(self, offer_id: str, tenant_id: str, member_key: str, now: Any,
                    expired_before: Any, stale_before: Any) -> Any: ...

    async def release(self, offer_id: str) -> None: ...

    async def remove(self, offer_id: str, tenant_id: str, member_key: str) -> bool: ...


class UploadFailed(Exception):
    """The PUT to the member's OneDrive upload session did not succeed."""


async def put_file(url: str, content: bytes, seconds: float = UPLOAD_SECONDS) -> None:
    """The whole file in one PUT to the upload session, as the Teams bot API asks."""
    size = len(content)
    headers = {"Content-Length": str(size), "Content-Range": f"bytes 0-{size - 1}/{size}"}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds)) as session:
            async with session.put(url, data=content, headers=headers) as response:
                if response.status >= 300:
                    raise UploadFailed(f"upload answered {response.status}")
    except (aiohttp.ClientError, TimeoutError, ValueError) as failed:
        raise UploadFailed(repr(failed)) from failed


async def cancel_upload(url: str, seconds: float = UPLOAD_SECONDS) -> None:
    """Best effort: deleting an upload session discards whatever part of the file reached it."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds)) as session:
            async with session.delete(url):
                pass
    except (aiohttp.ClientError, TimeoutError, ValueError) as failed:
        log.info("cancelling a Teams upload session failed (%s)", type(failed).__name__)


class TeamsFiles:
    """Offers files with a consent card and answers `fileConsent/invoke`."""

    def __init__(self, store: OfferStore, references: References, adapter: Any, app_id: str,
                 upload_seconds: float = UPLOAD_SECONDS) -> None:
        self.store, self.references, self.adapter, self.app_id = store, references, adapter, app_id
        self.upload_seconds = upload_seconds

    async def offer_here(self, context: TurnContext, file: File) -> None:
        """In personal chat: the consent card in this conversation."""
        activity = context.activity
        await context.send_activity(await self._offer(tenant_of(activity), user_key(activity.from_property), file))

    async def offer_privately(self, tenant: str, key: str, file: File) -> None:
        """The consent card in the member's personal chat, which a message sent just before has opened."""
        row = await self.references.store.get(MEMBER, tenant, key)
        if row is None or not row.reference:
            raise LookupError(f"no personal chat with {tenant}:{key}")
        card = await self._offer(tenant, key, file)
        failed: list[Exception] = []

        async def send(context: TurnContext) -> None:
            try:  # the adapter's pipeline would swallow it
                await context.send_activity(card)
            except Exception as failure:
                failed.append(failure)

        await self.adapter.continue_conversation(load_reference(row.reference), send, self.app_id)
        if failed:
            raise failed[0]

    async def _offer(self, tenant: str, key: str, file: File) -> Activity:
        now = self.references.clock.now()
        offer_id = secrets.token_urlsafe(24)
        await self.store.add(offer_id, tenant, key, file.filename, file.mime, file.content, now, now - OFFER_TTL)
        return consent_activity(offer_id, file.filename, file.mime, len(file.content))

    async def answer(self, context: TurnContext) -> None:
        """`fileConsent/invoke`: upload on accept, forget on decline; a friendly word for anything else."""
        action, offer_id, upload = consent_of(context.activity)
        if action == "accept":
            await self._accept(context, offer_id, upload)
        elif action == "decline":
            activity = context.activity
            await self.store.remove(offer_id, tenant_of(activity), user_key(activity.from_property))
            await context.send_activity(MessageFactory.text(DECLINED))

    async def _accept(self, context: TurnContext, offer_id: str, upload: dict) -> None:
        tenant, key = tenant_of(context.activity), user_key(context.activity.from_property)
        now = self.references.clock.now()
        offer = await self.store.claim(offer_id, tenant, key, now, now - OFFER_TTL, now - STALE_CLAIM)
        if offer is None:
            pending = await self.store.get(offer_id, tenant, key) if offer_id else None
            fresh = pending is not None and pending.claimed_at is not None and pending.created_at >= now - OFFER_TTL
            await context.send_activity(MessageFactory.text(ON_ITS_WAY if fresh else GONE))
            return
        url = upload.get("uploadUrl")
        try:
            if not isinstance(url, str) or not url:
                raise UploadFailed("no uploadUrl in the consent")
            await put_file(url, offer.content, self.upload_seconds)
        except UploadFailed as failed:
            await self._failed(context, offer, url, failed)
            return
        await self.store.remove(offer.id, tenant, key)
        await context.send_activity(file_info_activity(upload, offer.filename))

    async def _failed(self, context: TurnContext, offer: Any, url: Any, failed: UploadFailed) -> None:
        """Nothing half-done: the upload session is cancelled, the offer kept, and a fresh card offered."""
        log.warning("Teams file upload of %s failed: %s", offer.filename, failed)
        if isinstance(url, str) and url:
            await cancel_upload(url, self.upload_seconds / 2)
        await self.store.release(offer.id)
        await context.send_activity(MessageFactory.text(UPLOAD_FAILED.format(name=offer.filename)))
        await context.send_activity(consent_activity(offer.id, offer.filename, offer.content_type,
                                                     len(offer.content)))


def consent_activity(offer_id: str, filename: str, mime: str, size: int) -> Activity:
    """A FileConsentCard whose accept and decline both carry the offer's opaque id."""
    context = {"offer": offer_id}
    kind = KINDS.get(mime, "A file")
    card = FileConsentCard(description=f"{kind} from Hexitime, to save in your OneDrive.", size_in_bytes=size,
                           accept_context=context, decline_context=context)
    return MessageFactory.attachment(Attachment(content_type=CONSENT, name=filename, content=card.serialize()))


def file_info_activity(upload: dict, filename: str) -> Activity:
    """The uploaded file as Teams shows it: a FileInfoCard pointing at its OneDrive copy."""
    card = FileInfoCard(unique_id=upload.get("uniqueId"), file_type=upload.get("fileType"))
    attachment = Attachment(content_type=INFO, content_url=upload.get("contentUrl"),
                            name=upload.get("name") or filename, content=card.serialize())
    return MessageFactory.attachment(attachment, text=SAVED)


def consent_of(activity: Activity) -> tuple[str, str, dict]:
    """(action, offer id, uploadInfo) of a `fileConsent/invoke`; empty strings when they are missing."""
    value = activity.value if isinstance(activity.value, dict) else {}
    context = value.get("context") if isinstance(value.get("context"), dict) else {}
    offer_id = context.get("offer") if isinstance(context.get("offer"), str) else ""
    upload = value.get("uploadInfo") if isinstance(value.get("uploadInfo"), dict) else {}
    return str(value.get("action") or ""), offer_id, upload
