"""Reference values for Welch's t test on squared errors (src/releases/noninferiority.spec.ts).
Run with /usr/bin/python3 (scipy); writes test/reference/welch.json."""
import json
import numpy as np
from scipy import stats

rng = np.random.default_rng(7)
cases = []
for name, sa, sb, na, nb in [("wider candidate", 1.1, 1.0, 40, 55), ("equal", 1.0, 1.0, 300, 280), ("much worse", 2.0, 1.0, 30, 30)]:
    a = rng.normal(0, sa, na) ** 2
    b = rng.normal(0, sb, nb) ** 2
    va, vb = a.var(ddof=1) / na, b.var(ddof=1) / nb
    df = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))
    t = stats.ttest_ind(a, b, equal_var=False)
    upper95 = a.mean() - b.mean() + np.sqrt(va + vb) * stats.t.ppf(0.95, df)
    cases.append({"name": name, "a": a.tolist(), "b": b.tolist(), "statistic": float(t.statistic), "df": float(df), "upper95": float(upper95)})
json.dump({"cases": cases}, open("test/reference/welch.json", "w"))
