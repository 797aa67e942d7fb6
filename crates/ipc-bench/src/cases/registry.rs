//! The list of cases: adding a mechanism is one line here.

use super::Case;
use super::fifo::Fifo;
use super::pipe::Pipe;

/// Every case, in report order.
pub(crate) static CASES: &[&dyn Case] = &[&Pipe::PLAIN, &Pipe::NOSIGNAL, &Pipe::ASSUMED, &Fifo];

/// The case called `id`.
pub(crate) fn find(id: &str) -> Option<&'static dyn Case> {
    CASES.iter().copied().find(|case| case.id() == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_ids_are_unique_and_found_by_id() {
        for sut in CASES {
            assert_eq!(find(sut.id()).map(|c| c.id()), Some(sut.id()));
            assert_eq!(CASES.iter().filter(|c| c.id() == sut.id()).count(), 1);
        }
    }
}
