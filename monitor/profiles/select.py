"""Which columns a profile holds: narrowed to fewer, and those its segments were cut by."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from monitor.profiles.joint import JointSample
from monitor.profiles.profile import Profile

__all__ = ["segment_columns", "without_columns"]


def without_columns(profile: Profile, names: Iterable[str]) -> Profile:
    """The profile without the columns ``names``, in its segments and joint sample too.

    A reference profiled with its timestamp or label as a column must not
    report them as missing when a compare names them as roles.
    """
    gone = set(names)
    if not gone & set(profile.columns):
        return profile
    joint = profile.joint
    if joint is not None and gone & set(joint.columns):
        keep = [i for i, name in enumerate(joint.columns) if name not in gone]
        joint = JointSample(tuple(joint.columns[i] for i in keep), joint.rows[:, keep],
                            joint.count, joint.limit)
    return replace(profile, columns={n: c for n, c in profile.columns.items() if n not in gone},
                   joint=joint,
                   segments={k: without_columns(p, gone) for k, p in profile.segments.items()})


def segment_columns(profile: Profile) -> list[str]:
    """The columns a profile's segments (``state=CA``) were cut by, in first-seen order."""
    found: dict[str, None] = {}
    for key in profile.segments:
        found[next((c for c in profile.columns if key.startswith(f"{c}=")),
                   key.partition("=")[0])] = None
    return list(found)
