//! `EDGEBENCH_KERNELS` selects the kernel set; an unknown name is an error with the fix.
//! (Its own test binary: it sets a process-wide environment variable.)

use edgebench_backend::Backend;
use edgebench_reference::ReferenceBackend;

#[test]
fn unknown_kernel_set_is_unavailable_and_scalar_is_accepted() {
    std::env::set_var("EDGEBENCH_KERNELS", "avx512-turbo");
    let e = ReferenceBackend.check().unwrap_err();
    assert_eq!(e.kind(), "unavailable");
    let msg = e.to_string();
    assert!(msg.contains("`avx512-turbo` is not a kernel set"), "{msg}");
    assert!(msg.contains("scalar"), "{msg}");
    assert!(ReferenceBackend.describe()["kernels"].starts_with("invalid"));
    std::env::set_var("EDGEBENCH_KERNELS", "scalar");
    ReferenceBackend.check().unwrap();
    assert_eq!(ReferenceBackend.describe()["kernels"], "scalar");
}
