//! Descriptor passing (`ipc-sock`, issue 5): every message is one byte carrying one descriptor
//! (`SCM_RIGHTS`) over a Unix stream connection, set up as `sock-stream`'s.
//!
//! - API: `UnixStream::send_with_fds(&[byte], &[fd])` and `receive_with_fds(&mut [byte], 1)`,
//!   which returns the descriptor as an `OwnedFd` (close-on-exec, checked for `MSG_CTRUNC`).
//! - Raw: `sendmsg(MSG_NOSIGNAL)` with one `SCM_RIGHTS` control message built on the stack,
//!   and `recvmsg(MSG_CMSG_CLOEXEC)` into room for one descriptor, checking the control
//!   message and `MSG_CTRUNC` as a careful C program does.
//!
//! Either way the received descriptor is closed at once (dropping its `OwnedFd`), so every
//! operation installs one descriptor and closes one, and the descriptor table stays the same
//! size. What is passed is a descriptor of `/dev/null` each side opens once: passing a socket
//! over a socket would bring in the kernel's garbage collector of in-flight sockets
//! (`unix_gc`), which is not what a descriptor-passing rate should measure.
//!
//! The one size is `1B` (the data byte). Both measurements are kept: latency is a round trip
//! (a descriptor to the peer and one back, two passes), throughput the one-way rate of passes
//! (msg/s), the number to compare with other mechanisms' message rates.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use ipc_sock::{UnixListener, UnixStream};

use super::sock::{address, socket_path};
use super::sock_link::expect_len;
use super::{AnyLink, Case, Link, Prepared, Reference};
use crate::error::{Context, Error, Result};
use crate::measure::Duplex;
use crate::plan::CONNECT_LIMIT;
use crate::sys;

/// The one message size: the byte that carries the descriptor.
const SIZES: [usize; 1] = [1];

/// The `sock-fd` case.
pub(crate) struct SockFd;

impl Case for SockFd {
    fn id(&self) -> &'static str {
        "sock-fd"
    }

    fn describe(&self) -> &'static str {
        "one byte + one descriptor (/dev/null) per message over a Unix stream, received \
         descriptor closed each time; API = UnixStream send_with_fds/receive_with_fds, raw = \
         sendmsg/recvmsg with SCM_RIGHTS + MSG_CMSG_CLOEXEC"
    }

    fn reference(&self) -> Option<Reference> {
        None
    }

    fn sizes(&self) -> &'static [usize] {
        &SIZES
    }

    fn prepare(&self) -> Result<Prepared> {
        let (dir, path) = socket_path("fd")?;
        let listener = UnixListener::bind(&address(&path)?)
            .with_context(|| format!("bind {}", path.display()))?;
        let args = vec![path.clone().into()];
        let connect = move || -> Result<Box<dyn AnyLink>> {
            let stream = listener
                .accept_timeout(CONNECT_LIMIT)
                .with_context(|| format!("accept on {}", path.display()))?;
            drop(listener);
            dir.close().context("remove the socket directory")?;
            Ok(Box::new(FdLink::new(stream)?))
        };
        Ok(Prepared {
            give: Vec::new(),
            args,
            connect: Box::new(connect),
            unstick: None,
        })
    }

    fn join(&self, args: &[OsString], _fds: Vec<OwnedFd>) -> Result<Box<dyn AnyLink>> {
        let [path] = args else {
            return Err(Error::msg("the sock-fd peer expects one socket path"));
        };
        let stream = UnixStream::connect(&address(Path::new(path))?)
            .with_context(|| format!("connect to {}", path.display()))?;
        Ok(Box::new(FdLink::new(stream)?))
    }
}

/// One side's connection and the descriptor it passes.
struct FdLink {
    stream: UnixStream,
    passed: File,
}

impl FdLink {
    fn new(stream: UnixStream) -> Result<Self> {
        let passed = File::open("/dev/null").context("open /dev/null to pass")?;
        Ok(Self { stream, passed })
    }
}

impl Link for FdLink {
    type Api<'a> = Api<'a>;
    type Raw<'a> = Raw<'a>;

    fn api(&mut self) -> Api<'_> {
        Api {
            stream: &self.stream,
            passed: self.passed.as_fd(),
        }
    }

    fn raw(&mut self) -> Raw<'_> {
        Raw {
            fd: self.stream.as_fd(),
            passed: self.passed.as_fd(),
        }
    }
}

/// The API side.
struct Api<'a> {
    stream: &'a UnixStream,
    passed: BorrowedFd<'a>,
}

impl Duplex for Api<'_> {
    #[inline]
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        let sent = self.stream.send_with_fds(buf, &[self.passed])?;
        if sent != buf.len() {
            return Err(io::ErrorKind::WriteZero.into());
        }
        Ok(())
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<()> {
        // The received descriptors are closed when `fds` drops, at the end of this call.
        let (len, fds) = self.stream.receive_with_fds(buf, 1)?;
        if fds.len() != 1 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the message came without its one descriptor",
            ));
        }
        expect_len(len, buf.len())
    }
}

/// The raw side.
struct Raw<'a> {
    fd: BorrowedFd<'a>,
    passed: BorrowedFd<'a>,
}

impl Duplex for Raw<'_> {
    #[inline]
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        sys::send_with_fd(self.fd, buf, self.passed)
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<()> {
        // The received descriptor is closed when it drops, at the end of this call.
        let (len, _received) = sys::recv_with_fd(self.fd, buf)?;
        expect_len(len, buf.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{Buffers, Imp, Job, Measure};

    fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd").unwrap().count()
    }

    #[test]
    fn passing_descriptors_both_ways_through_both_sides_leaves_none_open() {
        let prepared = SockFd.prepare().unwrap();
        let args = prepared.args.clone();
        let dir = Path::new(&args[0]).parent().unwrap().to_owned();
        let peer = std::thread::spawn(move || {
            let mut link = SockFd.join(&args, Vec::new()).unwrap();
            let mut bufs = Buffers::new(1);
            for measure in Measure::ALL {
                for imp in [Imp::Api, Imp::Raw] {
                    let job = job(measure, imp);
                    link.follow(&job, &mut bufs).unwrap();
                }
            }
        });
        let mut link = (prepared.connect)().unwrap();
        let before = open_fds();
        let mut bufs = Buffers::new(1);
        for measure in Measure::ALL {
            for imp in [Imp::Api, Imp::Raw] {
                let job = job(measure, imp);
                link.lead(&job, &mut bufs, &mut Vec::new()).unwrap();
            }
        }
        peer.join().unwrap();
        // Both processes' halves ran here: 400 descriptors were received. Other tests open
        // descriptors meanwhile, so only a leak of most of them is told apart.
        assert!(
            open_fds() < before + 100,
            "received descriptors were left open"
        );
        drop(link);
        assert!(!dir.exists(), "{} left behind", dir.display());
    }

    fn job(measure: Measure, imp: Imp) -> Job {
        Job {
            measure,
            imp,
            size: 1,
            count: 50,
        }
    }
}
