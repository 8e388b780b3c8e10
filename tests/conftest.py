import logging
import os
import sys
from pathlib import Path

import pytest

from asl2durable.run.aws_local import reset_clients

# tests/ holds helper modules (conformance.py) imported by the test files. The support modules
# (``import asl_runtime``, by plain name as a generated handler imports them) need no entry:
# importing asl2durable makes them importable, with one identity (``_resources.support_module``).
sys.path.insert(0, str(Path(__file__).parent))


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


def pytest_xdist_auto_num_workers(config):
    """``-n auto``: one worker more than the CPUs. A good share of the suite waits (Lambda
    functions that outlast their Task's TimeoutSeconds, subprocesses, a browser), and a third
    worker keeps two CPUs busy meanwhile."""
    return (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1) + 1
