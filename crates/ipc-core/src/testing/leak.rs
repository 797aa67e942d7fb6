//! The sweep for objects the tests left behind.

use std::io;
use std::path::Path;

use super::names::{TEST_SYSV_KEY_MASK, TEST_SYSV_KEY_TAG};
use crate::TEST_PREFIX;

/// Every test object still in the system, one human-readable line each; empty when the tests
/// cleaned up.
///
/// It lists the entries whose names start with [`TEST_PREFIX`](crate::TEST_PREFIX) in
/// `/dev/shm`, `/dev/mqueue` and `std::env::temp_dir()` (as paths, say
/// `/dev/shm/ipc-rs-test-shm-123-4-abcd`; a named semaphore's file `sem.ipc-rs-test-…` too), and the System V segments, queues and semaphore sets
/// in `/proc/sysvipc/{shm,msg,sem}` whose key carries [`TEST_SYSV_KEY_TAG`](super::TEST_SYSV_KEY_TAG)
/// (as `sysv shm key 0x1c000012 id 5`). A directory or table that does not exist (no mqueue
/// filesystem mounted, no System V IPC) has nothing to list. One that cannot be read is listed
/// as `cannot read …: <error>`, since then nothing proves it clean.
///
/// `cargo xtask test-all` calls it after the tests; run it when no test is running, or it also
/// lists the live objects of running tests.
///
/// # Examples
///
/// ```
/// use ipc_core::testing::{TempPath, leaked_objects};
///
/// let sut = TempPath::new("leak-example");
/// std::fs::write(sut.path(), b"").unwrap();
/// let shown = sut.path().display().to_string();
/// assert!(leaked_objects().contains(&shown));
/// drop(sut);
/// assert!(!leaked_objects().contains(&shown));
/// ```
///
/// # References
///
/// - [proc_sysvipc(5)](https://man7.org/linux/man-pages/man5/proc_sysvipc.5.html)
pub fn leaked_objects() -> Vec<String> {
    let mut found = Vec::new();
    for dir in [
        Path::new("/dev/shm"),
        Path::new("/dev/mqueue"),
        &std::env::temp_dir(),
    ] {
        sweep_dir(dir, &mut found);
    }
    for kind in ["shm", "msg", "sem"] {
        let table = Path::new("/proc/sysvipc").join(kind);
        match std::fs::read_to_string(&table) {
            Ok(text) => match parse_sysv_table(kind, &text) {
                Ok(lines) => found.extend(lines),
                Err(why) => found.push(format!("cannot read {}: {why}", table.display())),
            },
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => found.push(format!("cannot read {}: {err}", table.display())),
        }
    }
    found
}

/// Adds the entries of `dir` whose names start with the test prefix.
fn sweep_dir(dir: &Path, found: &mut Vec<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return,
        Err(err) => {
            found.push(format!("cannot read {}: {err}", dir.display()));
            return;
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) if is_test_object(entry.file_name().as_encoded_bytes()) => {
                names.push(dir.join(entry.file_name()).display().to_string());
            }
            Ok(_) => {}
            Err(err) => found.push(format!("cannot read {}: {err}", dir.display())),
        }
    }
    names.sort();
    found.extend(names);
}

/// Whether a directory entry is a test object: its name starts with the test prefix, or it is
/// the file of a named POSIX semaphore (`sem.` and the semaphore's name) that does.
fn is_test_object(name: &[u8]) -> bool {
    name.strip_prefix(b"sem.")
        .unwrap_or(name)
        .starts_with(TEST_PREFIX.as_bytes())
}

/// Lists the rows of a `/proc/sysvipc/{shm,msg,sem}` table whose key carries the test tag.
///
/// The header line names the columns; `key` is printed as a signed decimal (`%10d`), and the
/// identifier column is the one named `shmid`, `msqid` or `semid`.
///
/// # Errors
///
/// A message if the header lacks either column or a row's key or id is not a number.
fn parse_sysv_table(kind: &str, text: &str) -> Result<Vec<String>, String> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or("the table is empty")?
        .split_whitespace()
        .collect();
    let key_col = header
        .iter()
        .position(|&col| col == "key")
        .ok_or_else(|| format!("no `key` column in {header:?}"))?;
    let id_col = header
        .iter()
        .position(|&col| matches!(col, "shmid" | "msqid" | "semid"))
        .ok_or_else(|| format!("no id column in {header:?}"))?;
    let mut found = Vec::new();
    for line in lines.filter(|line| !line.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let field = |col: usize| fields.get(col).ok_or_else(|| format!("short row {line:?}"));
        let key: i32 = field(key_col)?
            .parse()
            .map_err(|err| format!("key in {line:?}: {err}"))?;
        let id: i64 = field(id_col)?
            .parse()
            .map_err(|err| format!("id in {line:?}: {err}"))?;
        let key = key.cast_unsigned();
        if key & TEST_SYSV_KEY_MASK == TEST_SYSV_KEY_TAG {
            found.push(format!("sysv {kind} key {key:#010x} id {id}"));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SHM: &str = "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap
         0          3  1600                524288  1042  1207      2  1000  1000  1000  1000 1700000000 1700000000 1700000000                  4096                     0
 469762066          5   600                  4096  2000  2000      0     0     0     0     0          0          0 1700000001                     0                     0
-1862270977          6   600                  4096  2000  2000      0     0     0     0     0          0          0 1700000001                     0                     0
";

    const MSG: &str = "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime
 469762067         32768   600           0          0     0     0     0     0     0     0          0          0 1700000002
";

    const SEM: &str =
        "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime
";

    #[test]
    fn only_rows_whose_key_carries_the_tag_are_listed() {
        assert_eq!(
            parse_sysv_table("shm", SHM),
            Ok(vec!["sysv shm key 0x1c000012 id 5".to_owned()])
        );
        assert_eq!(
            parse_sysv_table("msg", MSG),
            Ok(vec!["sysv msg key 0x1c000013 id 32768".to_owned()])
        );
        assert_eq!(parse_sysv_table("sem", SEM), Ok(vec![]));
    }

    #[test]
    fn columns_are_found_by_name_not_position() {
        let text = "semid key\n7 469762068\n";
        assert_eq!(
            parse_sysv_table("sem", text),
            Ok(vec!["sysv sem key 0x1c000014 id 7".to_owned()])
        );
    }

    #[test]
    fn malformed_tables_are_errors() {
        assert!(parse_sysv_table("shm", "").is_err());
        assert!(parse_sysv_table("shm", "perms size\n").is_err());
        assert!(parse_sysv_table("shm", "key shmid\nx 1\n").is_err());
        assert!(parse_sysv_table("shm", "key shmid\n1\n").is_err());
    }

    #[test]
    fn the_live_tables_parse() {
        for kind in ["shm", "msg", "sem"] {
            if let Ok(text) = std::fs::read_to_string(Path::new("/proc/sysvipc").join(kind)) {
                assert!(parse_sysv_table(kind, &text).is_ok(), "{kind}: {text}");
            }
        }
    }

    #[test]
    fn a_leaked_temp_path_is_listed_until_removed() {
        let sut = super::super::TempPath::new("sweep");
        std::fs::create_dir(sut.path()).unwrap();
        let shown = sut.path().display().to_string();
        assert!(leaked_objects().contains(&shown));
        drop(sut);
        assert!(!leaked_objects().contains(&shown));
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_text_never_panics(text in "(key|shmid|[0-9 -]{0,12}|\n){0,20}") {
            let _ = parse_sysv_table("shm", &text);
        }

        #[test]
        fn any_tagged_key_is_found_with_its_id(low in 0_u32..0x0100_0000, id in 0_i64..i64::from(i32::MAX)) {
            let key = (TEST_SYSV_KEY_TAG | low).cast_signed();
            let text = format!("       key      shmid perms\n{key:>10} {id:>10}  600\n");
            prop_assert_eq!(
                parse_sysv_table("shm", &text),
                Ok(vec![format!("sysv shm key {:#010x} id {id}", TEST_SYSV_KEY_TAG | low)])
            );
        }
    }
}
