//! The contract of `SharedRegion` and the checks of `RegionAccess`, in one process: a fixed,
//! page-aligned mapping of the length asked for, copies that round-trip, ranges refused with
//! an error naming the range and the object, atomics and typed views, threads, and the drop.

use std::sync::atomic::Ordering;

use ipc_core::{ErrorKind, SharedRegion};
use ipc_shm::RegionAccess;

use super::LEN;
use super::backing::{AfterCreatorDrop, Backing};

/// Whether this process maps something whose `/proc/self/maps` line mentions `text`.
fn mapped(text: &str) -> bool {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .any(|line| line.contains(text))
}

/// A pattern of `len` bytes that differs with `seed` and with the position.
pub(super) fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) | 1)
        .collect()
}

/// Asserts `result` is an `InvalidArgument` naming `operation`, the object, and the range.
#[track_caller]
pub(super) fn assert_refused<T>(
    result: ipc_core::Result<T>,
    operation: &str,
    object: &str,
    range: &str,
) {
    let Err(err) = result else {
        panic!("{operation} ({range}) succeeded; expected InvalidArgument");
    };
    let text = err.to_string();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{text}");
    assert_eq!(err.operation(), operation, "{text}");
    assert!(text.contains(object), "{text} does not name {object}");
    assert!(text.contains(range), "{text} does not name {range}");
}

pub(super) fn the_pointer_is_page_aligned_and_fixed_and_the_length_is_what_was_asked<B: Backing>() {
    let (sut, fixture) = B::create(LEN);
    let page = rustix::param::page_size();
    let ptr = sut.as_ptr();
    assert!(!ptr.is_null());
    assert_eq!(ptr as usize % page, 0, "{ptr:?} is not page-aligned");
    for _ in 0..3 {
        assert_eq!(sut.as_ptr(), ptr);
        assert_eq!(SharedRegion::len(&sut), LEN);
    }
    assert!(!SharedRegion::is_empty(&sut));
    let object = sut
        .object()
        .expect("a region of this crate names its object");
    assert_eq!(object.to_string(), B::object_text(&fixture));
}

pub(super) fn a_new_region_reads_as_zeros<B: Backing>() {
    let (sut, _fixture) = B::create(LEN);
    let mut whole = vec![0xAA; LEN];
    sut.read_at(0, &mut whole).unwrap();
    assert!(
        whole.iter().all(|&b| b == 0),
        "a new region has non-zero bytes"
    );
    assert_eq!(sut.atomic_u64(0).unwrap().load(Ordering::Relaxed), 0);
    assert_eq!(sut.pod::<[u8; 3]>(LEN - 3).unwrap().load(), [0; 3]);
}

pub(super) fn copies_round_trip_at_every_offset_and_length<B: Backing>() {
    let (sut, _fixture) = B::create(LEN);
    for offset in 0..17 {
        for len in 0..40 {
            let data = pattern((offset * 40 + len) as u8, len);
            sut.write_at(offset, &data).unwrap();
            let mut back = vec![0; len];
            sut.read_at(offset, &mut back).unwrap();
            assert_eq!(back, data, "{len} bytes at offset {offset}");
        }
    }
    // The same at the end of the region, where the tail is not a whole word.
    for len in 0..40 {
        let data = pattern(len as u8, len);
        sut.write_at(LEN - len, &data).unwrap();
        let mut back = vec![0; len];
        sut.read_at(LEN - len, &mut back).unwrap();
        assert_eq!(back, data, "the last {len} bytes");
    }
}

pub(super) fn a_copy_of_the_whole_region_round_trips<B: Backing>() {
    let (sut, _fixture) = B::create(LEN);
    let data = pattern(7, LEN);
    sut.write_at(0, &data).unwrap();
    let mut back = vec![0; LEN];
    sut.read_at(0, &mut back).unwrap();
    assert_eq!(back, data);
}

pub(super) fn out_of_range_accesses_are_invalid_arguments_naming_the_range_and_the_object<
    B: Backing,
>() {
    let (sut, fixture) = B::create(LEN);
    let object = B::object_text(&fixture);
    let max = usize::MAX;
    let fit = |len: usize, offset: usize| format!("{len} bytes at offset {offset} do not fit");
    for offset in [LEN - 3, LEN, LEN + 1, max - 3, max] {
        let mut buf = [0u8; 4];
        assert_refused(
            sut.read_at(offset, &mut buf),
            "read_at",
            &object,
            &fit(4, offset),
        );
        assert_refused(
            sut.write_at(offset, b"abcd"),
            "write_at",
            &object,
            &fit(4, offset),
        );
        assert_refused(sut.pod::<u32>(offset), "pod", &object, &fit(4, offset));
        assert_refused(sut.ptr_at(offset, 4), "ptr_at", &object, &fit(4, offset));
        assert_refused(
            sut.ptr_at_aligned(offset, 4, 1),
            "ptr_at_aligned",
            &object,
            &fit(4, offset),
        );
    }
    for offset in [LEN, LEN + 4, max - 3] {
        assert_refused(
            sut.atomic_u32(offset),
            "atomic_u32",
            &object,
            &fit(4, offset),
        );
    }
    for offset in [LEN - 4, LEN + 4, max - 7] {
        assert_refused(
            sut.atomic_u64(offset),
            "atomic_u64",
            &object,
            &fit(8, offset),
        );
    }
    for (offset, len) in [(1, max), (max, max), (max, 1), (LEN + 1, 0), (0, LEN + 1)] {
        assert_refused(
            sut.ptr_at(offset, len),
            "ptr_at",
            &object,
            &fit(len, offset),
        );
    }
    let mut empty = [0u8; 0];
    assert_refused(
        sut.read_at(max, &mut empty),
        "read_at",
        &object,
        &fit(0, max),
    );
    // A refused write writes nothing, not even the part that would fit.
    let mut tail = [0xAAu8; 3];
    sut.read_at(LEN - 3, &mut tail).unwrap();
    assert_eq!(tail, [0; 3]);
}

pub(super) fn misaligned_atomics_are_refused_and_the_last_words_work<B: Backing>() {
    let (sut, fixture) = B::create(LEN);
    let object = B::object_text(&fixture);
    for offset in [1, 2, 3, 4094] {
        let range = "not a multiple of 4";
        assert_refused(sut.atomic_u32(offset), "atomic_u32", &object, range);
    }
    for offset in [1, 4, 12, 4100] {
        let range = "not a multiple of 8";
        assert_refused(sut.atomic_u64(offset), "atomic_u64", &object, range);
        let aligned = sut.ptr_at_aligned(offset, 8, 8);
        assert_refused(aligned, "ptr_at_aligned", &object, range);
    }
    let odd = "alignment 3 is not a power of two";
    assert_refused(sut.ptr_at_aligned(0, 8, 3), "ptr_at_aligned", &object, odd);
    let last = sut.ptr_at_aligned(LEN / 8 * 8 - 8, 8, 8).unwrap();
    assert_eq!(last.as_ptr(), sut.ptr_at(LEN / 8 * 8 - 8, 8).unwrap());
    let last_u32 = LEN - 4;
    let last_u64 = LEN / 8 * 8 - 8;
    sut.atomic_u32(last_u32)
        .unwrap()
        .store(0xDEAD_BEEF, Ordering::Relaxed);
    sut.atomic_u64(last_u64)
        .unwrap()
        .fetch_add(0x0102_0304_0506_0708, Ordering::Relaxed);
    let mut word = [0u8; 4];
    sut.read_at(last_u32, &mut word).unwrap();
    assert_eq!(word, 0xDEAD_BEEF_u32.to_ne_bytes());
    let mut word = [0u8; 8];
    sut.read_at(last_u64, &mut word).unwrap();
    assert_eq!(word, 0x0102_0304_0506_0708_u64.to_ne_bytes());
}

pub(super) fn typed_views_work_at_unaligned_offsets<B: Backing>() {
    let (sut, fixture) = B::create(LEN);
    for offset in [1, 3, 7, 4095] {
        let value = 0x1122_3344_5566_7788_u64.rotate_left(offset as u32);
        let view = sut.pod::<u64>(offset).unwrap();
        view.store(&value);
        assert_eq!(view.load(), value);
        let mut bytes = [0u8; 8];
        sut.read_at(offset, &mut bytes).unwrap();
        assert_eq!(bytes, value.to_ne_bytes(), "at offset {offset}");
    }
    let last = sut.pod::<[u32; 3]>(LEN - 12).unwrap();
    last.store(&[1, 2, 3]);
    assert_eq!(last.load(), [1, 2, 3]);
    let object = B::object_text(&fixture);
    let range = format!("12 bytes at offset {} do not fit", LEN - 11);
    assert_refused(sut.pod::<[u32; 3]>(LEN - 11), "pod", &object, &range);
}

pub(super) fn a_region_moved_to_another_thread_can_be_used_and_dropped_there<B: Backing>() {
    let (sut, fixture) = B::create(LEN);
    let text = B::object_text(&fixture);
    assert!(
        !B::NAMED_IN_MAPS || mapped(&text),
        "{text} is not in /proc/self/maps"
    );
    let read = std::thread::spawn(move || {
        sut.write_at(10, b"moved").unwrap();
        let mut back = [0u8; 5];
        sut.read_at(10, &mut back).unwrap();
        drop(sut);
        back
    })
    .join()
    .unwrap();
    assert_eq!(&read, b"moved");
    assert!(
        !B::NAMED_IN_MAPS || !mapped(&text),
        "{text} is still mapped"
    );
}

/// How many times each thread or process adds 1 to the shared counter.
pub(super) const ADDS: u64 = 100_000;

pub(super) fn two_threads_adding_through_a_shared_reference_end_at_the_sum<B: Backing>() {
    let (sut, _fixture) = B::create(LEN);
    let sut = &sut;
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(move || {
                let counter = sut.atomic_u64(64).unwrap();
                for _ in 0..ADDS {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(
        sut.atomic_u64(64).unwrap().load(Ordering::Relaxed),
        2 * ADDS
    );
}

pub(super) fn drop_unmaps_and_keeps_the_types_ownership_rule<B: Backing>() {
    let (sut, fixture) = B::create(LEN);
    let text = B::object_text(&fixture);
    sut.write_at(0, b"kept").unwrap();
    if let Some(second) = B::reopen(&fixture) {
        let second = second.unwrap();
        let mut back = [0u8; 4];
        second.read_at(0, &mut back).unwrap();
        assert_eq!(
            &back, b"kept",
            "a second handle does not see the first one's bytes"
        );
        drop(second);
        // A handle that did not create the object leaves it in place.
        let third = B::reopen(&fixture).unwrap().unwrap();
        third.read_at(0, &mut back).unwrap();
        assert_eq!(&back, b"kept");
    }
    drop(sut);
    assert!(
        !B::NAMED_IN_MAPS || !mapped(&text),
        "{text} is still mapped"
    );
    match (B::AFTER_CREATOR_DROP, B::reopen(&fixture)) {
        (AfterCreatorDrop::Unreachable, None) => {}
        (AfterCreatorDrop::Removed, Some(Err(err))) => {
            assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        }
        (AfterCreatorDrop::Kept, Some(Ok(again))) => {
            let mut back = [0u8; 4];
            again.read_at(0, &mut back).unwrap();
            assert_eq!(&back, b"kept");
        }
        (rule, Some(Ok(_))) => panic!("{text}: reopened after the creator's drop ({rule:?})"),
        (rule, Some(Err(err))) => panic!("{text}: {err} after the creator's drop ({rule:?})"),
        (rule, None) => panic!("{text}: cannot be reopened ({rule:?})"),
    }
}
