"""Opens every collection of a running jzplan server in QGIS (headless) and prints what QGIS
sees, one JSON object per line: the collection, the provider, whether the layer is valid, its
feature count, geometry type and fields (name, type).

Two providers per collection: QGIS's own OAPIF provider (what "Add WFS / OGC API - Features
layer" uses) and the ogr provider over GDAL's OAPIF driver (`OAPIF:` URL).

Usage: QT_QPA_PLATFORM=offscreen python3 qgis_layers.py BASE_URL ID [ID ...]
"""

import json
import os
import sys

from qgis.core import QgsApplication, QgsVectorLayer, QgsWkbTypes


def describe(layer):
    valid = layer.isValid()
    return {
        "valid": valid,
        "count": layer.featureCount() if valid else None,
        "geometry": QgsWkbTypes.displayString(layer.wkbType()) if valid else None,
        "fields": [[f.name(), f.typeName()] for f in layer.fields()] if valid else [],
    }


def main():
    base, ids = sys.argv[1].rstrip("/"), sys.argv[2:]
    app = QgsApplication([], False)
    app.initQgis()
    for cid in ids:
        own = QgsVectorLayer(f"url='{base}' typename='{cid}'", cid, "OAPIF")
        row = {"id": cid, "provider": "OAPIF"}
        row.update(describe(own))
        # Every feature, read through the provider (not only the count the server reports).
        row["read"] = sum(1 for _ in own.getFeatures()) if own.isValid() else None
        print(json.dumps(row), flush=True)
        gdal = QgsVectorLayer(f"OAPIF:{base}/|layername={cid}", cid, "ogr")
        row = {"id": cid, "provider": "ogr"}
        row.update(describe(gdal))
        row["read"] = sum(1 for _ in gdal.getFeatures()) if gdal.isValid() else None
        print(json.dumps(row), flush=True)
    sys.stdout.flush()
    # QgsApplication.exitQgis() can crash while tearing down providers on 3.22: the answers
    # are printed, leave without it.
    os._exit(0)


if __name__ == "__main__":
    main()
