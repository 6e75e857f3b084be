/*
 * fixture_wkt.h: CRS definitions for the writer's test fixtures, as
 * `gdalsrsinfo -o wkt2|wkt1 EPSG:n` (GDAL 3.6.2 / PROJ 9.1) prints them, so
 * that the tests need no PROJ call. Geographic WGS 84 (WKT2), ETRS89 /
 * GK25FIN (WKT2, northing-easting axis order) and WGS 84 / UTM 38S (WKT1).
 */
#ifndef AM_FIXTURE_WKT_H
#define AM_FIXTURE_WKT_H

static const char FIXTURE_WKT_4326[] =
    "GEOGCRS[\"WGS 84\",ENSEMBLE[\"World Geodetic System 1984 ensemble\","
    "MEMBER[\"World Geodetic System 1984 (Transit)\"],MEMBER[\"World Geo"
    "detic System 1984 (G730)\"],MEMBER[\"World Geodetic System 1984 (G"
    "873)\"],MEMBER[\"World Geodetic System 1984 (G1150)\"],MEMBER[\"Worl"
    "d Geodetic System 1984 (G1674)\"],MEMBER[\"World Geodetic System 1"
    "984 (G1762)\"],MEMBER[\"World Geodetic System 1984 (G2139)\"],ELLIP"
    "SOID[\"WGS 84\",6378137,298.257223563,LENGTHUNIT[\"metre\",1]],ENSEM"
    "BLEACCURACY[2.0]],PRIMEM[\"Greenwich\",0,ANGLEUNIT[\"degree\",0.0174"
    "532925199433]],CS[ellipsoidal,2],AXIS[\"geodetic latitude (Lat)\","
    "north,ORDER[1],ANGLEUNIT[\"degree\",0.0174532925199433]],AXIS[\"geo"
    "detic longitude (Lon)\",east,ORDER[2],ANGLEUNIT[\"degree\",0.017453"
    "2925199433]],USAGE[SCOPE[\"Horizontal component of 3D system.\"],A"
    "REA[\"World.\"],BBOX[-90,-180,90,180]],ID[\"EPSG\",4326]]";

static const char FIXTURE_WKT_3879[] =
    "PROJCRS[\"ETRS89 / GK25FIN\",BASEGEOGCRS[\"ETRS89\",ENSEMBLE[\"Europe"
    "an Terrestrial Reference System 1989 ensemble\",MEMBER[\"European "
    "Terrestrial Reference Frame 1989\"],MEMBER[\"European Terrestrial "
    "Reference Frame 1990\"],MEMBER[\"European Terrestrial Reference Fr"
    "ame 1991\"],MEMBER[\"European Terrestrial Reference Frame 1992\"],M"
    "EMBER[\"European Terrestrial Reference Frame 1993\"],MEMBER[\"Europ"
    "ean Terrestrial Reference Frame 1994\"],MEMBER[\"European Terrestr"
    "ial Reference Frame 1996\"],MEMBER[\"European Terrestrial Referenc"
    "e Frame 1997\"],MEMBER[\"European Terrestrial Reference Frame 2000"
    "\"],MEMBER[\"European Terrestrial Reference Frame 2005\"],MEMBER[\"E"
    "uropean Terrestrial Reference Frame 2014\"],ELLIPSOID[\"GRS 1980\","
    "6378137,298.257222101,LENGTHUNIT[\"metre\",1]],ENSEMBLEACCURACY[0."
    "1]],PRIMEM[\"Greenwich\",0,ANGLEUNIT[\"degree\",0.0174532925199433]]"
    ",ID[\"EPSG\",4258]],CONVERSION[\"Finland Gauss-Kruger zone 25\",METH"
    "OD[\"Transverse Mercator\",ID[\"EPSG\",9807]],PARAMETER[\"Latitude of"
    " natural origin\",0,ANGLEUNIT[\"degree\",0.0174532925199433],ID[\"EP"
    "SG\",8801]],PARAMETER[\"Longitude of natural origin\",25,ANGLEUNIT["
    "\"degree\",0.0174532925199433],ID[\"EPSG\",8802]],PARAMETER[\"Scale f"
    "actor at natural origin\",1,SCALEUNIT[\"unity\",1],ID[\"EPSG\",8805]]"
    ",PARAMETER[\"False easting\",25500000,LENGTHUNIT[\"metre\",1],ID[\"EP"
    "SG\",8806]],PARAMETER[\"False northing\",0,LENGTHUNIT[\"metre\",1],ID"
    "[\"EPSG\",8807]]],CS[Cartesian,2],AXIS[\"northing (N)\",north,ORDER["
    "1],LENGTHUNIT[\"metre\",1]],AXIS[\"easting (E)\",east,ORDER[2],LENGT"
    "HUNIT[\"metre\",1]],USAGE[SCOPE[\"Cadastre,engineering survey,topog"
    "raphic mapping (large scale).\"],AREA[\"Finland - nominally onshor"
    "e between 24°30'E and 25°30'E but may be used in adjacent areas "
    "if a municipality chooses to use one zone over its whole extent."
    "\"],BBOX[59.94,24.5,68.9,25.5]],ID[\"EPSG\",3879]]";

static const char FIXTURE_WKT_32738[] =
    "PROJCS[\"WGS 84 / UTM zone 38S\",GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\","
    "SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]"
    "],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG"
    "\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"91"
    "22\"]],AUTHORITY[\"EPSG\",\"4326\"]],PROJECTION[\"Transverse_Mercator\""
    "],PARAMETER[\"latitude_of_origin\",0],PARAMETER[\"central_meridian\""
    ",45],PARAMETER[\"scale_factor\",0.9996],PARAMETER[\"false_easting\","
    "500000],PARAMETER[\"false_northing\",10000000],UNIT[\"metre\",1,AUTH"
    "ORITY[\"EPSG\",\"9001\"]],AXIS[\"Easting\",EAST],AXIS[\"Northing\",NORTH"
    "],AUTHORITY[\"EPSG\",\"32738\"]]";

#endif /* AM_FIXTURE_WKT_H */
