"""The README's notifier plugin recipe runs as written, against a real HTTP receiver."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import pytest

from monitor.alerts.delivery.dispatcher import scrub
from monitor.alerts.notifiers.base import Notifier
from monitor.errors import NotifierError
from tests.receivers import Receiver, Reply
from tests.unit.alerts.notifiers.alert_payloads import alert_payload, notification

pytestmark = pytest.mark.integration

README = Path(__file__).parents[3] / "README.md"


def _recipe() -> type[Notifier]:
    """The ChatOpsNotifier class from the README's Plugins section, executed."""
    text = README.read_text(encoding="utf-8")
    [code] = re.findall(r"```python\n(# my_package/chatops\.py\n.*?)```", text, re.DOTALL)
    module = types.ModuleType("readme_chatops")  # pydantic resolves names in the module
    sys.modules[module.__name__] = module
    try:
        exec(compile(code, "README.md", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    cls = module.__dict__["ChatOpsNotifier"]
    assert issubclass(cls, Notifier)
    return cls


def test_recipe_delivers_a_group_and_keeps_its_token_secret(receiver: Receiver) -> None:
    """The recipe posts one message per run with its bearer token; failures hide the token."""
    cls = _recipe()
    config = cls.Config.model_validate(
        {"type": "chatops", "url": receiver.url + "/api", "channel": "#ml",
         "token": "tok-9f8e7d6c"})
    notifier = cls(config)
    notifier.deliver_group([notification(alert_payload(alert=a)) for a in ("x", "y")])
    [request] = receiver.requests
    assert json.loads(request.body) == {"channel": "#ml", "text": "credit-scoring: FIRING 2 (x, y)"}
    assert request.headers["Authorization"] == "Bearer tok-9f8e7d6c"
    receiver.script = [Reply(503)]
    with pytest.raises(NotifierError) as info:
        notifier.deliver(notification(alert_payload()))
    assert info.value.retryable
    assert "tok-9f8e7d6c" in notifier.secrets()
    assert "tok-9f8e7d6c" not in scrub(info.value.message, notifier.secrets())
    notifier.close()
