#!/usr/bin/python3
"""Reference numbers for live performance on loan_default_xgb (test rows as traffic).

Scores are the fixture's own (expected.json `p1`, onnxruntime's float32
outputs); labels are the test CSV's. Run from the repository root with the
Debian Python that has scikit-learn:

    /usr/bin/python3 test/reference/make_performance_reference.py > test/reference/performance.json

Tests read the JSON, never Python.
"""
import csv
import json
import sys

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

with open("test/fixtures/loan_default_xgb.expected.json") as f:
    p1 = np.array(json.load(f)["p1"], dtype=np.float64)
with open("test/fixtures/loan_default_xgb.test.csv") as f:
    y = np.array([int(float(r["label"])) for r in csv.DictReader(f)])
# The predict answer's label is the argmax of the two probabilities.
predicted = (p1 > 0.5).astype(int)


def metrics(labels):
    return {
        "auc": roc_auc_score(labels, p1),
        "log_loss": log_loss(labels, np.column_stack([1 - p1, p1]), eps=1e-15),
        "accuracy": accuracy_score(labels, predicted),
        "positive_rate": float(np.mean(labels)),
        "mean_predicted": float(np.mean(p1)),
        "rows": int(len(labels)),
    }


flipped = y.copy()
flipped[1::2] = 1 - flipped[1::2]
out = {
    "generated_by": "test/reference/make_performance_reference.py",
    "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "sklearn": sklearn.__version__},
    "true_labels": metrics(y),
    "half_flipped": {"rule": "labels of odd rows (0-based index % 2 == 1) flipped", **metrics(flipped)},
}
json.dump(out, sys.stdout, indent=1)
print()
