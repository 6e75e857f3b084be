#!/bin/sh
# Rebuilds comoros_dou_32738.tif: Degree-of-Urbanisation-like classes
# (GHS-SMOD level-2 codes, see classify_dou.py) of the Comoros, derived
# from the WorldPop 2020 population raster of the demo, on a 1 km grid in
# UTM zone 38S (EPSG:32738): another CRS and resolution than the
# population grid (WGS 84, 3 arc-seconds), as a real settlement raster
# (GHS-SMOD: 1 km, Mollweide) would be. Run from the repository root:
#   sh tests/data/settlement/make_settlement.sh
# Needs gdalwarp, gdal_translate and python3 (standard library only).
set -eu
here=tests/data/settlement
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# people per 1 km x 1 km cell: the sum of the 100 m cells in each
gdalwarp -q -t_srs EPSG:32738 -tr 1000 1000 -tap -r sum -ot Float64 \
    -dstnodata -1 data/comoros/com_ppp_2020_UNadj.tif "$tmp/pop1km.tif"
gdal_translate -q -of AAIGrid "$tmp/pop1km.tif" "$tmp/pop1km.asc"
python3 "$here/classify_dou.py" "$tmp/pop1km.asc" "$tmp/dou.asc"
gdal_translate -q -ot Byte -a_srs EPSG:32738 -a_nodata 255 \
    -co COMPRESS=DEFLATE "$tmp/dou.asc" "$here/comoros_dou_32738.tif"
