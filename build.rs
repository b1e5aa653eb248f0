//! Links the `bootstrap` binary as a position-dependent executable (`-no-pie`) on Linux.
//!
//! A position-independent executable is loaded at a random address, so before `main` the dynamic
//! loader patches every pointer in the binary's data and each patched page becomes a private copy.
//! Linked at a fixed address, the linker writes those pointers once and the pages stay shared with the
//! file, so a cold start takes fewer page faults and less CPU (measured in docs/benchmarks.md). Lambda
//! gives a function CPU in proportion to its memory, a fraction of one CPU at the template's 128 MB, so
//! CPU time saved there is time saved.
//!
//! What it gives up: the executable's own code and data are at the same address in every process
//! (the stack, heap and shared libraries are still randomised), as in Go's default Linux builds.
//! Test binaries are linked as before.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
