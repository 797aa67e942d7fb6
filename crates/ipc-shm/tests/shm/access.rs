//! Copies, atomics and typed views across a process boundary.

use std::sync::atomic::Ordering;

use ipc_shm::{AnonymousRegion, RegionAccess};

#[test]
fn out_of_range_access_is_an_invalid_argument_naming_the_range() {
    let sut = AnonymousRegion::new(4096).unwrap();
    let mut buf = [0u8; 8];
    let err = sut.read_at(4090, &mut buf).unwrap_err();
    assert_eq!(err.kind(), ipc_core::ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("8 bytes at offset 4090"), "{err}");
    assert!(sut.read_at(usize::MAX, &mut buf).is_err());
    assert!(sut.atomic_u64(4092).is_err());
    assert!(sut.atomic_u32(2).is_err());
    assert!(sut.ptr_at(4096, 1).is_err());
    assert!(sut.ptr_at(4096, 0).is_ok());
}

#[test]
fn copies_of_every_length_and_alignment_round_trip() {
    let sut = AnonymousRegion::new(4096).unwrap();
    for offset in 0..17 {
        for len in 0..40 {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + offset + 1) as u8).collect();
            sut.write_at(offset, &data).unwrap();
            let mut back = vec![0u8; len];
            sut.read_at(offset, &mut back).unwrap();
            assert_eq!(back, data, "offset {offset} len {len}");
        }
    }
    sut.atomic_u32(0).unwrap().store(0, Ordering::Relaxed);
}
