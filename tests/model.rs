//! Property tests against a reference model of SPEC §1: for random outcome sequences
//! (success, error the filter accepts, error it rejects), the generated chains make
//! exactly the calls the model makes, in the same order, clone the owned argument as
//! often, and return the same result.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use fallbacks::{fallback, fallback_chain, AllFailed};
use proptest::prelude::*;

/// What an alternative does when called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok(u32),
    /// An error the filter lets through to the next alternative.
    Accepted(u32),
    /// An error the filter stops the chain on.
    Rejected(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Error {
    id: u32,
    recoverable: bool,
}

fn recoverable(error: &Error) -> bool {
    error.recoverable
}

/// The outcomes to play and the calls made.
struct Script {
    outcomes: Vec<Outcome>,
    calls: RefCell<Vec<usize>>,
}

/// An owned argument that counts its clones.
struct Token(Rc<Cell<usize>>);

impl Clone for Token {
    fn clone(&self) -> Self {
        self.0.set(self.0.get() + 1);
        Token(self.0.clone())
    }
}

fn play(script: &Script, index: usize) -> Result<u32, Error> {
    script.calls.borrow_mut().push(index);
    match script.outcomes[index] {
        Outcome::Ok(value) => Ok(value),
        Outcome::Accepted(id) => Err(Error {
            id,
            recoverable: true,
        }),
        Outcome::Rejected(id) => Err(Error {
            id,
            recoverable: false,
        }),
    }
}

async fn alt0(script: &Script, _: Token) -> Result<u32, Error> {
    play(script, 0)
}
async fn alt1(script: &Script, _: Token) -> Result<u32, Error> {
    play(script, 1)
}
async fn alt2(script: &Script, _: Token) -> Result<u32, Error> {
    play(script, 2)
}
async fn alt3(script: &Script, _: Token) -> Result<u32, Error> {
    play(script, 3)
}
async fn alt4(script: &Script, _: Token) -> Result<u32, Error> {
    play(script, 4)
}

#[fallback(primary = alt0, then = [alt1], on = recoverable)]
async fn chain2(script: &Script, token: Token) -> Result<u32, Error>;
#[fallback(primary = alt0, then = [alt1, alt2], on = recoverable)]
async fn chain3(script: &Script, token: Token) -> Result<u32, Error>;
#[fallback(primary = alt0, then = [alt1, alt2, alt3], on = recoverable)]
async fn chain4(script: &Script, token: Token) -> Result<u32, Error>;
#[fallback(primary = alt0, then = [alt1, alt2, alt3, alt4], on = recoverable)]
async fn chain5(script: &Script, token: Token) -> Result<u32, Error>;

#[fallback(primary = alt0, then = [alt1], on = recoverable)]
async fn all2(script: &Script, token: Token) -> Result<u32, AllFailed<Error>>;
#[fallback(primary = alt0, then = [alt1, alt2], on = recoverable)]
async fn all3(script: &Script, token: Token) -> Result<u32, AllFailed<Error>>;
#[fallback(primary = alt0, then = [alt1, alt2, alt3], on = recoverable)]
async fn all4(script: &Script, token: Token) -> Result<u32, AllFailed<Error>>;
#[fallback(primary = alt0, then = [alt1, alt2, alt3, alt4], on = recoverable)]
async fn all5(script: &Script, token: Token) -> Result<u32, AllFailed<Error>>;

/// The errors a failed chain met, with the index of the alternative that raised each.
type Failures = Vec<(usize, Error)>;

/// The rules, written plainly: the calls a chain makes and its result, with every
/// error met on the way.
fn model(outcomes: &[Outcome]) -> (Vec<usize>, Result<u32, Failures>) {
    let mut calls = Vec::new();
    let mut errors = Vec::new();
    for (index, outcome) in outcomes.iter().enumerate() {
        calls.push(index);
        let error = match *outcome {
            Outcome::Ok(value) => return (calls, Ok(value)),
            Outcome::Accepted(id) => Error {
                id,
                recoverable: true,
            },
            Outcome::Rejected(id) => Error {
                id,
                recoverable: false,
            },
        };
        let recoverable = error.recoverable;
        errors.push((index, error));
        if !recoverable {
            break;
        }
    }
    (calls, Err(errors))
}

/// Runs a generated chain (`chain` awaits it) on `outcomes`: the calls it made, its
/// result, and how often it cloned the owned argument.
fn observe<T>(
    outcomes: &[Outcome],
    chain: impl FnOnce(&Script, Token) -> T,
) -> (Vec<usize>, T, usize) {
    let script = Script {
        outcomes: outcomes.to_vec(),
        calls: RefCell::default(),
    };
    let clones = Rc::new(Cell::new(0));
    let output = chain(&script, Token(clones.clone()));
    (script.calls.into_inner(), output, clones.get())
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        (0..100u32).prop_map(Outcome::Ok),
        (0..100u32).prop_map(Outcome::Accepted),
        (0..100u32).prop_map(Outcome::Rejected),
    ]
}

fn run_last(outcomes: &[Outcome]) -> (Vec<usize>, Result<u32, Error>, usize) {
    use futures::executor::block_on;
    match outcomes.len() {
        2 => observe(outcomes, |s, t| block_on(chain2(s, t))),
        3 => observe(outcomes, |s, t| block_on(chain3(s, t))),
        4 => observe(outcomes, |s, t| block_on(chain4(s, t))),
        5 => observe(outcomes, |s, t| block_on(chain5(s, t))),
        n => unreachable!("no chain of {n}"),
    }
}

fn run_all(outcomes: &[Outcome]) -> (Vec<usize>, Result<u32, AllFailed<Error>>, usize) {
    use futures::executor::block_on;
    match outcomes.len() {
        2 => observe(outcomes, |s, t| block_on(all2(s, t))),
        3 => observe(outcomes, |s, t| block_on(all3(s, t))),
        4 => observe(outcomes, |s, t| block_on(all4(s, t))),
        5 => observe(outcomes, |s, t| block_on(all5(s, t))),
        n => unreachable!("no chain of {n}"),
    }
}

async fn operand(script: &Script, index: usize) -> Result<u32, Error> {
    play(script, index)
}

/// What an inline chain did: its calls, its result as `Result<T, E>`, and as
/// `Result<T, AllFailed<E>>` (run again on the same outcomes).
type InlineRun = (
    Vec<usize>,
    Result<u32, Error>,
    Result<u32, AllFailed<Error>>,
);

/// The same chains, inline: `fallback_chain!` with operands 0 to n-1.
fn run_inline(outcomes: &[Outcome]) -> InlineRun {
    use futures::executor::block_on;
    let script = Script {
        outcomes: outcomes.to_vec(),
        calls: RefCell::default(),
    };
    let s = &script;
    let last = match outcomes.len() {
        2 => block_on(fallback_chain!(
            operand(s, 0) | operand(s, 1),
            on = recoverable
        )),
        3 => block_on(fallback_chain!(
            operand(s, 0) | operand(s, 1) | operand(s, 2),
            on = recoverable
        )),
        4 => block_on(fallback_chain!(
            operand(s, 0) | operand(s, 1) | operand(s, 2) | operand(s, 3),
            on = recoverable
        )),
        5 => block_on(fallback_chain!(
            operand(s, 0) | operand(s, 1) | operand(s, 2) | operand(s, 3) | operand(s, 4),
            on = recoverable
        )),
        n => unreachable!("no chain of {n}"),
    };
    let calls = std::mem::take(&mut *script.calls.borrow_mut());
    let all = match outcomes.len() {
        2 => block_on(fallback_chain!(
            operand(s, 0) | operand(s, 1),
            on = recoverable,
            error = AllFailed<Error>
        )),
        3 => block_on(fallback_chain!(
            operand(s, 0) | operand(s, 1) | operand(s, 2),
            on = recoverable,
            error = AllFailed<Error>
        )),
        4 => block_on(fallback_chain!(
            operand(s, 0) | operand(s, 1) | operand(s, 2) | operand(s, 3),
            on = recoverable,
            error = AllFailed<Error>
        )),
        5 => block_on(fallback_chain!(
            operand(s, 0) | operand(s, 1) | operand(s, 2) | operand(s, 3) | operand(s, 4),
            on = recoverable,
            error = AllFailed<Error>
        )),
        n => unreachable!("no chain of {n}"),
    };
    assert_eq!(
        *script.calls.borrow(),
        calls,
        "both forms make the same calls"
    );
    (calls, last, all)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_chain_returning_the_last_error_behaves_like_the_model(
        outcomes in prop::collection::vec(outcome(), 2..=5)
    ) {
        let (model_calls, model_result) = model(&outcomes);
        let (calls, result, clones) = run_last(&outcomes);
        prop_assert_eq!(&calls, &model_calls);
        let expected = model_result.map_err(|errors| errors.last().unwrap().1.clone());
        prop_assert_eq!(result, expected);
        // Every attempt but the last alternative's gets a clone.
        prop_assert_eq!(clones, calls.len().min(outcomes.len() - 1));
    }

    #[test]
    fn a_chain_returning_all_failed_behaves_like_the_model(
        outcomes in prop::collection::vec(outcome(), 2..=5)
    ) {
        let (model_calls, model_result) = model(&outcomes);
        let (calls, result, clones) = run_all(&outcomes);
        prop_assert_eq!(&calls, &model_calls);
        prop_assert_eq!(clones, calls.len().min(outcomes.len() - 1));
        match (result, model_result) {
            (Ok(value), Ok(expected)) => prop_assert_eq!(value, expected),
            (Err(all), Err(expected)) => {
                let got: Vec<_> = all
                    .iter()
                    .map(|failure| (failure.index(), failure.alternative(), failure.error().clone()))
                    .collect();
                let names = ["alt0", "alt1", "alt2", "alt3", "alt4"];
                let want: Vec<_> = expected
                    .into_iter()
                    .map(|(index, error)| (index, names[index], error))
                    .collect();
                prop_assert_eq!(got, want);
                prop_assert_eq!(all.alternatives(), outcomes.len());
                prop_assert_eq!(all.stopped_early(), calls.len() < outcomes.len());
            }
            (result, expected) => prop_assert!(false, "got {:?}, model says {:?}", result, expected),
        }
    }

    #[test]
    fn an_inline_chain_behaves_like_the_model(
        outcomes in prop::collection::vec(outcome(), 2..=5)
    ) {
        let (model_calls, model_result) = model(&outcomes);
        let (calls, last, all) = run_inline(&outcomes);
        prop_assert_eq!(&calls, &model_calls);
        let expected_last = model_result
            .clone()
            .map_err(|errors| errors.last().unwrap().1.clone());
        prop_assert_eq!(last, expected_last);
        match (all, model_result) {
            (Ok(value), Ok(expected)) => prop_assert_eq!(value, expected),
            (Err(all), Err(expected)) => {
                let got: Vec<_> = all.iter().map(|f| (f.index(), f.error().clone())).collect();
                prop_assert_eq!(got, expected);
                let name = all.first().alternative();
                prop_assert_eq!(name, "operand(s, 0)");
            }
            (all, expected) => prop_assert!(false, "got {:?}, model says {:?}", all, expected),
        }
    }
}
