//! Requirement parsing and signature checks without a run: keys made offline with the crate.

use super::*;

fn file(path: &str) -> Declared<'_> {
    Declared {
        path: Some(Path::new(path)),
        ..Default::default()
    }
}

#[test]
fn no_fields_no_requirement_and_signature_defaults_next_to_the_file() {
    let base = Path::new("/lab");
    assert_eq!(requirement(file("m.gguf"), base).unwrap(), None);
    let kp = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let keys = [kp.pk.to_base64()];
    let sha = "AB".repeat(32);
    let r = requirement(
        Declared {
            sha256: Some(&sha),
            trusted_keys: Some(&keys),
            ..file("m.gguf")
        },
        base,
    )
    .unwrap()
    .unwrap();
    assert_eq!(r.sha256.as_deref(), Some("ab".repeat(32).as_str()));
    assert_eq!(r.signature, Some(PathBuf::from("/lab/m.gguf.minisig")));
    let synth = Declared {
        synth: true,
        sha256: Some("00"),
        ..Default::default()
    };
    let e = requirement(synth, base).unwrap_err();
    assert!(e.contains("`path`"), "{e}");
}

#[test]
fn sign_then_verify_and_every_way_it_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("m.bin");
    std::fs::write(&file, b"weights").unwrap();
    let (lab, lab_id) = minisig::keygen(&tmp.path().join("lab"), true).unwrap();
    let (other, _) = minisig::keygen(&tmp.path().join("other"), true).unwrap();
    assert!(minisig::keygen(&tmp.path().join("lab"), true)
        .unwrap_err()
        .contains("already exists"));
    let (sig, id) = minisig::sign(&tmp.path().join("lab.key"), &file, None).unwrap();
    assert_eq!(
        (sig.clone(), id.clone()),
        (tmp.path().join("m.bin.minisig"), lab_id)
    );

    let req = |keys: &[&String]| Requirement {
        sha256: None,
        signature: Some(sig.clone()),
        trusted_keys: keys.iter().map(|k| k.to_string()).collect(),
    };
    let v = check(&req(&[&other, &lab]), &file, None).unwrap();
    assert_eq!(v.signed_by.as_deref(), Some(id.as_str()));
    assert!(!v.sha256_pinned);

    let e = check(&req(&[&other]), &file, None).unwrap_err();
    assert!(
        e.contains("not among the trusted keys") && e.contains(&id),
        "{e}"
    );

    std::fs::write(&file, b"weightz").unwrap();
    let e = check(&req(&[&lab]), &file, None).unwrap_err();
    assert!(
        e.contains("does not match the file") && e.contains("m.bin"),
        "{e}"
    );

    std::fs::write(&sig, "garbage").unwrap();
    let e = check(&req(&[&lab]), &file, None).unwrap_err();
    assert!(e.contains("is not a minisign signature"), "{e}");

    std::fs::remove_file(&sig).unwrap();
    let e = check(&req(&[&lab]), &file, None).unwrap_err();
    assert!(e.contains("cannot read its signature"), "{e}");
}

#[test]
fn a_sha256_mismatch_names_both_digests_and_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("m.gguf");
    std::fs::write(&file, b"x").unwrap();
    let want = "0".repeat(64);
    let req = Requirement {
        sha256: Some(want.clone()),
        ..Default::default()
    };
    let e = check(&req, &file, None).unwrap_err();
    let actual = sha256_hex(&file).unwrap();
    assert!(
        e.contains(&want) && e.contains(&actual) && e.contains("m.gguf"),
        "{e}"
    );
    let ok = Requirement {
        sha256: Some(actual.to_uppercase().to_ascii_lowercase()),
        ..Default::default()
    };
    assert!(check(&ok, &file, None).unwrap().sha256_pinned);
}

#[test]
fn old_reports_without_integrity_still_load() {
    let m: ModelFile = serde_json::from_str(
        r#"{"path":"m.gguf","format":"gguf","sha256":null,"file_bytes":null,"origin":"file","info":null}"#,
    )
    .unwrap();
    assert_eq!(m.integrity, None);
    let s = serde_json::to_string(&m).unwrap();
    assert!(!s.contains("integrity"), "{s}");
}
