"""Import TensorFlow without its start-up log lines.

TensorFlow's C++ runtime writes informational lines (oneDNN notice, CUDA probing, CPU feature
guard) straight to file descriptor 2 *before* its logging is configured, so the environment
variable ``TF_CPP_MIN_LOG_LEVEL`` cannot silence them all. In a notebook those lines land in the
cell output. ``load()`` imports TensorFlow with file descriptor 2 pointed at a temporary file,
initialises the devices (which prints the rest), then restores it. If the import fails, the
captured log is printed with the error, so nothing is lost.

oneDNN stays **on** (its speed is measured in ``scripts/benchmark.py``); only its notice is
hidden.
"""

from __future__ import annotations

import os
import sys
import tempfile

_tf = None


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
