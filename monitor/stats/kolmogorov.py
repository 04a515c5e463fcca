"""The two-sample Kolmogorov–Smirnov statistic and its large-sample p-value, without scipy.stats.

``scipy.stats`` takes almost half a second to import, more than the tests of
a whole window. The default path of every comparison needs only KS and
chi-square, so they are computed here from ``scipy.special``; the other
branches of scipy's KS distribution (small samples, tiny statistics) import
``scipy.stats`` when they occur.

``ks_2samp`` equals ``scipy.stats.ks_2samp(a, b, method="auto")``: when either
sample holds more than 10,000 values scipy uses the one-sample distribution
of ``D`` at ``n = round(n1·n2 / (n1 + n2))`` (Simard & L'Ecuyer's
algorithm); for ``n > 140`` and ``n·D² ≥ 2.2`` that is ``2·smirnov(n, D)``
(Miller's approximation), below it the Pelz–Good series, both written out
here as scipy computes them. Beyond ``n = 100,000`` (windows counted on fine
histograms, ``monitor.stats.binned``) scipy's series costs O(n); the limiting
law with Vrbik's correction replaces it, within 1e-3 relative.

References: R. Simard, P. L'Ecuyer, "Computing the two-sided
Kolmogorov–Smirnov distribution", J. Statist. Software 39 (2011);
W. Pelz, I. J. Good, "Approximating the lower tail-areas of the Kolmogorov–
Smirnov one-sample statistic", J. R. Statist. Soc. B 38 (1976); J. Vrbik,
"Small-sample corrections to Kolmogorov–Smirnov test statistic", Pioneer J.
Theor. Appl. Statist. 15 (2018).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import special

__all__ = ["kolmogorov_sf", "ks_2samp", "ks_p_value", "ks_statistic"]

_MAX_AUTO_N = 10_000
_LARGE_N = 100_000
_PI2 = math.pi**2
_PI4 = math.pi**4
_PI6 = math.pi**6
_SQRT2PI = math.sqrt(2 * math.pi)
_SQRT3 = math.sqrt(3.0)
_MIN_LOG = math.log(np.finfo(np.float64).tiny)


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """``D = sup |F_a − F_b|`` of two sorted samples, as scipy computes it.

    >>> ks_statistic(np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 4.0, 5.0, 6.0]))
    0.5
    """
    values = np.concatenate([a, b])
    differences = (np.searchsorted(a, values, side="right") / a.size
                   - np.searchsorted(b, values, side="right") / b.size)
    return float(max(float(np.clip(-differences.min(), 0, 1)), float(differences.max())))


def kolmogorov_sf(n: int, x: float) -> float | None:
    """``P(D_n > x)`` where scipy's algorithm is a closed form; None where it is not.

    >>> bool(kolmogorov_sf(10_000, 0.02) == 2 * special.smirnov(10_000, 0.02))
    True
    """
    if x >= 1.0:
        return 0.0
    if x <= 0.0:
        return 1.0
    t = n * x
    if n <= 140 or t <= 1.0:
        return None
    if t >= n - 1:
        return float(min(1.0, 2 * (1.0 - x) ** n))
    if x >= 0.5:
        return _clip(2 * special.smirnov(n, x))
    nx2 = t * x
    if nx2 >= 370.0:
        return 0.0
    if nx2 >= 2.2:
        return _clip(2 * special.smirnov(n, x))
    if n <= 100_000 and n * x**1.5 <= 1.4:
        return None  # scipy's Durbin matrix branch
    return _clip(_pelz_good_sf(n, x))


def ks_2samp(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """D and the two-sided p-value of two sorted samples, equal to scipy's ``ks_2samp``."""
    d = ks_statistic(a, b)
    n1, n2 = a.size, b.size
    if max(n1, n2) > _MAX_AUTO_N:
        return d, ks_p_value(d, n1, n2)
    from scipy import stats as sps  # the other branches: import only when needed

    with warnings.catch_warnings():
        # scipy falls back from its exact method on ties and says so; the result stays valid.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = sps.ks_2samp(a, b, method="auto")
    return float(result.statistic), float(result.pvalue)


def ks_p_value(d: float, n1: int, n2: int) -> float:
    """scipy's large-sample p-value of a two-sample KS distance ``d`` (either size > 10,000).

    >>> round(ks_p_value(0.0020, 1_000_000, 1_000_000), 3)
    0.037
    """
    m, n = sorted([float(n1), float(n2)], reverse=True)
    size = int(np.round(m * n / (m + n)))
    if size > _LARGE_N and 0.0 < d < 1.0:
        # scipy's exact series costs O(n) (a quarter second at n = 500,000); the limiting law
        # with Vrbik's 1/(6√n) correction is within 1e-3 of it for every p above 1e-22.
        root = math.sqrt(size)
        return _clip(float(special.kolmogorov(root * d + 1 / (6 * root))))
    p = kolmogorov_sf(size, d)
    if p is not None:
        return p
    from scipy import stats as sps

    return _clip(float(sps.kstwo.sf(d, size)))


def _pelz_good_sf(n: int, x: float) -> float:
    """1 − the Pelz–Good approximation of ``P(D_n ≤ x)``, term for term as scipy sums it."""
    z = math.sqrt(n) * x
    z2, z3, z4, z6 = z**2, z**3, z**4, z**6
    qlog = -_PI2 / 8 / z2
    if qlog < _MIN_LOG:
        return 1.0
    q = np.exp(qlog)
    k1a, k1b = -z2, _PI2 / 4
    k2a, k2b, k2c = 6 * z6 + 2 * z4, (2 * z4 - 5 * z2) * _PI2 / 4, _PI4 * (1 - 2 * z2) / 16
    k3d = _PI6 * (5 - 30 * z2) / 64
    k3c = _PI4 * (-60 * z2 + 212 * z4) / 16
    k3b = _PI2 * (135 * z4 - 96 * z6) / 4
    k3a = -30 * z6 - 90 * z**8
    terms = np.zeros(4)
    maxk = int(np.ceil(16 * z / np.pi))
    for k in range(maxk, 0, -1):
        m = 2 * k - 1
        m2, m4, m6 = m**2, m**4, m**6
        coeffs = np.array([1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                           k3a + k3b * m2 + k3c * m4 + k3d * m6])
        terms *= np.power(q, 8 * k)
        terms += coeffs
    terms *= q
    terms *= _SQRT2PI
    terms /= np.array([z, 6 * z4, 72 * z**7, 6480 * z**10])
    q = np.exp(-_PI2 / 2 / z2)
    ks = np.arange(maxk, 0, -1)
    ks2 = ks**2
    sqrt3z, kspi = _SQRT3 * z, np.pi * ks
    powers = q**ks2
    terms[2] += np.sum(ks2 * powers) * _PI2 * _SQRT2PI / (-36 * z3)
    terms[3] += np.sum((sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * powers) * (
        _PI2 * _SQRT2PI / (216 * z6))
    terms /= np.power(n * 1.0, np.arange(4) / 2.0)
    terms *= -1
    terms[0] += 1
    return float(sum(terms))


def _clip(p: float) -> float:
    return float(np.clip(p, 0.0, 1.0))
