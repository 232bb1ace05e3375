"""Navigation for the Chinese shell: what a role may open (the server still checks every request)."""

from getpower.core.scope import REGULATOR_ROLES, ROLE_LABELS, Role, organisation_of, role_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": [], "role_label": "", "current_org": None}
    role = role_of(user)
    items = [("首页", "/"), ("线路与台区", "/assets/"), ("频繁停电", "/outages/findings/"),
             ("停电治理", "/outages/governance/"), ("用电报装", "/connections/"), ("欠费停电", "/arrears/"),
             ("报备中心", "/filings/")]
    items.append(("台账导入", "/imports/"))
    if role in REGULATOR_ROLES:
        items.insert(1, ("监管驾驶舱", "/cockpit/"))
        items.append(("审计日志", "/audit/"))
    items += [("工作日历", "/calendar/"), ("规则参数", "/rulebook/"), ("数据字典", "/dictionary/")]
    unread = user.notifications.filter(read_at__isnull=True).count()
    items.append((f"消息（{unread}）" if unread else "消息", "/inbox/"))
    if getattr(getattr(user, "profile", None), "is_org_admin", False):
        items.append(("API 令牌", "/account/tokens/"))
    if role == Role.ADMIN:
        items.append(("管理后台", "/admin/"))
    return {"nav": items, "role": role, "role_label": ROLE_LABELS[role], "current_org": organisation_of(user)}
