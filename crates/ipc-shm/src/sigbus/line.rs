//! The one line the `SIGBUS` handler writes, formatted into a fixed buffer: no allocation and no
//! `core::fmt`, so that building it is async-signal-safe.

use super::registry::{Found, NAME_BYTES};

/// Room for the line: the fixed text, a 64-bit address, a cut name and a 64-bit offset.
const CAPACITY: usize = 320;

/// The diagnostic line for a fault at `addr` inside a registered mapping.
pub(crate) struct Line {
    bytes: [u8; CAPACITY],
    len: usize,
}

impl Line {
    /// `ipc-shm: SIGBUS at 0x… in the mapping of <name> (offset N): …`, ending in a newline.
    pub(crate) fn new(addr: usize, found: Found, name: &[u8; NAME_BYTES]) -> Self {
        let mut line = Self {
            bytes: [0; CAPACITY],
            len: 0,
        };
        line.push(b"ipc-shm: SIGBUS at 0x");
        line.push_number(addr, 16);
        line.push(b" in the mapping of ");
        line.push(&name[..found.name_len.min(NAME_BYTES)]);
        line.push(b" (offset ");
        line.push_number(found.offset, 10);
        line.push(
            b"): the object shrank under this mapping (a peer truncated it); \
              see ipc_shm docs \"SIGBUS\"\n",
        );
        line
    }

    /// The formatted bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Appends what fits of `text`.
    fn push(&mut self, text: &[u8]) {
        let room = CAPACITY - self.len;
        let take = text.len().min(room);
        self.bytes[self.len..self.len + take].copy_from_slice(&text[..take]);
        self.len += take;
    }

    /// Appends `value` in base `radix` (10 or 16), lower-case digits.
    fn push_number(&mut self, mut value: usize, radix: usize) {
        // 64 binary digits is the most any base from 2 up needs for a usize.
        let mut digits = [0u8; usize::BITS as usize];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b"0123456789abcdef"[value % radix];
            value /= radix;
            if value == 0 {
                break;
            }
        }
        self.push(&digits[start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> [u8; NAME_BYTES] {
        let mut name = [0u8; NAME_BYTES];
        name[..text.len()].copy_from_slice(text.as_bytes());
        name
    }

    #[test]
    fn the_line_names_the_address_the_object_and_the_offset() {
        let found = Found {
            offset: 8192,
            name_len: 9,
        };
        let sut = Line::new(0x7f00_dead_b000, found, &name("/jobs-shm"));
        assert_eq!(
            std::str::from_utf8(sut.as_bytes()).unwrap(),
            "ipc-shm: SIGBUS at 0x7f00deadb000 in the mapping of /jobs-shm (offset 8192): the \
             object shrank under this mapping (a peer truncated it); see ipc_shm docs \
             \"SIGBUS\"\n"
        );
    }

    #[test]
    fn the_extremes_fit() {
        let found = Found {
            offset: usize::MAX,
            name_len: NAME_BYTES,
        };
        let sut = Line::new(usize::MAX, found, &[b'x'; NAME_BYTES]);
        let text = std::str::from_utf8(sut.as_bytes()).unwrap();
        assert!(text.contains("0xffffffffffffffff"), "{text}");
        assert!(text.contains(&usize::MAX.to_string()), "{text}");
        assert!(text.ends_with("\"SIGBUS\"\n"), "{text}");
        let zero = Line::new(
            0,
            Found {
                offset: 0,
                name_len: 0,
            },
            &[0; NAME_BYTES],
        );
        assert!(
            std::str::from_utf8(zero.as_bytes())
                .unwrap()
                .contains("0x0 in")
        );
    }
}
