//! A path in the temporary directory that is removed when the fixture drops.

use std::path::{Path, PathBuf};

use super::names::unique_test_name;

/// A not-yet-existing path `std::env::temp_dir()/<unique test name>`, for a FIFO, a socket, a
/// file or a directory; whatever is there is removed on drop.
///
/// The name comes from [`unique_test_name`], so a path left behind (the test process was killed)
/// is reported by [`leaked_objects`](super::leaked_objects).
///
/// # Examples
///
/// ```
/// use ipc_core::testing::TempPath;
///
/// let sut = TempPath::new("fifo");
/// assert!(!sut.path().exists());
/// std::fs::write(sut.path(), b"x").unwrap();
/// let path = sut.path().to_owned();
/// drop(sut);
/// assert!(!path.exists());
/// ```
#[derive(Debug)]
pub struct TempPath {
    path: PathBuf,
}

impl TempPath {
    /// A fresh path for an object of `kind` (`"fifo"`, `"sock"`, …); nothing is created.
    ///
    /// # Examples
    ///
    /// ```
    /// let sut = ipc_core::testing::TempPath::new("sock");
    /// assert!(sut.path().starts_with(std::env::temp_dir()));
    /// ```
    pub fn new(kind: &str) -> Self {
        Self {
            path: std::env::temp_dir().join(unique_test_name(kind)),
        }
    }

    /// The path.
    ///
    /// # Examples
    ///
    /// ```
    /// let sut = ipc_core::testing::TempPath::new("file");
    /// let name = sut.path().file_name().unwrap().to_str().unwrap();
    /// assert!(name.starts_with(ipc_core::TEST_PREFIX));
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for TempPath {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempPath {
    /// Removes a file, FIFO, socket or symlink (not its target) at the path, or a directory with
    /// its contents. Nothing there (`NotFound`) is the common case; any other error is dropped
    /// too, since a drop cannot report it and may run during a panic, and what stays behind is
    /// reported by [`leaked_objects`](super::leaked_objects).
    fn drop(&mut self) {
        let _ = match std::fs::symlink_metadata(&self.path) {
            Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(&self.path),
            Ok(_) => std::fs::remove_file(&self.path),
            Err(err) => Err(err),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_path_does_not_exist_and_carries_the_test_prefix() {
        let sut = TempPath::new("file");
        assert!(!sut.path().exists());
        assert_eq!(sut.path().parent(), Some(std::env::temp_dir().as_path()));
        let name = sut.path().file_name().unwrap().to_string_lossy();
        assert!(name.starts_with("ipc-rs-test-file-"), "{name}");
    }

    #[test]
    fn drop_removes_a_directory_with_contents() {
        let sut = TempPath::new("dir");
        std::fs::create_dir(sut.path()).unwrap();
        std::fs::write(sut.path().join("inner"), b"x").unwrap();
        let path = sut.path().to_owned();
        drop(sut);
        assert!(!path.exists());
    }

    #[test]
    fn drop_removes_a_symlink_but_not_its_target() {
        let target = TempPath::new("target");
        std::fs::write(target.path(), b"x").unwrap();
        let sut = TempPath::new("link");
        std::os::unix::fs::symlink(target.path(), sut.path()).unwrap();
        let link = sut.path().to_owned();
        drop(sut);
        assert!(std::fs::symlink_metadata(&link).is_err());
        assert!(target.path().exists());
    }

    #[test]
    fn drop_of_a_never_created_path_is_quiet() {
        drop(TempPath::new("never"));
    }
}
