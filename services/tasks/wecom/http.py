"""The WeCom callback URL: ``GET /wecom/callback`` answers the URL check (echostr),
``POST /wecom/callback`` receives encrypted events. Token and EncodingAESKey come from
a Kubernetes Secret (WECOM_CALLBACK_TOKEN, WECOM_CALLBACK_AES_KEY), never a ConfigMap."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from services.core.settings import Settings
from services.tasks.wecom import service
from services.tasks.wecom.crypto import CallbackCrypto, CallbackRejected
from services.tasks.wecom.domain import card_press

log = logging.getLogger(__name__)

PATH = "/wecom/callback"


def crypto_for(settings: Settings) -> CallbackCrypto | None:
    if not (
        settings.wecom_callback_token and settings.wecom_callback_aes_key and settings.wecom_corp_id
    ):
        return None
    return CallbackCrypto(
        settings.wecom_callback_token, settings.wecom_callback_aes_key, settings.wecom_corp_id
    )


async def callback(request: Request) -> Response:
    crypto = crypto_for(request.app.state.settings)
    if crypto is None:
        return PlainTextResponse("wecom callback not configured", status_code=404)
    q = request.query_params
    sig, ts, nonce = q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", "")
    try:
        if request.method == "GET":
            echostr = q.get("echostr", "")
            crypto.verify(sig, ts, nonce, echostr)
            return PlainTextResponse(crypto.decrypt(echostr))
        msg = crypto.open(sig, ts, nonce, await request.body())
    except CallbackRejected as e:
        log.warning("wecom callback rejected: %s", e)  # never logs the payload
        return PlainTextResponse("rejected", status_code=403)
    press = card_press(msg)
    if press is not None:
        await service.handle_press(request.app.state.pool, press)
    return PlainTextResponse("")  # empty answer: no passive reply


def routes(settings: Settings) -> list[BaseRoute]:
    return [Route(PATH, callback, methods=["GET", "POST"])]
