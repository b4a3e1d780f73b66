#!/usr/bin/python3
"""Reference for CBPE (confidence-based performance estimation) on loan_default_xgb.

Baseline: the validation rows, scored by the fixture model (onnxruntime;
test/reference/loan_valid_scores.json, made by score_loan_valid.mjs since
this Python has no onnxruntime) with their labels. Traffic: the test rows,
with the fixture's own scores (expected.json `p1`) and the test CSV's labels.

For each traffic window this writes what the labels realised (scikit-learn's
roc_auc_score and accuracy, the positive share) and NumPy's CBPE estimate from
the raw scores (NannyML's method: expected TPR and FPR per threshold from the
calibrated probabilities, the AUC under that curve). Windows: the six
consecutive runs of 1,000 test rows, all 6,000, and "shifted": the test rows
whose interest_rate is in its top third, a covariate shift that moves the
labels with the features (riskier borrowers, more defaults, AUC lower).

    /usr/bin/python3 test/reference/make_cbpe_reference.py > test/reference/cbpe.json

Tests read the JSON, never Python.
"""
import csv
import json

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, roc_auc_score

FIXTURE = "test/fixtures/loan_default_xgb"


def labels_of(path):
    with open(path) as f:
        return np.array([float(r["label"]) for r in csv.DictReader(f)])


def column_of(path, name):
    with open(path) as f:
        return np.array([float(r[name]) for r in csv.DictReader(f)])


with open("test/reference/loan_valid_scores.json") as f:
    valid_p = np.array(json.load(f)["p1"], dtype=np.float64)
valid_y = labels_of(FIXTURE + ".valid.csv")
with open(FIXTURE + ".expected.json") as f:
    test_p = np.array(json.load(f)["p1"], dtype=np.float64)
test_y = labels_of(FIXTURE + ".test.csv")
rate = column_of(FIXTURE + ".test.csv", "interest_rate")


def ece(p, y, bins=10):
    """Expected calibration error over equal-width bins; a score of 1 in the last bin."""
    b = np.minimum(np.floor(p * bins).astype(int), bins - 1)
    total = 0.0
    for k in range(bins):
        m = b == k
        if m.any():
            total += abs(p[m].sum() - y[m].sum())
    return total / len(p)


def cbpe(p):
    """NannyML's CBPE with the scores taken as calibrated probabilities."""
    order = np.argsort(-p, kind="stable")
    q = p[order]
    tp = np.concatenate([[0.0], np.cumsum(q)])
    fp = np.concatenate([[0.0], np.cumsum(1 - q)])
    auc = float(np.trapz(tp / tp[-1], fp / fp[-1]))
    predicted = p > 0.5
    accuracy = float(np.mean(np.where(predicted, p, 1 - p)))
    return {"auc": auc, "accuracy": accuracy, "positive_rate": float(np.mean(p))}


def window(name, idx):
    p = test_p[idx]
    y = test_y[idx]
    return {
        "name": name,
        "rows": [int(i) for i in idx],
        "realised": {
            "auc": float(roc_auc_score(y, p)),
            "accuracy": float(accuracy_score(y, (p > 0.5).astype(float))),
            "positive_rate": float(np.mean(y)),
        },
        "numpy_cbpe": cbpe(p),
    }


n = len(test_p)
windows = [window(f"rows {s}-{s + 999}", np.arange(s, s + 1000)) for s in range(0, n, 1000)]
windows.append(window("all", np.arange(n)))
shifted = np.flatnonzero(rate >= np.quantile(rate, 2 / 3))
windows.append(window("shifted: interest_rate top third", shifted))

print(
    json.dumps(
        {
            "numpy": np.__version__,
            "sklearn": sklearn.__version__,
            "baseline": {"rows": int(len(valid_p)), "positives": int(valid_y.sum()), "ece": ece(valid_p, valid_y), "auc": float(roc_auc_score(valid_y, valid_p))},
            "windows": windows,
        }
    )
)
