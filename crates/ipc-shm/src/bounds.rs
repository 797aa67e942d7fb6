//! The one bounds check of every access to a mapping.

use ipc_core::{Error, ErrorKind, Object, Result};

/// The address of `len` bytes at `offset` in the mapping of `size` bytes at `base`, after
/// checking that they lie inside it and that `offset` is a multiple of `align` (a power of two;
/// the base is page-aligned, so this aligns the address too).
///
/// The error names `operation`, the object `object()` returns when there is one, and the range.
pub(crate) fn checked_ptr(
    base: *mut u8,
    size: usize,
    object: impl FnOnce() -> Option<Object>,
    operation: &'static str,
    offset: usize,
    len: usize,
    align: usize,
) -> Result<*mut u8> {
    let fits = offset.checked_add(len).is_some_and(|end| end <= size);
    let detail = if !fits {
        format!("{len} bytes at offset {offset} do not fit in a region of {size} bytes")
    } else if !offset.is_multiple_of(align) {
        format!("offset {offset} is not a multiple of {align}")
    } else {
        return Ok(base.wrapping_add(offset));
    };
    let error = Error::new(ErrorKind::InvalidArgument, operation).with_detail(detail);
    Err(match object() {
        Some(object) => error.with_object(object),
        None => error,
    })
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
