"""The simulator's own fixtures, for its own tests."""

from .fixtures import ca_bundle_env, graph_client, graph_sim

__all__ = ["ca_bundle_env", "graph_client", "graph_sim"]
