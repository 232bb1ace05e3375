"""Small ledgers for the cockpit tests, copied from the rule tests (outages, connections, arrears)
plus two 保山 faults, so that November 2026 has a breach, a warning, late and overdue
connections and an arrears violation in more than one prefecture."""

from tests.outages.fixtures import OUTAGES

# WH-T1 (五华): four counted outages within 60 days in Jan–Mar → a breach for the rest of 2026.
# BS-T1 (隆阳, 保山): two faults in November → a warning at 2026-11-25 (two in the last 30 days).
OUTAGES_2026 = OUTAGES + (
    "B1,BSDL,tq,BS-T1,2026-11-05 08:00,2026-11-05 09:00,fault,,,,,,\n"
    "B2,BSDL,tq,BS-T1,2026-11-15 08:00,2026-11-15 09:00,fault,,,,,,\n"
)

# tests/connections/test_services.py: A1 (五华, 三零) finished late, A2 (五华) overdue, A3 (盘龙) on time
APPS = """app_id,company,county_code,customer_kind,voltage_kv,supply,capacity_kw,zero_service,external_works,grid_upgrade,upgrade_due_date,applied_at,accepted_at,scheme_replied_at,design_submitted_at,design_reviewed_at,midcheck_requested_at,midcheck_done_at,completion_requested_at,completion_done_at,connect_ready_at,energized_at,contact_phone_last4
A1,WHPG,530102,resident,0.22,,8,是,否,否,,2026-02-13 09:00,2026-02-13 10:00,,,,,,,,,2026-03-02 10:00,1234
A2,WHPG,530102,private_org,0.38,,100,否,,是,2026-12-31,2026-09-28 09:00,2026-09-29 09:00,2026-10-09 09:00,,,,,,,,,5678
A3,PLPG,530103,other,10,single,800,,,,,2026-09-01 09:00,2026-09-01 12:00,2026-09-10 09:00,2026-09-11 09:00,2026-09-15 09:00,,,2026-10-08 09:00,2026-10-12 09:00,,2026-10-14 09:00,
"""
PAUSES = "app_id,pause_start,pause_end,reason\nA2,2026-10-09 10:00,2026-10-13 10:00,客户未备齐资料\n"

# tests/arrears/test_services.py: C2 (五华) violates; C1 complies; C3 pending; C4 (盘龙) cancelled
CASES = """case_id,company,county_code,community,households,arrears_yuan,bill_due_date,demand_at,approved_by,notice_served_at,final_notice_at,reported_at,authority,authority_level,planned_cut_at,cut_at,cancelled_at
C1,WHPG,530102,翠湖小区,320,85000,2026-08-01,2026-09-01 09:00,张经理,2026-09-05 09:00,2026-09-10 08:00,2026-09-06 10:00,五华区能源局,county,2026-09-10 09:00,2026-09-10 09:00,
C2,WHPG,530102,莲花小区,120,30000,2026-08-15,2026-09-01 09:00,,2026-09-13 09:00,,,,,2026-09-15 09:00,,
C3,WHPG,530102,滇池花园,200,50000,2026-10-01,2026-11-20 09:00,李经理,2026-11-24 09:00,,,,,2026-11-28 09:00,,
C4,PLPG,530103,金江小区,90,20000,2026-08-01,2026-09-01 09:00,王经理,2026-09-05 09:00,,2026-09-06 09:00,昆明市能源局,prefecture,2026-09-10 09:00,,2026-09-09 09:00
"""
