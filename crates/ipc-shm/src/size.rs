//! The size checks of an existing file: before it is mapped, and after, that it did not shrink.

use ipc_core::{Error, ErrorKind, Object, Result};
use rustix::fs::Stat;

/// The size of the file `stat` describes, checked to be at least `need` bytes (and at least
/// one: a mapping needs a byte) and to fit the address space.
///
/// A file too small is [`CorruptSharedState`](ErrorKind::CorruptSharedState): someone truncated
/// it, or its creator gave it a name before sizing it (this crate publishes every file it makes
/// complete, so only a foreign creator can). One larger than `usize` is
/// [`InvalidArgument`](ErrorKind::InvalidArgument). The error names `operation` and `object`.
pub(crate) fn mappable_size(
    stat: &Stat,
    need: usize,
    operation: &'static str,
    object: impl Into<Object>,
) -> Result<usize> {
    let size = u64::try_from(stat.st_size).unwrap_or(0);
    let need = need.max(1);
    if size < need as u64 {
        let why = if size == 0 {
            "is 0 bytes: it was truncated, or its creator named it before sizing it".to_owned()
        } else {
            format!("is {size} bytes, fewer than the {need} required")
        };
        return Err(Error::new(ErrorKind::CorruptSharedState, operation)
            .with_object(object)
            .with_detail(why));
    }
    usize::try_from(size).map_err(|_| {
        Error::new(ErrorKind::InvalidArgument, operation)
            .with_object(object)
            .with_detail(format!("is {size} bytes, more than the address space"))
    })
}

/// Checks that the file `stat` describes still holds the `len` bytes a handle maps (or is about
/// to map) from it: an object that can shrink (unsealed) may have been truncated by a peer.
///
/// A file that shrank is [`CorruptSharedState`](ErrorKind::CorruptSharedState), naming
/// `operation`, `object` and both sizes.
pub(crate) fn still_holds(
    stat: &Stat,
    len: usize,
    operation: &'static str,
    object: impl Into<Object>,
) -> Result<()> {
    let size = u64::try_from(stat.st_size).unwrap_or(0);
    if size < len as u64 {
        return Err(Error::new(ErrorKind::CorruptSharedState, operation)
            .with_object(object)
            .with_detail(format!(
                "shrank to {size} bytes from the {len} this handle maps (it is not sealed \
                 against shrinking); accesses past the new end raise SIGBUS"
            )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(size: i64) -> Stat {
        let file = tempfile::tempfile().unwrap();
        let mut stat = rustix::fs::fstat(&file).unwrap();
        stat.st_size = size;
        stat
    }

    #[test]
    fn a_file_of_at_least_the_size_needed_gives_its_size() {
        assert_eq!(
            mappable_size(&sized(4096), 100, "open", "/f").unwrap(),
            4096
        );
        assert_eq!(mappable_size(&sized(1), 0, "open", "/f").unwrap(), 1);
    }

    #[test]
    fn an_empty_file_is_corrupt_even_when_nothing_is_needed() {
        let err = mappable_size(&sized(0), 0, "open", "/f").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
        assert!(
            err.to_string()
                .contains("is 0 bytes: it was truncated, or its creator named it before sizing it"),
            "{err}"
        );
    }

    #[test]
    fn a_file_too_small_names_both_sizes() {
        let err = mappable_size(&sized(100), 4097, "open", "/f").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
        assert!(
            err.to_string()
                .ends_with("is 100 bytes, fewer than the 4097 required"),
            "{err}"
        );
    }

    #[test]
    fn a_file_that_still_holds_the_mapped_bytes_passes_and_a_shrunk_one_names_both_sizes() {
        still_holds(&sized(8192), 8192, "fstat", "/f").unwrap();
        still_holds(&sized(9000), 8192, "fstat", "/f").unwrap();
        let err = still_holds(&sized(4096), 8192, "mmap", "/f").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
        assert_eq!(err.operation(), "mmap");
        assert!(
            err.to_string()
                .contains("shrank to 4096 bytes from the 8192 this handle maps"),
            "{err}"
        );
    }
}
