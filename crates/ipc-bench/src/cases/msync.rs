//! Mapped-file write-back, in one process: copy `size` bytes into a file mapped shared, then
//! `msync(MS_SYNC)` the written range, through `ipc_shm::MappedFile` and through raw `open`,
//! `ftruncate`, `mmap`, `memcpy` and `msync`. Each side has its own file in a temporary directory
//! (`$TMPDIR`), removed when the case ends.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;

use ipc_shm::{MappedFile, RegionAccess};

use super::{AnySoloLink, Reference, Solo, SoloLink};
use crate::error::{Context, Result};
use crate::measure::Op;
use crate::plan::MAX_SIZE;
use crate::sys::RawMap;

/// The prefix of the bench's temporary directories, so the leftover check recognises them.
const PREFIX: &str = "ipc-rs-test-bench-msync-";

/// The length of each mapped file: the largest write.
const FILE_LEN: usize = MAX_SIZE;

/// The `mmap-msync` case.
pub(crate) struct Msync;

impl Solo for Msync {
    fn id(&self) -> &'static str {
        "mmap-msync"
    }

    fn describe(&self) -> &'static str {
        "write size bytes at offset 0 of a mapped file in $TMPDIR, then msync(MS_SYNC) them; \
         API = MappedFile::write_at + flush_range, raw = open + mmap + memcpy + msync"
    }

    fn reference(&self) -> Option<Reference> {
        // The reference's "mmap" row is messaging through a mapping, not write-back: see the
        // `mmap` pair case.
        None
    }

    fn sizes(&self) -> &'static [usize] {
        &[4096, 65536]
    }

    fn open(&self) -> Result<Box<dyn AnySoloLink>> {
        let dir = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir()
            .context("create the directory of the mapped files")?;
        let api_path = dir.path().join("api");
        let api = MappedFile::create_new(&api_path, FILE_LEN)
            .with_context(|| format!("create the mapped file {}", api_path.display()))?;
        let raw_path = dir.path().join("raw");
        let raw_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&raw_path)
            .with_context(|| format!("create {}", raw_path.display()))?;
        raw_file
            .set_len(FILE_LEN as u64)
            .with_context(|| format!("size {} (ftruncate)", raw_path.display()))?;
        let raw = RawMap::new(raw_file.as_fd(), FILE_LEN)
            .with_context(|| format!("map {}", raw_path.display()))?;
        Ok(Box::new(MsyncLink {
            api,
            raw,
            _raw_file: raw_file,
            _dir: dir,
        }))
    }
}

/// Both files, mapped; the directory goes last, on drop.
struct MsyncLink {
    api: MappedFile,
    raw: RawMap,
    _raw_file: File,
    _dir: tempfile::TempDir,
}

impl SoloLink for MsyncLink {
    type Api<'a> = ApiWrite<'a>;
    type Raw<'a> = RawWrite<'a>;

    fn api(&mut self) -> ApiWrite<'_> {
        ApiWrite(&self.api)
    }

    fn raw(&mut self) -> RawWrite<'_> {
        RawWrite(&self.raw)
    }
}

/// `MappedFile::write_at(0, data)` and `flush_range(0, data.len())`.
struct ApiWrite<'a>(&'a MappedFile);

impl Op for ApiWrite<'_> {
    #[inline]
    fn run(&mut self, data: &[u8]) -> io::Result<()> {
        self.0.write_at(0, data)?;
        self.0.flush_range(0, data.len())?;
        Ok(())
    }
}

/// `memcpy` to the start of the mapping and `msync(start, data.len(), MS_SYNC)`.
struct RawWrite<'a>(&'a RawMap);

impl Op for RawWrite<'_> {
    #[inline]
    fn run(&mut self, data: &[u8]) -> io::Result<()> {
        if data.len() > self.0.len() {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        // SAFETY: the range fits the mapping (checked just above), and no other thread or
        // process maps this private temporary file.
        #[allow(unsafe_code, reason = "the raw memcpy into the mapping")]
        unsafe {
            self.0.write(0, data);
        }
        self.0.msync(0, data.len())
    }
}
