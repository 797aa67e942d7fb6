//! The one bounds check of every access to a mapping.

use ipc_core::{Error, ErrorKind, Object, Result};

/// The address of `len` bytes at `offset` in the mapping of `size` bytes at `base`, after
/// checking that they lie inside it and that `offset` is a multiple of `align` (a power of two;
/// the base is page-aligned, so this aligns the address too).
///
/// The error names `operation`, the object `object()` returns when there is one, and the range.
/// The check is inlined into every access and the error is built out of line, so a copy that
/// passes the check costs a compare and a mask.
#[inline]
pub(crate) fn checked_ptr(
    base: *mut u8,
    size: usize,
    object: impl FnOnce() -> Option<Object>,
    operation: &'static str,
    offset: usize,
    len: usize,
    align: usize,
) -> Result<*mut u8> {
    debug_assert!(align.is_power_of_two());
    let fits = offset.checked_add(len).is_some_and(|end| end <= size);
    if fits && offset & (align - 1) == 0 {
        Ok(base.wrapping_add(offset))
    } else {
        Err(out_of_range(object(), operation, offset, len, size, align))
    }
}

/// The error of an access that [`checked_ptr`] refused.
#[cold]
#[inline(never)]
fn out_of_range(
    object: Option<Object>,
    operation: &'static str,
    offset: usize,
    len: usize,
    size: usize,
    align: usize,
) -> Error {
    let fits = offset.checked_add(len).is_some_and(|end| end <= size);
    let detail = if fits {
        format!("offset {offset} is not a multiple of {align}")
    } else {
        format!("{len} bytes at offset {offset} do not fit in a region of {size} bytes")
    };
    let error = Error::new(ErrorKind::InvalidArgument, operation).with_detail(detail);
    match object {
        Some(object) => error.with_object(object),
        None => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(offset: usize, len: usize, align: usize) -> Result<usize> {
        checked_ptr(
            std::ptr::null_mut(),
            100,
            || None,
            "test",
            offset,
            len,
            align,
        )
        .map(|ptr| ptr as usize)
    }

    #[test]
    fn ranges_inside_are_accepted_up_to_the_last_byte() {
        assert_eq!(check(0, 100, 1).unwrap(), 0);
        assert_eq!(check(96, 4, 4).unwrap(), 96);
        assert_eq!(check(100, 0, 1).unwrap(), 100);
    }

    #[test]
    fn ranges_past_the_end_or_overflowing_are_refused() {
        assert!(check(97, 4, 1).is_err());
        assert!(check(101, 0, 1).is_err());
        assert!(check(usize::MAX, 2, 1).is_err());
        assert!(check(1, usize::MAX, 1).is_err());
    }

    #[test]
    fn misaligned_offsets_are_refused() {
        let err = check(6, 4, 4).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.to_string().contains("not a multiple of 4"), "{err}");
    }
}
