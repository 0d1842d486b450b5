//! Where tests leave every CAP message they produce, for CI's independent check with
//! `xmllint` against the official CAP 1.2 XSD (see `.ci/run`). Shared by the alert and
//! pipeline tests through `#[path]`.

/// Write `xml` to `target/cap-messages/NAME.xml` at the workspace root.
pub(crate) fn write_for_xmllint(name: &str, xml: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/cap-messages");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.xml")), xml).unwrap();
}
