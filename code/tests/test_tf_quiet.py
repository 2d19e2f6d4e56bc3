"""pw06.tf_quiet hides TensorFlow's start-up lines but not later output or errors."""

import subprocess
import sys

SCRIPT = """
from pw06.tf_quiet import load
tf = load()
assert load() is tf
print(float(tf.reduce_sum(tf.ones(3))))
"""


def test_import_prints_nothing_on_stderr():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3.0"
    assert result.stderr == "", result.stderr


def test_stderr_works_again_after_loading():
    script = SCRIPT + "import os\nos.write(2, b'after\\n')\n"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.stderr == "after\n"


def test_native_info_lines_are_dropped_and_other_lines_kept():
    """What TF 2.19 writes at the first Session.run, and a warning that must stay visible."""
    script = (
        "import os, sys\n"
        "from pw06.tf_quiet import native_info_hidden\n"
        "with native_info_hidden():\n"
        "    os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called"
        " are written to STDERR\\n')\n"
        "    os.write(2, b'I0000 00:00:1754.345  4321 mlir_graph_optimization_pass.cc:401]"
        " MLIR V1 optimization pass is not enabled\\n')\n"
        "    os.write(2, b'W0000 00:00:1754.346  4321 op_kernel.cc:1857] a warning\\n')\n"
        "    os.write(2, b'plain text\\n')\n"
        "print('done')\n"
        "os.write(2, b'after\\n')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    assert result.stderr == (
        "W0000 00:00:1754.346  4321 op_kernel.cc:1857] a warning\nplain text\nafter\n"
    )


def test_the_tf1_session_of_the_review_questions_writes_nothing_on_stderr():
    script = "from pw06 import review_questions as rq\nprint(rq.tf_gradients_demo().v1_graph)"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[2.0, 4.0, 6.0]"
    assert result.stderr == "", result.stderr
