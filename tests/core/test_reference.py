from collections import Counter

import pytest

from getpower.core.models import Region

EXPECTED_COUNTIES = {
    "530100": 14, "530300": 9, "530400": 9, "530500": 5, "530600": 11, "530700": 5, "530800": 10, "530900": 8,
    "532300": 10, "532500": 13, "532600": 8, "532800": 3, "532900": 12, "533100": 5, "533300": 4, "533400": 3,
}


@pytest.mark.django_db
def test_yunnan_has_16_prefectures_and_129_counties():
    assert Region.objects.get(code="530000").name == "云南省"
    prefectures = Region.objects.filter(level="prefecture")
    assert prefectures.count() == 16
    counties = Region.objects.filter(level="county")
    assert counties.count() == 129
    per = Counter(c.parent_id for c in counties)
    assert dict(per) == EXPECTED_COUNTIES


@pytest.mark.django_db
def test_codes_are_hierarchical_and_names_official():
    for county in Region.objects.filter(level="county"):
        assert county.code[:4] + "00" == county.parent_id
    assert Region.objects.get(code="530102").name == "五华区"
    assert Region.objects.get(code="530502").name == "隆阳区"
    assert Region.objects.get(code="532800").name == "西双版纳傣族自治州"


@pytest.mark.django_db
def test_townships_lie_in_their_county():
    townships = Region.objects.filter(level="township")
    for t in townships[:2000]:
        assert len(t.code) == 9 and t.code.startswith(t.parent_id)


@pytest.mark.django_db
def test_reference_loading_is_idempotent():
    from getpower.core.reference import load_reference_data

    before = Region.objects.count()
    load_reference_data()
    assert Region.objects.count() == before
