"""A control call that changes state and carries ``Idempotency-Key`` is carried out once: the same key again (a
client repeating a call whose answer it lost on a dropped connection) gets the first answer back."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, Response, g, request

from simulator.services.replies import Replies

IDEMPOTENCY_HEADER = "Idempotency-Key"


def replay_repeated_call(replies: Replies) -> Response | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if request.method in ("GET", "HEAD") or not key:
        return None
    key = f"{request.method} {request.path} {key[:200]}"  # a key names one call
    answer = replies.claim_or_answer(key, IDEMPOTENCY_HEADER)
    if answer is None:
        g.idempotency_key = key  # this call carries it out; remember_answer keeps the answer
        return None
    status, content_type, body = answer
    return Response(body, status=status, content_type=content_type)


def remember_answer(replies: Replies, response: Response) -> Response:
    key = g.pop("idempotency_key", None)
    if key is None:
        return response
    if response.status_code < 500 and not response.is_streamed:
        replies.remember(key, (response.status_code, response.content_type or "", response.get_data()))
    else:
        replies.forget(key)
    return response


def free_unanswered_key(replies: Replies, _exc: BaseException | None) -> None:
    key = g.pop("idempotency_key", None)  # still set: no answer went through remember_answer
    if key is not None:
        replies.forget(key)


def register(bp: Blueprint, replies: Replies) -> None:
    bp.before_request(partial(replay_repeated_call, replies))
    bp.after_request(partial(remember_answer, replies))
    bp.teardown_request(partial(free_unanswered_key, replies))
