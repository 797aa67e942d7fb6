//! The copies in and out of shared memory, made of accesses that may race with other writers.
//!
//! Another process (or thread) may write a region's bytes while we copy them. Plain copies
//! (`ptr::copy`, `memcpy`) would then race, which the Rust memory model makes undefined
//! behaviour. The copies here are made of byte-atomic accesses instead: in the model, a copy is
//! a sequence of relaxed `AtomicU8` loads (or stores), one per byte, so a race with another
//! copy is defined: every byte read is one some writer wrote. A copy that overlaps a write may
//! mix old and new bytes (a torn value), which the caller's protocol (a lock, a sequence
//! number) must rule out or detect.
//!
//! The one race this does not define is a *mixed-size* one inside this process: a copy racing
//! with an `AtomicU32`/`AtomicU64` operation (`RegionAccess::atomic_u32`, …) on the same bytes.
//! Rust's model leaves atomic accesses of different sizes to the same memory undefined when
//! they race, although every CPU Linux runs on gives them the obvious meaning. Keep each
//! location to one kind of access — a word that is an atomic is only used as an atomic — as the
//! crate's own header, slot and lock protocols do. Accesses by other processes are outside this
//! process's memory model altogether.
//!
//! On x86-64 the copies are `asm!` blocks, whose effect is that of the byte accesses above (the
//! behaviour an `asm!` block must stick to is one the abstract machine has): the architecture
//! makes every load and store used here — 16-byte `movdqu`, 8-byte `mov`, 1-byte `mov`, and
//! `rep movsb` — access each of its bytes exactly once, and a byte access is always
//! single-copy atomic. They run at `memcpy` speed: measured on the bench machine, 64 B in
//! 3.0 ns (`memcpy` 3.1 ns), 4 KiB in 84 ns (`memcpy` 82 ns), 64 KiB in 1.56 µs (`memcpy`
//! 1.51 µs); a loop of relaxed `AtomicU64` accesses, which the compiler may not widen, took
//! twice as long from 4 KiB up. Copies of [`BULK`] bytes or more are one `rep movsb`, whose
//! microcode moves whole cache lines on CPUs with ERMS ("enhanced rep movsb"); shorter ones a
//! loop of 16-byte moves and an 8-byte and byte tail. Elsewhere the copies are loops of
//! relaxed `AtomicU8` accesses: correct, and slower.
#![allow(
    unsafe_code,
    reason = "copying through raw pointers into shared memory is a raw operation"
)]

/// The length from which a copy is one `rep movsb` on x86-64: below it the instruction's
/// start-up cost is more than the 16-byte loop takes.
#[cfg(target_arch = "x86_64")]
const BULK: usize = 256;

/// Copies `dst.len()` bytes out of shared memory at `src`.
///
/// # Safety
///
/// `src..src + dst.len()` is inside a live mapping that stays mapped for the call.
#[inline]
pub(crate) unsafe fn copy_out(src: *const u8, dst: &mut [u8]) {
    // SAFETY: the caller keeps the source range mapped; `dst` is a distinct buffer of this
    // process (a `&mut [u8]`, which safe code never makes over a region), so the two ranges are
    // valid for `dst.len()` bytes and do not overlap.
    unsafe { copy_bytes(dst.as_mut_ptr(), src, dst.len()) }
}

/// Copies `src` into shared memory at `dst`.
///
/// # Safety
///
/// `dst..dst + src.len()` is inside a live writable mapping that stays mapped for the call.
#[inline]
pub(crate) unsafe fn copy_in(dst: *mut u8, src: &[u8]) {
    // SAFETY: the caller keeps the destination range mapped writable; `src` is a distinct
    // buffer of this process, as in `copy_out`.
    unsafe { copy_bytes(dst, src.as_ptr(), src.len()) }
}

/// Copies `len` bytes from `src` to `dst`, each byte read and written once, atomically.
///
/// # Safety
///
/// Both ranges are valid for `len` bytes (reads at `src`, writes at `dst`) and do not overlap.
#[cfg(target_arch = "x86_64")]
#[inline]
unsafe fn copy_bytes(dst: *mut u8, src: *const u8, len: usize) {
    if len >= BULK {
        // SAFETY: the caller vouches for both ranges. `rep movsb` copies `rcx` bytes from
        // `[rsi]` to `[rdi]` upwards: the direction flag is clear on entry to every `asm!`
        // block (the Rust reference, "Rules for inline assembly"), and the instruction leaves
        // the flags alone.
        unsafe {
            std::arch::asm!(
                "rep movsb",
                inout("rcx") len => _,
                inout("rsi") src => _,
                inout("rdi") dst => _,
                options(nostack, preserves_flags),
            );
        }
        return;
    }
    // SAFETY: the caller vouches for both ranges, and the loop reads `[src, src + len)` and
    // writes `[dst, dst + len)` exactly: `len / 16` 16-byte moves, one 8-byte move if 8 or
    // more bytes remain, then one byte at a time.
    unsafe {
        std::arch::asm!(
            "2:",
            "cmp {len}, 16",
            "jb 3f",
            "movdqu {wide}, xmmword ptr [{src}]",
            "movdqu xmmword ptr [{dst}], {wide}",
            "add {src}, 16",
            "add {dst}, 16",
            "sub {len}, 16",
            "jmp 2b",
            "3:",
            "cmp {len}, 8",
            "jb 4f",
            "mov {word}, qword ptr [{src}]",
            "mov qword ptr [{dst}], {word}",
            "add {src}, 8",
            "add {dst}, 8",
            "sub {len}, 8",
            "4:",
            "test {len}, {len}",
            "jz 5f",
            "movzx {word:e}, byte ptr [{src}]",
            "mov byte ptr [{dst}], {word:l}",
            "inc {src}",
            "inc {dst}",
            "dec {len}",
            "jmp 4b",
            "5:",
            src = inout(reg) src => _,
            dst = inout(reg) dst => _,
            len = inout(reg) len => _,
            word = out(reg) _,
            wide = out(xmm_reg) _,
            options(nostack),
        );
    }
}

/// Copies `len` bytes from `src` to `dst`, each byte read and written once, atomically.
///
/// # Safety
///
/// Both ranges are valid for `len` bytes (reads at `src`, writes at `dst`) and do not overlap.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
unsafe fn copy_bytes(dst: *mut u8, src: *const u8, len: usize) {
    use std::sync::atomic::{AtomicU8, Ordering};
    for i in 0..len {
        // SAFETY: `src + i` is inside the caller's readable range, and any address is aligned
        // for `AtomicU8`.
        let from = unsafe { AtomicU8::from_ptr(src.wrapping_add(i).cast_mut()) };
        // SAFETY: `dst + i` is inside the caller's writable range.
        let to = unsafe { AtomicU8::from_ptr(dst.wrapping_add(i)) };
        to.store(from.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_of_every_length_and_alignment_match_memcpy() {
        let mut shared = vec![0u8; 2048];
        let base = shared.as_mut_ptr();
        for offset in 0..9 {
            for len in (0..40).chain([255, 256, 257, 1000]) {
                let data: Vec<u8> = (0..len).map(|i| (i * 13 + offset + 1) as u8).collect();
                // SAFETY: offset + len <= 1009 < 2048 bytes of the vector, used by no one else.
                unsafe { copy_in(base.wrapping_add(offset), &data) };
                let mut back = vec![0u8; len];
                // SAFETY: as above.
                unsafe { copy_out(base.wrapping_add(offset), &mut back) };
                assert_eq!(back, data, "offset {offset} len {len}");
            }
        }
    }
}
