//! One conformance suite for every `SharedRegion` of this crate (STYLE.md 25): the same tests,
//! instantiated by `conformance_suite!` for each backing (POSIX shm, memfd, mapped file,
//! anonymous mapping), check the trait's contract and `RegionAccess` on each.
//!
//! A backing is a [`Backing`](backing::Backing): how to make a region, what the errors must
//! call it, how another process reaches it, and what its documented ownership rule leaves
//! behind after a drop. The tests are generic functions in `region`, `read_only`, `peer` and
//! `model`; the
//! test names read `conformance::<backing>::<behaviour>`.

mod backing;
mod model;
mod peer;
mod read_only;
mod region;

use std::time::Duration;

/// A bound for things that do happen; generous, because the machine may be busy building.
const PATIENCE: Duration = Duration::from_secs(30);

/// The length of every region under test: two pages and a tail that is not a multiple of 8, so
/// the last whole `u32` (at 8288) and the last whole `u64` (at 8280) end at different places.
const LEN: usize = 2 * 4096 + 100;

/// Instantiates the suite for one backing as `mod $name`, with the tests of how its object is
/// reached from outside the mapping: `named` (a process the test binary starts reaches it by
/// name, path or descriptor, and it can be mapped read-only) or `forked` (only a forked child
/// shares it).
macro_rules! conformance_suite {
    ($name:ident, $backing:ty, $peer:ident) => {
        mod $name {
            use proptest::prelude::*;

            conformance_suite!(@tests $backing; region::{
                the_pointer_is_page_aligned_and_fixed_and_the_length_is_what_was_asked,
                a_new_region_reads_as_zeros,
                copies_round_trip_at_every_offset_and_length,
                a_copy_of_the_whole_region_round_trips,
                out_of_range_accesses_are_invalid_arguments_naming_the_range_and_the_object,
                misaligned_atomics_are_refused_and_the_last_words_work,
                typed_views_work_at_unaligned_offsets,
                a_region_moved_to_another_thread_can_be_used_and_dropped_there,
                two_threads_adding_through_a_shared_reference_end_at_the_sum,
                drop_unmaps_and_keeps_the_types_ownership_rule,
            });
            conformance_suite!(@peer $peer, $backing);

            proptest! {
                #[test]
                fn writes_read_back_like_a_vec(writes in super::model::any_writes()) {
                    super::model::writes_read_back_like_a_vec::<$backing>(&writes)?;
                }

                #[test]
                fn read_at_succeeds_exactly_when_the_range_fits(
                    ranges in super::model::any_ranges(),
                ) {
                    super::model::read_at_succeeds_exactly_when_the_range_fits::<$backing>(
                        &ranges,
                    )?;
                }
            }
        }
    };
    (@tests $backing:ty; $module:ident::{$($test:ident),* $(,)?}) => {
        $(
            #[test]
            fn $test() {
                super::$module::$test::<$backing>();
            }
        )*
    };
    (@peer named, $backing:ty) => {
        conformance_suite!(@tests $backing; peer::{
            a_child_process_and_the_parent_add_to_one_counter_and_see_each_others_bytes,
        });
        conformance_suite!(@tests $backing; read_only::{
            a_read_only_mapping_sees_the_writes_and_refuses_ranges_naming_the_object,
        });
    };
    (@peer forked, $backing:ty) => {
        conformance_suite!(@tests $backing; peer::{
            a_forked_child_and_the_parent_add_to_one_counter_and_see_each_others_bytes,
        });
    };
}

conformance_suite!(shm, super::backing::Shm, named);
conformance_suite!(memfd, super::backing::Memfds, named);
conformance_suite!(file, super::backing::File, named);
conformance_suite!(anonymous, super::backing::Anonymous, forked);
