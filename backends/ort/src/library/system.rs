//! A system-wide ONNX Runtime (a distribution package, `/usr/local/lib`): where the dynamic
//! loader would look, and whether the one found is new enough for `ort`.
//!
//! Loading a library only to ask its version would tie this process to it (`ort` loads one
//! library per process), so the version comes from the file name the `libonnxruntime.so`
//! links resolve to (`libonnxruntime.so.1.21.0`). A library whose version cannot be read that
//! way is not used: the pinned release is, and `edgebench list` says so.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What the search found: the library to use, and libraries it passed over, with why.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct SystemSearch {
    pub found: Option<PathBuf>,
    pub ignored: Vec<String>,
}

/// The dynamic loader's usual places, in its order: `LD_LIBRARY_PATH`, the directories of the
/// `libonnxruntime` entries in `ldconfig -p`, then the standard library directories.
pub(crate) fn default_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("LD_LIBRARY_PATH")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    dirs.extend(ldconfig_dirs());
    let multiarch = format!("{}-linux-gnu", std::env::consts::ARCH);
    for d in [
        "/usr/local/lib".to_string(),
        "/usr/local/lib64".into(),
        format!("/usr/lib/{multiarch}"),
        format!("/lib/{multiarch}"),
        "/usr/lib64".into(),
        "/usr/lib".into(),
    ] {
        dirs.push(d.into());
    }
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| d.is_absolute() && seen.insert(d.clone()));
    dirs
}

/// Directories of the `libonnxruntime` entries in the loader cache (empty without `ldconfig`).
fn ldconfig_dirs() -> Vec<PathBuf> {
    for exe in ["ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig"] {
        let out = Command::new(exe)
            .arg("-p")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output();
        if let Some(out) = out.ok().filter(|o| o.status.success()) {
            return parse_ldconfig(&String::from_utf8_lossy(&out.stdout));
        }
    }
    Vec::new()
}

/// `\tlibonnxruntime.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libonnxruntime.so.1`
/// lines → their directories.
fn parse_ldconfig(text: &str) -> Vec<PathBuf> {
    text.lines()
        .filter(|l| l.trim_start().starts_with("libonnxruntime.so"))
        .filter_map(|l| l.split_once("=> ").map(|(_, p)| PathBuf::from(p.trim())))
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .collect()
}

/// `(major, minor, patch)` from `libonnxruntime.so.1.21.0` (`None` for `libonnxruntime.so.1`).
pub(crate) fn version_of(file_name: &str) -> Option<(u32, u32, u32)> {
    let v = file_name.strip_prefix("libonnxruntime.so.")?;
    let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next()??;
    let minor = parts.next()??;
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

/// The first directory of `dirs` holding a `libonnxruntime.so*` that `ort` can use (version
/// 1.`min_minor` or later); the newest such file there.
pub(crate) fn find(dirs: &[PathBuf], min_minor: u32) -> SystemSearch {
    let mut search = SystemSearch::default();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut usable: Vec<((u32, u32, u32), PathBuf)> = Vec::new();
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if !(name == "libonnxruntime.so" || name.starts_with("libonnxruntime.so.")) {
                continue;
            }
            let Ok(real) = std::fs::canonicalize(e.path()) else {
                continue;
            };
            if !real.is_file() || usable.iter().any(|(_, p)| *p == real) {
                continue;
            }
            let real_name = real.file_name().map(|n| n.to_string_lossy().into_owned());
            match real_name.as_deref().and_then(version_of) {
                Some(v @ (1, minor, _)) if minor >= min_minor => usable.push((v, real)),
                Some((major, minor, patch)) => search.ignored.push(format!(
                    "system library {} is version {major}.{minor}.{patch}, older than the 1.{min_minor} `ort` needs",
                    real.display()
                )),
                None => search.ignored.push(format!(
                    "system library {} has no version in its file name, so the pinned release is used (set ORT_DYLIB_PATH to use it)",
                    real.display()
                )),
            }
        }
        search.ignored.dedup();
        if let Some((_, path)) = usable.into_iter().max() {
            search.found = Some(path);
            return search;
        }
    }
    search
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_the_file_name() {
        assert_eq!(version_of("libonnxruntime.so.1.21.0"), Some((1, 21, 0)));
        assert_eq!(version_of("libonnxruntime.so.1.32"), Some((1, 32, 0)));
        assert_eq!(version_of("libonnxruntime.so.1"), None);
        assert_eq!(version_of("libonnxruntime.so"), None);
        assert_eq!(version_of("libonnxruntime_providers_shared.so"), None);
    }

    #[test]
    fn ldconfig_lines_give_directories() {
        let text = "3 libs found in cache `/etc/ld.so.cache'\n\
            \tlibonnxruntime.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libonnxruntime.so.1\n\
            \tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6\n";
        assert_eq!(
            parse_ldconfig(text),
            vec![PathBuf::from("/usr/lib/x86_64-linux-gnu")]
        );
    }

    #[test]
    fn takes_a_new_enough_versioned_library_through_its_links() {
        let tmp = tempfile::tempdir().unwrap();
        let (old, new, plain) = (
            tmp.path().join("a"),
            tmp.path().join("b"),
            tmp.path().join("c"),
        );
        for d in [&old, &new, &plain] {
            std::fs::create_dir(d).unwrap();
        }
        std::fs::write(old.join("libonnxruntime.so.1.16.3"), b"").unwrap();
        std::fs::write(plain.join("libonnxruntime.so"), b"").unwrap();
        std::fs::write(new.join("libonnxruntime.so.1.21.0"), b"").unwrap();
        std::os::unix::fs::symlink("libonnxruntime.so.1.21.0", new.join("libonnxruntime.so.1"))
            .unwrap();
        std::os::unix::fs::symlink("libonnxruntime.so.1", new.join("libonnxruntime.so")).unwrap();

        let s = find(&[old.clone(), plain.clone(), new.clone()], 17);
        let found = s.found.unwrap();
        assert_eq!(
            found,
            new.join("libonnxruntime.so.1.21.0").canonicalize().unwrap()
        );
        assert_eq!(s.ignored.len(), 2, "{:?}", s.ignored);
        assert!(
            s.ignored[0].contains("1.16.3, older than the 1.17"),
            "{:?}",
            s.ignored
        );
        assert!(s.ignored[1].contains("no version"), "{:?}", s.ignored);

        assert_eq!(find(&[old], 17).found, None);
        assert_eq!(find(std::slice::from_ref(&new), 22).found, None);
        assert_eq!(
            find(&[tmp.path().join("missing")], 17),
            SystemSearch::default()
        );
    }
}
