import logging
import sys
from pathlib import Path

# tests/ holds helper modules (conformance.py) imported by the test files.
sys.path.insert(0, str(Path(__file__).parent))


def pytest_configure(config):
    # The durable SDK logs every failed step with a traceback; conformance runs fail many on purpose.
    logging.getLogger("aws_durable_execution_sdk_python").setLevel(logging.CRITICAL)
