"""
Independent reference numbers for tests/core/diagnostics-*.test.ts (spec ../shared/specs/diagnostics.md).

Written from the spec with numpy/scipy (the libraries WeightWatcher itself calls): the numpy.arange sigma grid
that scipy.optimize.brute evaluates for a slice, then scipy.optimize.fmin, for the MP fit; numpy.prod for detX, scipy.stats.entropy for the JSD, a literal
WWFit loop for clip_xmax. Matrices come from numpy's default_rng(seed) (the spec's Gaussian 512x256 is
default_rng(0)), eigenvalues from numpy's float64 SVD. Run: python3 tests/fixtures-gen/diagnostics_reference.py
(writes tests/core/diagnostics-reference.json; then `npx prettier --write` it, as the format check wants).
"""
import json
import math
import os

import numpy as np
from scipy import optimize, stats


def wwfit(x):
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = len(x)
    if n < 2:
        raise ValueError("too few")
    Ds = np.ones(n - 1)
    alphas = np.zeros(n - 1)
    for i in range(n - 1):
        m = n - i
        with np.errstate(divide="ignore"):
            a = 1 + m / (np.sum(np.log(x[i:])) - m * math.log(x[i]))
        alphas[i] = a
        if a > 1:
            t = np.arange(m)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.power(x[i:] / x[i], 1 - a)
            Ds[i] = np.max(np.abs(1 - ratio - t / m))
    i = int(np.argmin(Ds))
    k = n - i
    return dict(alpha=float(alphas[i]), xmin=float(x[i]), xmax=float(x[-1]), D=float(Ds[i]), k=k,
                sigma=float((alphas[i] - 1) / math.sqrt(k)))


def clip_xmax(evals):
    x = evals[evals > 1e-5]
    first = wwfit(x)
    best, fingers, idx = first, 0, None
    for idx in range(2, 10):
        fit = wwfit(x[: len(x) - idx])
        if fit["alpha"] + 1.0 < first["alpha"]:
            best, fingers = fit, idx - 1
            break
        if fit["alpha"] <= 2.0:
            break
    for idy in (idx + 1, idx + 2, idx + 3):
        wwfit(x[: len(x) - idy])
    return dict(alpha=best["alpha"], xmin=best["xmin"], xmax=best["xmax"], D=best["D"], sigma=best["sigma"],
                numPlSpikes=int(np.sum(evals >= best["xmin"])), numFingers=fingers, rawAlpha=first["alpha"],
                wwSigma=first["sigma"], wwK=first["k"])


def mp_fit(evals, N, M):
    n = len(evals)
    Q = N / M
    w_scale = math.sqrt(n) / math.sqrt(np.sum(evals))
    r = (w_scale * w_scale) * evals
    lam_plus = float(np.max(r))
    t = np.sqrt(r) if Q == 1 else r
    X = np.linspace(0, np.max(t) + 0.5, 1000)
    h = 0.1
    Y = np.maximum(0, 1 - np.abs(X[:, None] - t[None, :]) / h).sum(axis=1) / (n * h)
    keep = Y > 0.01
    X, Y = X[keep], Y[keep]
    x_peak = X[np.argmax(Y)]
    x_last = X.max()

    def resid(p):
        s = float(np.asarray(p).ravel()[0])
        if Q == 1:
            model = np.where(X <= 2, np.sqrt(np.clip(4 - X * X, 0, None)) / (np.pi * s * s), 0.0)
            return float(np.sum((model - Y) ** 2))
        a = (s * (1 - math.sqrt(1 / Q))) ** 2
        b = (s * (1 + math.sqrt(1 / Q))) ** 2
        if b < x_peak or b > x_last or a > x_peak:
            return 1e6 * len(X)
        with np.errstate(divide="ignore", invalid="ignore"):
            model = np.sqrt((b - X) * (X - a)) / (2 * np.pi * s * s * X * (1 / Q))
        model = np.where((X >= a) & (X <= b), model, 0.0)
        model = np.nan_to_num(model, nan=0.0)
        return float(np.sum((model - Y) ** 2))

    s0 = math.sqrt(lam_plus / (1 + 1 / math.sqrt(Q)) ** 2)
    grid = np.arange(0.05 * s0, 2.0 * s0, 0.01 * s0)
    g_star = grid[int(np.argmin([resid(g) for g in grid]))]
    sigma = float(optimize.fmin(resid, np.array([g_star]), disp=False)[0])
    bulk_max = (sigma * (1 + 1 / math.sqrt(Q))) ** 2
    bulk_min = (sigma * (1 - 1 / math.sqrt(Q))) ** 2
    tw = 1 / math.sqrt(Q) * bulk_max ** (2 / 3) * M ** (-2 / 3)
    spikes = int(np.sum(r > bulk_max + math.sqrt(tw)))
    return dict(numSpikes=spikes, sigmaMp=sigma, mpSoftrank=bulk_max / lam_plus,
                bulkMax=bulk_max / (w_scale ** 2), bulkMin=bulk_min / (w_scale ** 2), wScale=w_scale)


def detx(evals):
    n = len(evals)
    w_scale = math.sqrt(n) / math.sqrt(np.sum(evals))
    r = (w_scale * w_scale) * evals
    num, idx = 0, 0
    if n >= 2 and r[0] < r[-1]:
        num, idx = n, 1
        for i in range(n - 1, 0, -1):
            if np.prod(r[i:]) < 1.0:
                num, idx = n - i, i
                break
    return dict(num=num, val=float(r[idx] / (w_scale * w_scale)), index=idx)


def jsd(p, q):
    m = (p + q) / 2
    return float(math.sqrt((stats.entropy(p, m) + stats.entropy(q, m)) / 2))


def esd(W):
    return np.sort(np.linalg.svd(W, compute_uv=False) ** 2)


def case(name, W, shuffle_seed):
    rows, cols = W.shape
    N, M = max(rows, cols), min(rows, cols)
    evals = esd(W)
    rng = np.random.default_rng(shuffle_seed)
    R = 5 if M < 100 else 1

    def shuffled():
        flat = W.copy().ravel()
        rng.shuffle(flat)
        return esd(flat.reshape(W.shape))

    pooled = np.sort(np.concatenate([shuffled() for _ in range(R)]))
    single = shuffled()
    rmp = mp_fit(pooled, N, M)
    return dict(name=name, shape=[rows, cols], evals=evals.tolist(), pooled=pooled.tolist(),
                single=single.tolist(), mp=mp_fit(evals, N, M), detX=detx(evals), clipXmax=clip_xmax(evals),
                randomized=dict(maxRandEval=float(pooled[-1]), randDistance=jsd(evals, single),
                                wwSoftrank=float(single[-1] / evals[-1]), wwMaxdist=float(evals[-1] - single[-1]),
                                numTraps=rmp["numSpikes"], mp=rmp))


def main():
    cases = []
    cases.append(case("gaussian-512x256", np.random.default_rng(0).standard_normal((512, 256)), 10))
    g = np.random.default_rng(2)
    W = g.standard_normal((512, 256))
    u = g.standard_normal(512)
    v = g.standard_normal(256)
    W = W + 100.0 * np.outer(u / np.linalg.norm(u), v / np.linalg.norm(v))
    cases.append(case("rank1-spike-512x256", W, 11))
    cases.append(case("square-200x200", np.random.default_rng(3).standard_normal((200, 200)), 12))
    cases.append(case("narrow-60x300", np.random.default_rng(4).standard_normal((60, 300)) * 0.02, 13))
    W = np.random.default_rng(5).standard_normal((256, 512))
    W[3, 7] = 200.0  # one outsized weight: it survives any shuffle, a correlation trap
    cases.append(case("one-large-weight-256x512", W, 14))
    out = os.path.join(os.path.dirname(__file__), "..", "core", "diagnostics-reference.json")
    with open(out, "w") as f:
        json.dump(dict(generator="tests/fixtures-gen/diagnostics_reference.py", cases=cases), f)
        f.write("\n")
    for c in cases:
        print(c["name"], c["mp"], c["detX"], c["clipXmax"], c["randomized"]["randDistance"], c["randomized"]["numTraps"])


main()
