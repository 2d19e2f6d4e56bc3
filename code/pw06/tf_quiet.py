"""Import TensorFlow without its start-up log lines.

TensorFlow's C++ runtime writes informational lines (oneDNN notice, CUDA probing, CPU feature
guard) straight to file descriptor 2 *before* its logging is configured, so the environment
variable ``TF_CPP_MIN_LOG_LEVEL`` cannot silence them all. In a notebook those lines land in the
cell output. ``load()`` imports TensorFlow with file descriptor 2 pointed at a temporary file,
initialises the devices (which prints the rest), then restores it. If the import fails, the
captured log is printed with the error, so nothing is lost.

oneDNN stays **on** (its speed is measured in ``scripts/benchmark.py``); only its notice is
hidden.

Some TensorFlow releases log more INFO lines later, from C++ code that ignores
``TF_CPP_MIN_LOG_LEVEL`` (2.19's graph optimiser says "MLIR V1 optimization pass is not
enabled" at the first ``tf.compat.v1.Session.run``). ``native_info_hidden()`` wraps such a call:
it drops the INFO lines written to file descriptor 2 meanwhile (and absl's one-line preamble
to the first of them) and passes every other line on.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

_tf = None

#: An INFO line of TensorFlow's C++ logging (absl's format), e.g.
#: ``I0000 00:00:1754.345  4321 file.cc:401] …``.
NATIVE_INFO = re.compile(r"^I\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] ")
#: The line absl writes once, before its first log line, when nothing initialised its logging.
ABSL_PREAMBLE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
)


@contextlib.contextmanager
def native_info_hidden():
    """Within the block, TensorFlow's C++ INFO lines are dropped from file descriptor 2; any
    other line written there (warnings, errors) is written to ``sys.stderr`` afterwards."""
    sys.stderr.flush()
    saved_fd = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            log.seek(0)
            lines = log.read().decode("utf-8", "replace").splitlines(keepends=True)
            kept = "".join(
                line
                for line in lines
                if not NATIVE_INFO.match(line) and line.rstrip("\n") != ABSL_PREAMBLE
            )
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


def load():
    """Return the ``tensorflow`` module, imported once with its start-up noise captured."""
    global _tf
    if _tf is not None:
        return _tf
    if "tensorflow" in sys.modules:  # someone imported it already: nothing left to hide
        _tf = sys.modules["tensorflow"]
        return _tf
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # C++ INFO and WARNING after set-up
    sys.stderr.flush()
    saved_fd = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as log:
        os.dup2(log.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_logical_devices()  # device initialisation prints its own lines
            tf.get_logger().setLevel("ERROR")
        except BaseException:
            os.dup2(saved_fd, 2)
            log.seek(0)
            sys.stderr.write(log.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
    _tf = tf
    return tf
