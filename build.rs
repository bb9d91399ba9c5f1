//! Link settings for every target of the package (binary, tests, benches).

fn main() {
    // rusqlite is built with its own (bundled) SQLite, while GDAL (GeoPackage, SpatiaLite) links
    // the system libsqlite3. Without this flag the linker exports the bundled sqlite3_* symbols
    // from our executable (because libgdal references them), so GDAL ends up calling half of one
    // SQLite and half of the other and crashes (SIGSEGV in sqlite3HashFind when it creates a
    // GeoPackage). Hiding the symbols of static archives keeps the two SQLites apart.
    println!("cargo:rustc-link-arg=-Wl,--exclude-libs,ALL");
    println!("cargo:rerun-if-changed=build.rs");
}
