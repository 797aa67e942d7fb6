//! A single-producer single-consumer byte ring in shared memory, one per direction, written once
//! and monomorphised over how the memory is reached: through `ipc_shm`'s safe access (the API
//! side) or through raw pointers (the raw side). Only the access path differs between the two.
//!
//! # Layout of one direction
//!
//! ```text
//! offset 0     head: u64   bytes ever written (the producer's cursor; the consumer reads it)
//! offset 128   tail: u64   bytes ever read    (the consumer's cursor; the producer reads it)
//! offset 256   data: CAPACITY bytes; byte n of the stream lives at 256 + n % CAPACITY
//! ```
//!
//! The cursors sit on their own 128-byte lines (two cache lines: adjacent-line prefetch pairs
//! lines) so the producer's and consumer's stores do not contend. `head - tail` bytes are
//! readable; `CAPACITY - (head - tail)` are writable. The cursors count bytes forever (2^64 bytes
//! do not wrap in any run).
//!
//! A producer publishes a message whole when the ring has room for it (in pieces only when it
//! must wait for room). Publishing in smaller pieces, so the consumer copies out while the producer
//! still copies in, was tried: it tripled the raw 64 KiB round trip (the two cores then fight
//! over the lines being copied), so it is not done.
//!
//! # Waiting
//!
//! Busy polling, bounded: a side waiting for data or space re-checks the other cursor
//! [`SPINS`] times with `spin_loop`, then yields the CPU between checks, so a peer that was
//! descheduled costs a yield, not a whole time slice of spinning, per message. The yield loop
//! also watches a cancel flag, which the bench's watchdog sets once it has killed a hung peer.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::measure::Duplex;

/// Data bytes per direction: four 64 KiB messages in flight.
pub(crate) const CAPACITY: usize = 256 << 10;
/// Offset of the head cursor in a direction.
pub(crate) const HEAD: usize = 0;
/// Offset of the tail cursor in a direction.
pub(crate) const TAIL: usize = 128;
/// Offset of the data in a direction.
pub(crate) const DATA: usize = 256;
/// The bytes of one direction.
pub(crate) const DIRECTION: usize = DATA + CAPACITY;
/// The bytes of both directions: parent to peer (`down`) at 0, peer to parent (`up`) after it.
pub(crate) const LEN: usize = 2 * DIRECTION;
/// Checks with `spin_loop` before a waiting side starts yielding: about 30 µs on the 2.4 GHz
/// AMD EPYC this was tuned on, longer than the raw side's copy of a 64 KiB message but not
/// always than the API's, whose waits for one may end in the yielding phase.
pub(crate) const SPINS: u32 = 1_000;

const _: () = assert!(
    CAPACITY.is_power_of_two() && DATA.is_multiple_of(128) && DIRECTION.is_multiple_of(128)
);

/// How a ring reaches its data bytes: the API's checked copies or raw `memcpy`.
///
/// # Safety
///
/// The methods are `unsafe` for the raw side, whose copies are unchecked `memcpy`: a caller
/// passes only ranges inside the mapping ([`LEN`] bytes) that the ring protocol hands to it alone
/// for the call (bytes between the cursors), so no other thread or process touches them meanwhile.
#[allow(
    unsafe_code,
    reason = "the raw side's copies are unchecked memcpy, whose preconditions the ring upholds"
)]
pub(crate) trait Bytes {
    /// Copies `src` into the mapping at `offset`.
    ///
    /// # Safety
    /// See [`Bytes`]: the range is inside the mapping and owned by the caller for the call.
    unsafe fn write(&self, offset: usize, src: &[u8]) -> io::Result<()>;

    /// Copies `dst.len()` bytes out of the mapping at `offset`.
    ///
    /// # Safety
    /// See [`Bytes`]: the range is inside the mapping and owned by the caller for the call.
    unsafe fn read(&self, offset: usize, dst: &mut [u8]) -> io::Result<()>;
}

/// The cursors of one direction, as atomics reached once, when a side is set up.
#[derive(Clone, Copy)]
pub(crate) struct Cursors<'a> {
    /// The head word (offset [`HEAD`]).
    pub(crate) head: &'a AtomicU64,
    /// The tail word (offset [`TAIL`]).
    pub(crate) tail: &'a AtomicU64,
    /// Where the direction starts in the mapping: 0 or [`DIRECTION`].
    pub(crate) base: usize,
}

/// One side of the pair of rings: producer of `tx`, consumer of `rx`.
pub(crate) struct RingDuplex<'a, B> {
    bytes: B,
    tx: Cursors<'a>,
    rx: Cursors<'a>,
    cancel: &'a AtomicBool,
    /// The producer's own head, and how far it may write (`tail + CAPACITY` as last seen).
    sent: u64,
    room_to: u64,
    /// The consumer's own tail, and how far it may read (`head` as last seen).
    received: u64,
    data_to: u64,
}

impl<'a, B: Bytes> RingDuplex<'a, B> {
    /// A side producing into `tx` and consuming from `rx` of `bytes`.
    pub(crate) fn new(bytes: B, tx: Cursors<'a>, rx: Cursors<'a>, cancel: &'a AtomicBool) -> Self {
        // Relaxed: each side is the only writer of its own cursor, so it reads back its own last
        // store.
        let sent = tx.head.load(Ordering::Relaxed);
        let received = rx.tail.load(Ordering::Relaxed);
        Self {
            bytes,
            tx,
            rx,
            cancel,
            sent,
            room_to: sent,
            received,
            data_to: received,
        }
    }
}

impl<B: Bytes> Duplex for RingDuplex<'_, B> {
    #[inline]
    fn send(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            if self.sent == self.room_to {
                let (tail, sent) = (self.tx.tail, self.sent);
                // Acquire: pairs with the Release store of `tail` in `recv`, so the consumer's
                // reads of the bytes we are about to overwrite happened before our writes.
                let room_to = wait(self.cancel, || {
                    let room_to = tail.load(Ordering::Acquire) + CAPACITY as u64;
                    (room_to > sent).then_some(room_to)
                })?;
                self.room_to = room_to;
            }
            // At most CAPACITY, whatever the peer wrote in the cursors, so both copies stay
            // inside the data.
            let n = buf
                .len()
                .min(CAPACITY)
                .min((self.room_to - self.sent) as usize);
            let at = (self.sent % CAPACITY as u64) as usize;
            let first = n.min(CAPACITY - at);
            // SAFETY: `at + first <= CAPACITY` and `n <= CAPACITY`, inside this direction's data;
            // the bytes from `sent` up to `room_to` are free (the consumer released them with its
            // tail store, which the Acquire above observed) and only this producer writes them,
            // as long as the peer keeps the protocol: the raw side trusts its peer, as C does.
            #[allow(unsafe_code, reason = "a copy into the producer's range")]
            let written = unsafe { self.bytes.write(self.tx.base + DATA + at, &buf[..first]) };
            written?;
            if first < n {
                // Wrapped around: the rest goes to the start of the data.
                // SAFETY: as above, for the `n - first` bytes at the start of the data.
                #[allow(unsafe_code, reason = "a copy into the producer's range")]
                let written = unsafe { self.bytes.write(self.tx.base + DATA, &buf[first..n]) };
                written?;
            }
            self.sent += n as u64;
            // Release: pairs with the Acquire load of `head` in `recv`, publishing the bytes
            // just written.
            self.tx.head.store(self.sent, Ordering::Release);
            buf = &buf[n..];
        }
        Ok(())
    }

    #[inline]
    fn recv(&mut self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            if self.received == self.data_to {
                let (head, received) = (self.rx.head, self.received);
                // Acquire: pairs with the Release store of `head` in `send`, so the bytes the
                // producer wrote before it are visible to the copy below.
                let data_to = wait(self.cancel, || {
                    let data_to = head.load(Ordering::Acquire);
                    (data_to > received).then_some(data_to)
                })?;
                self.data_to = data_to;
            }
            let n = buf
                .len()
                .min(CAPACITY)
                .min((self.data_to - self.received) as usize);
            let at = (self.received % CAPACITY as u64) as usize;
            let first = n.min(CAPACITY - at);
            let (now, rest) = buf.split_at_mut(n);
            let (low, high) = now.split_at_mut(first);
            // SAFETY: `at + first <= CAPACITY` and `n <= CAPACITY`, inside this direction's data;
            // the bytes from `received` up to `data_to` were published by the producer's head
            // store (observed by the Acquire above) and a producer keeping the protocol does not
            // touch them again until our tail store.
            #[allow(unsafe_code, reason = "a copy out of the consumer's range")]
            let read = unsafe { self.bytes.read(self.rx.base + DATA + at, low) };
            read?;
            if !high.is_empty() {
                // Wrapped around: the rest comes from the start of the data.
                // SAFETY: as above, for the bytes at the start of the data.
                #[allow(unsafe_code, reason = "a copy out of the consumer's range")]
                let read = unsafe { self.bytes.read(self.rx.base + DATA, high) };
                read?;
            }
            self.received += n as u64;
            // Release: pairs with the Acquire load of `tail` in `send`, handing the bytes just
            // read back to the producer.
            self.rx.tail.store(self.received, Ordering::Release);
            buf = rest;
        }
        Ok(())
    }
}

/// Polls `ready` until it yields a value: [`SPINS`] times with `spin_loop`, then yielding the CPU
/// between polls until `cancel` is set.
#[inline]
fn wait<T>(cancel: &AtomicBool, mut ready: impl FnMut() -> Option<T>) -> io::Result<T> {
    for _ in 0..SPINS {
        if let Some(value) = ready() {
            return Ok(value);
        }
        std::hint::spin_loop();
    }
    wait_yielding(cancel, ready)
}

#[cold]
fn wait_yielding<T>(cancel: &AtomicBool, mut ready: impl FnMut() -> Option<T>) -> io::Result<T> {
    loop {
        if let Some(value) = ready() {
            return Ok(value);
        }
        // Relaxed: the flag carries no data; seeing it a little late only delays the error.
        if cancel.load(Ordering::Relaxed) {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the peer stopped answering and was killed",
            ));
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// Plain process memory standing in for a mapping, for in-process tests.
    struct Heap(RefCell<Vec<u8>>);

    #[allow(
        unsafe_code,
        reason = "implements the ring's unsafe trait, with checked copies"
    )]
    impl Bytes for &Heap {
        unsafe fn write(&self, offset: usize, src: &[u8]) -> io::Result<()> {
            self.0.borrow_mut()[offset..offset + src.len()].copy_from_slice(src);
            Ok(())
        }
        unsafe fn read(&self, offset: usize, dst: &mut [u8]) -> io::Result<()> {
            dst.copy_from_slice(&self.0.borrow()[offset..offset + dst.len()]);
            Ok(())
        }
    }

    fn cursors(words: &[AtomicU64; 2], base: usize) -> Cursors<'_> {
        Cursors {
            head: &words[0],
            tail: &words[1],
            base,
        }
    }

    #[test]
    fn bytes_sent_on_one_side_arrive_in_order_across_the_wrap() {
        let heap = Heap(RefCell::new(vec![0; LEN]));
        let down = [AtomicU64::new(0), AtomicU64::new(0)];
        let up = [AtomicU64::new(0), AtomicU64::new(0)];
        let cancel = AtomicBool::new(false);
        let mut parent =
            RingDuplex::new(&heap, cursors(&down, 0), cursors(&up, DIRECTION), &cancel);
        let mut peer = RingDuplex::new(&heap, cursors(&up, DIRECTION), cursors(&down, 0), &cancel);
        let message: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut got = vec![0; message.len()];
        // 100 000 bytes, three times: the third crosses the end of the 256 KiB data.
        for _ in 0..3 {
            parent.send(&message).unwrap();
            peer.recv(&mut got).unwrap();
            assert_eq!(got, message);
        }
        assert_eq!(down[0].load(Ordering::Relaxed), 300_000);
        assert_eq!(down[1].load(Ordering::Relaxed), 300_000);
    }

    #[test]
    fn a_full_ring_gives_up_once_cancelled() {
        let heap = Heap(RefCell::new(vec![0; LEN]));
        let down = [AtomicU64::new(0), AtomicU64::new(0)];
        let up = [AtomicU64::new(0), AtomicU64::new(0)];
        let cancel = AtomicBool::new(true);
        let mut sut = RingDuplex::new(&heap, cursors(&down, 0), cursors(&up, DIRECTION), &cancel);

        let overfull = vec![1; CAPACITY + 1];

        assert_eq!(
            sut.send(&overfull).unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
        let mut one = [0];
        assert_eq!(
            sut.recv(&mut one).unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
    }
}
