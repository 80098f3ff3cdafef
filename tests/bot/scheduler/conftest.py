from tests.support import bank, clock, db, rules  # noqa: F401
