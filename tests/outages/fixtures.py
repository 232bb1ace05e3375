"""A small outage ledger on the test province (tests/factories.py), hand-computed in the tests."""

OUTAGES = """event_id,company,asset_type,asset_id,start_time,end_time,kind,cause,exclusion,warning_ref,warning_issuer,warning_level,affected_tq
E1,WHPG,line,WH-L1,2026-01-05 08:00,2026-01-05 09:00,fault,,,,,,
E2,WHPG,tq,WH-T1,2026-01-20 08:00,2026-01-20 08:03,fault,,,,,,
E3,WHPG,tq,WH-T1,2026-02-01 08:00,2026-02-01 08:03:01,fault,,,,,,
E4,WHPG,line,WH-L1,2026-02-10 08:00,2026-02-10 09:00,planned,,,,,,WH-T2
E5,WHPG,tq,WH-T1,2026-02-20 08:00,2026-02-20 10:00,fault,暴雨,disaster_warning,,,,
E6,WHPG,tq,WH-T1,2026-03-01 08:00,,fault,,,,,,
E7,WHPG,tq,WH-T2,2026-02-25 08:00,2026-02-25 09:00,fault,暴雨,disaster_warning,五华气象预〔2026〕3号,五华区气象局,county,
E8,PLPG,tq,PL-T1,2026-02-25 08:00,2026-02-25 08:20,temporary,,mode_adjustment,,,,
E9,PLPG,tq,PL-T1,2026-02-26 08:00,2026-02-26 08:45,temporary,,mode_adjustment,,,,
"""

# At the end of 2026-03-01 (hand-computed from R3):
# WH-T1: E1 (line, all 台区), E3 (3:01), E5 (rejected claim: no evidence), E6 (still out) → 4 in 55 days → breach
#        on 03-01; E2 (3:00) is not counted, E4 lists only WH-T2.
# WH-T2: E1, E4 counted, E7 excluded (county-level warning with evidence) → 2, E4 in the last 30 days only → ok
# WH-L1: E1, E4 → 2 → ok
# PL-T1: E8 excluded (20 min switching), E9 counted (45 min > 30) → 1 → ok
EXPECTED_CSV = """asset_type,asset_id,company,county_code,year_count,max_60d_count,status,first_breach_date
line,WH-L1,WHPG,530102,2,2,ok,
tq,PL-T1,PLPG,530103,1,1,ok,
tq,WH-T1,WHPG,530102,4,4,breach,2026-03-01
tq,WH-T2,WHPG,530102,2,2,ok,
"""
