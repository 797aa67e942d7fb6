//! Addresses that do not fit are refused whole, never truncated.

use ipc_core::ErrorKind;
use ipc_core::testing::unique_test_name;
use ipc_sock::UnixAddress;

#[test]
fn a_path_too_long_is_an_invalid_name_and_nothing_is_created_at_its_truncation() {
    let name = format!("{}-{}", unique_test_name("long"), "x".repeat(120));
    let path = std::env::temp_dir().join(&name);
    let err = UnixAddress::path(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidName, "{err}");
    assert!(err.to_string().contains("sun_path"), "{err}");
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let truncated = std::ffi::OsStr::from_bytes(&bytes[..107]);
    assert!(std::fs::symlink_metadata(truncated).is_err());
}

#[test]
fn an_abstract_name_too_long_or_empty_is_an_invalid_name() {
    for bad in [&[b'a'; 108][..], b""] {
        let err = UnixAddress::abstract_name(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidName, "{err}");
    }
}
