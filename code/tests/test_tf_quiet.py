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
