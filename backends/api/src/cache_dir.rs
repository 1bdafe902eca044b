//! The per-user cache directory that every part of edgebench shares (the ONNX Runtime library,
//! bandwidth curves, the training corpus and trained models live under it).

use std::ffi::OsString;
use std::path::PathBuf;

/// `$XDG_CACHE_HOME/edgebench`, else `$HOME/.cache/edgebench`; `None` when neither is set to an
/// absolute path. As the XDG base-directory specification says, a relative `XDG_CACHE_HOME` is
/// invalid and ignored (as is an empty one); a relative `HOME` would put the cache under
/// whatever directory a run happens to start in, so it is ignored too.
pub fn user_cache_dir() -> Option<PathBuf> {
    from_vars(|k| std::env::var_os(k))
}

fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let abs = |k: &str| var(k).map(PathBuf::from).filter(|p| p.is_absolute());
    abs("XDG_CACHE_HOME")
        .or_else(|| abs("HOME").map(|h| h.join(".cache")))
        .map(|c| c.join("edgebench"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Option<PathBuf> {
        from_vars(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.into()))
    }

    #[test]
    fn xdg_first_then_home_and_only_absolute_paths() {
        let both = [("XDG_CACHE_HOME", "/x/cache"), ("HOME", "/home/u")];
        assert_eq!(with(&both), Some("/x/cache/edgebench".into()));
        let home = [("HOME", "/home/u")];
        assert_eq!(with(&home), Some("/home/u/.cache/edgebench".into()));
        let relative_xdg = [("XDG_CACHE_HOME", "cache"), ("HOME", "/home/u")];
        assert_eq!(with(&relative_xdg), Some("/home/u/.cache/edgebench".into()));
        let empty_xdg = [("XDG_CACHE_HOME", ""), ("HOME", "/home/u")];
        assert_eq!(with(&empty_xdg), Some("/home/u/.cache/edgebench".into()));
        assert_eq!(with(&[("HOME", "u")]), None);
        assert_eq!(with(&[]), None);
    }
}
