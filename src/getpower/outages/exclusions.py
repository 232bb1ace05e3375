"""Evidence an exclusion claim needs (rules R3). The duration limit of switching exclusions
depends on the rulebook and the as-of day, so the rule engine applies it; this module decides
only whether the evidence a claim cites is complete."""

from __future__ import annotations

QUALIFYING_WARNING_LEVELS = {"county", "prefecture", "province", "national"}

EXCLUSION_CHOICES = (
    ("none", "无"),
    ("disaster_warning", "自然灾害预警"),
    ("external_damage", "外力破坏"),
    ("supply_assurance", "保供电接入退出"),
    ("mode_adjustment", "方式调整"),
)


def evidence_problem(exclusion: str | None, *, cause: str | None, warning_ref: str | None,
                     warning_issuer: str | None, warning_level: str | None) -> str | None:
    """None when the claim's evidence is complete (or nothing is claimed), else the reason in Chinese."""
    if exclusion in (None, "", "none"):
        return None
    if exclusion == "disaster_warning":
        missing = [label for label, value in (("预警文号", warning_ref), ("预警发布单位", warning_issuer),
                                               ("预警发布层级", warning_level)) if not value]
        if missing:
            return "自然灾害剔除缺少" + "、".join(missing)
        if warning_level not in QUALIFYING_WARNING_LEVELS:
            return "预警须由县级及以上政府部门发布（乡镇级不予剔除）"
        return None
    if exclusion == "external_damage":
        return None if (cause or "").strip() else "外力破坏剔除须在停电原因中说明外力破坏情况"
    # supply_assurance / mode_adjustment need no document; their duration limit is applied by the rule
    return None
