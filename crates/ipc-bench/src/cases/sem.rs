//! An uncontended named semaphore, in one process: post it and take it back, through
//! `ipc_sem::Semaphore` (`post`, `wait`) and through `sem_post` / `sem_wait` on a second
//! semaphore opened with `sem_open(O_CREAT | O_EXCL)`. The value goes from 0 to 1 and back, so
//! neither call sleeps: this is the semaphore's fast path, an atomic in user space. Both names
//! carry the test prefix and are removed when the case ends.

use std::io;

use ipc_core::ObjectName;
use ipc_sem::Semaphore;

use super::{AnySoloLink, Reference, Solo, SoloLink};
use crate::error::{Context, Result};
use crate::measure::Op;
use crate::sys::{NamedSem, RawSem};

/// The prefix of the bench's semaphore names, so the leftover check recognises them.
const PREFIX: &str = "ipc-rs-test-bench-sem";

/// The `sem-uncontended` case.
pub(crate) struct SemUncontended;

impl Solo for SemUncontended {
    fn id(&self) -> &'static str {
        "sem-uncontended"
    }

    fn describe(&self) -> &'static str {
        "post then wait on a named semaphore of value 0, uncontended, in one process; \
         API = ipc_sem::Semaphore::post + wait, raw = sem_post + sem_wait on a sem_open'ed one"
    }

    fn reference(&self) -> Option<Reference> {
        None
    }

    fn sizes(&self) -> &'static [usize] {
        &[0]
    }

    fn open(&self) -> Result<Box<dyn AnySoloLink>> {
        let api_name = ObjectName::unique(PREFIX).context("name the API's semaphore")?;
        let api = Semaphore::create_new(&api_name, 0)
            .with_context(|| format!("create the semaphore {api_name}"))?;
        let raw_name = ObjectName::unique(PREFIX).context("name the raw semaphore")?;
        let raw = NamedSem::create(raw_name.as_c_str(), 0)
            .with_context(|| format!("create the semaphore {raw_name} with sem_open"))?;
        Ok(Box::new(SemLink { api, raw }))
    }
}

/// Both semaphores; each removes its name when dropped.
struct SemLink {
    api: Semaphore,
    raw: NamedSem,
}

impl SoloLink for SemLink {
    type Api<'a> = ApiPostWait<'a>;
    type Raw<'a> = RawPostWait<'a>;

    fn api(&mut self) -> ApiPostWait<'_> {
        ApiPostWait(&self.api)
    }

    fn raw(&mut self) -> RawPostWait<'_> {
        RawPostWait(self.raw.sem())
    }
}

/// `Semaphore::post` and `Semaphore::wait`.
struct ApiPostWait<'a>(&'a Semaphore);

impl Op for ApiPostWait<'_> {
    #[inline]
    fn run(&mut self, _data: &[u8]) -> io::Result<()> {
        self.0.post()?;
        self.0.wait()?;
        Ok(())
    }
}

/// `sem_post` and `sem_wait`.
struct RawPostWait<'a>(RawSem<'a>);

impl Op for RawPostWait<'_> {
    #[inline]
    fn run(&mut self, _data: &[u8]) -> io::Result<()> {
        self.0.post()?;
        self.0.wait()
    }
}
