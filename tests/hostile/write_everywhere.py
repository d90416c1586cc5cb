# Overwrite the repository, the support package, the results, other students.
import eecs598 as _pkg
for _p in ["{REPO}/generative_adversarial_networks.py", "{REPO}/eecs598/grading/grade.py",
           _os.path.join(_os.path.dirname(_pkg.__file__), "grading", "probes.py"),
           "{BATCH}/alice/generative_adversarial_networks.py", "{OUT}/scores.csv", "{OUT}/alice.results.json",
           "/usr/lib/hostile-{TAG}", "/etc/hostile-{TAG}"]:
    try:
        with open(_p, "w") as _f:
            _f.write("hacked")
    except OSError:
        pass
