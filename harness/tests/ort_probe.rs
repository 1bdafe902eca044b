//! Issue 14, defect 13 (ONNX Runtime part): a fake `libonnxruntime.so` used to make
//! `edgebench list` segfault. Libraries are now loaded first in a probe child process
//! (`edgebench ort-probe`), so `list` stays up and says in one line what is wrong with which
//! file and how to fix it.
#![cfg(feature = "ort")]

use assert_cmd::Command;
use std::path::Path;

/// `edgebench list` with `ORT_DYLIB_PATH=lib`: exits 0; returns the `ort` row.
fn list_with(lib: &Path) -> String {
    let out = Command::cargo_bin("edgebench")
        .unwrap()
        .arg("list")
        .env("ORT_DYLIB_PATH", lib)
        .env("EDGEBENCH_ORT_AUTOFETCH", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "list failed ({:?}): {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find(|l| l.starts_with("ort "))
        .unwrap_or_else(|| panic!("no ort row: {stdout}"))
        .to_string()
}

#[test]
fn a_fake_library_is_named_in_one_line_and_list_survives() {
    let dir = tempfile::tempdir().unwrap();
    // A text file that merely has the name.
    let text = dir.path().join("libonnxruntime.so.1.32.0");
    std::fs::write(&text, "not a library\n").unwrap();
    let row = list_with(&text);
    assert!(
        row.contains("unavailable") && row.contains(&text.display().to_string()),
        "{row}"
    );
    assert!(row.contains("fix:"), "{row}");

    // An ELF library exporting OrtGetApiBase that returns garbage: loading it crashes.
    let src = dir.path().join("fake.c");
    std::fs::write(&src, "void *OrtGetApiBase(void) { return (void *)16; }\n").unwrap();
    let elf = dir.path().join("elf").join("libonnxruntime.so.1.32.0");
    std::fs::create_dir_all(elf.parent().unwrap()).unwrap();
    let built = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&elf)
        .arg(&src)
        .status();
    if !built.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED the ELF case: no C compiler (cc) to build the fake library");
        return;
    }
    let row = list_with(&elf);
    assert!(
        row.contains("unavailable") && row.contains(&elf.display().to_string()),
        "{row}"
    );
    assert!(
        row.contains("crashed") || row.contains("not a working"),
        "{row}"
    );
    assert!(row.contains("fix: point ORT_DYLIB_PATH at"), "{row}");
}
