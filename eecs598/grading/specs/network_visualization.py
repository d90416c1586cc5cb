"""Public graded tests of ``network_visualization.ipynb``: Q3 (15) and its extensions Q3X (5)."""
from . import Test

# Outcome tolerances: gradient steps within +-1 of the reference (atol 1), the mean step length
# within 5 % (a 1e-5 in the normaliser changes it by far less).
ADVERSARIAL = {"steps": (0.0, 1.0), "step_length": (0.05, 0.0)}

PUBLIC = [
    # ------------------------------------------------------------------ Q3
    Test("compute_saliency_maps", "Q3", 6, "saliency", {"N": 3, "size": 16, "seed": 0},
         ["compute_saliency_maps"]),
    # judged by its outcome (fooled, gradient steps within +-1, step length within 5 %), not its path
    Test("make_adversarial_attack", "Q3", 5, "adversarial", {"shift": 3, "seed": 0},
         ["make_adversarial_attack"], tol=ADVERSARIAL),
    # judged by the direction of the step only (the original leaves its length open)
    Test("class_visualization_step", "Q3", 4, "class_viz_step",
         {"target": 3, "seed": 0, "kwargs": {"l2_reg": 0.05, "learning_rate": 3.0}},
         ["class_visualization_step"], rtol=1e-3, atol=2e-5),
    # ------------------------------------------------------------------ Q3X
    Test("pgd_attack", "Q3X", 2, "pgd", {"seed": 0}, ["pgd_attack"], atol=1e-5),
    Test("smooth_grad (stdev 0 equals saliency)", "Q3X", 1.5, "saliency",
         {"fn": "smooth_grad", "N": 2, "seed": 2, "extra": {"num_samples": 3, "stdev": 0.0}},
         ["smooth_grad"]),
    Test("grad_cam", "Q3X", 1.5, "grad_cam", {"seed": 0}, ["grad_cam"]),
]
