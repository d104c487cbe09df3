"""GCJ-02 → BD-09 against published point pairs."""

from __future__ import annotations

import pytest

from paotui.platform.datum import gcj02_to_bd09
from paotui.platform.geo import haversine_m

# wandergis/coordtransform's README (and hutool's CoordinateUtilTest, which checks against it): (lng, lat) 116.404,
# 39.915 converted
COORDTRANSFORM_GCJ02_TO_BD09 = ((39.915, 116.404), (39.92133699351021, 116.41036949371029))
# Beijing railway station in the examples of R's geoChina (gcj2bd, bd2gcj, conv): GCJ-02 and BD-09, 5 decimals
BEIJING_STATION_GCJ02, BEIJING_STATION_BD09 = (39.90245, 116.42703), (39.90851, 116.43351)


def test_gcj02_to_bd09_matches_the_published_conversion():
    gcj, bd = COORDTRANSFORM_GCJ02_TO_BD09
    assert gcj02_to_bd09(*gcj) == pytest.approx(bd, abs=1e-12)


def test_a_landmark_lands_where_both_maps_put_it():
    assert gcj02_to_bd09(*BEIJING_STATION_GCJ02) == pytest.approx(BEIJING_STATION_BD09, abs=1e-5)


@pytest.mark.parametrize("point", [(31.2335, 121.4760), (22.5431, 114.0579), (45.8038, 126.5350), (18.2528, 109.5119)])
def test_bd09_is_a_real_offset_of_some_hundreds_of_metres(point):
    assert 500 < haversine_m(*point, *gcj02_to_bd09(*point)) < 1500
