//! The environment protocol between a parent test and its re-executed child.

use std::os::fd::RawFd;

/// The environment variable that names a re-executed child's role.
///
/// [`ChildBuilder::spawn`](super::ChildBuilder::spawn) sets it; its presence is what makes
/// [`ChildContext::current`](super::ChildContext::current) return `Some`. Never set it by hand.
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_core::testing::ROLE_ENV, "IPC_TEST_ROLE");
/// ```
pub const ROLE_ENV: &str = "IPC_TEST_ROLE";

/// The descriptor number at which a child finds the write end of its report pipe.
///
/// It is reserved: [`ChildBuilder::inherit_fd`](super::ChildBuilder::inherit_fd) accepts targets
/// from 3 up to, but not including, `REPORT_FD`. The child also finds the number in
/// `IPC_TEST_REPORT_FD`.
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_core::testing::REPORT_FD, 255);
/// ```
pub const REPORT_FD: RawFd = 255;

/// The variable carrying the child's arguments, as lines of escaped `key=value`.
pub(super) const ARGS_ENV: &str = "IPC_TEST_ARGS";

/// The variable listing the descriptor numbers the parent placed, comma-separated.
pub(super) const FDS_ENV: &str = "IPC_TEST_FDS";

/// The variable holding the report descriptor's number.
pub(super) const REPORT_FD_ENV: &str = "IPC_TEST_REPORT_FD";

/// The longest report, in bytes, without its newline; far below `PIPE_BUF` (4096 on Linux), so
/// one `write(2)` of a report is atomic.
pub(super) const MAX_REPORT_LEN: usize = 512;

/// Checks that `target` is a descriptor number a parent may place: one that
/// [`ChildFds`](crate::ChildFds) accepts, other than [`REPORT_FD`].
pub(super) fn check_target(target: RawFd) -> Result<(), String> {
    if target == REPORT_FD {
        return Err(format!(
            "descriptor {target} is REPORT_FD, the report pipe's number"
        ));
    }
    crate::child_fds::check_target(target).map_err(|err| err.to_string())
}

/// Encodes arguments as `key=value` lines, escaping `%`, `=`, newline and NUL in keys and values.
pub(super) fn encode_args(args: &[(String, String)]) -> String {
    let mut out = String::new();
    for (key, value) in args {
        escape_into(key, &mut out);
        out.push('=');
        escape_into(value, &mut out);
        out.push('\n');
    }
    out
}

/// Decodes what [`encode_args`] wrote.
///
/// # Errors
///
/// A message naming the first malformed line.
pub(super) fn decode_args(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split_terminator('\n')
        .map(|line| {
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| format!("argument line {line:?} has no '='"))?;
            Ok((unescape(key)?, unescape(value)?))
        })
        .collect()
}

/// Encodes descriptor numbers as a comma-separated list.
pub(super) fn encode_fds(fds: impl IntoIterator<Item = RawFd>) -> String {
    fds.into_iter()
        .map(|fd| fd.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Decodes what [`encode_fds`] wrote, checking that each number is a valid target.
///
/// # Errors
///
/// A message naming the first entry that is not a number or not a valid target.
pub(super) fn decode_fds(text: &str) -> Result<Vec<RawFd>, String> {
    text.split_terminator(',')
        .map(|entry| {
            let fd: RawFd = entry
                .parse()
                .map_err(|err| format!("descriptor {entry:?} is not a number: {err}"))?;
            check_target(fd)?;
            Ok(fd)
        })
        .collect()
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '=' => out.push_str("%3D"),
            '\n' => out.push_str("%0A"),
            '\0' => out.push_str("%00"),
            c => out.push(c),
        }
    }
}

fn unescape(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest
            .get(at + 1..at + 3)
            .ok_or_else(|| format!("truncated escape in {text:?}"))?;
        out.push(match code {
            "25" => '%',
            "3D" => '=',
            "0A" => '\n',
            "00" => '\0',
            other => return Err(format!("unknown escape %{other} in {text:?}")),
        });
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn arguments_with_separators_round_trip() {
        let args = vec![
            ("count".to_owned(), "5".to_owned()),
            ("a=b".to_owned(), "x%3D\ny\0z=".to_owned()),
            (String::new(), String::new()),
        ];
        assert_eq!(decode_args(&encode_args(&args)), Ok(args));
    }

    #[test]
    fn malformed_argument_lines_are_errors() {
        assert!(decode_args("novalue\n").is_err());
        assert!(decode_args("k=%4\n").is_err());
        assert!(decode_args("k=%zz\n").is_err());
        assert_eq!(decode_args(""), Ok(vec![]));
    }

    #[test]
    fn descriptor_lists_round_trip_and_reject_reserved_numbers() {
        assert_eq!(decode_fds(&encode_fds([3, 10, 254])), Ok(vec![3, 10, 254]));
        assert_eq!(decode_fds(""), Ok(vec![]));
        assert!(decode_fds("2").is_err());
        assert!(decode_fds("255").is_err());
        assert!(decode_fds("x").is_err());
    }

    #[test]
    fn targets_outside_three_to_the_report_fd_are_refused() {
        assert!(check_target(3).is_ok());
        assert!(check_target(254).is_ok());
        for bad in [-1, 0, 2, REPORT_FD, 256] {
            assert!(check_target(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_arguments_round_trip(args in proptest::collection::vec((".*", ".*"), 0..8)) {
            prop_assert_eq!(decode_args(&encode_args(&args)), Ok(args));
        }

        #[test]
        fn decoding_arbitrary_text_never_panics(text in ".*") {
            let _ = decode_args(&text);
            let _ = decode_fds(&text);
        }
    }
}
