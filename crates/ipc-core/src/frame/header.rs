//! The frame header: the payload length as a little-endian `u32`, checked against a limit on
//! both sides.

use crate::{Error, ErrorKind, Object, Result};

/// The size of a frame header: the payload length as a little-endian `u32`.
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_core::FRAME_HEADER_LEN, 4);
/// ```
pub const FRAME_HEADER_LEN: usize = 4;

/// The largest payload accepted unless a reader or writer is told otherwise: 16 MiB.
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_core::DEFAULT_MAX_FRAME_LEN, 16 << 20);
/// ```
pub const DEFAULT_MAX_FRAME_LEN: usize = 16 << 20;

/// The header of a frame whose payload is `payload_len` bytes, checked against the sender's
/// limit `max` (and the format's, `u32::MAX`).
///
/// # Errors
///
/// [`ErrorKind::MessageTooLarge`] when `payload_len` is over `max` or `u32::MAX`; the error
/// names `operation` and `object`.
///
/// # Examples
///
/// ```
/// use ipc_core::{ErrorKind, encode_frame_header};
///
/// assert_eq!(encode_frame_header(3, 16, "send", "stream")?, [3, 0, 0, 0]);
/// let err = encode_frame_header(17, 16, "send", "stream").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
/// # Ok::<(), ipc_core::Error>(())
/// ```
pub fn encode_frame_header(
    payload_len: usize,
    max: usize,
    operation: &'static str,
    object: impl Into<Object>,
) -> Result<[u8; FRAME_HEADER_LEN]> {
    let limit = max.min(u32::MAX as usize);
    match u32::try_from(payload_len) {
        Ok(len) if payload_len <= limit => Ok(len.to_le_bytes()),
        _ => Err(Error::new(ErrorKind::MessageTooLarge, operation)
            .with_object(object)
            .with_detail(format!(
                "{payload_len} bytes exceed the frame limit of {limit} bytes"
            ))),
    }
}

/// The payload length a received `header` announces, checked against the receiver's limit
/// `max` before anyone allocates for it.
///
/// # Errors
///
/// [`ErrorKind::MessageTooLarge`] when the header announces more than `max`; the error names
/// `operation` and `object`. The stream is then positioned inside that frame, and unusable
/// ([`FrameDecoder`](crate::FrameDecoder) keeps it so).
///
/// # Examples
///
/// ```
/// use ipc_core::{ErrorKind, decode_frame_header};
///
/// assert_eq!(decode_frame_header([3, 0, 0, 0], 16, "recv", "stream")?, 3);
/// let err = decode_frame_header([0xff; 4], 16, "recv", "stream").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
/// # Ok::<(), ipc_core::Error>(())
/// ```
pub fn decode_frame_header(
    header: [u8; FRAME_HEADER_LEN],
    max: usize,
    operation: &'static str,
    object: impl Into<Object>,
) -> Result<usize> {
    let announced = u32::from_le_bytes(header);
    match usize::try_from(announced) {
        Ok(len) if len <= max => Ok(len),
        _ => Err(Error::new(ErrorKind::MessageTooLarge, operation)
            .with_object(object)
            .with_detail(format!(
                "a frame header announces {announced} bytes, more than the limit of {max} bytes"
            ))),
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_header_decodes_to_the_length_it_was_encoded_from(len in 0usize..=u32::MAX as usize, slack in 0usize..1000) {
            let max = len.saturating_add(slack);
            let header = encode_frame_header(len, max, "send", "s").unwrap();
            prop_assert_eq!(decode_frame_header(header, max, "recv", "s").unwrap(), len);
        }

        #[test]
        fn a_length_over_the_limit_is_refused_on_both_sides(len in 1usize..=u32::MAX as usize, under in 1usize..1000) {
            let max = len.saturating_sub(under);
            let err = encode_frame_header(len, max, "send", "s").unwrap_err();
            prop_assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
            let header = u32::try_from(len).unwrap().to_le_bytes();
            let err = decode_frame_header(header, max, "recv", "s").unwrap_err();
            prop_assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
        }

        #[test]
        fn any_four_bytes_decode_to_a_length_within_the_limit_or_an_error(header in any::<[u8; 4]>(), max in any::<usize>()) {
            match decode_frame_header(header, max, "recv", "s") {
                Ok(len) => prop_assert!(len <= max),
                Err(err) => prop_assert_eq!(err.kind(), ErrorKind::MessageTooLarge),
            }
        }
    }

    #[test]
    fn a_payload_beyond_the_format_is_refused_whatever_the_limit() {
        let len = u32::MAX as usize + 1;
        let err = encode_frame_header(len, usize::MAX, "send", "s").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
        assert_eq!(
            err.to_string(),
            format!(
                "send s: message too large: {len} bytes exceed the frame limit of 4294967295 bytes"
            )
        );
    }
}
