//! The queue against a model: random sends and receives at random priorities.

use ipc_core::ErrorKind;
use ipc_mq::Queue;
use proptest::prelude::*;

use crate::support::TestName;

const CAPACITY: usize = 4;
const SIZE: usize = 16;

#[derive(Debug, Clone)]
enum Op {
    Send { priority: u32, len: usize },
    Receive,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u32..4, 0..=SIZE).prop_map(|(priority, len)| Op::Send { priority, len }),
        Just(Op::Receive),
    ]
}

/// The model: messages in sending order; a receive takes the first of the highest priority.
#[derive(Default)]
struct Model {
    messages: Vec<(u32, Vec<u8>)>,
}

impl Model {
    fn take(&mut self) -> Option<(u32, Vec<u8>)> {
        let top = self.messages.iter().map(|(priority, _)| *priority).max()?;
        let index = self
            .messages
            .iter()
            .position(|(priority, _)| *priority == top)?;
        Some(self.messages.remove(index))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_queue_delivers_as_the_model_does(ops in proptest::collection::vec(op(), 1..40)) {
        let name = TestName::new();
        let sut = Queue::builder()
            .max_messages(CAPACITY)
            .max_message_size(SIZE)
            .create_new(&name.name)
            .unwrap();
        let mut model = Model::default();
        let mut buffer = [0; SIZE];
        for (step, op) in ops.into_iter().enumerate() {
            match op {
                Op::Send { priority, len } => {
                    // Each message is distinct: its step number, repeated.
                    let bytes = vec![u8::try_from(step).unwrap(); len];
                    let result = sut.try_send(&bytes, priority);
                    if model.messages.len() == CAPACITY {
                        prop_assert_eq!(result.unwrap_err().kind(), ErrorKind::WouldBlock);
                    } else {
                        result.unwrap();
                        model.messages.push((priority, bytes));
                    }
                }
                Op::Receive => {
                    let result = sut.try_receive(&mut buffer);
                    match model.take() {
                        None => prop_assert_eq!(result.unwrap_err().kind(), ErrorKind::WouldBlock),
                        Some((priority, bytes)) => {
                            let (len, got) = result.unwrap();
                            prop_assert_eq!(got, priority);
                            prop_assert_eq!(&buffer[..len], bytes.as_slice());
                        }
                    }
                }
            }
            prop_assert_eq!(sut.attributes().unwrap().current_messages(), model.messages.len());
        }
    }
}
