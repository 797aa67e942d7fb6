//! The control channel between the parent and its peer: one line per command or reply, on a pipe
//! pair separate from the channel under test.
//!
//! ```text
//! parent -> peer   job <latency|throughput> <api|raw|altN> <size> <count>
//!                  quit                      (or end-of-file)
//! peer -> parent   ready                     (about to follow the job)
//!                  done                      (followed it)
//!                  error <message>           (and the peer exits)
//! ```

use std::io::{self, BufRead, BufReader, Read, Write};

use crate::measure::{Imp, Job, Measure};

/// A command from the parent.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// Follow one round.
    Job(Job),
    /// Exit cleanly.
    Quit,
}

/// A reply from the peer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// The peer parsed the job and is about to follow it.
    Ready,
    /// The peer followed the job to its end.
    Done,
    /// The peer failed, saying why; it exits next.
    Error(String),
}

/// Formats `command` as its line.
pub(crate) fn encode_command(command: &Command) -> String {
    match command {
        Command::Job(job) => format!(
            "job {} {} {} {}\n",
            job.measure.as_str(),
            job.imp,
            job.size,
            job.count
        ),
        Command::Quit => "quit\n".to_owned(),
    }
}

/// Parses one command line (without its newline); `None` when it is malformed.
pub(crate) fn parse_command(line: &str) -> Option<Command> {
    let mut words = line.split(' ');
    let command = match words.next()? {
        "quit" => Command::Quit,
        "job" => {
            let measure = match words.next()? {
                "latency" => Measure::Latency,
                "throughput" => Measure::Throughput,
                _ => return None,
            };
            let imp = Imp::parse(words.next()?)?;
            let size = words.next()?.parse().ok().filter(|&s| s > 0)?;
            let count = words.next()?.parse().ok()?;
            Command::Job(Job {
                measure,
                imp,
                size,
                count,
            })
        }
        _ => return None,
    };
    words.next().is_none().then_some(command)
}

/// Formats `reply` as its line (an error's message on one line).
pub(crate) fn encode_reply(reply: &Reply) -> String {
    match reply {
        Reply::Ready => "ready\n".to_owned(),
        Reply::Done => "done\n".to_owned(),
        Reply::Error(message) => format!("error {}\n", message.replace('\n', " ")),
    }
}

/// Parses one reply line (without its newline); `None` when it is malformed.
pub(crate) fn parse_reply(line: &str) -> Option<Reply> {
    match line {
        "ready" => Some(Reply::Ready),
        "done" => Some(Reply::Done),
        _ => line
            .strip_prefix("error ")
            .map(|message| Reply::Error(message.to_owned())),
    }
}

/// One end of the control channel: lines out, lines in.
pub(crate) struct Channel<R, W> {
    rx: BufReader<R>,
    tx: W,
    line: String,
}

impl<R: Read, W: Write> Channel<R, W> {
    /// A channel reading lines from `rx` and writing lines to `tx`.
    pub(crate) fn new(rx: R, tx: W) -> Self {
        Self {
            rx: BufReader::new(rx),
            tx,
            line: String::new(),
        }
    }

    /// Writes one line.
    ///
    /// # Errors
    /// The write error (`EPIPE` when the other side is gone).
    pub(crate) fn send(&mut self, line: &str) -> io::Result<()> {
        self.tx.write_all(line.as_bytes())
    }

    /// Reads one line, without its newline; `None` at end-of-file.
    ///
    /// # Errors
    /// The read error, or `UnexpectedEof` for a last line cut short.
    pub(crate) fn recv(&mut self) -> io::Result<Option<&str>> {
        self.line.clear();
        if self.rx.read_line(&mut self.line)? == 0 {
            return Ok(None);
        }
        match self.line.strip_suffix('\n') {
            Some(line) => Ok(Some(line)),
            None => Err(io::ErrorKind::UnexpectedEof.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_parses_back_from_its_line() {
        let job = Job {
            measure: Measure::Throughput,
            imp: Imp::Raw,
            size: 65536,
            count: 12345,
        };
        let alt = Job {
            imp: Imp::Alt(1),
            ..job
        };
        for sut in [Command::Job(job), Command::Job(alt), Command::Quit] {
            let line = encode_command(&sut);
            assert_eq!(parse_command(line.trim_end_matches('\n')), Some(sut));
        }
    }

    #[test]
    fn malformed_commands_are_rejected() {
        for line in [
            "",
            "job",
            "job latency api 64",
            "job latency api 0 10",
            "job latency api 64 10 extra",
            "job speed api 64 10",
            "job latency c 64 10",
            "jobs",
        ] {
            assert_eq!(parse_command(line), None, "{line:?}");
        }
    }

    #[test]
    fn a_multiline_error_travels_as_one_reply() {
        let sut = Reply::Error("bad\nthing".to_owned());
        let line = encode_reply(&sut);
        assert_eq!(line.matches('\n').count(), 1);
        assert_eq!(
            parse_reply(line.trim_end_matches('\n')),
            Some(Reply::Error("bad thing".to_owned()))
        );
    }
}
