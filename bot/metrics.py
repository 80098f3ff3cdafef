"""A tiny in-process Prometheus registry: enough for /metrics without another dependency."""

import threading
from collections.abc import Iterable
from typing import TypeVar

_lock = threading.Lock()
_registry: dict[str, "_Metric"] = {}


def _text(value: str, quote: bool = True) -> str:
    value = value.replace("\\", "\\\\").replace("\n", "\\n")
    return value.replace('"', '\\"') if quote else value


class _Metric:
    """A named family of samples keyed by label values; subclasses say what a sample adds."""

    kind, suffixes = "untyped", ("",)

    def __init__(self, name: str, help: str, labels: tuple[str, ...]) -> None:
        self.name, self.help, self.labels = name, help, labels
        self._samples: dict[tuple[str, ...], list[float]] = {}

    def _add(self, labels: dict[str, str], *amounts: float) -> None:
        if set(labels) != set(self.labels):
            raise ValueError(f"{self.name} takes labels {self.labels}, not {tuple(labels)}")
        key = tuple(str(labels[name]) for name in self.labels)
        with _lock:
            sums = self._samples.setdefault(key, [0.0] * len(amounts))
            for i, amount in enumerate(amounts):
                sums[i] += amount

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {_text(self.help, False)}", f"# TYPE {self.name} {self.kind}"]
        for key, sums in sorted(self._samples.items()):
            pairs = ",".join(f'{n}="{_text(v)}"' for n, v in zip(self.labels, key, strict=True))
            labels = f"{{{pairs}}}" if pairs else ""
            for suffix, value in zip(self.suffixes, sums, strict=True):
                number = str(int(value)) if value.is_integer() else repr(value)
                lines.append(f"{self.name}{suffix}{labels} {number}")
        return lines


M = TypeVar("M", bound=_Metric)


class Counter(_Metric):
    """A count that only goes up: requests served, messages sent."""

    kind = "counter"

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        if amount < 0:
            raise ValueError("a counter cannot go down")
        self._add(labels, amount)


class Summary(_Metric):
    """Count and sum of observations such as durations; quantiles are Prometheus's job."""

    kind, suffixes = "summary", ("_count", "_sum")

    def observe(self, value: float, **labels: str) -> None:
        self._add(labels, 1.0, value)


def _register(cls: type[M], name: str, help: str, labels: Iterable[str]) -> M:
    labels = tuple(labels)
    with _lock:
        metric = _registry.setdefault(name, cls(name, help, labels))
    if type(metric) is not cls or metric.labels != labels:
        raise ValueError(f"metric {name} is already registered with another type or labels")
    return metric  # type: ignore[return-value]


def counter(name: str, help: str, labels: Iterable[str] = ()) -> Counter:
    """Get or create a counter; asking twice for one name gives the same counter."""
    return _register(Counter, name, help, labels)


def summary(name: str, help: str, labels: Iterable[str] = ()) -> Summary:
    """Get or create a summary; asking twice for one name gives the same summary."""
    return _register(Summary, name, help, labels)


def render() -> str:
    """Every metric in the Prometheus text exposition format 0.0.4."""
    with _lock:
        lines = [line for _, m in sorted(_registry.items()) for line in m.render()]
    return "".join(line + "\n" for line in lines)
