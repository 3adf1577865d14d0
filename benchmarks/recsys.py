"""5-fold MovieLens 100K: svdlab.recsys models against Surprise (when installed).

Run: ``.venv/bin/python benchmarks/recsys.py [--folds 5] [--skip-slow]``. Same folds for
every model; prints mean RMSE, MAE, precision@10 and fit seconds per fold.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from svdlab import recsys as rs
from svdlab.datasets import load_movielens


def _surprise_rows(X, y, folds):
    try:
        from surprise import SVD, Dataset, Reader, SVDpp
    except ImportError:
        print("scikit-surprise is not installed: only svdlab rows")
        return []
    import tempfile
    from pathlib import Path

    rows = []
    for name, make in [("Surprise SVD (defaults)", lambda: SVD(random_state=0)),
                       ("Surprise SVD (100 f, 60 ep, reg .08)",
                        lambda: SVD(n_factors=100, n_epochs=60, reg_all=0.08, random_state=0)),
                       ("Surprise SVD++ (defaults)", lambda: SVDpp(random_state=0))]:
        res = {"rmse": [], "mae": [], "precision_at_k": [], "fit_time": []}
        for tr, te in folds:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "train.tsv"
                np.savetxt(path, np.column_stack([X[tr], y[tr]]), fmt="%d\t%d\t%g")
                reader = Reader(line_format="user item rating", sep="\t", rating_scale=(1, 5))
                train = Dataset.load_from_file(str(path), reader).build_full_trainset()
            algo = make()
            t0 = time.perf_counter()
            algo.fit(train)
            res["fit_time"].append(time.perf_counter() - t0)
            p = np.array([algo.predict(str(u), str(i)).est for u, i in X[te]])
            res["rmse"].append(rs.rmse(y[te], p))
            res["mae"].append(rs.mae(y[te], p))
            res["precision_at_k"].append(rs.precision_at_k(X[te], y[te], p, k=10))
        rows.append((name, {k: np.array(v) for k, v in res.items()}))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--skip-slow", action="store_true", help="skip SoftImpute and SVD++")
    args = ap.parse_args()
    data = load_movielens("100k")
    X, y = data.X, data.y
    folds = rs.kfold_split(X, y, 5, random_state=0)[: args.folds]
    models = [("GlobalMean", rs.GlobalMean()), ("Baseline", rs.Baseline()),
              ("ImputedSVD (k=10)", rs.ImputedSVD()), ("ALS (k=5)", rs.ALS(n_factors=5)),
              ("ALS (defaults)", rs.ALS()), ("FunkSVD (defaults)", rs.FunkSVD())]
    if not args.skip_slow:
        models.append(("SoftImpute (defaults)", rs.SoftImpute()))
    rows = []
    for name, m in models:
        rows.append((name, rs.cross_validate(m, X, y, folds=folds)))
        r = rows[-1][1]
        print(f"{name}: RMSE {r['rmse'].mean():.4f}, {r['fit_time'].mean():.2f} s/fold", flush=True)
    if args.skip_slow:
        rows += [r for r in _surprise_rows(X, y, folds) if "++" not in r[0]]
    else:
        rows += _surprise_rows(X, y, folds)
    print(f"\n{len(folds)}-fold MovieLens 100K ({data.source})")
    print("| model | RMSE | MAE | precision@10 | fit s/fold |\n|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['rmse'].mean():.4f} | {r['mae'].mean():.4f} | "
              f"{r['precision_at_k'].mean():.4f} | {r['fit_time'].mean():.2f} |")


if __name__ == "__main__":
    main()
