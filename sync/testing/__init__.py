"""The connector contract suite, published for third-party connectors (``okr_sync.testing``).

A connector package runs the same suite the built-in Jira, GitLab and Planner connectors run::

    import pytest
    from okr_sync.testing import ConnectorContract

    class TestMyTracker(ConnectorContract):
        @pytest.fixture
        def harness(self):
            return MyHarness()        # see okr_sync.testing.Harness

It needs pytest. :func:`declaration_problems` checks what a plugin declares without a tracker.
"""

from okr_sync.testing.contract import ConnectorContract, Harness
from okr_sync.testing.declarations import declaration_problems

__all__ = ["ConnectorContract", "Harness", "declaration_problems"]
