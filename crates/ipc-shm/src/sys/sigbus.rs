//! `sigaction` for `SIGBUS`: the handler that names the shared mapping a fault hit, and the
//! hand-over to whatever action was installed before it.
#![allow(
    unsafe_code,
    reason = "sigaction, raise, write(2), errno and reading a siginfo_t are raw operations, \
              and chaining to the previous handler turns its address back into a function"
)]

use std::ffi::{c_int, c_void};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustix::io::Errno;

use crate::sigbus::line::Line;
use crate::sigbus::registry::{NAME_BYTES, TABLE};

/// The action that was installed for `SIGBUS` before ours: the handler chains to it.
///
/// Set once, before our handler is installed, so the handler always finds it; `OnceLock::get`
/// is one atomic load, which is async-signal-safe.
static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

/// The fault address of the last line written, so that a previous handler which returns
/// without curing the fault (the access then faults again, forever) does not also make us
/// write the same line forever.
static LAST_REPORTED: AtomicUsize = AtomicUsize::new(0);

/// The handler's address, as `sigaction` wants it.
fn handler_address() -> libc::sighandler_t {
    on_sigbus as extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) as libc::sighandler_t
}

/// Installs [`on_sigbus`] for `SIGBUS` with `SA_SIGINFO | SA_ONSTACK`, after keeping the
/// current action as the one to chain to.
///
/// Call it once per process (the caller serialises and remembers); a second call would keep
/// our own handler as the previous one.
pub(crate) fn install() -> Result<(), Errno> {
    let current = current_action()?;
    if current.sa_sigaction == handler_address() {
        return Ok(());
    }
    // A failed set means an earlier install kept the action already; that one stays.
    let _ = PREVIOUS.set(current);
    // SAFETY: `libc::sigaction` is plain data (a handler address, a signal set, integer flags
    // and a restorer address) for which all zero bytes are valid: `SIG_DFL`, no flags.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler_address();
    // SA_ONSTACK: a fault on a nearly full stack still runs the handler, on the alternate stack
    // that std gives every thread it starts, where there is one.
    action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
    // SAFETY: `action.sa_mask` is a live, writable `sigset_t` owned by this frame.
    unsafe { libc::sigemptyset(&raw mut action.sa_mask) };
    // SAFETY: `action` is initialised above; its handler is `on_sigbus`, an
    // `extern "C" fn(c_int, *mut siginfo_t, *mut c_void)` as `SA_SIGINFO` requires, which only
    // makes async-signal-safe calls; a null old-action pointer is allowed ("If oldact is
    // non-NULL, the previous action is saved in oldact.", sigaction(2)).
    let rc = unsafe { libc::sigaction(libc::SIGBUS, &raw const action, std::ptr::null_mut()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(Errno::from_raw_os_error(last_errno()))
    }
}

/// The action installed for `SIGBUS` now.
fn current_action() -> Result<libc::sigaction, Errno> {
    let mut old = std::mem::MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: with a null new action, `sigaction` changes nothing and only writes the current
    // action into `old`, a live, writable `libc::sigaction` in this frame ("If act is non-NULL,
    // the new action for signal signum is installed from act. If oldact is non-NULL, the
    // previous action is saved in oldact.", sigaction(2)).
    let rc = unsafe { libc::sigaction(libc::SIGBUS, std::ptr::null(), old.as_mut_ptr()) };
    if rc != 0 {
        return Err(Errno::from_raw_os_error(last_errno()));
    }
    // SAFETY: `sigaction` returned 0, so it filled `old`.
    Ok(unsafe { old.assume_init() })
}

/// The `SIGBUS` handler: names the registered mapping that a fault hit, then hands the signal
/// to the previous action.
///
/// Only async-signal-safe work: atomic loads of the registry, formatting into a stack buffer,
/// `write(2)`, `sigaction(2)`, `raise(3)` and the previous handler, which its installer wrote
/// for this context. `errno` is saved and restored around it all.
extern "C" fn on_sigbus(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let errno = last_errno();
    let fault = fault_address(info);
    if let Some(addr) = fault {
        let mut name = [0u8; NAME_BYTES];
        if let Some(found) = TABLE.find(addr, &mut name)
            // Relaxed: the address is the only data; no other memory is published through it.
            && LAST_REPORTED.swap(addr, Ordering::Relaxed) != addr
        {
            write_stderr(Line::new(addr, found, &name).as_bytes());
        }
    }
    chain(signal, info, context, fault.is_some());
    set_errno(errno);
}

/// The address a fault hit, or `None` for a `SIGBUS` that a process sent (`kill`, `raise`,
/// `sigqueue`).
fn fault_address(info: *mut libc::siginfo_t) -> Option<usize> {
    if info.is_null() {
        return None;
    }
    // SAFETY: with `SA_SIGINFO` the kernel passes a valid, initialised `siginfo_t` that lives
    // for the handler's duration (this call), and `info` was checked non-null above.
    let info = unsafe { &*info };
    // "si_code ... A value less than or equal to 0 means that the signal was generated by a
    // user process" (SI_USER 0, SI_QUEUE -1, SI_TKILL -6); the kernel's BUS_* codes are
    // positive, and only those fill si_addr (sigaction(2)).
    if info.si_code <= 0 {
        return None;
    }
    // SAFETY: for a kernel-generated SIGBUS (checked just above) the union holds the fault
    // fields, which `si_addr` reads.
    let addr = unsafe { info.si_addr() };
    Some(addr.addr())
}

/// Hands the signal to the action that was installed before ours.
fn chain(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void, fault: bool) {
    let Some(previous) = PREVIOUS.get() else {
        // Not reachable: PREVIOUS is set before the handler is installed. Behave as SIG_DFL.
        restore_default(signal, fault);
        return;
    };
    let handler = previous.sa_sigaction;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        if fault {
            // Put the previous action back and return: the faulting access runs again and
            // faults again under that action. SIG_DFL then ends the process with SIGBUS (and
            // its core) exactly as if we had never been installed; an ignored SIGBUS cannot stop
            // a fault ("the kernel ... resets the disposition to SIG_DFL" for a synchronous
            // signal that is ignored, force_sig_info), so that ends the same way.
            set_action(signal, previous);
        } else if handler == libc::SIG_DFL {
            // A sent signal does not come back when we return: send it again under SIG_DFL.
            // It stays pending while this handler runs (SIGBUS is blocked in it) and kills the
            // process as we return.
            set_action(signal, previous);
            raise(signal);
        }
        // A sent SIGBUS that was ignored before stays ignored, and ours stays installed.
        return;
    }
    if previous.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: with SA_SIGINFO, `sa_sigaction` is the address of a handler of this
        // three-argument type (sigaction(2)), set by whoever installed it, and not SIG_DFL or
        // SIG_IGN (checked above).
        let previous: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) =
            unsafe { std::mem::transmute(handler) };
        previous(signal, info, context);
    } else {
        // SAFETY: without SA_SIGINFO, `sa_sigaction` (the union's `sa_handler`) is the address
        // of a one-argument handler (sigaction(2)), and not SIG_DFL or SIG_IGN (checked above).
        let previous: extern "C" fn(c_int) = unsafe { std::mem::transmute(handler) };
        previous(signal);
    }
}

/// Restores `SIG_DFL` and, for a sent signal, sends it again (see `chain`).
fn restore_default(signal: c_int, fault: bool) {
    // SAFETY: all zero bytes are a valid `libc::sigaction`: `SIG_DFL`, no flags, empty mask.
    let default: libc::sigaction = unsafe { std::mem::zeroed() };
    set_action(signal, &default);
    if !fault {
        raise(signal);
    }
}

/// `sigaction(signal, action, NULL)`, async-signal-safe; a failure leaves the action as it was.
fn set_action(signal: c_int, action: &libc::sigaction) {
    // SAFETY: `action` is a valid `libc::sigaction` (one the kernel gave us, or zeroed), the
    // old-action pointer may be null (sigaction(2)), and sigaction is async-signal-safe
    // (signal-safety(7)).
    let _ = unsafe { libc::sigaction(signal, action, std::ptr::null_mut()) };
}

/// `raise(signal)`, async-signal-safe (signal-safety(7)).
fn raise(signal: c_int) {
    // SAFETY: raise only sends a signal to the calling thread; it touches none of our memory.
    let _ = unsafe { libc::raise(signal) };
}

/// Writes all of `bytes` to standard error with `write(2)`, async-signal-safe; gives up
/// quietly on an error, since nothing could report it.
fn write_stderr(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a live slice of exactly `bytes.len()` readable bytes; write(2)
        // only reads them, and is async-signal-safe (signal-safety(7)).
        let written =
            unsafe { libc::write(libc::STDERR_FILENO, bytes.as_ptr().cast(), bytes.len()) };
        match usize::try_from(written) {
            Ok(0) => return,
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(_) if last_errno() == libc::EINTR => {}
            Err(_) => return,
        }
    }
}

/// This thread's `errno`.
fn last_errno() -> c_int {
    // SAFETY: `__errno_location` only returns the address of this thread's errno.
    let location = unsafe { libc::__errno_location() };
    // SAFETY: the address is valid and aligned for this thread's lifetime.
    unsafe { *location }
}

/// Sets this thread's `errno`, so the code the signal interrupted sees the value it left.
fn set_errno(value: c_int) {
    // SAFETY: `__errno_location` only returns the address of this thread's errno.
    let location = unsafe { libc::__errno_location() };
    // SAFETY: the address is valid, aligned and writable for this thread's lifetime.
    unsafe { *location = value };
}
