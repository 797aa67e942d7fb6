//! Property tests: any writes read back as a `Vec` model does, and any range is accepted
//! exactly when it fits.

use ipc_core::ErrorKind;
use ipc_shm::RegionAccess;
use proptest::prelude::*;

use super::LEN;
use super::backing::Backing;

/// Sequences of writes: an offset (taken modulo where the bytes still fit) and the bytes.
pub(super) fn any_writes() -> impl Strategy<Value = Vec<(usize, Vec<u8>)>> {
    prop::collection::vec(
        (any::<usize>(), prop::collection::vec(any::<u8>(), 0..64)),
        0..32,
    )
}

/// Sequences of `(offset, len)` pairs, each around the region's size or the top of `usize`.
pub(super) fn any_ranges() -> impl Strategy<Value = Vec<(usize, usize)>> {
    let around = || {
        prop_oneof![
            0..LEN + 64,
            LEN - 16..LEN + 16,
            usize::MAX - 2 * LEN..=usize::MAX,
        ]
    };
    prop::collection::vec((around(), around()), 1..16)
}

/// Applies `writes` to a new region and to a `Vec` model, and compares the two.
pub(super) fn writes_read_back_like_a_vec<B: Backing>(
    writes: &[(usize, Vec<u8>)],
) -> Result<(), TestCaseError> {
    let (sut, _fixture) = B::create(LEN);
    let mut model = vec![0u8; LEN];
    for (offset, bytes) in writes {
        let offset = offset % (LEN - bytes.len() + 1);
        sut.write_at(offset, bytes).unwrap();
        model[offset..offset + bytes.len()].copy_from_slice(bytes);
    }
    let mut back = vec![0u8; LEN];
    sut.read_at(0, &mut back).unwrap();
    prop_assert_eq!(back, model);
    Ok(())
}

/// For each range, `ptr_at` succeeds exactly when it fits and otherwise is `InvalidArgument`;
/// so does `read_at` into a buffer of that length (for lengths a buffer can have: a length
/// near `usize::MAX` is read as one of `2 * LEN`, which never fits either).
pub(super) fn read_at_succeeds_exactly_when_the_range_fits<B: Backing>(
    ranges: &[(usize, usize)],
) -> Result<(), TestCaseError> {
    let (sut, _fixture) = B::create(LEN);
    let fits = |offset: usize, len: usize| offset.checked_add(len).is_some_and(|end| end <= LEN);
    for &(offset, len) in ranges {
        let buf_len = len.min(2 * LEN);
        let read = sut.read_at(offset, &mut vec![0; buf_len]);
        check_outcome(read, fits(offset, buf_len), offset, buf_len)?;
        check_outcome(sut.ptr_at(offset, len), fits(offset, len), offset, len)?;
    }
    Ok(())
}

fn check_outcome<T>(
    result: ipc_core::Result<T>,
    fits: bool,
    offset: usize,
    len: usize,
) -> Result<(), TestCaseError> {
    match result {
        Ok(_) => prop_assert!(
            fits,
            "accepted {} bytes at {}, which do not fit",
            len,
            offset
        ),
        Err(err) => {
            prop_assert!(
                !fits,
                "refused {} bytes at {}, which fit: {}",
                len,
                offset,
                err
            );
            prop_assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        }
    }
    Ok(())
}
