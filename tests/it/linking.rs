//! One process uses two SQLites: rusqlite's bundled one (the store) and the system one inside
//! GDAL (GeoPackage). build.rs keeps their symbols apart; this test crashed before it did.

#[test]
fn rusqlite_and_gdal_geopackage_live_in_one_process() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let v: i64 = conn.query_row("SELECT 40 + 2", [], |r| r.get(0)).unwrap();
    assert_eq!(v, 42);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("probe.gpkg");
    let driver = gdal::DriverManager::get_driver_by_name("GPKG").unwrap();
    let mut ds = driver.create_vector_only(&path).unwrap();
    ds.create_layer(gdal::vector::LayerOptions {
        name: "probe",
        ty: gdal::vector::OGRwkbGeometryType::wkbPoint,
        ..Default::default()
    })
    .unwrap();
    drop(ds);
    let ds = gdal::Dataset::open(&path).unwrap();
    assert_eq!(ds.layer_count(), 1);
    // The bundled SQLite still works after GDAL has used the system one.
    let v: i64 = conn.query_row("SELECT 6 * 7", [], |r| r.get(0)).unwrap();
    assert_eq!(v, 42);
}
