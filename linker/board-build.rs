// Shared build script for the board crates: `include!`d by boards/*/build.rs.
//
// Puts linker/ on the link search path (for common.x), copies the board's memory map to
// OUT_DIR/memory.x (where aarch32-rt's link.x INCLUDEs it), and links with aarch32-rt's link.x
// and defmt's defmt.x.

use std::path::PathBuf;

fn link_board(board: &str) {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let linker = manifest.join("../../linker").canonicalize().expect("linker/ directory");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let map = linker.join(format!("{board}.x"));
    std::fs::copy(&map, out.join("memory.x")).expect("copy the board memory map");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-search={}", linker.display());
    println!("cargo:rustc-link-arg=-Tlink.x");
    println!("cargo:rustc-link-arg=-Tdefmt.x");
    println!("cargo:rerun-if-changed={}", map.display());
    println!("cargo:rerun-if-changed={}", linker.join("common.x").display());
}
