"""asl2durable: AWS Step Functions (Amazon States Language) → AWS Lambda durable function handlers.

The pipeline, one module a stage: ``loader`` → ``validate`` → ``lower`` (IR, ``ir``) →
``render`` (Jinja + black) → ``writer``. ``translate`` runs it for one definition and
``local.run_local`` runs the result in the durable SDK's local test runner;
``verify.verify`` replays a recorded execution on it, state by state.
"""

from asl2durable.diagnostics import Diagnostic, Severity
from asl2durable.loader import load
from asl2durable.local import LocalResult, run_local
from asl2durable.translate import Translation, translate
from asl2durable.validate import validate
from asl2durable.writer import write_translation

__all__ = [
    "Diagnostic",
    "LocalResult",
    "Severity",
    "Translation",
    "load",
    "run_local",
    "translate",
    "validate",
    "write_translation",
]
