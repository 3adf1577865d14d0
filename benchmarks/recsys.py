"""MovieLens 100K, 5 folds: svdlab.recsys against Surprise and implicit, every model tuned alike.

Run: ``python benchmarks/recsys.py [--folds 5] [--budget 4] [--skip-slow] [--models A,B]`` (``make bench``
installs the peers, the ``bench`` extra: ``scikit-surprise`` and ``implicit``). Writes
``benchmarks/results/recsys.json``.

**Protocol (nested).** The same five outer folds for every model. Inside each outer
training fold, one validation split (20 % of it, the same split for every model) chooses
the hyperparameters: each tunable model tries the same number of candidate settings
(``--budget``, drawn once with a fixed seed from the grid listed in ``GRIDS``), the best is
refitted on the whole training fold and scored on the outer test fold, which no choice has
seen. Rating models are chosen by validation RMSE, ranking models by validation NDCG@10
over all unrated items. Surprise's SVD and SVD++ get the same budget on the same split as
svdlab's FunkSVD, ALS and SVDpp; the ``implicit`` package's ALS the same budget and grid as
svdlab's ImplicitALS. BayesianMF has only its number of factors to choose (three values).

**Reported.** Mean and standard deviation over the five outer folds of: RMSE and MAE on the
test ratings; precision, recall and NDCG at 10 over *all* items the user has not rated in
training, a test rating of 4 or 5 being relevant (Cremonesi, Koren and Turrin 2010); the fit
time of the chosen setting. The chosen settings of every fold go to the JSON file, with the
split-Rhat of BayesianMF's chains. One BLAS thread (``OMP_NUM_THREADS=1``) and one thread for
``implicit``, so no library gets more cores than another; times on a shared machine are
inflated and only comparable within one run.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shlex
import tempfile
import time
from pathlib import Path

import numpy as np

from svdlab import recsys as rs
from svdlab import results
from svdlab.datasets import load_movielens

#: the grids the candidates are drawn from (``--budget`` settings per model, seed 0)
GRIDS = {
    "Baseline": {"reg_user": [1.0, 3.0, 5.0, 10.0, 20.0], "reg_item": [1.0, 3.0, 5.0, 10.0, 20.0]},
    "ImputedSVD": {"n_factors": [2, 5, 10, 20, 40], "reg": [2.0, 5.0, 10.0]},
    "ALS": {"n_factors": [5, 10, 20, 50], "reg": [0.05, 0.1, 0.15, 0.25, 0.4]},
    "FunkSVD": {"n_factors": [20, 50, 100], "n_epochs": [20, 40], "lr": [0.005, 0.01, 0.02],
                "reg": [0.02, 0.05, 0.1]},
    "SoftImpute": {"shrinkage": [5.0, 10.0, 15.0, 25.0, 40.0], "max_rank": [20, 40, 80]},
    "SVDpp": {"n_factors": [10, 20, 50], "reg": [0.05, 0.1, 0.15, 0.25],
              "reg_implicit": [30.0, 100.0, 300.0]},
    "BayesianMF": {"n_factors": [5, 10, 20]},
    "Surprise SVD": {"n_factors": [20, 50, 100], "n_epochs": [20, 40, 60],
                     "lr_all": [0.005, 0.01], "reg_all": [0.02, 0.05, 0.1]},
    "Surprise SVD++": {"n_factors": [10, 20, 50], "n_epochs": [20, 30],
                       "lr_all": [0.005, 0.007, 0.01], "reg_all": [0.02, 0.05, 0.1]},
    "PureSVD": {"n_factors": [5, 10, 15, 20, 30, 50, 80]},
    "ImplicitALS": {"n_factors": [16, 32, 64], "reg": [1.0, 10.0, 30.0, 100.0],
                    "alpha": [0.5, 1.0, 3.0]},
    "implicit ALS": {"n_factors": [16, 32, 64], "reg": [1.0, 10.0, 30.0, 100.0],
                     "alpha": [0.5, 1.0, 3.0]},
}


def candidates(name, budget):
    """``budget`` settings drawn without replacement from the grid (all, if it is smaller)."""
    grid = GRIDS[name]
    keys = list(grid)
    combos = [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*grid.values())]
    if len(combos) <= budget:
        return combos
    pick = np.random.default_rng(0).choice(len(combos), size=budget, replace=False)
    return [combos[j] for j in sorted(pick)]


# ----------------------------------------------------------------------------- peers
class _Scored(rs._Base):
    """Wrap a peer's fitted factors so that ``rs.top_n_metrics`` can rank with them."""

    def __init__(self, users=None, items=None, scores_fn=None, predict_fn=None):
        self.users, self.items, self.scores_fn, self.predict_fn = (users, items, scores_fn,
                                                                   predict_fn)
        self.users_, self.items_ = users, items

    def fit(self, X=None, y=None):
        return self

    def _scores(self, users):
        return self.scores_fn(users)

    def predict(self, X):
        return self.predict_fn(np.asarray(X))


class SurpriseModel:
    """A Surprise algorithm behind the svdlab interface (fit on arrays, predict, score)."""

    def __init__(self, kind, **params):
        self.kind, self.params = kind, params

    def fit(self, X, y):
        from surprise import SVD, Dataset, Reader, SVDpp

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "train.tsv"
            np.savetxt(path, np.column_stack([X, y]), fmt="%d\t%d\t%g")
            reader = Reader(line_format="user item rating", sep="\t", rating_scale=(1, 5))
            train = Dataset.load_from_file(str(path), reader).build_full_trainset()
        cls = SVD if self.kind == "SVD" else SVDpp
        self.algo = cls(random_state=0, **self.params).fit(train)
        users, items = np.unique(X[:, 0]), np.unique(X[:, 1])
        iu = np.array([train.to_inner_uid(str(u)) for u in users])
        ii = np.array([train.to_inner_iid(str(i)) for i in items])
        a = self.algo
        P = a.pu[iu]
        if self.kind == "SVD++":      # the implicit term |N(u)|^-1/2 sum_j y_j, as Surprise adds it
            Z = np.zeros_like(a.pu)
            for inner_u, ratings in train.ur.items():
                js = [j for j, _ in ratings]
                Z[inner_u] = a.yj[js].sum(0) / np.sqrt(len(js))
            P = P + Z[iu]
        mu, bu, bi, Q = train.global_mean, a.bu[iu], a.bi[ii], a.qi[ii]

        def scores(rows):
            return mu + bu[rows][:, None] + bi[None, :] + P[rows] @ Q.T

        def predict(Xq):
            return np.array([a.predict(str(u), str(i)).est for u, i in Xq])

        self.model_ = _Scored(users, items, scores, predict)
        return self

    def predict(self, X):
        return self.model_.predict(X)


class ImplicitPackageALS:
    """``implicit``'s AlternatingLeastSquares with svdlab's parametrization (c = 1 + alpha r)."""

    def __init__(self, n_factors=32, reg=1.0, alpha=1.0):
        self.n_factors, self.reg, self.alpha = n_factors, reg, alpha

    def fit(self, X, y):
        from implicit.cpu.als import AlternatingLeastSquares
        from scipy import sparse

        users, u = np.unique(X[:, 0], return_inverse=True)
        items, i = np.unique(X[:, 1], return_inverse=True)
        # implicit's confidence is the matrix entry itself (it adds (c - 1) y y^T): pass
        # 1 + alpha r, and alpha=1 to implicit, so both sides minimize the same objective
        C = sparse.csr_matrix((1 + self.alpha * y, (u, i)), shape=(users.size, items.size))
        m = AlternatingLeastSquares(factors=self.n_factors, regularization=self.reg,
                                    alpha=1.0, iterations=15, random_state=0, num_threads=1,
                                    dtype=np.float64)
        m.fit(C, show_progress=False)
        U, V = np.asarray(m.user_factors), np.asarray(m.item_factors)
        self.model_ = _Scored(users, items, lambda rows: U[rows] @ V.T)
        return self


# ----------------------------------------------------------------------------- protocol
def _fit_eval(make, params, X, y, tr, te, rating):
    model = make(**params)
    t0 = time.perf_counter()
    model.fit(X[tr], y[tr])
    secs = time.perf_counter() - t0
    scored = getattr(model, "model_", model)
    top = rs.top_n_metrics(scored, X[tr], X[te], y[te], k=10, threshold=4.0)
    out = {"precision": top["precision"], "recall": top["recall"], "ndcg": top["ndcg"],
           "fit_time": secs}
    if rating:
        p = np.clip(model.predict(X[te]), 1, 5)
        out.update(rmse=rs.rmse(y[te], p), mae=rs.mae(y[te], p))
    rhat = getattr(model, "rhat_", None)
    if rhat:
        out["rhat"] = max(rhat[k] for k in ("noise_precision", "train_rmse", "signal_rms"))
    return out


def nested(name, make, X, y, folds, budget, rating, log, first=0):
    """Choose on each training fold's validation split, refit, score on the test fold.

    ``folds`` are the outer folds ``first + 1, first + 2, ...`` of the five; the validation
    split of each is seeded by its own index, so a fold scores the same in any run.
    """
    cands = candidates(name, budget) if name in GRIDS else [{}]
    per_fold, chosen = [], []
    for f, (tr, te) in enumerate(folds, start=first):
        fit, valid = rs.train_validation_split(X[tr], y[tr], 0.2, random_state=100 + f)
        fit, valid = tr[fit], tr[valid]
        if len(cands) > 1:
            key = "rmse" if rating else "ndcg"
            vals = [_fit_eval(make, c, X, y, fit, valid, rating)[key] for c in cands]
            best = cands[int(np.argmin(vals) if rating else np.argmax(vals))]
        else:
            best = cands[0]
        chosen.append(best)
        per_fold.append(_fit_eval(make, best, X, y, tr, te, rating))
        r = per_fold[-1]
        log(f"  {name} fold {f + 1}: {best} -> "
            + (f"RMSE {r['rmse']:.4f}, " if rating else "")
            + f"NDCG@10 {r['ndcg']:.4f}, {r['fit_time']:.1f} s")
    res = {k: np.array([r[k] for r in per_fold]) for k in per_fold[0]}
    return res, chosen


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=5, help="outer folds scored (of 5)")
    ap.add_argument("--first-fold", type=int, default=1,
                    help="first outer fold scored (1-5; with --folds, the last): a long model "
                         "can be run fold range by fold range and --merge'd")
    ap.add_argument("--budget", type=int, default=4, help="candidate settings per model")
    ap.add_argument("--models", default="",
                    help="comma-separated subset of the model names (default: all)")
    ap.add_argument("--out", default="recsys", help="results file stem (default recsys)")
    ap.add_argument("--merge", default="",
                    help="only merge results/NAME.json (a run with --models, --out NAME) into "
                         "results/recsys.json, for a run split over two processes")
    ap.add_argument("--skip-slow", action="store_true",
                    help="skip Surprise SVD++, SoftImpute and BayesianMF")
    args = ap.parse_args()
    if args.merge:
        print(f"wrote {_merge(args.merge)}")
        return
    data = load_movielens("100k")
    X, y = data.X, data.y
    if not 1 <= args.first_fold <= args.folds <= 5:
        ap.error(f"need 1 <= --first-fold <= --folds <= 5, got {args.first_fold} and "
                 f"{args.folds}")
    first = args.first_fold - 1
    folds = rs.kfold_split(X, y, 5, random_state=0)[first: args.folds]
    print(f"MovieLens 100K from {data.source}; outer folds {first + 1}-{args.folds}, budget "
          f"{args.budget}")

    def have(module):
        try:
            __import__(module)
            return True
        except ImportError:
            print(f"{module} is not installed: its rows are skipped")
            return False

    surprise, implicit = have("surprise"), have("implicit")
    # cheap models first; the JSON is rewritten after every model, so a long run that is
    # stopped still leaves the rows it finished
    plan = [("GlobalMean", rs.GlobalMean, True), ("Baseline", rs.Baseline, True),
            ("ImputedSVD", rs.ImputedSVD, True), ("ALS", rs.ALS, True),
            ("Popularity", rs.Popularity, False), ("PureSVD", rs.PureSVD, False),
            ("ImplicitALS", rs.ImplicitALS, False)]
    if implicit:
        plan.append(("implicit ALS", ImplicitPackageALS, False))
    plan += [("SVDpp", rs.SVDpp, True), ("BayesianMF", rs.BayesianMF, True)]
    if surprise:
        plan.append(("Surprise SVD", lambda **p: SurpriseModel("SVD", **p), True))
    plan += [("FunkSVD", rs.FunkSVD, True), ("SoftImpute", rs.SoftImpute, True)]
    if surprise:
        plan.append(("Surprise SVD++", lambda **p: SurpriseModel("SVD++", **p), True))
    slow = {"Surprise SVD++", "SoftImpute", "BayesianMF"}
    rows = {}
    for name, make, rating in plan:
        if (args.skip_slow and name in slow) or (
                args.models and name not in args.models.split(",")):
            continue
        t0 = time.perf_counter()
        rows[name] = (*nested(name, make, X, y, folds, args.budget, rating,
                              lambda s: print(s, flush=True), first), rating)
        print(f"{name}: done in {time.perf_counter() - t0:.0f} s", flush=True)
        path = _write(rows, folds, args, data)
    _print(rows, folds)
    print(f"\nwrote {path}")


def _merge(other):
    """Merge ``other``'s rows into recsys.json's (the same protocol and folds).

    A model only in ``other`` is appended. A model in both, scored on some outer folds in
    one run and on the others in the second (``--first-fold``), gets its per-fold rows
    joined and its summary row recomputed over all of its folds; a fold scored twice is
    refused.
    """
    a, b = results.load("recsys", download=False), results.load(other, download=False)
    ta = {t["name"]: t for t in a["tables"]}
    tb = {t["name"]: t for t in b["tables"]}
    new = [r for r in tb["per_fold"]["rows"] if r not in ta["per_fold"]["rows"]]
    per_fold = ta["per_fold"]["rows"] + new       # rows merged before are not added twice
    keys = [(r[0], r[1]) for r in per_fold]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise SystemExit(f"{other} scores (model, fold) {twice} that recsys.json already has")
    sa = {r[0]: r for r in ta["summary"]["rows"]}
    sb = {r[0]: r for r in tb["summary"]["rows"]}
    order = list(sa) + [m for m in sb if m not in sa]
    per_fold.sort(key=lambda r: (order.index(r[0]), r[1]))
    fresh = {r[0] for r in new}
    summary = [_joined_summary(m, sa[m], sb[m], per_fold,
                               [r[1] for r in ta["per_fold"]["rows"] if r[0] == m],
                               [r[1] for r in new if r[0] == m])
               if m in sa and m in fresh else sa.get(m, sb.get(m)) for m in order]
    grids = {r[0]: r for r in ta["grids"]["rows"] + tb["grids"]["rows"]}
    tables = [results.Table(t["name"], t["caption"], t["columns"], rows)
              for t, rows in ((ta["summary"], summary), (ta["per_fold"], per_fold),
                              (ta["grids"], [grids[m] for m in order if m in grids]))]
    return results.write(
        "recsys", a["title"], tables, command=f"{a['command']} && {b['command']} && "
        f"python benchmarks/recsys.py --merge {other}", threads=a["threads"],
        versions=("scikit-surprise", "implicit"),
        notes=a["notes"] + f" Rows of {other} (run {b['date']} on "
        f"{b['machine'].get('platform', 'an unrecorded platform')}) merged in.")


def _joined_summary(model, ra, rb, per_fold, folds_a, folds_b):
    """The summary row of ``model`` over the per-fold rows of both runs (columns of _write).

    ``folds_a`` and ``folds_b`` are the outer folds each run scored; the fit time is their
    fold-weighted mean and the chosen settings are listed in fold order.
    """
    mine = [r for r in per_fold if r[0] == model]
    col = {k: np.array([r[i] for r in mine], dtype=float)
           for i, k in enumerate(("rmse", "mae", "precision", "recall", "ndcg"), start=2)}
    rating = ra[1]
    n_a, n_b = len(folds_a), len(folds_b)
    chosen = [ra[12], rb[12]] if min(folds_a) < min(folds_b) else [rb[12], ra[12]]
    rhat = [x for x in (ra[13], rb[13]) if x is not None]
    return [model, rating,
            float(col["rmse"].mean()) if rating else None,
            float(col["rmse"].std()) if rating else None,
            float(col["mae"].mean()) if rating else None,
            float(col["precision"].mean()), float(col["precision"].std()),
            float(col["recall"].mean()), float(col["recall"].std()),
            float(col["ndcg"].mean()), float(col["ndcg"].std()),
            float((ra[11] * n_a + rb[11] * n_b) / (n_a + n_b)),
            "; ".join(chosen), max(rhat) if rhat else None]


def _ms(v):
    return f"{np.mean(v):.4f} ± {np.std(v):.4f}"


def _print(rows, folds):
    print(f"\n{len(folds)}-fold MovieLens 100K; mean ± std over the outer folds")
    print("| model | RMSE | MAE | P@10 | R@10 | NDCG@10 | fit s |\n|---|---|---|---|---|---|---|")
    for name, (r, _, rating) in rows.items():
        cells = [_ms(r["rmse"]) if rating else "—", _ms(r["mae"]) if rating else "—",
                 _ms(r["precision"]), _ms(r["recall"]), _ms(r["ndcg"]),
                 f"{np.mean(r['fit_time']):.2f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")


def _write(rows, folds, args, data):
    table = []
    for name, (r, chosen, rating) in rows.items():
        table.append([name, rating,
                      float(np.mean(r["rmse"])) if rating else None,
                      float(np.std(r["rmse"])) if rating else None,
                      float(np.mean(r["mae"])) if rating else None,
                      float(np.mean(r["precision"])), float(np.std(r["precision"])),
                      float(np.mean(r["recall"])), float(np.std(r["recall"])),
                      float(np.mean(r["ndcg"])), float(np.std(r["ndcg"])),
                      float(np.mean(r["fit_time"])),
                      "; ".join(str(c) for c in chosen),
                      float(np.max(r["rhat"])) if "rhat" in r else None])
    cols = ["model", "rating model", "rmse", "rmse std", "mae", "precision@10",
            "precision@10 std", "recall@10", "recall@10 std", "ndcg@10", "ndcg@10 std",
            "fit s", "chosen per fold", "max split-Rhat"]
    first = args.first_fold - 1
    per_fold = [[name, first + f + 1] + [float(r[k][f]) if k in r else None
                                         for k in ("rmse", "mae", "precision", "recall",
                                                   "ndcg")]
                for name, (r, _, _) in rows.items() for f in range(len(folds))]
    threads = os.environ.get("OMP_NUM_THREADS", "default")
    return results.write(
        args.out, "MovieLens 100K: rating and top-N accuracy, nested 5-fold CV, peers tuned alike",
        [results.Table("summary", "Mean and std over the outer folds; top-N over all unrated "
                       "items, relevant = test rating >= 4; chosen settings per fold",
                       cols, table),
         results.Table("per_fold", "Every outer fold's test scores", ["model", "fold", "rmse",
                       "mae", "precision@10", "recall@10", "ndcg@10"], per_fold),
         results.Table("grids", "The grids the candidates were drawn from",
                       ["model", "grid", "budget"],
                       [[n, str(GRIDS[n]), min(args.budget, len(candidates(n, 10 ** 6)))]
                        for n in rows if n in GRIDS])],
        command="python benchmarks/recsys.py " + " ".join(
            f"--{k.replace('_', '-')} {shlex.quote(str(v))}" if not isinstance(v, bool)
            else f"--{k.replace('_', '-')}"
            for k, v in vars(args).items() if v not in (False, "")),
        threads=int(threads) if threads.isdigit() else "default",
        versions=("scikit-surprise", "implicit"),
        notes=f"Data: {data.source}. " + __doc__.split("**Protocol (nested).**")[1].strip())


if __name__ == "__main__":
    main()
