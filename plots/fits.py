"""Least-squares line fits (numpy) and the object count at which a fitted latency crosses a threshold.

latency = a + b * objects, fitted to every point's median. The slope counts as real when its
t statistic beats Student's t at one-sided 95 % for n - 2 degrees of freedom; a sweep of two
points cannot be tested and is flagged "untested".
"""

import math

import numpy as np

# One-sided 95 % critical values of Student's t by degrees of freedom (beyond 30: normal).
T95 = {1: 6.314, 2: 2.920, 3: 2.353, 4: 2.132, 5: 2.015, 6: 1.943, 7: 1.895, 8: 1.860, 9: 1.833, 10: 1.812,
       12: 1.782, 15: 1.753, 20: 1.725, 25: 1.708, 30: 1.697}


def t_critical(df):
    if df > 30:
        return 1.645
    return T95[max(k for k in T95 if k <= df)]


class Fit:
    def __init__(self, a, b, n, t, x_min, x_max):
        self.a, self.b, self.n, self.t = a, b, n, t
        self.x_min, self.x_max = x_min, x_max

    @property
    def testable(self):
        return self.n > 2

    @property
    def significant(self):
        """True if the slope is positive beyond noise (or, untestable, simply positive)."""
        if self.b <= 0:
            return False
        return not self.testable or self.t > t_critical(self.n - 2)

    def at(self, x):
        return self.a + self.b * x


def fit_line(samples):
    """samples: [(x, y)]. A Fit, or None with fewer than two distinct x."""
    xs = np.array([float(x) for x, _ in samples])
    ys = np.array([float(y) for _, y in samples])
    if len(set(xs.tolist())) < 2:
        return None
    b, a = np.polyfit(xs, ys, 1)
    n = len(xs)
    t = math.inf
    if n > 2:
        residual = ys - (a + b * xs)
        sxx = float(np.sum((xs - xs.mean()) ** 2))
        s2 = float(np.sum(residual ** 2)) / (n - 2)
        se = math.sqrt(s2 / sxx) if sxx > 0 else math.inf
        t = float(b) / se if se > 0 else (math.inf if b > 0 else -math.inf)
    return Fit(float(a), float(b), n, t, float(xs.min()), float(xs.max()))


class Crossing:
    """Where a fit reaches a threshold. kind: "count" | "baseline" (already above at 0) | "never"."""

    def __init__(self, kind, count=None, extrapolated=False, why=""):
        self.kind, self.count, self.extrapolated, self.why = kind, count, extrapolated, why

    def factor(self, x_max):
        return self.count / x_max if self.count is not None and x_max > 0 else None


def crossing(fit, threshold):
    if fit is None:
        return Crossing("never", why="no fit (fewer than two distinct object counts)")
    if fit.a >= threshold:
        return Crossing("baseline", 0, False, "already above at 0 objects")
    if fit.b <= 0:
        return Crossing("never", why="flat or falling")
    if not fit.significant:
        return Crossing("never", why=f"slope not significant (t = {fit.t:.1f})")
    count = (threshold - fit.a) / fit.b
    return Crossing("count", count, count > fit.x_max)


def round_count(count):
    """Three significant figures from 1,000 up (an extrapolation is not exact to the object)."""
    if count < 1000:
        return int(round(count))
    digits = int(math.floor(math.log10(count))) - 2
    return int(round(count, -digits))
