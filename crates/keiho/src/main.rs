//! The `keiho` command: wires the library crates together; holds no domain logic.
fn main() {}
