"""What a Palabre process counts, for Prometheus (``GET /metrics``): one :class:`Metrics`
object per process, made by the composition root with its own registry and handed to what
counts (the store seam, the live endpoint, the cross-instance listener) at construction.
Nothing here is global: two services in one process (the tests) count apart.

Gauges that describe a state (connections, rooms, projection lag) are not kept up to date by
the code they describe: :meth:`Metrics.render` reads them when scraped, from the small
read-only figures the caller passes (``Figures``). A crash loses the counts, as Prometheus
expects of a restarted process.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Figures:
    """The state a scrape reports, read by the caller just before rendering."""

    connections: int
    rooms: int
    pending_updates: int
    projection_lag: dict[str, int]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.connections = Gauge("palabre_connections", "Open live connections", registry=r)
        self.rooms = Gauge("palabre_rooms", "Documents with a live room loaded", registry=r)
        self.pending = Gauge(
            "palabre_pending_updates", "Updates received and not stored yet", registry=r
        )
        self.contributions = Counter(
            "palabre_contributions_stored", "Contributions stored by this process", registry=r
        )
        self.updates = Counter(
            "palabre_updates_stored",
            "Client updates stored by this process (merged into contributions)",
            registry=r,
        )
        self.flush_seconds = Histogram(
            "palabre_batch_flush_seconds",
            "Time to store one batch of contributions (one transaction)",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.position_conflicts = Counter(
            "palabre_position_conflicts",
            "Batches refused because another instance appended first (then caught up, retried)",
            registry=r,
        )
        self.store_errors = Counter(
            "palabre_store_errors", "Calls to the store that failed (not a refusal)", registry=r
        )
        self.projection_lag = Gauge(
            "palabre_projection_lag",
            "Notifications of the log a projection has not processed yet",
            ["projection"],
            registry=r,
        )
        self.cross_instance_delay = Histogram(
            "palabre_cross_instance_delay_seconds",
            "From another instance's commit to this instance learning of it (wake-up)",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.foreign_contributions = Counter(
            "palabre_foreign_contributions",
            "Contributions stored by another instance and applied to a room here",
            registry=r,
        )
        self.refused_frames = Counter(
            "palabre_refused_frames",
            "Live connections closed for a refused frame, by reason",
            ["reason"],
            registry=r,
        )

    @contextmanager
    def timed_flush(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.flush_seconds.observe(time.perf_counter() - started)

    def stored(self, contributions: int, updates: int) -> None:
        self.contributions.inc(contributions)
        self.updates.inc(updates)

    def render(self, figures: Figures) -> bytes:
        """The text exposition format, with the state gauges set from ``figures``."""
        self.connections.set(figures.connections)
        self.rooms.set(figures.rooms)
        self.pending.set(figures.pending_updates)
        for projection, lag in figures.projection_lag.items():
            self.projection_lag.labels(projection).set(lag)
        return generate_latest(self.registry)
