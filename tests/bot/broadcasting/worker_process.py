"""A delivery worker in its own process (the SIGKILL test starts, kills and restarts it).

Usage: python tests/bot/broadcasting/worker_process.py OWNER, with DATABASE_URL, SLACK_* and
HX_DELIVERY_LIMITS (JSON of `DeliveryLimits` fields) in the environment. Exits 0 when nothing is pending.
"""

import asyncio
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from bot.bootstrap import bootstrap, close  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.delivery.limits import DeliveryLimits  # noqa: E402
from tests.bot.broadcasting.stage import drain  # noqa: E402


async def main(owner: str) -> None:
    services = await bootstrap(load_settings())
    services.notifier.configure(services.settings)
    services.notifier.limits = DeliveryLimits(**json.loads(os.environ.get("HX_DELIVERY_LIMITS", "{}")))
    try:
        await drain(services, owner, lambda: asyncio.sleep(0.1))
    finally:
        await services.notifier.close()
        await close(services)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
