//! `ensure`, `status` and the workers' lookup against fake wheels (zips built here) and fake
//! download steps, including a fake `python -m pip`: nothing here touches the network.

use super::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const LIB: &[u8] = b"\x7fELF not really a library";

/// A wheel holding the pinned library name (when `with_lib`) and the providers library.
fn fake_wheel(dir: &Path, with_lib: bool) -> PathBuf {
    use std::io::Write as _;
    let path = dir.join("fake.whl");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file("onnxruntime/__init__.py", opts).unwrap();
    z.write_all(b"# fake\n").unwrap();
    if with_lib {
        z.start_file("onnxruntime/capi/libonnxruntime.so.1.32.0", opts)
            .unwrap();
        z.write_all(LIB).unwrap();
    }
    z.start_file("onnxruntime/capi/libonnxruntime_providers_shared.so", opts)
        .unwrap();
    z.write_all(b"providers").unwrap();
    z.finish().unwrap();
    path
}

/// Settings under `tmp` whose pin is `wheel`'s real hash.
fn settings_for(tmp: &Path, wheel: &Path) -> Settings {
    let mut s = Settings::for_test(tmp);
    let pin = s.pin.as_mut().unwrap();
    pin.sha256 = provision::sha256_file(wheel).unwrap();
    pin.size_bytes = std::fs::metadata(wheel).unwrap().len();
    s
}

/// A download step that copies `wheel` as pip would, counting its calls.
fn copying(
    wheel: PathBuf,
    calls: Arc<AtomicUsize>,
) -> impl Fn(&Pin, &Path) -> Result<PathBuf, Failure> {
    move |pin, dir| {
        calls.fetch_add(1, Ordering::SeqCst);
        let to = dir.join(&pin.file_name);
        std::fs::copy(&wheel, &to).unwrap();
        Ok(to)
    }
}

fn never(_: &Pin, _: &Path) -> Result<PathBuf, Failure> {
    panic!("nothing should be downloaded here")
}

fn leftovers(cache: &Path) -> Vec<String> {
    std::fs::read_dir(cache)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".fetch-"))
        .collect()
}

#[test]
fn fetches_verifies_and_installs_into_the_cache_once() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = fake_wheel(tmp.path(), true);
    let s = settings_for(tmp.path(), &wheel);
    let calls = Arc::new(AtomicUsize::new(0));
    let mut progress = Vec::new();

    let found = ensure_with(&s, &copying(wheel.clone(), calls.clone()), &mut progress).unwrap();
    let dir = tmp.path().join("cache/1.32.0-x86_64");
    assert_eq!(found.source, Source::Cache);
    assert_eq!(found.path, dir.join("libonnxruntime.so.1.32.0"));
    assert_eq!(std::fs::read(&found.path).unwrap(), LIB);
    assert!(dir.join("libonnxruntime_providers_shared.so").is_file());
    assert!(std::fs::read_to_string(dir.join("SOURCE"))
        .unwrap()
        .contains("sha256"));
    let line = String::from_utf8(progress).unwrap();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.starts_with("edgebench: fetching ONNX Runtime 1.32.0 for x86_64 from PyPI (one time, ~1 MB)... done: "),
        "{line}"
    );
    assert!(leftovers(&tmp.path().join("cache")).is_empty());

    // Second time: found in the cache, nothing downloaded, nothing printed.
    let mut progress = Vec::new();
    let again = ensure_with(&s, &copying(wheel, calls.clone()), &mut progress).unwrap();
    assert_eq!(again, found);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(progress.is_empty());
    assert_eq!(find(&s).unwrap(), found);
    assert_eq!(
        status_with(&s).to_string(),
        format!("{} (from per-user cache)", found.path.display())
    );
}

#[test]
fn hash_mismatch_names_the_file_and_both_hashes_and_installs_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = fake_wheel(tmp.path(), true);
    let mut s = settings_for(tmp.path(), &wheel);
    let actual = s.pin.as_ref().unwrap().sha256.clone();
    let pinned = "ab".repeat(32);
    s.pin.as_mut().unwrap().sha256 = pinned.clone();
    s.wheel = Some(wheel.clone());
    let mut progress = Vec::new();

    let download = provision::fetcher(s.wheel.clone(), Vec::new());
    let f = ensure_with(&s, &download, &mut progress).unwrap_err();
    assert!(f.reason.contains(&wheel.display().to_string()), "{f:?}");
    assert!(f.reason.contains(&actual), "{f:?}");
    assert!(f.reason.contains(&pinned), "{f:?}");
    assert!(f.reason.contains("backends/ort/src/pins.rs"), "{f:?}");
    assert!(f.fix.contains("ORT_DYLIB_PATH="), "{f:?}");
    assert!(!f.reason.contains('\n') && !f.fix.contains('\n'));
    let line = String::from_utf8(progress).unwrap();
    assert!(
        line.starts_with("edgebench: installing ONNX Runtime 1.32.0 for x86_64 from "),
        "{line}"
    );
    assert!(line.ends_with("... failed\n"), "{line}");
    assert!(!tmp.path().join("cache/1.32.0-x86_64").exists());
    assert!(leftovers(&tmp.path().join("cache")).is_empty());
    assert!(
        wheel.is_file(),
        "a wheel given by the user is never deleted"
    );
    // A worker (which never downloads) reports the same reason.
    assert_eq!(find(&s).unwrap_err(), f);
}

#[test]
fn a_wheel_without_the_library_is_an_error_naming_the_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = fake_wheel(tmp.path(), false);
    let s = settings_for(tmp.path(), &wheel);
    let f = ensure_with(
        &s,
        &copying(wheel, Arc::new(AtomicUsize::new(0))),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(
        f.reason
            .contains("onnxruntime/capi/libonnxruntime.so.1.32.0"),
        "{f:?}"
    );
    assert!(!tmp.path().join("cache/1.32.0-x86_64").exists());
}

#[test]
fn a_failed_fetch_is_what_workers_report_until_a_fetch_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = fake_wheel(tmp.path(), true);
    let s = settings_for(tmp.path(), &wheel);
    let plain = find(&s).unwrap_err();
    assert!(plain.reason.contains("is not installed"), "{plain:?}");
    assert!(plain.fix.contains("edgebench run"), "{plain:?}");

    let offline = |_: &Pin, _: &Path| -> Result<PathBuf, Failure> {
        Err(Failure {
            reason: "pip could not reach PyPI".into(),
            fix: "connect to PyPI".into(),
        })
    };
    let f = ensure_with(&s, &offline, &mut Vec::new()).unwrap_err();
    assert_eq!(find(&s).unwrap_err(), f);

    let calls = Arc::new(AtomicUsize::new(0));
    ensure_with(&s, &copying(wheel, calls), &mut Vec::new()).unwrap();
    assert_eq!(find(&s).unwrap().source, Source::Cache);
    assert!(!tmp.path().join("cache/1.32.0-x86_64.failed").exists());
}

#[test]
fn autofetch_off_never_downloads_but_a_local_wheel_still_installs() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = fake_wheel(tmp.path(), true);
    let mut s = settings_for(tmp.path(), &wheel);
    s.autofetch = false;
    let f = ensure_with(&s, &never, &mut Vec::new()).unwrap_err();
    assert!(f.reason.contains("EDGEBENCH_ORT_AUTOFETCH=0"), "{f:?}");
    assert!(f.fix.contains("ORT_DYLIB_PATH="), "{f:?}");
    assert!(matches!(status_with(&s), Status::Unavailable(_)));
    assert_eq!(find(&s).unwrap_err(), f);

    s.wheel = Some(wheel.clone());
    let download = provision::fetcher(s.wheel.clone(), Vec::new());
    let found = ensure_with(&s, &download, &mut Vec::new()).unwrap();
    assert_eq!(found.source, Source::Cache);
    assert!(wheel.is_file());
}

#[test]
fn status_says_what_would_happen_without_fetching() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = Settings::for_test(tmp.path());
    let text = status_with(&s).to_string();
    assert!(
        text.starts_with(
            "not present: ONNX Runtime 1.32.0 will be fetched from PyPI on first use, into "
        ),
        "{text}"
    );
    assert!(!tmp.path().join("cache").exists(), "status must not write");
    s.cache_root = None;
    let text = status_with(&s).to_string();
    assert!(text.contains("XDG_CACHE_HOME"), "{text}");
    s.dylib_path = Some("/nonexistent/libonnxruntime.so".into());
    assert!(status_with(&s).to_string().contains("ORT_DYLIB_PATH"));
}

#[test]
fn concurrent_provisioning_downloads_once_and_all_get_the_same_library() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = fake_wheel(tmp.path(), true);
    let s = settings_for(tmp.path(), &wheel);
    let calls = Arc::new(AtomicUsize::new(0));
    let results: Vec<Found> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (s, wheel, calls) = (s.clone(), wheel.clone(), calls.clone());
                scope.spawn(move || {
                    let slow = move |pin: &Pin, dir: &Path| {
                        std::thread::sleep(std::time::Duration::from_millis(200));
                        copying(wheel.clone(), calls.clone())(pin, dir)
                    };
                    ensure_with(&s, &slow, &mut Vec::new()).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(results.iter().all(|f| *f == results[0]), "{results:?}");
    assert_eq!(std::fs::read(&results[0].path).unwrap(), LIB);
    assert!(leftovers(&tmp.path().join("cache")).is_empty());
}

/// A stand-in for `python3`: `-m pip --version` works; `-m pip download` runs `body` with
/// `$dest` set to the `--dest` argument.
fn fake_python(dir: &Path, name: &str, body: &str) -> std::ffi::OsString {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    let script = format!(
        "#!/bin/sh\n[ \"$3\" = --version ] && exit 0\n\
         while [ $# -gt 0 ]; do [ \"$1\" = --dest ] && dest=$2; shift; done\n{body}\n"
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Another test thread may fork while this file was open for writing ("text file busy"):
    // wait until it runs.
    for _ in 0..100 {
        match std::process::Command::new(&path)
            .args(["-m", "pip", "--version"])
            .status()
        {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            _ => break,
        }
    }
    path.into_os_string()
}

#[test]
fn fake_pip_download_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = fake_wheel(tmp.path(), true);
    let mut s = settings_for(tmp.path(), &wheel);
    let file_name = s.pin.as_ref().unwrap().file_name.clone();
    s.pythons = vec![
        "/nonexistent/python3".into(),
        fake_python(
            tmp.path(),
            "python-ok",
            &format!("cp {} \"$dest/{file_name}\"", wheel.display()),
        ),
    ];
    let download = provision::fetcher(None, s.pythons.clone());
    let found = ensure_with(&s, &download, &mut Vec::new()).unwrap();
    assert_eq!(std::fs::read(found.path).unwrap(), LIB);
}

#[test]
fn pip_that_cannot_reach_pypi_is_one_line_with_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = Settings::for_test(tmp.path());
    s.pythons = vec![fake_python(
        tmp.path(),
        "python-offline",
        "echo \"WARNING: Retrying (Retry(total=4)) after connection broken by 'NewConnectionError('<HTTPSConnection>: Failed to establish a new connection: [Errno 111] Connection refused')'\" >&2\n\
         echo 'ERROR: Could not find a version that satisfies the requirement onnxruntime==1.32.0 (from versions: none)' >&2\n\
         echo 'ERROR: No matching distribution found for onnxruntime==1.32.0' >&2\nexit 1",
    )];
    let download = provision::fetcher(None, s.pythons.clone());
    let mut progress = Vec::new();
    let f = ensure_with(&s, &download, &mut progress).unwrap_err();
    assert_eq!(
        f.reason,
        "pip could not reach PyPI to download onnxruntime==1.32.0 ([Errno 111] Connection refused)"
    );
    assert_eq!(
        f.fix,
        "connect to PyPI (or set PIP_INDEX_URL to a mirror), or set ORT_DYLIB_PATH=/path/to/libonnxruntime.so.1.32.0"
    );
    let e = BackendError::from(f);
    assert_eq!(e.to_string().lines().count(), 1, "{e}");
    assert!(String::from_utf8(progress).unwrap().ends_with("failed\n"));
}
