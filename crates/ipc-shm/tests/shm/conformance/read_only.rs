//! A read-only mapping of the same object (`ReadOnlyRegion`, which is not a `SharedRegion`):
//! it sees the writable mapping's bytes as they change, and refuses ranges as `RegionAccess`
//! does, naming the object.

use std::sync::atomic::Ordering;

use ipc_shm::RegionAccess;

use super::LEN;
use super::backing::Reachable;
use super::region::{assert_refused, pattern};

pub(super) fn a_read_only_mapping_sees_the_writes_and_refuses_ranges_naming_the_object<
    B: Reachable,
>() {
    let (sut, fixture) = B::create(LEN);
    let object = B::object_text(&fixture);
    let mut data = pattern(3, LEN);
    data[16..24].copy_from_slice(&(u64::MAX - 1).to_ne_bytes());
    sut.write_at(0, &data).unwrap();
    // Release: pairs with the Acquire load through the read-only mapping.
    let word = sut.atomic_u64(16).unwrap();
    word.store(u64::MAX - 1, Ordering::Release);
    let max = usize::MAX;
    let fit = |len: usize, offset: usize| format!("{len} bytes at offset {offset} do not fit");
    B::with_read_only(&fixture, &mut |view| {
        assert_eq!(view.len(), LEN);
        assert!(!view.is_empty());
        assert_eq!(view.as_ptr() as usize % rustix::param::page_size(), 0);
        let mut back = vec![0; LEN];
        view.read_at(0, &mut back).unwrap();
        assert!(
            back == data,
            "the read-only mapping's bytes differ from the writes"
        );
        // Acquire: pairs with the Release store above.
        assert_eq!(view.load_u64(16, Ordering::Acquire).unwrap(), u64::MAX - 1);
        let expected = u32::from_ne_bytes([data[5], data[6], data[7], data[8]]);
        assert_eq!(view.load_pod::<u32>(5).unwrap(), expected);
        // A live view of the same pages, not a copy made when it was mapped.
        sut.write_at(LEN - 4, b"last").unwrap();
        let mut last = [0u8; 4];
        view.read_at(LEN - 4, &mut last).unwrap();
        assert_eq!(&last, b"last");

        let mut buf = [0u8; 4];
        for offset in [LEN - 3, max] {
            let range = fit(4, offset);
            assert_refused(view.read_at(offset, &mut buf), "read_at", &object, &range);
            assert_refused(view.load_pod::<u32>(offset), "load_pod", &object, &range);
        }
        let range = fit(8, max - 7);
        assert_refused(
            view.load_u64(max - 7, Ordering::Relaxed),
            "load_u64",
            &object,
            &range,
        );
        let range = fit(4, LEN);
        assert_refused(
            view.load_u32(LEN, Ordering::Relaxed),
            "load_u32",
            &object,
            &range,
        );
        let range = "not a multiple of 4";
        assert_refused(
            view.load_u32(2, Ordering::Relaxed),
            "load_u32",
            &object,
            range,
        );
        let range = "not a multiple of 8";
        assert_refused(
            view.load_u64(4, Ordering::Relaxed),
            "load_u64",
            &object,
            range,
        );
    });
}
