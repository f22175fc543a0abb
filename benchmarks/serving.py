"""The app served by uvicorn on a free loopback port, for benchmarks that use it over HTTP."""

from dashboard.serving import served

__all__ = ["served"]
