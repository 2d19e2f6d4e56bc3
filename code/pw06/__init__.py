"""pw06 — code for the lab "Deep Learning Frameworks" (TensorFlow 2), one module per chapter.

Modules (each matches one chapter of the handbook):

- ``computational_graphs`` — a scalar autodiff engine and the logistic-regression graph (Ex. 1)
  (figures and tables of a graph: ``graph_drawing``; its checks against TensorFlow and
  finite differences: ``graph_checks``)
- ``installation``        — ``verify_installation()`` for your own set-up (Ex. 2)
- ``data``                — the MNIST digits, offline by default (Ex. 3 and 4)
- ``lowlevel_mlp``        — the MLP in low-level TensorFlow, the lesson (Ex. 3)
- ``keras_mlp``           — the same MLP in Keras (Ex. 4)
- ``review_questions``    — the executed evidence behind the review answers (Ex. 5)
- ``environment``         — versions, hardware and seeds for the reproducibility appendix

Tooling beside the MLP lessons, named for what it does:

- ``training``   — runs of the lesson's MLP: run settings (``Settings``), examples
  (``Examples``), histories, eager/step/graph modes, many seeds (``fit_seeds``, also Keras's)
- ``keras_training`` — the Keras models of ``keras_mlp`` fitted, timed and evaluated like the
  low-level runs (``fit_keras``, ``EpochClock``, ``default_batch_size``)
- ``timing``     — wall and CPU time (``Stopwatch`` with injectable clocks)
- ``reports``    — summaries and verdicts of the low-level runs, as dataclasses with ``glue()``
- ``comparison`` — the Keras vs low-level comparison of Ex. 4, likewise
- ``plots``      — the MLP chapters' figures
- ``publish``    — ``publish(result, ...)``: glue a result's values from a removed cell
- ``check``      — the workbooks' self-checks: ``check.train_step(train_step)`` prints ✓, or ✗
  with a hint naming the likely mistake
- ``handin``     — ``pw06-handin``: run the student's notebooks again and pack them, the report
  and a manifest into ``pw06-<student>.zip``

Importing ``pw06`` does not import TensorFlow; modules that need it use ``pw06.tf_quiet``.
"""

__version__ = "1.0.0"
