#!/usr/bin/python3
"""Reference values for src/monitoring (sketches and drift statistics).

Run from the repository root with Debian's python3-numpy, python3-scipy and
python3-sklearn:  /usr/bin/python3 test/reference/make_reference.py

Writes test/reference/*.json. The TypeScript tests compare against these
files and never run Python. Inputs are either stored in the JSON (floats
written with repr, so they round-trip exactly) or read from the committed
fixtures under test/fixtures, named by file, column and row range.
"""
import csv
import json
import math
import os
import sys

import numpy as np
import scipy
import sklearn
from scipy import special, stats
from scipy.spatial.distance import jensenshannon
from sklearn.metrics import roc_auc_score

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'test', 'reference')
FIXTURES = os.path.join(ROOT, 'test', 'fixtures')
QUANTILE_KEYS = ['0.01', '0.05', '0.1', '0.25', '0.5', '0.75', '0.9', '0.95', '0.99']
PSI_MIN_PROPORTION = 1e-4
UNSEEN = '(unseen)'
UNSEEN_PSEUDO_COUNT = 0.5


def clean(x):
    """JSON-safe: NaN becomes null, numpy scalars become Python numbers."""
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [clean(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return None if math.isnan(x) else x
    return x


def write(name, data):
    data = {'generated_by': 'test/reference/make_reference.py',
            'versions': {'python': sys.version.split()[0], 'numpy': np.__version__,
                         'scipy': scipy.__version__, 'sklearn': sklearn.__version__},
            **data}
    with open(os.path.join(OUT, name), 'w') as f:
        json.dump(clean(data), f, separators=(',', ':'))
        f.write('\n')
    print('wrote', name, os.path.getsize(os.path.join(OUT, name)), 'bytes')


def load_fixture(name):
    with open(os.path.join(FIXTURES, name), newline='') as f:
        r = csv.reader(f)
        header = next(r)
        rows = np.array([[float(v) for v in row] for row in r])
    return {h: rows[:, i] for i, h in enumerate(header)}


LOAN = {part: load_fixture(f'loan_default_xgb.{part}.csv') for part in ('train', 'valid', 'test')}
LOAN_SPEC = json.load(open(os.path.join(FIXTURES, 'loan_default_xgb.expected.json')))


def fixture_column(ref):
    x = LOAN[ref['file']][ref['column']][ref['start']:ref['end']]
    return x + ref['shift'] if ref.get('shift') else x


# The sketch's bin convention (src/monitoring/sketch/bins.ts): quantile edges
# at np.linspace(0, 1, bins + 1), repeats dropped; a constant feature gets
# [v, nextafter(v, inf)]. Baseline counts are np.histogram on those edges.
def quantile_edges(x, bins):
    e = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)))
    if len(e) == 1:
        e = np.array([e[0], np.nextafter(e[0], np.inf)])
    return e


def live_bins(edges, x):
    x = x[~np.isnan(x)]
    inside = x[(x >= edges[0]) & (x <= edges[-1])]
    return {'underflow': int(np.sum(x < edges[0])), 'counts': np.histogram(inside, edges)[0].tolist(),
            'overflow': int(np.sum(x > edges[-1]))}


def psi(expected, actual, floor=PSI_MIN_PROPORTION):
    e = np.asarray(expected, float)
    a = np.asarray(actual, float)
    e = np.maximum(e / e.sum(), floor)
    a = np.maximum(a / a.sum(), floor)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_on_bins(baseline_counts, live):
    return psi([0, *baseline_counts, 0], [live['underflow'], *live['counts'], live['overflow']])


def chi_against_baseline(baseline, live):
    """The chi-square of src/monitoring/stats/chi-square.ts, by scipy."""
    cats = [k for k, v in baseline.items() if v > 0]
    base = [baseline[k] for k in cats]
    obs = [live.get(k, 0) for k in cats]
    unseen = sum(v for k, v in live.items() if baseline.get(k, 0) <= 0)
    if unseen > 0:
        cats.append(UNSEEN)
        base.append(0)
        obs.append(unseen)
    weights = np.array([UNSEEN_PSEUDO_COUNT if c == UNSEEN else b for c, b in zip(cats, base)], float)
    expected = sum(obs) * weights / weights.sum()
    r = stats.chisquare(obs, expected)
    return {'categories': cats, 'observed': obs, 'expected': expected.tolist(),
            'statistic': float(r.statistic), 'pvalue': float(r.pvalue),
            'js_distance': float(jensenshannon(base, obs, base=2))}


def frequencies(x):
    values, counts = np.unique(x[~np.isnan(x)], return_counts=True)
    return {str(int(v)) if float(v).is_integer() else repr(float(v)): int(c) for v, c in zip(values, counts)}


def sketch_reference():
    rng = np.random.default_rng(20240601)
    cases = []

    def add(name, values, bins=10):
        values = np.asarray(values, float)
        x = np.sort(values[~np.isnan(values)])
        edges = quantile_edges(x, bins)
        cases.append({
            'name': name, 'bins': bins, 'values': values.tolist(),
            'count': int(len(x)), 'missing': int(np.isnan(values).sum()),
            'edges': edges.tolist(), 'counts': np.histogram(x, edges)[0].tolist(),
            'quantiles': dict(zip(QUANTILE_KEYS, np.quantile(x, [float(k) for k in QUANTILE_KEYS]).tolist())),
            'mean': float(np.mean(x)), 'std': float(np.std(x)), 'min': float(x[0]), 'max': float(x[-1]),
        })

    add('standard normal, 1000 values', rng.normal(size=1000))
    add('lognormal incomes, 997 values', rng.lognormal(10.5, 0.6, size=997))
    add('normal with 10% missing', np.where(rng.random(800) < 0.1, np.nan, rng.normal(3, 2, size=800)))
    add('four integer codes, heavily tied', rng.choice([0, 1, 2, 3], p=[0.7, 0.2, 0.07, 0.03], size=500).astype(float))
    add('three distinct values', rng.choice([-1.0, 0.0, 1.0], size=300))
    add('90% zeros then a continuous tail', np.where(rng.random(1000) < 0.9, 0.0, rng.exponential(5, size=1000)))
    add('two values', [4.0, 1.0])
    add('one value', [2.5])
    add('seven values', rng.normal(size=7))
    add('constant', np.full(50, 3.5))
    add('large offset, tiny spread', 1e6 + rng.normal(size=400) * 1e-3)
    add('uniform, 5 bins', rng.random(1000), bins=5)
    add('uniform, 20 bins', rng.random(1001), bins=20)
    add('normal, 100 bins', rng.normal(size=2000), bins=100)
    add('integers 0..9, 10 bins', rng.integers(0, 10, size=999).astype(float))
    for ref_col in ('income', 'age', 'delinquencies'):
        x = LOAN['valid'][ref_col]
        edges = quantile_edges(x, 10)
        cases.append({'name': f'loan_default valid {ref_col}', 'bins': 10,
                      'fixture': {'file': 'valid', 'column': ref_col, 'start': 0, 'end': len(x)},
                      'count': int(len(x)), 'missing': 0, 'edges': edges.tolist(),
                      'counts': np.histogram(x, edges)[0].tolist(),
                      'quantiles': dict(zip(QUANTILE_KEYS, np.quantile(x, [float(k) for k in QUANTILE_KEYS]).tolist())),
                      'mean': float(np.mean(x)), 'std': float(np.std(x)), 'min': float(x.min()), 'max': float(x.max())})

    live = []
    for name, edges, x in [
        ('inside, below and above', [0.0, 1.0, 2.0, 3.0], [-1.0, 0.0, 0.5, 1.0, 2.999, 3.0, 3.0001, 7.0, np.nan]),
        ('normal against uniform edges', np.linspace(-2, 2, 11), rng.normal(size=500)),
    ]:
        live.append({'name': name, 'edges': list(edges), 'values': list(x), **live_bins(np.asarray(edges), np.asarray(x, float))})
    write('sketch.json', {'cases': cases, 'live_bins': live})


def kolmogorov_reference():
    ns = [1, 2, 3, 5, 10, 20, 50, 100, 139, 140, 141, 200, 500, 1000, 4500, 5000, 10000, 100000, 100001, 250000]
    rows = []
    for n in ns:
        ds = {0.4 / n, 0.75 / n, 1 / n, 1.5 / n, 3 / n, 0.3, 0.45, 0.5, 0.55, 0.7, 0.95, 1 - 0.5 / n}
        for c in (0.3, 0.5, 0.7, 0.76, 1.0, 1.5, 2.0, 2.1, 2.3, 3.0, 3.9, 4.1, 6.0, 10.0, 17.0, 19.0, 50.0, 100.0, 369.0, 371.0):
            ds.add(math.sqrt(c / n))
        for c in (0.5, 0.9, 1.1, 2.0):
            ds.add(c * (1.4 / n) ** (2 / 3))
        for d in sorted(ds):
            if 0 < d < 1:
                rows.append([n, d, float(stats.kstwo.sf(d, n))])
    smirnov = []
    for n in (2, 3, 5, 10, 11, 50, 100, 1000, 1012, 1013, 5000, 20000):
        for d in (0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0 / n, 2.0 / n, 2.5 / n, math.sqrt(2.2 / n), math.sqrt(30 / n)):
            if 0 <= d <= 1:
                smirnov.append([n, d, float(special.smirnov(n, d))])
    write('kolmogorov.json', {'kstwo_sf': rows, 'smirnov': smirnov})


def ks_reference():
    rng = np.random.default_rng(7)
    cases = []

    def add(name, a, b):
        a_ref = a if isinstance(a, dict) else None
        b_ref = b if isinstance(b, dict) else None
        av = fixture_column(a) if a_ref else np.asarray(a, float)
        bv = fixture_column(b) if b_ref else np.asarray(b, float)
        r = stats.ks_2samp(av, bv)
        n1, n2 = len(av), len(bv)
        case = {'name': name, 'n1': n1, 'n2': n2, 'statistic': float(r.statistic), 'pvalue': float(r.pvalue),
                'method': 'exact' if max(n1, n2) <= 10000 else 'asymp'}
        case['a'] = a_ref if a_ref else av.tolist()
        case['b'] = b_ref if b_ref else bv.tolist()
        cases.append(case)

    add('5 against 4', rng.normal(size=5), rng.normal(size=4))
    add('8 against 7, shifted', rng.normal(size=8), rng.normal(1, 1, size=7))
    add('10 against 10', rng.normal(size=10), rng.normal(size=10))
    add('one against one', [0.5], [1.5])
    add('one against ten', [0.0], rng.normal(size=10))
    add('3 against 1000', rng.normal(size=3), rng.normal(size=1000))
    add('20 against 15, shifted by 1', rng.normal(size=20), rng.normal(1, 1, size=15))
    add('integer codes with ties, 30 against 40', rng.integers(0, 5, size=30), rng.integers(0, 5, size=40))
    add('identical samples', [1.0, 2.0, 3.0, 3.0, 4.0], [1.0, 2.0, 3.0, 3.0, 4.0])
    add('disjoint samples, 12 against 9', rng.normal(size=12), rng.normal(10, 1, size=9))
    add('100 against 80, shifted by 0.5', rng.normal(size=100), rng.normal(0.5, 1, size=80))
    add('100 against 100, shifted by 0.3', rng.normal(size=100), rng.normal(0.3, 1, size=100))
    add('1000 against 5000', rng.normal(size=1000), rng.normal(size=5000))
    add('2000 against 2000, shifted by 0.1', rng.normal(size=2000), rng.normal(0.1, 1, size=2000))
    add('997 against 1003, lognormal against normal', rng.lognormal(size=997), rng.normal(1.5, 1, size=1003))
    add('500 against 7, shifted', rng.normal(size=500), rng.normal(0.8, 1, size=7))

    def col(file, column, start=0, end=None, shift=0.0):
        x = LOAN[file][column]
        return {'file': file, 'column': column, 'start': start, 'end': len(x) if end is None else end, 'shift': shift}

    half_sd = {c: 0.5 * float(np.std(LOAN['valid'][c])) for c in LOAN_SPEC['feature_names']}
    add('loan train income against valid income (asymptotic, n = 4500)', col('train', 'income'), col('valid', 'income'))
    add('loan train age (12000) against 40 test rows (asymptotic, n = 40)', col('train', 'age', 0, 12000), col('test', 'age', 0, 40))
    add('loan train debt_ratio against 137 test rows (asymptotic, n = 136)', col('train', 'debt_ratio'), col('test', 'debt_ratio', 0, 137))
    add('loan train age (10001) against 9 test rows (asymptotic, n = 9)', col('train', 'age', 0, 10001), col('test', 'age', 100, 109))
    add('loan train utilization against 1000 shifted test rows (asymptotic, tiny p)', col('train', 'utilization'),
        col('test', 'utilization', 0, 1000, half_sd['utilization']))
    add('loan train tenure against 2000 test rows (asymptotic, n = 1800)', col('train', 'tenure_months'), col('test', 'tenure_months', 2000, 4000))
    add('loan train region codes against 3000 test rows (asymptotic, ties)', col('train', 'region', 0, 10001), col('test', 'region', 0, 3000))
    add('loan valid income against 1000 test rows (exact)', col('valid', 'income'), col('test', 'income', 0, 1000))
    add('loan valid against test interest_rate, 6000 each (exact, equal sizes)', col('valid', 'interest_rate'), col('test', 'interest_rate'))
    add('loan valid loan_amount against 1000 shifted test rows (exact, tiny p)', col('valid', 'loan_amount'),
        col('test', 'loan_amount', 1000, 2000, half_sd['loan_amount']))
    add('loan valid product codes against 500 test rows (exact, ties)', col('valid', 'product'), col('test', 'product', 0, 500))
    write('ks_2samp.json', {'cases': cases})


def gamma_reference():
    rows = []
    for a in (0.5, 1.0, 1.5, 2.0, 3.5, 5.0, 10.0, 14.5, 15.0, 15.5, 50.0, 100.0, 499.5, 1000.0, 5000.0, 10000.0):
        for f in (0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 1.0, 1.01, 1.1, 1.5, 2.0, 3.0, 5.0, 10.0):
            x = a * f
            rows.append([a, x, float(special.gammaincc(a, x)), float(special.gammainc(a, x))])
        rows.append([a, a + 1, float(special.gammaincc(a, a + 1)), float(special.gammainc(a, a + 1))])
        rows.append([a, a + 1 - 1e-9, float(special.gammaincc(a, a + 1 - 1e-9)), float(special.gammainc(a, a + 1 - 1e-9))])
        for x in (200.0, 600.0):
            if x > a:
                rows.append([a, x, float(special.gammaincc(a, x)), float(special.gammainc(a, x))])
    lgamma = [[x, float(special.gammaln(x))] for x in (0.001, 0.1, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 7.3, 14.9, 15.0, 15.1, 30.0, 171.5, 1000.0, 1e6)]
    chi2 = []
    for dof in (1, 2, 3, 4, 9, 10, 11, 50, 999):
        for stat in (0.0001, 0.1, 1.0, dof * 0.5, float(dof), dof * 1.5, dof + 10.0, dof * 3.0 + 30, 500.0, 1500.0):
            chi2.append([stat, dof, float(stats.chi2.sf(stat, dof))])
    write('gamma.json', {'gammaincc': rows, 'gammaln': lgamma, 'chi2_sf': chi2})


def categorical_reference():
    rng = np.random.default_rng(11)
    cases = []

    def add(name, baseline, live):
        cases.append({'name': name, 'baseline': baseline, 'live': live, **chi_against_baseline(baseline, live)})

    add('same proportions', {'0': 600, '1': 300, '2': 100}, {'0': 60, '1': 30, '2': 10})
    add('slight shift', {'0': 600, '1': 300, '2': 100}, {'0': 520, '1': 350, '2': 130})
    add('a category disappears', {'0': 600, '1': 300, '2': 100}, {'0': 700, '1': 300})
    add('one unseen value', {'0': 600, '1': 300, '2': 100}, {'0': 598, '1': 301, '2': 100, '7': 1})
    add('many unseen values in two new categories', {'0': 6000, '1': 3000}, {'0': 500, '1': 300, '5': 150, '9': 50})
    add('a zero-frequency baseline category counts as unseen', {'a': 50, 'b': 0, 'c': 50}, {'a': 40, 'b': 10, 'c': 50})
    add('text categories', {'cat': 10, 'dog': 25, 'emu': 5}, {'cat': 12, 'dog': 20, 'emu': 9})
    add('large drift', {'0': 1000, '1': 1000}, {'0': 950, '1': 50})
    for f in ('region', 'product'):
        base = frequencies(LOAN['valid'][f])
        for w in range(2):
            add(f'loan {f}, valid against test rows {w * 1000}..{w * 1000 + 999}', base,
                frequencies(LOAN['test'][f][w * 1000:(w + 1) * 1000]))
    tables = []
    for k in (2, 3, 5, 12, 40):
        obs = rng.integers(0, 200, size=k).astype(float)
        exp = rng.random(k) + 0.05
        exp = exp / exp.sum() * obs.sum()
        r = stats.chisquare(obs, exp)
        tables.append({'observed': obs.tolist(), 'expected': exp.tolist(), 'statistic': float(r.statistic), 'pvalue': float(r.pvalue)})
    js = []
    for p, q in [([1, 2, 3], [1, 2, 3]), ([1, 0], [0, 1]), ([0.5, 0.5, 0], [0, 0.1, 0.9]), ([10, 20, 30, 0], [5, 5, 5, 5])]:
        js.append({'p': p, 'q': q, 'base2': float(jensenshannon(p, q, base=2)), 'natural': float(jensenshannon(p, q))})
    for k in (3, 10, 50):
        p = rng.random(k) * (rng.random(k) > 0.2)
        q = rng.random(k)
        js.append({'p': p.tolist(), 'q': q.tolist(), 'base2': float(jensenshannon(p, q, base=2)), 'natural': float(jensenshannon(p, q))})
    write('categorical.json', {'against_baseline': cases, 'chisquare': tables, 'jensenshannon': js})


def psi_reference():
    rng = np.random.default_rng(5)
    cases = []
    for k in (2, 5, 10, 20):
        e = rng.integers(0, 300, size=k)
        a = rng.integers(0, 300, size=k)
        a[rng.integers(0, k)] = 0
        cases.append({'expected': e.tolist(), 'actual': a.tolist(), 'psi': psi(e, a)})
    cases.append({'expected': [10, 10, 10], 'actual': [1, 1, 1], 'psi': psi([10, 10, 10], [1, 1, 1])})
    on_bins = []
    x = rng.normal(size=2000)
    edges = quantile_edges(x, 10)
    base = np.histogram(x, edges)[0].tolist()
    for shift in (0.0, 0.25, 0.5, 1.0, 4.0):
        live = live_bins(edges, rng.normal(shift, 1, size=700))
        on_bins.append({'shift': shift, 'baseline_counts': base, **live, 'psi': psi_on_bins(base, live)})
    write('psi.json', {'min_proportion': PSI_MIN_PROPORTION, 'cases': cases, 'on_baseline_bins': on_bins})


def roc_reference():
    rng = np.random.default_rng(3)
    binary = []

    def add(name, y, s):
        binary.append({'name': name, 'labels': list(map(int, y)), 'scores': list(map(float, s)), 'auc': float(roc_auc_score(y, s))})

    y = rng.integers(0, 2, size=300)
    add('distinct scores', y, rng.normal(size=300) + y)
    add('scores rounded to one decimal (many ties)', y, np.round(rng.random(300) * 0.7 + 0.3 * y, 1))
    add('three score levels', y, rng.integers(0, 3, size=300))
    add('all scores tied', y, np.full(300, 0.5))
    add('perfect separation', [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    add('inverted', [1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])
    test_labels = LOAN['test']['label']
    fixture = {'auc': float(roc_auc_score(test_labels, LOAN_SPEC['p1'])), 'expected_json_test_auc': LOAN_SPEC['test_auc']}
    multi = []
    for k, n, decimals in ((3, 300, 2), (4, 500, 1), (5, 1000, None)):
        labels = rng.integers(0, k, size=n)
        logits = rng.normal(size=(n, k)) + np.eye(k)[labels] * 1.2
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        if decimals is not None:
            probs = np.round(probs, decimals)
            probs = probs / probs.sum(axis=1, keepdims=True)
        multi.append({'classes': k, 'labels': labels.tolist(), 'scores': probs.ravel().tolist(),
                      'auc': float(roc_auc_score(labels, probs, multi_class='ovr')),
                      'per_class': [float(roc_auc_score(labels == c, probs[:, c])) for c in range(k)]})
    write('roc_auc.json', {'binary': binary, 'loan_default_test': fixture, 'multiclass_ovr': multi})


def loan_default_scenario():
    """PRODUCT.md's drift numbers: six 1,000-row test windows against the validation baseline."""
    spec = LOAN_SPEC
    numeric = [f for f in spec['feature_names'] if f not in spec['categorical_features']]
    categorical = spec['categorical_features']
    valid, test = LOAN['valid'], LOAN['test']
    windows = [[w * 1000, (w + 1) * 1000] for w in range(6)]
    half_sd = {f: 0.5 * float(np.std(valid[f])) for f in numeric}

    def numeric_row(f, x):
        edges = quantile_edges(valid[f], 10)
        base = np.histogram(valid[f], edges)[0].tolist()
        r = stats.ks_2samp(valid[f], x)
        return {'psi': psi_on_bins(base, live_bins(edges, x)), 'ks_statistic': float(r.statistic), 'ks_pvalue': float(r.pvalue)}

    unshifted = []
    shifted = []
    for start, end in windows:
        row = {f: numeric_row(f, test[f][start:end]) for f in numeric}
        for f in categorical:
            c = chi_against_baseline(frequencies(valid[f]), frequencies(test[f][start:end]))
            row[f] = {'chi2_statistic': c['statistic'], 'chi2_pvalue': c['pvalue'], 'js_distance': c['js_distance']}
        unshifted.append(row)
        shifted.append({f: numeric_row(f, test[f][start:end] + half_sd[f]) for f in numeric})
    write('loan_default.json', {'baseline': 'valid', 'windows': windows, 'numeric': numeric, 'categorical': categorical,
                                'bins': 10, 'half_std': half_sd, 'unshifted': unshifted, 'shifted_by_half_std': shifted})


if __name__ == '__main__':
    sketch_reference()
    kolmogorov_reference()
    ks_reference()
    gamma_reference()
    categorical_reference()
    psi_reference()
    roc_reference()
    loan_default_scenario()
