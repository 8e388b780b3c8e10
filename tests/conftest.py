import logging
import sys
from pathlib import Path

import pytest

from asl2durable.aws_local import reset_clients
from asl2durable.translate import RUNTIME_DIR

# tests/ holds helper modules (conformance.py) imported by the test files.
sys.path.insert(0, str(Path(__file__).parent))
# The support modules import each other by plain name, as they do next to a generated handler.
sys.path.insert(1, str(RUNTIME_DIR))


@pytest.fixture(autouse=True)
def _fresh_aws_clients():
    """Every test starts with no cached AWS client (``asl_aws``): a client made inside one
    test's emulation must not serve the next test."""
    reset_clients()
    yield
    reset_clients()


def pytest_configure(config):
    # The durable SDK logs every failed step with a traceback; conformance runs fail many on purpose.
    logging.getLogger("aws_durable_execution_sdk_python").setLevel(logging.CRITICAL)
