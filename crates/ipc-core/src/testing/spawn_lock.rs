//! The process-wide right to spawn, so no test's child copies another test's descriptors.

use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::builder::ChildBuilder;
use super::child::Child;

/// Held by whoever is spawning a process in this test binary.
static SPAWN: Mutex<()> = Mutex::new(());

/// The right to spawn: every process this binary starts is spawned through one, and the ends
/// handed to a child are made and closed again while it is held.
///
/// `fork` copies every descriptor of the process, close-on-exec or not, and the copy lives
/// until the new process reaches `exec`, which on a loaded machine can take longer than a whole
/// test of another thread. A write end handed to a child and copied that way by another test's
/// spawn keeps the pipe from reaching end of input when the child dies, and a read end keeps
/// writes from failing with `PeerGone`, so the tests that check exactly that would fail now and
/// then. Holding this lock from creating an end until closing this process's copy leaves no
/// other spawn a chance to copy it. A test also holds it while the library keeps descriptors of
/// its own open for a moment (a bounded FIFO open) when it then checks that no peer is left.
///
/// # Examples
///
/// (`no_run`: re-execution needs a libtest binary.)
///
/// ```no_run
/// use ipc_core::testing::{ChildBuilder, SpawnLock};
///
/// let spawner = SpawnLock::lock();
/// let (_reader, writer) = std::io::pipe().unwrap();
/// let _child = spawner.spawn(ChildBuilder::new("writer").inherit_fd(&writer, 10));
/// drop((writer, spawner)); // our copy is closed before anyone else may fork
/// ```
#[derive(Debug)]
pub struct SpawnLock {
    _guard: MutexGuard<'static, ()>,
}

impl SpawnLock {
    /// Waits for the right to spawn.
    ///
    /// # Examples
    ///
    /// ```
    /// let spawner = ipc_core::testing::SpawnLock::lock();
    /// drop(spawner);
    /// ```
    pub fn lock() -> Self {
        Self {
            _guard: SPAWN.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// Spawns a re-executed child.
    ///
    /// # Panics
    ///
    /// When the child cannot be spawned (a test failure).
    ///
    /// # Examples
    ///
    /// (`no_run`: re-execution needs a libtest binary.)
    ///
    /// ```no_run
    /// use ipc_core::testing::{ChildBuilder, SpawnLock};
    /// let _child = SpawnLock::lock().spawn(ChildBuilder::new("writer"));
    /// ```
    pub fn spawn(&self, builder: ChildBuilder) -> Child {
        builder.spawn().expect("spawning a child")
    }

    /// Spawns a program.
    ///
    /// # Panics
    ///
    /// When the program cannot be spawned (a test failure).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut child = ipc_core::testing::SpawnLock::lock().command(&mut std::process::Command::new("true"));
    /// assert!(child.wait().unwrap().success());
    /// ```
    pub fn command(&self, command: &mut Command) -> std::process::Child {
        command.spawn().expect("spawning a program")
    }
}
