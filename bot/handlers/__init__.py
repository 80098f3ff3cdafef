"""What each command, button and form does; one module per area, all on one router.

Handler modules register themselves with `@router.command`, `@router.action`
and `@router.form`; every module in this package is loaded by `load()`.
"""

import importlib
import pkgutil

from bot.router import Router

router = Router()


def load() -> Router:
    """Import every handler module once, so their registrations run."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return router
