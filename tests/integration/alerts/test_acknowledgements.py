"""The database failing right after a receiver accepted a message: it is not sent twice."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import make_url
from werkzeug import Request, Response

from monitor.alerts.delivery.dispatcher import Acknowledgements, Dispatcher, DispatchReport
from monitor.errors import StoreError
from monitor.store.outbox import OutboxQueue
from monitor.store.repository import open_store
from tests.chaos.proxy import TcpProxy
from tests.integration.alerts.test_dispatcher_outbox import POLICY, T0, _enqueue, _webhook

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_a_delivery_the_store_could_not_mark_is_marked_not_resent(
    postgres_schema_url: str, httpserver
) -> None:
    url = make_url(postgres_schema_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    store = open_store(url.set(port=proxy.port).render_as_string(hide_password=False))
    received: list[str] = []

    def accept_then_lose_the_store(request: Request) -> Response:
        received.append(request.headers["webhook-id"])
        proxy.cut()  # the database goes away between the answer and the update
        return Response("", 200)

    httpserver.expect_request("/hook").respond_with_handler(accept_then_lose_the_store)
    try:
        key = _enqueue(store, 0)
        acknowledgements = Acknowledgements()
        dispatcher = Dispatcher(store, {"ops": _webhook(httpserver.url_for("/hook"))},
                                policy=POLICY, acknowledgements=acknowledgements)
        with pytest.raises(StoreError):
            dispatcher.dispatch(T0)
        assert received == [key] and acknowledgements.pending() != []
        proxy.restore()
        # After the claim's lease the message would be due again; it is marked instead.
        later = T0 + timedelta(hours=1)
        deadline = time.monotonic() + 60
        while True:  # the pool notices its dead connections on the first tries
            try:
                report = Dispatcher(store, {"ops": _webhook(httpserver.url_for("/hook"))},
                                    policy=POLICY,
                                    acknowledgements=acknowledgements).dispatch(later)
                break
            except StoreError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert report == DispatchReport() and received == [key]
        assert acknowledgements.pending() == []
        [message] = OutboxQueue(store).messages()
        assert message.delivered_at == T0 + timedelta(hours=1)
    finally:
        store.close()
        proxy.close()
