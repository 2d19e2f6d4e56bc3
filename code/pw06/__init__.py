"""pw06 — code for the lab "Deep Learning Frameworks" (TensorFlow 2), one module per chapter.

Modules (each matches one chapter of the handbook):

- ``computational_graphs`` — a scalar autodiff engine and the logistic-regression graph (Ex. 1)
- ``installation``        — ``verify_installation()`` for your own set-up (Ex. 2)
- ``data``                — the MNIST digits, offline by default (Ex. 3 and 4)
- ``lowlevel_mlp``        — the MLP in low-level TensorFlow (Ex. 3)
- ``keras_mlp``           — the same MLP in Keras, and the fair comparison (Ex. 4)
- ``review_questions``    — the executed evidence behind the review answers (Ex. 5)
- ``environment``         — versions, hardware and seeds for the reproducibility appendix

and ``check``, the self-checks of the student workbooks: ``check.train_step(train_step)``
prints ✓ or ✗ with a hint naming the likely mistake.

Importing ``pw06`` does not import TensorFlow; modules that need it use ``pw06.tf_quiet``.
"""

__version__ = "1.0.0"
