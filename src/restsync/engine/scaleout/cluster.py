"""Connecting to Ray: a local instance for the run, or a running cluster.

* **Local** (no ``--ray-address``): restsync starts a new Ray instance (never one it finds
  through ``RAY_ADDRESS`` or ``/tmp/ray``, which ``ray.init()`` would join) with ``--workers`` CPUs, every Ray
  process on ``127.0.0.1`` (``_node_ip_address`` and Ray's single-node mode: without it Ray
  2.60 replaces a loopback node address by the interface address, and its GCS, raylet and
  workers listen on every interface), no dashboard, usage stats off, and shuts it down
  when the run ends.
  Token authentication: Ray 2.60 turns it on for a new local instance and then *writes*
  ``~/.ray/auth_token`` if it is missing. restsync does not let a data sync write a
  credential into the home directory, and does not leave the instance open to every local
  user either: unless ``RAY_AUTH_MODE`` is set, it runs the instance with
  ``RAY_AUTH_MODE=token`` and a random token of this run in ``RAY_AUTH_TOKEN`` (inherited by
  the Ray processes it starts, never written to disk), and restores the environment after.
  ``RAY_AUTH_MODE=disabled`` (or ``token`` with your own token) is respected as set.
* **Cluster** (``--ray-address auto|ray://host:10001|host:6379``): restsync joins, and
  disconnects at the end. Token authentication is the cluster's business: restsync passes
  nothing and reads no token itself; Ray reads ``RAY_AUTH_TOKEN``, ``RAY_AUTH_TOKEN_PATH``
  or ``~/.ray/auth_token`` (when ``RAY_AUTH_MODE`` is unset and that file exists, Ray turns
  token authentication on: a driver then cannot join a head started without it).
* **Already connected** (the Python API called ``ray.init`` itself): restsync uses that
  connection and leaves it open.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

from restsync.errors import ConfigError

__all__ = ["LOOPBACK", "import_ray", "ray_session"]

LOOPBACK = "127.0.0.1"


def import_ray() -> Any:
    """The ``ray`` module.

    Raises:
        ConfigError: Ray is not installed (names the extra).
    """
    try:
        import ray
    except ImportError:
        raise ConfigError("--executor ray needs Ray: pip install 'restsync[ray]'",
                          location="--executor") from None
    return ray


_SINGLE_NODE = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
"""Ray's switch of its single-node mode (its default on macOS and Windows): ``0`` keeps the
node address on loopback. Ray 2.60 rewrites ``_node_ip_address="127.0.0.1"`` into the
interface address otherwise, and its servers then listen on every interface."""


@contextmanager
def _loopback_node(ray: Any) -> Iterator[None]:
    """Ray's single-node mode for ``ray.init`` (the environment sets it for the processes
    Ray starts; a Ray imported before that read the switch already: set it for the call)."""
    constants = ray._private.ray_constants
    before = constants.ENABLE_RAY_CLUSTER
    constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        constants.ENABLE_RAY_CLUSTER = before


def _forget_cached_token() -> None:
    """Make this process read ``RAY_AUTH_MODE``/``RAY_AUTH_TOKEN`` again: Ray reads them
    into its config when it is imported and caches the token (Ray 2.60's own
    ``ray.init`` refreshes them the same way when it turns token authentication on)."""
    try:
        from ray._raylet import (  # type: ignore[attr-defined]
            AuthenticationTokenLoader,
            Config,
        )
    except ImportError:  # pragma: no cover - another Ray version: nothing cached there
        return
    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()


@contextmanager
def ray_session(address: str | None, workers: int) -> Iterator[Any]:
    """Ray, connected for the duration of the block (see the module docstring).

    Args:
        address: ``None`` for a local instance, else what ``ray.init(address=...)`` takes.
        workers: CPUs of the local instance.

    Raises:
        ConfigError: Ray is missing, or the cluster cannot be reached.
    """
    env = {"RAY_USAGE_STATS_ENABLED": "0"}
    if address is None:
        env[_SINGLE_NODE] = "0"
        if "RAY_AUTH_MODE" not in os.environ:
            env |= {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    with patch.dict(os.environ, env):  # restored as it was afterwards
        ray = import_ray()
        if ray.is_initialized():
            yield ray
            return
        _forget_cached_token()
        try:
            if address is None:
                with _loopback_node(ray):
                    # "local": a new instance, never one found through RAY_ADDRESS or
                    # /tmp/ray (Ray joins those when the address is left out)
                    ray.init(address="local", num_cpus=workers, include_dashboard=False,
                             _node_ip_address=LOOPBACK, log_to_driver=False,
                             configure_logging=False)
            else:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(f"cannot connect to Ray at {address or 'a local instance'}: "
                              f"{str(exc)[:300]}", location="--ray-address") from None
        try:
            yield ray
        finally:
            ray.shutdown()
            _forget_cached_token()
