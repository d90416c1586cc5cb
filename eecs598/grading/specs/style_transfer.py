"""Public graded tests of ``style_transfer.ipynb``: Q4 (15) and its extensions Q4X (5)."""
from . import Test, call, randn

PUBLIC = [
    # ------------------------------------------------------------------ Q4
    Test("content_loss", "Q4", 2, "call",
         call("content_loss", 6e-2, randn(1, 8, 6, 7, seed=1), randn(1, 8, 6, 7, seed=2), grads=[1]), ["content_loss"]),
    Test("gram_matrix", "Q4", 4, "call", call("gram_matrix", randn(1, 16, 6, 5, seed=3), grads=True), ["gram_matrix"]),
    Test("gram_matrix normalize=False", "Q4", 1, "call",
         call("gram_matrix", randn(1, 4, 3, 5, seed=4), normalize=False, grads=True), ["gram_matrix"]),
    Test("style_loss", "Q4", 4, "call",
         call("style_loss", [randn(1, 3, 8, 8, seed=5), randn(1, 4, 6, 6, seed=6), randn(1, 6, 4, 4, seed=7)],
              [0, 2], [randn(1, 3, 3, seed=8, scale=0.1), randn(1, 6, 6, seed=9, scale=0.1)], [300.0, 2.0], grads=[0]),
         ["style_loss", "gram_matrix"]),
    Test("tv_loss", "Q4", 3, "call", call("tv_loss", randn(1, 3, 8, 8, seed=10), 2e-2, grads=[0]), ["tv_loss"]),
    Test("tv_loss has no Python loop", "Q4", 1, "call", call("tv_loss", randn(1, 3, 5, 9, seed=11), 0.5),
         ["tv_loss"], static="no_loop:tv_loss"),
    # ------------------------------------------------------------------ Q4X
    Test("guided_gram_matrix", "Q4X", 2.5, "call",
         call("guided_gram_matrix", randn(1, 2, 4, 5, 6, seed=12), {"t": "rand", "shape": [1, 2, 5, 6], "seed": 13}),
         ["guided_gram_matrix"]),
    Test("guided_style_loss", "Q4X", 2.5, "call",
         call("guided_style_loss", [randn(1, 3, 5, 6, seed=14), randn(1, 4, 5, 6, seed=15)], [1],
              [randn(1, 2, 4, 4, seed=16, scale=0.1)], [10.0],
              [{"t": "rand", "shape": [1, 2, 5, 6], "seed": 17}, {"t": "rand", "shape": [1, 2, 5, 6], "seed": 18}]),
         ["guided_style_loss", "guided_gram_matrix"]),
]
