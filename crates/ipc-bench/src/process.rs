//! The peer process as the parent sees it: spawning it with its descriptors, talking to it over
//! the control channel, and always reaping it.

use std::ffi::OsString;
use std::io::{PipeReader, PipeWriter};
use std::os::fd::{OwnedFd, RawFd};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::process::Pid;

use crate::cases::{Case, Unstick};
use crate::control::{self, Channel, Command, Reply};
use crate::error::{Context, Error, Result};
use crate::sys;
use crate::watchdog::Watchdog;

/// The descriptor the peer reads commands from.
pub(crate) const CONTROL_IN: RawFd = 3;
/// The descriptor the peer writes replies to.
pub(crate) const CONTROL_OUT: RawFd = 4;
/// The descriptor the peer finds its case's first inherited descriptor at; the rest follow.
pub(crate) const FIRST_CASE_FD: RawFd = 5;

/// How long a peer gets to exit after `quit`, or to explain itself after a failure.
const EXIT_LIMIT: Duration = Duration::from_secs(5);

/// A running peer. Dropping it kills and reaps the process.
pub(crate) struct PeerProcess {
    case: &'static str,
    child: Option<Child>,
    control: Option<Channel<PipeReader, PipeWriter>>,
    watchdog: Watchdog,
}

impl PeerProcess {
    /// Starts this executable as the peer of `case`, handing it `give` as its case descriptors
    /// and `args` as its case arguments, pinned to `cpu` when given.
    ///
    /// # Errors
    /// When the control pipes, the descriptor copies or the spawn fail.
    pub(crate) fn spawn(
        case: &dyn Case,
        give: Vec<OwnedFd>,
        args: &[OsString],
        cpu: Option<usize>,
        unstick: Option<Unstick>,
    ) -> Result<Self> {
        let what = || format!("case {}: start the peer", case.id());
        let exe = std::env::current_exe().with_context(what)?;
        let (command_rx, command_tx) = std::io::pipe().with_context(what)?;
        let (reply_rx, reply_tx) = std::io::pipe().with_context(what)?;
        let case_fds = give.len();
        let peer_ends: Vec<OwnedFd> = [OwnedFd::from(command_rx), OwnedFd::from(reply_tx)]
            .into_iter()
            .chain(give)
            .collect();
        let mut fds = ipc_core::ChildFds::new();
        for (fd, target) in peer_ends.into_iter().zip(CONTROL_IN..) {
            fds = fds.place(fd, target).with_context(what)?;
        }

        let mut command = std::process::Command::new(exe);
        command
            .arg("--peer")
            .arg(case.id())
            .arg(cpu.map_or_else(|| "-".to_owned(), |cpu| cpu.to_string()))
            .arg(case_fds.to_string())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        sys::die_with_parent(&mut command);
        // ChildFds closes our copies once the peer has its own: that is what lets the peer see
        // end of file from us.
        let child = fds.spawn(command).with_context(what)?;
        let watchdog = Watchdog::start(Pid::from_child(&child), unstick);
        Ok(Self {
            case: case.id(),
            child: Some(child),
            control: Some(Channel::new(reply_rx, command_tx)),
            watchdog,
        })
    }

    /// The watchdog bounding every wait on this peer.
    pub(crate) fn watchdog(&self) -> &Watchdog {
        &self.watchdog
    }

    /// Sends `command`.
    ///
    /// # Errors
    /// When the peer is gone.
    pub(crate) fn send(&mut self, command: &Command) -> Result<()> {
        self.channel()?
            .send(&control::encode_command(command))
            .context("send a command to the peer")
    }

    /// Waits for the peer's next reply (bounded by the armed watchdog).
    ///
    /// # Errors
    /// When the peer is gone, reports an error, or says something else than `expected`.
    pub(crate) fn expect(&mut self, expected: &Reply) -> Result<()> {
        let reply = self.recv()?;
        if &reply == expected {
            Ok(())
        } else if let Reply::Error(message) = reply {
            Err(Error::msg(format!("the peer failed: {message}")))
        } else {
            Err(Error::msg(format!(
                "the peer replied {reply:?} where {expected:?} was expected"
            )))
        }
    }

    fn recv(&mut self) -> Result<Reply> {
        let line = self
            .channel()?
            .recv()
            .context("read the peer's reply")?
            .ok_or_else(|| Error::msg("the peer closed the control channel"))?;
        control::parse_reply(line)
            .ok_or_else(|| Error::msg(format!("the peer sent a malformed reply {line:?}")))
    }

    fn channel(&mut self) -> Result<&mut Channel<PipeReader, PipeWriter>> {
        self.control
            .as_mut()
            .ok_or_else(|| Error::msg("the control channel is closed"))
    }

    /// Asks the peer to quit and reaps it.
    ///
    /// # Errors
    /// When it does not exit cleanly within the limit.
    pub(crate) fn finish(mut self) -> Result<()> {
        if let Some(channel) = &mut self.control {
            let _ = channel.send(&control::encode_command(&Command::Quit));
        }
        self.control = None;
        let case = self.case;
        match self
            .reap()
            .with_context(|| format!("case {case}: reap the peer"))?
        {
            (_, true) => Err(Error::msg(format!(
                "case {case}: the peer did not exit within {EXIT_LIMIT:?} of quit and was killed"
            ))),
            (status, false) if !status.success() => Err(Error::msg(format!(
                "case {case}: the peer exited with {status}"
            ))),
            _ => Ok(()),
        }
    }

    /// Ends the peer after `err` and returns `err` completed with what the peer said and how it
    /// ended, all within bounded waits.
    pub(crate) fn fail(mut self, err: Error) -> Error {
        let mut notes = Vec::new();
        if self.watchdog.fired() {
            notes.push("the watchdog killed the peer after its deadline".to_owned());
        }
        // The peer reports its own failure on the control channel before exiting.
        self.watchdog.arm(EXIT_LIMIT);
        while let Ok(reply) = self.recv() {
            if let Reply::Error(message) = reply {
                notes.push(format!("the peer said: {message}"));
                break;
            }
        }
        self.control = None;
        match self.reap() {
            Ok((status, false)) => notes.push(format!("the peer exited with {status}")),
            Ok((_, true)) => notes.push("the peer was killed".to_owned()),
            Err(e) => notes.push(format!("reaping the peer failed: {e}")),
        }
        Error::msg(format!("{err} ({})", notes.join("; "))).within(format!("case {}", self.case))
    }

    /// Stops the watchdog, waits up to [`EXIT_LIMIT`] for the peer to exit, kills it otherwise,
    /// and reaps it. Returns the status and whether it had to be killed.
    fn reap(&mut self) -> std::io::Result<(ExitStatus, bool)> {
        // The watchdog must not outlive the child's pid.
        self.watchdog.stop();
        let Some(mut child) = self.child.take() else {
            return Err(std::io::Error::other("the peer was already reaped"));
        };
        let deadline = Instant::now() + EXIT_LIMIT;
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok((status, false));
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                return Ok((child.wait()?, true));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        self.control = None;
        self.watchdog.stop();
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
