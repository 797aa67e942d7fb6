//! The reference's "Passing File Descriptors" program (`000_…`, section "Unix Domain Sockets",
//! "Passing File Descriptors": `send_fd` / `recv_fd` with one data byte and one `SCM_RIGHTS`
//! descriptor), done as its text describes it: "a privileged process can open restricted files
//! and pass the descriptors to unprivileged workers".
//!
//! The parent makes a file of mode 0o600 in the temporary directory and a socket pair, and
//! re-executes itself as the worker with the other end of the pair. When the example runs as
//! root, the worker drops to `nobody` (uid and gid 65534) before anything else, then shows that
//! it cannot open the file itself but can read it through the descriptor the parent opened
//! and passed. The worker also checks who sent it (`SO_PEERCRED`). Without root there is no
//! privilege to separate, so the worker only shows the passing.
//!
//! ```text
//! $ cargo run -q -p ipc-sock --example fd_passing
//! worker: running as uid 65534 gid 65534
//! worker: opening the file myself: permission denied
//! worker: the descriptor came from pid 4242 (uid 0)
//! worker: read through the passed descriptor: "the secret the parent opened"
//! parent: the worker is done; file removed
//! ```

use std::io::Read;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::process::Command;

use ipc_sock::UnixStream;

/// Set in the worker's environment: the path of the file it must not be able to open.
const WORKER_ENV: &str = "IPC_SOCK_EXAMPLE_FD_WORKER";

/// Where the worker finds its end of the socket pair.
const SOCKET_FD: i32 = 3;

/// `nobody` and `nogroup`.
const NOBODY: u32 = 65534;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Some(path) = std::env::var_os(WORKER_ENV) {
        return worker(std::path::Path::new(&path));
    }
    let path = std::env::temp_dir().join(ipc_core::unique_name("ipc-sock-example-secret"));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut file| {
            std::io::Write::write_all(&mut file, b"the secret the parent opened")
        })?;
    let result = run(&path);
    std::fs::remove_file(&path)?;
    result?;
    println!("parent: the worker is done; file removed");
    Ok(())
}

/// The parent's half: start the worker, open the file, pass it.
fn run(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let (parent, worker) = UnixStream::pair()?;
    let mut command = Command::new(std::env::current_exe()?);
    command.env(WORKER_ENV, path);
    // The worker's end goes to it at SOCKET_FD; this process's copy is closed once it runs.
    let mut child = ipc_core::ChildFds::new()
        .place(worker, SOCKET_FD)?
        .spawn(command)?;

    let file = std::fs::File::open(path)?;
    parent.send_with_fds(b"F", &[file.as_fd()])?;
    drop(file);
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("the worker failed: {status}").into());
    }
    Ok(())
}

/// The worker: drop privileges, fail to open the file, read it through the passed descriptor.
fn worker(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    #[allow(
        unsafe_code,
        reason = "the worker owns the descriptor its parent placed at SOCKET_FD"
    )]
    // SAFETY: the parent placed our end of the socket pair at SOCKET_FD with dup2 before exec,
    // and nothing else in this process uses that number.
    let fd = unsafe { OwnedFd::from_raw_fd(SOCKET_FD) };
    let stream = UnixStream::from_fd(fd)?;
    if rustix::process::geteuid().is_root() {
        drop_privileges()?;
    }
    println!(
        "worker: running as uid {} gid {}",
        rustix::process::getuid().as_raw(),
        rustix::process::getgid().as_raw()
    );
    match std::fs::File::open(path) {
        Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => {
            println!("worker: opening the file myself: permission denied");
        }
        Err(err) => return Err(err.into()),
        Ok(_) => {
            println!("worker: opening the file myself worked (not root: no privilege to separate)")
        }
    }

    let mut byte = [0; 1];
    let (_, mut fds) = stream.receive_with_fds(&mut byte, 1)?;
    let sender = stream.peer_credentials()?;
    println!(
        "worker: the descriptor came from pid {} (uid {})",
        sender.pid, sender.uid
    );
    let fd = fds.pop().ok_or("the parent sent no descriptor")?;
    let mut text = String::new();
    std::fs::File::from(fd).read_to_string(&mut text)?;
    println!("worker: read through the passed descriptor: {text:?}");
    Ok(())
}

/// Becomes `nobody`/`nogroup` for good: supplementary groups and group first, while still
/// allowed to change them, then the user.
fn drop_privileges() -> std::io::Result<()> {
    #[allow(
        unsafe_code,
        reason = "setgroups, setgid and setuid have no safe wrapper for the whole process"
    )]
    // SAFETY: an empty list with a null pointer is what setgroups(2) documents for "none".
    let groups = unsafe { libc::setgroups(0, std::ptr::null()) };
    if groups != 0 {
        return Err(std::io::Error::last_os_error());
    }
    #[allow(
        unsafe_code,
        reason = "setgroups, setgid and setuid have no safe wrapper for the whole process"
    )]
    // SAFETY: setgid takes a plain id and changes only this process's credentials.
    let group = unsafe { libc::setgid(NOBODY) };
    if group != 0 {
        return Err(std::io::Error::last_os_error());
    }
    #[allow(
        unsafe_code,
        reason = "setgroups, setgid and setuid have no safe wrapper for the whole process"
    )]
    // SAFETY: setuid takes a plain id and changes only this process's credentials.
    let user = unsafe { libc::setuid(NOBODY) };
    if user != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
