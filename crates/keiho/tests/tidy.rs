//! Tidy checks over the source tree, written as ordinary tests (rust-analyzer's habit):
//! every module says what it is for, and the product never reads `../shared/`.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_opens_with_a_doc_comment() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates"), &mut files);
    assert!(files.len() > 10, "found only {} files", files.len());
    let missing: Vec<_> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files without a leading `//!` line: {missing:#?}"
    );
}

#[test]
fn product_code_never_reads_the_shared_folder() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates"), &mut files);
    let offenders: Vec<_> = files
        .iter()
        .filter(|f| {
            !f.components()
                .any(|c| c.as_os_str() == "tests" || c.as_os_str() == "benches")
        })
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap_or_default()
                .contains("shared/data")
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "product code refers to ../shared: {offenders:#?}"
    );
}
