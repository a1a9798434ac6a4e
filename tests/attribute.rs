//! `#[fallback]` on functions: each test is one rule of SPEC §1, asserting which
//! alternatives ran, in what order, how often, and what came back.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use fallbacks::{fallback, AllFailed};

/// Runs a future to completion on the current thread.
fn run<F: Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Error {
    /// Worth trying the next alternative for.
    Transient(&'static str),
    /// Would fail everywhere.
    Fatal(&'static str),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Transient(why) => write!(f, "transient: {why}"),
            Error::Fatal(why) => write!(f, "fatal: {why}"),
        }
    }
}

impl std::error::Error for Error {}

fn is_transient(error: &Error) -> bool {
    matches!(error, Error::Transient(_))
}

/// What each alternative will return, and the log of the calls made.
#[derive(Default)]
struct Script {
    outcomes: RefCell<Vec<(&'static str, Result<&'static str, Error>)>>,
    calls: RefCell<Vec<&'static str>>,
}

impl Script {
    fn new(outcomes: &[(&'static str, Result<&'static str, Error>)]) -> Script {
        Script {
            outcomes: RefCell::new(outcomes.to_vec()),
            calls: RefCell::default(),
        }
    }

    /// Records a call of `name` and returns its scripted outcome.
    fn call(&self, name: &'static str) -> Result<String, Error> {
        self.calls.borrow_mut().push(name);
        let outcomes = self.outcomes.borrow();
        let (_, outcome) = outcomes
            .iter()
            .find(|(alternative, _)| *alternative == name)
            .unwrap_or_else(|| panic!("no outcome scripted for {name}"));
        outcome.clone().map(String::from)
    }

    fn calls(&self) -> Vec<&'static str> {
        self.calls.borrow().clone()
    }
}

async fn a(script: &Script) -> Result<String, Error> {
    script.call("a")
}
async fn b(script: &Script) -> Result<String, Error> {
    script.call("b")
}
async fn c(script: &Script) -> Result<String, Error> {
    script.call("c")
}

#[fallback(primary = a, then = [b, c], on = is_transient)]
async fn chain(script: &Script) -> Result<String, Error>;

#[fallback(primary = a, then = [b, c])]
async fn chain_without_filter(script: &Script) -> Result<String, Error>;

#[fallback(primary = a, then = [b, c], on = is_transient)]
async fn chain_collecting(script: &Script) -> Result<String, AllFailed<Error>>;

const OK: Result<&str, Error> = Ok("served");
const TRANSIENT: Result<&str, Error> = Err(Error::Transient("503"));
const FATAL: Result<&str, Error> = Err(Error::Fatal("401"));

mod order_and_laziness {
    use super::*;

    #[test]
    fn a_successful_primary_is_the_only_call() {
        let script = Script::new(&[("a", Ok("from a")), ("b", OK), ("c", OK)]);
        assert_eq!(run(chain(&script)), Ok("from a".to_string()));
        assert_eq!(script.calls(), ["a"]);
    }

    #[test]
    fn a_failed_primary_moves_on_to_the_first_fallback() {
        let script = Script::new(&[("a", TRANSIENT), ("b", Ok("from b")), ("c", OK)]);
        assert_eq!(run(chain(&script)), Ok("from b".to_string()));
        assert_eq!(script.calls(), ["a", "b"]);
    }

    #[test]
    fn fallbacks_run_in_order_until_one_succeeds() {
        let script = Script::new(&[("a", TRANSIENT), ("b", TRANSIENT), ("c", Ok("from c"))]);
        assert_eq!(run(chain(&script)), Ok("from c".to_string()));
        assert_eq!(script.calls(), ["a", "b", "c"]);
    }

    /// Counts when an alternative's future is *created* (called), apart from polled.
    #[derive(Default)]
    struct Lifecycle {
        created: RefCell<Vec<&'static str>>,
        polled: RefCell<Vec<&'static str>>,
        fail: Cell<bool>,
    }

    fn lazy_a(life: &Lifecycle) -> impl Future<Output = Result<u8, Error>> + '_ {
        life.created.borrow_mut().push("a");
        async move {
            life.polled.borrow_mut().push("a");
            if life.fail.get() {
                Err(Error::Transient("a"))
            } else {
                Ok(1)
            }
        }
    }

    fn lazy_b(life: &Lifecycle) -> impl Future<Output = Result<u8, Error>> + '_ {
        life.created.borrow_mut().push("b");
        async move {
            life.polled.borrow_mut().push("b");
            Ok(2)
        }
    }

    #[fallback(primary = lazy_a, then = [lazy_b])]
    async fn lazy(life: &Lifecycle) -> Result<u8, Error>;

    #[test]
    fn nothing_is_created_before_the_first_poll() {
        let life = Lifecycle::default();
        let future = lazy(&life);
        assert!(life.created.borrow().is_empty());
        drop(future);
        assert!(life.created.borrow().is_empty());
    }

    #[test]
    fn a_fallback_is_not_even_created_after_a_success() {
        let life = Lifecycle::default();
        assert_eq!(run(lazy(&life)), Ok(1));
        assert_eq!(*life.created.borrow(), ["a"]);
        assert_eq!(*life.polled.borrow(), ["a"]);
    }

    #[test]
    fn a_fallback_is_created_only_after_the_previous_failed() {
        let life = Lifecycle::default();
        life.fail.set(true);
        assert_eq!(run(lazy(&life)), Ok(2));
        assert_eq!(*life.created.borrow(), ["a", "b"]);
        assert_eq!(*life.polled.borrow(), ["a", "b"]);
    }
}

mod filter {
    use super::*;

    #[test]
    fn a_rejected_error_is_returned_without_trying_fallbacks() {
        let script = Script::new(&[("a", FATAL), ("b", OK), ("c", OK)]);
        assert_eq!(run(chain(&script)), Err(Error::Fatal("401")));
        assert_eq!(script.calls(), ["a"]);
    }

    #[test]
    fn a_rejected_error_from_a_fallback_stops_the_chain_there() {
        let script = Script::new(&[("a", TRANSIENT), ("b", FATAL), ("c", OK)]);
        assert_eq!(run(chain(&script)), Err(Error::Fatal("401")));
        assert_eq!(script.calls(), ["a", "b"]);
    }

    #[test]
    fn without_a_filter_every_error_moves_on() {
        let script = Script::new(&[("a", FATAL), ("b", FATAL), ("c", Ok("from c"))]);
        assert_eq!(run(chain_without_filter(&script)), Ok("from c".to_string()));
        assert_eq!(script.calls(), ["a", "b", "c"]);
    }

    #[test]
    fn the_last_alternatives_error_is_returned_whatever_the_filter_says() {
        let script = Script::new(&[("a", TRANSIENT), ("b", TRANSIENT), ("c", FATAL)]);
        assert_eq!(run(chain(&script)), Err(Error::Fatal("401")));
        assert_eq!(script.calls(), ["a", "b", "c"]);
    }

    #[fallback(primary = a, then = [b, c], on = |error: &Error| *error != Error::Transient("stop"))]
    async fn chain_with_closure_filter(script: &Script) -> Result<String, Error>;

    #[test]
    fn a_closure_is_a_filter() {
        let script = Script::new(&[("a", Err(Error::Transient("stop"))), ("b", OK), ("c", OK)]);
        assert_eq!(
            run(chain_with_closure_filter(&script)),
            Err(Error::Transient("stop"))
        );
        assert_eq!(script.calls(), ["a"]);
    }

    /// A filter built by an expression, which captures state.
    fn up_to(limit: usize, seen: &Cell<usize>) -> impl Fn(&Error) -> bool + '_ {
        move |_| {
            seen.set(seen.get() + 1);
            seen.get() <= limit
        }
    }

    thread_local! {
        static FILTER_CALLS: Cell<usize> = const { Cell::new(0) };
    }

    fn counting_filter(_: &Error) -> bool {
        FILTER_CALLS.with(|calls| calls.set(calls.get() + 1));
        true
    }

    #[fallback(primary = a, then = [b, c], on = counting_filter)]
    async fn chain_counting_filter(script: &Script) -> Result<String, Error>;

    #[test]
    fn the_filter_sees_each_error_but_the_last_once() {
        let script = Script::new(&[("a", TRANSIENT), ("b", TRANSIENT), ("c", TRANSIENT)]);
        FILTER_CALLS.with(|calls| calls.set(0));
        assert_eq!(
            run(chain_counting_filter(&script)),
            Err(Error::Transient("503"))
        );
        assert_eq!(FILTER_CALLS.with(Cell::get), 2);
    }

    async fn a2(script: &Script, _: &Cell<usize>) -> Result<String, Error> {
        script.call("a")
    }
    async fn b2(script: &Script, _: &Cell<usize>) -> Result<String, Error> {
        script.call("b")
    }
    async fn c2(script: &Script, _: &Cell<usize>) -> Result<String, Error> {
        script.call("c")
    }

    #[fallback(primary = a2, then = [b2, c2], on = up_to(1, seen))]
    async fn chain_with_stateful_filter(
        script: &Script,
        seen: &Cell<usize>,
    ) -> Result<String, Error>;

    #[test]
    fn a_filter_expression_may_use_the_arguments() {
        let script = Script::new(&[("a", TRANSIENT), ("b", TRANSIENT), ("c", OK)]);
        let seen = Cell::new(0);
        // The filter accepts the first error only: `b`'s error stops the chain.
        assert_eq!(
            run(chain_with_stateful_filter(&script, &seen)),
            Err(Error::Transient("503"))
        );
        assert_eq!(script.calls(), ["a", "b"]);
        assert_eq!(seen.get(), 2);
    }

    /// Counts how often the filter expression itself is evaluated.
    fn built(evaluations: &Cell<usize>) -> fn(&Error) -> bool {
        evaluations.set(evaluations.get() + 1);
        is_transient
    }

    async fn a3(script: &Script, _: &Cell<usize>) -> Result<String, Error> {
        script.call("a")
    }
    async fn b3(script: &Script, _: &Cell<usize>) -> Result<String, Error> {
        script.call("b")
    }
    async fn c3(script: &Script, _: &Cell<usize>) -> Result<String, Error> {
        script.call("c")
    }

    #[fallback(primary = a3, then = [b3, c3], on = built(evaluations))]
    async fn chain_with_evaluated_filter(
        script: &Script,
        evaluations: &Cell<usize>,
    ) -> Result<String, Error>;

    #[test]
    fn the_filter_expression_is_evaluated_only_when_an_error_needs_a_decision() {
        let evaluations = Cell::new(0);
        let script = Script::new(&[("a", OK), ("b", OK), ("c", OK)]);
        assert!(run(chain_with_evaluated_filter(&script, &evaluations)).is_ok());
        assert_eq!(evaluations.get(), 0, "nothing to decide on success");

        let script = Script::new(&[("a", TRANSIENT), ("b", TRANSIENT), ("c", TRANSIENT)]);
        assert!(run(chain_with_evaluated_filter(&script, &evaluations)).is_err());
        assert_eq!(evaluations.get(), 2, "once per error but the last");
    }
}

mod errors {
    use super::*;

    #[test]
    fn when_every_alternative_fails_the_last_error_is_returned() {
        let script = Script::new(&[
            ("a", Err(Error::Transient("a down"))),
            ("b", Err(Error::Transient("b down"))),
            ("c", Err(Error::Transient("c down"))),
        ]);
        assert_eq!(run(chain(&script)), Err(Error::Transient("c down")));
    }

    #[test]
    fn all_failed_holds_every_error_in_order_tagged_with_its_alternative() {
        let script = Script::new(&[
            ("a", Err(Error::Transient("a down"))),
            ("b", Err(Error::Transient("b down"))),
            ("c", Err(Error::Fatal("c refused"))),
        ]);
        let errors = run(chain_collecting(&script)).unwrap_err();
        let tagged: Vec<_> = errors
            .iter()
            .map(|failure| {
                (
                    failure.index(),
                    failure.alternative(),
                    failure.error().clone(),
                )
            })
            .collect();
        assert_eq!(
            tagged,
            [
                (0, "a", Error::Transient("a down")),
                (1, "b", Error::Transient("b down")),
                (2, "c", Error::Fatal("c refused")),
            ]
        );
        assert!(!errors.stopped_early());
        assert_eq!(errors.alternatives(), 3);
    }

    #[test]
    fn all_failed_reads_as_one_log_line() {
        let script = Script::new(&[
            ("a", Err(Error::Transient("429"))),
            ("b", Err(Error::Transient("503"))),
            ("c", Err(Error::Transient("timeout"))),
        ]);
        let errors = run(chain_collecting(&script)).unwrap_err();
        assert_eq!(
            errors.to_string(),
            "all 3 alternatives failed: [0] a: transient: 429; [1] b: transient: 503; \
             [2] c: transient: timeout"
        );
    }

    #[test]
    fn all_failed_source_is_the_last_error() {
        let script = Script::new(&[("a", TRANSIENT), ("b", TRANSIENT), ("c", FATAL)]);
        let errors = run(chain_collecting(&script)).unwrap_err();
        let source = std::error::Error::source(&errors).expect("a source");
        assert_eq!(source.to_string(), "fatal: 401");
    }

    #[test]
    fn all_failed_stops_at_a_rejected_error_and_says_so() {
        let script = Script::new(&[("a", TRANSIENT), ("b", FATAL), ("c", OK)]);
        let errors = run(chain_collecting(&script)).unwrap_err();
        assert_eq!(script.calls(), ["a", "b"]);
        assert_eq!(errors.len(), 2);
        assert!(errors.stopped_early());
        assert_eq!(
            errors.to_string(),
            "2 of 3 alternatives failed, the last with an error that stopped the chain: \
             [0] a: transient: 503; [1] b: fatal: 401"
        );
    }

    #[test]
    fn all_failed_is_not_built_when_a_fallback_serves() {
        let script = Script::new(&[("a", TRANSIENT), ("b", TRANSIENT), ("c", Ok("from c"))]);
        assert_eq!(run(chain_collecting(&script)), Ok("from c".to_string()));
    }

    /// Errors of different types, converted into the declared one.
    #[derive(Debug, PartialEq)]
    enum AppError {
        Http(u16),
        Io(String),
    }

    impl From<u16> for AppError {
        fn from(status: u16) -> Self {
            AppError::Http(status)
        }
    }

    impl From<std::io::Error> for AppError {
        fn from(error: std::io::Error) -> Self {
            AppError::Io(error.to_string())
        }
    }

    async fn http(status: u16) -> Result<&'static str, u16> {
        Err(status)
    }

    async fn disk(_: u16) -> Result<&'static str, std::io::Error> {
        Err(std::io::Error::other("disk gone"))
    }

    #[fallback(primary = http, then = [disk])]
    async fn fetch(status: u16) -> Result<&'static str, AppError>;

    #[fallback(primary = http, then = [disk], on = |e: &AppError| *e != AppError::Http(401))]
    async fn fetch_filtered(status: u16) -> Result<&'static str, AppError>;

    #[fallback(primary = http, then = [disk])]
    async fn fetch_collecting(status: u16) -> Result<&'static str, AllFailed<AppError>>;

    #[test]
    fn each_alternatives_error_is_converted_with_from() {
        assert_eq!(run(fetch(503)), Err(AppError::Io("disk gone".into())));
        assert_eq!(run(fetch_filtered(401)), Err(AppError::Http(401)));
        let errors = run(fetch_collecting(503)).unwrap_err();
        let errors: Vec<_> = errors.into_iter().map(|f| f.into_error()).collect();
        assert_eq!(
            errors,
            [AppError::Http(503), AppError::Io("disk gone".into())]
        );
    }

    async fn read_config(path: &str) -> std::io::Result<String> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            path.to_string(),
        ))
    }

    async fn default_config(_: &str) -> std::io::Result<String> {
        Ok("defaults".into())
    }

    #[fallback(primary = read_config, then = [default_config])]
    async fn config(path: &str) -> std::io::Result<String>;

    #[test]
    fn a_result_alias_is_a_return_type() {
        assert_eq!(run(config("/etc/app.toml")).unwrap(), "defaults");
    }

    type AppResult<T> = Result<T, AppError>;

    #[fallback(primary = http, then = [disk], on = |e: &AppError| *e != AppError::Http(401))]
    async fn fetch_aliased(status: u16) -> AppResult<&'static str>;

    #[test]
    fn the_filter_sees_the_error_type_behind_an_alias() {
        assert_eq!(run(fetch_aliased(401)), Err(AppError::Http(401)));
    }
}

mod arguments {
    use super::*;

    /// Counts its clones.
    #[derive(Debug)]
    struct Counted {
        clones: Rc<Cell<usize>>,
    }

    impl Clone for Counted {
        fn clone(&self) -> Self {
            self.clones.set(self.clones.get() + 1);
            Counted {
                clones: self.clones.clone(),
            }
        }
    }

    /// Each alternative fails unless it is the `serving` one.
    async fn alt0(_: Counted, serving: usize) -> Result<usize, Error> {
        if serving == 0 {
            Ok(0)
        } else {
            Err(Error::Transient("0"))
        }
    }
    async fn alt1(_: Counted, serving: usize) -> Result<usize, Error> {
        if serving == 1 {
            Ok(1)
        } else {
            Err(Error::Transient("1"))
        }
    }
    async fn alt2(_: Counted, serving: usize) -> Result<usize, Error> {
        if serving == 2 {
            Ok(2)
        } else {
            Err(Error::Transient("2"))
        }
    }

    #[fallback(primary = alt0, then = [alt1, alt2])]
    async fn three(request: Counted, serving: usize) -> Result<usize, Error>;

    #[test]
    fn an_owned_argument_is_cloned_for_every_attempt_but_the_last() {
        // Served by alternative k of n costs min(k + 1, n - 1) clones.
        for (serving, clones) in [(0, 1), (1, 2), (2, 2), (3, 2)] {
            let counter = Rc::new(Cell::new(0));
            let request = Counted {
                clones: counter.clone(),
            };
            let result = run(three(request, serving));
            assert_eq!(result.ok(), (serving < 3).then_some(serving));
            assert_eq!(counter.get(), clones, "served by {serving}");
        }
    }

    async fn by_ref0(request: &Counted) -> Result<usize, Error> {
        Err(Error::Transient(if request.clones.get() == 0 {
            "0"
        } else {
            "cloned"
        }))
    }
    async fn by_ref1(_: &Counted) -> Result<usize, Error> {
        Ok(1)
    }

    #[fallback(primary = by_ref0, then = [by_ref1])]
    async fn by_reference(request: &Counted) -> Result<usize, Error>;

    #[test]
    fn a_reference_is_passed_through_without_cloning() {
        let counter = Rc::new(Cell::new(0));
        let request = Counted {
            clones: counter.clone(),
        };
        assert_eq!(run(by_reference(&request)), Ok(1));
        assert_eq!(counter.get(), 0);
    }

    async fn push_a(log: &mut Vec<&'static str>) -> Result<(), Error> {
        log.push("a");
        Err(Error::Transient("a"))
    }
    async fn push_b(log: &mut Vec<&'static str>) -> Result<(), Error> {
        log.push("b");
        Ok(())
    }

    #[fallback(primary = push_a, then = [push_a, push_b])]
    async fn push(log: &mut Vec<&'static str>) -> Result<(), Error>;

    #[test]
    fn a_mutable_reference_is_reborrowed_for_each_attempt() {
        let mut log = Vec::new();
        assert_eq!(run(push(&mut log)), Ok(()));
        assert_eq!(log, ["a", "a", "b"]);
    }

    async fn first_char(text: &str, _: u8) -> Result<char, Error> {
        text.chars().next().ok_or(Error::Transient("empty"))
    }

    async fn nth_char(text: &str, n: u8) -> Result<char, Error> {
        text.chars().nth(n.into()).ok_or(Error::Fatal("short"))
    }

    #[fallback(primary = first_char, then = [nth_char])]
    async fn pick(text: &str, n: u8) -> Result<char, Error>;

    #[test]
    fn arguments_reach_every_alternative_in_order() {
        assert_eq!(run(pick("rust", 2)), Ok('r'));
        assert_eq!(run(pick("", 2)), Err(Error::Fatal("short")));
    }
}

mod alternatives {
    use super::*;

    mod providers {
        use super::Error;

        pub async fn openai(prompt: &str) -> Result<String, Error> {
            Err(Error::Transient(if prompt.is_empty() {
                "empty"
            } else {
                "429"
            }))
        }

        pub async fn anthropic(prompt: &str) -> Result<String, Error> {
            Ok(format!("anthropic: {prompt}"))
        }
    }

    #[fallback(primary = providers::openai, then = [providers::anthropic])]
    async fn by_path(prompt: &str) -> Result<String, Error>;

    #[fallback(
        primary = providers::openai,
        then = [|prompt: &str| async move { Ok(format!("closure: {prompt}")) }],
    )]
    async fn by_closure(prompt: &str) -> Result<String, Error>;

    #[fallback(primary = providers::openai, then = [providers::anthropic])]
    async fn by_path_collecting(prompt: &str) -> Result<String, AllFailed<Error>>;

    #[test]
    fn a_module_path_is_an_alternative() {
        assert_eq!(run(by_path("hi")), Ok("anthropic: hi".into()));
    }

    #[fallback(
        primary = providers::openai,
        then = [|prompt| async move { Ok(format!("{} bytes", prompt.len())) }],
    )]
    async fn by_unannotated_closure(prompt: &str) -> Result<String, Error>;

    #[test]
    fn a_closure_is_an_alternative() {
        assert_eq!(run(by_closure("hi")), Ok("closure: hi".into()));
    }

    #[test]
    fn a_closure_gets_its_parameter_types_from_the_function() {
        assert_eq!(run(by_unannotated_closure("hi")), Ok("2 bytes".into()));
    }

    async fn always_fails(prompt: &str) -> Result<String, Error> {
        Err(Error::Transient(if prompt.is_empty() {
            "empty"
        } else {
            "down"
        }))
    }

    #[fallback(
        primary = providers::openai,
        then = [|prompt: &str| always_fails(prompt)],
    )]
    async fn named(prompt: &str) -> Result<String, AllFailed<Error>>;

    #[fallback(
        primary = "gpt": providers::openai,
        then = ["always fails": |prompt: &str| always_fails(prompt)],
    )]
    async fn named_explicitly(prompt: &str) -> Result<String, AllFailed<Error>>;

    #[test]
    fn an_alternative_can_be_given_a_short_name() {
        let names: Vec<_> = run(named_explicitly("hi"))
            .unwrap_err()
            .iter()
            .map(|failure| failure.alternative())
            .collect();
        assert_eq!(names, ["gpt", "always fails"]);
    }

    #[test]
    fn a_path_is_named_by_its_source_text_and_a_closure_by_what_it_calls() {
        let names: Vec<_> = run(named("hi"))
            .unwrap_err()
            .iter()
            .map(|failure| failure.alternative())
            .collect();
        assert_eq!(names, ["providers::openai", "always_fails"]);
        assert!(run(by_path_collecting("hi")).is_ok());
    }
}

mod bodies {
    use super::*;

    async fn backup(prompt: String) -> Result<String, Error> {
        Ok(format!("backup: {prompt}"))
    }

    #[fallback(then = [backup], on = is_transient)]
    async fn with_body(prompt: String) -> Result<String, Error> {
        if prompt == "fail" {
            return Err(Error::Transient("body failed"));
        }
        if prompt == "fatal" {
            Err(Error::Fatal("body refused"))?;
        }
        Ok(format!("body: {prompt}"))
    }

    #[test]
    fn the_body_is_the_primary() {
        assert_eq!(run(with_body("hi".into())), Ok("body: hi".into()));
    }

    #[test]
    fn return_in_the_body_fails_the_primary_and_moves_on() {
        assert_eq!(run(with_body("fail".into())), Ok("backup: fail".into()));
    }

    #[test]
    fn question_mark_in_the_body_returns_from_the_primary() {
        assert_eq!(
            run(with_body("fatal".into())),
            Err(Error::Fatal("body refused"))
        );
    }

    #[fallback(then = [backup])]
    async fn consuming_body(mut prompt: String) -> Result<String, Error> {
        prompt.push_str(" (edited)");
        drop(prompt);
        Err(Error::Transient("consumed"))
    }

    #[test]
    fn a_body_that_consumes_an_argument_leaves_the_original_to_the_fallbacks() {
        assert_eq!(run(consuming_body("hi".into())), Ok("backup: hi".into()));
    }

    fn parse_strict(text: &str) -> Result<u32, Error> {
        text.parse().map_err(|_| Error::Transient("not a number"))
    }

    #[fallback(then = [parse_strict])]
    fn parse_lenient(text: &str) -> Result<u32, Error> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(Error::Transient("blank"));
        }
        trimmed
            .parse()
            .map_err(|_| Error::Transient("not a number"))
    }

    #[test]
    fn a_non_async_body_is_the_primary_too() {
        assert_eq!(parse_lenient(" 42 "), Ok(42));
        assert_eq!(parse_lenient("  "), Err(Error::Transient("not a number")));
    }

    #[fallback(then = [backup])]
    async fn collecting_body(prompt: String) -> Result<String, AllFailed<Error>> {
        Err(Error::Transient(if prompt.is_empty() {
            "empty"
        } else {
            "body"
        }))?;
        Ok(prompt)
    }

    #[test]
    fn a_body_returns_the_inner_error_type_when_collecting() {
        assert_eq!(run(collecting_body("x".into())), Ok("backup: x".into()));
    }
}

mod signatures {
    use std::fmt::Display;

    use super::*;

    struct Client {
        healthy: bool,
        calls: Vec<&'static str>,
    }

    impl Client {
        async fn primary(&self, prompt: &str) -> Result<String, Error> {
            if self.healthy {
                Ok(format!("primary: {prompt}"))
            } else {
                Err(Error::Transient("down"))
            }
        }

        async fn secondary(&self, prompt: &str) -> Result<String, Error> {
            Ok(format!("secondary: {prompt}"))
        }

        async fn record_primary(&mut self) -> Result<usize, Error> {
            self.calls.push("primary");
            Err(Error::Transient("down"))
        }

        async fn record_secondary(&mut self) -> Result<usize, Error> {
            self.calls.push("secondary");
            Ok(self.calls.len())
        }

        async fn consume_primary(self) -> Result<usize, Error> {
            Err(Error::Transient("down"))
        }

        async fn consume_secondary(self) -> Result<usize, Error> {
            Ok(self.calls.len())
        }

        #[fallback(primary = Self::primary, then = [Self::secondary])]
        async fn complete(&self, prompt: &str) -> Result<String, Error>;

        #[fallback(primary = Self::record_primary, then = [Self::record_secondary])]
        async fn record(&mut self) -> Result<usize, Error>;

        #[fallback(primary = Self::consume_primary, then = [Self::consume_secondary])]
        async fn consume(self) -> Result<usize, Error>;

        #[fallback(then = [Self::secondary])]
        async fn with_body(&self, prompt: &str) -> Result<String, Error> {
            if self.healthy {
                Ok(format!("body: {prompt}"))
            } else {
                Err(Error::Transient("down"))
            }
        }
    }

    impl Clone for Client {
        fn clone(&self) -> Self {
            Client {
                healthy: self.healthy,
                calls: self.calls.iter().copied().chain(["cloned"]).collect(),
            }
        }
    }

    #[test]
    fn a_method_passes_self_first() {
        let up = Client {
            healthy: true,
            calls: vec![],
        };
        let down = Client {
            healthy: false,
            calls: vec![],
        };
        assert_eq!(run(up.complete("x")), Ok("primary: x".into()));
        assert_eq!(run(down.complete("x")), Ok("secondary: x".into()));
        assert_eq!(run(up.with_body("x")), Ok("body: x".into()));
        assert_eq!(run(down.with_body("x")), Ok("secondary: x".into()));
    }

    #[test]
    fn a_mut_self_method_reborrows_self_for_each_attempt() {
        let mut client = Client {
            healthy: true,
            calls: vec![],
        };
        assert_eq!(run(client.record()), Ok(2));
        assert_eq!(client.calls, ["primary", "secondary"]);
    }

    #[test]
    fn a_self_method_clones_self_for_every_attempt_but_the_last() {
        let client = Client {
            healthy: true,
            calls: vec![],
        };
        // The primary got a clone (one "cloned" entry); the secondary got the original.
        assert_eq!(run(client.consume()), Ok(0));
    }

    async fn describe<T: Display>(value: T) -> Result<String, Error> {
        Err(Error::Transient(if value.to_string().is_empty() {
            "empty"
        } else {
            "no"
        }))
    }

    async fn describe_again<T>(value: T) -> Result<String, Error>
    where
        T: Display,
    {
        Ok(format!("value: {value}"))
    }

    #[fallback(primary = describe, then = [describe_again])]
    async fn generic<T>(value: T) -> Result<String, Error>
    where
        T: Display + Clone;

    async fn show(value: impl Display) -> Result<String, Error> {
        Ok(format!("shown: {value}"))
    }

    #[fallback(primary = describe, then = [show])]
    async fn impl_trait(value: impl Display + Clone) -> Result<String, Error>;

    #[test]
    fn generics_where_clauses_and_impl_trait_work() {
        assert_eq!(run(generic(7)), Ok("value: 7".into()));
        assert_eq!(run(impl_trait("x")), Ok("shown: x".into()));
    }

    async fn first_word(text: &str) -> Result<&str, Error> {
        text.split_whitespace()
            .next()
            .ok_or(Error::Transient("no words"))
    }

    async fn whole(text: &str) -> Result<&str, Error> {
        Ok(text)
    }

    #[fallback(primary = first_word, then = [whole])]
    async fn borrowed<'a>(text: &'a str) -> Result<&'a str, Error>;

    #[test]
    fn a_result_may_borrow_from_the_arguments() {
        assert_eq!(run(borrowed("hello world")), Ok("hello"));
        assert_eq!(run(borrowed("   ")), Ok("   "));
    }

    fn sync_a(n: i32) -> Result<i32, Error> {
        if n > 0 {
            Ok(n)
        } else {
            Err(Error::Transient("not positive"))
        }
    }

    fn sync_b(n: i32) -> Result<i32, Error> {
        Ok(-n)
    }

    #[fallback(primary = sync_a, then = [sync_b], on = is_transient)]
    fn absolute(n: i32) -> Result<i32, Error>;

    #[test]
    fn a_non_async_function_works() {
        assert_eq!(absolute(3), Ok(3));
        assert_eq!(absolute(-3), Ok(3));
    }

    fn assert_send<T: Send>(_: &T) {}

    async fn send_a(text: &str) -> Result<usize, Error> {
        Err(Error::Transient(if text.is_empty() { "a" } else { "b" }))
    }

    async fn send_b(text: &str) -> Result<usize, Error> {
        Ok(text.len())
    }

    #[fallback(primary = send_a, then = [send_b], on = is_transient)]
    async fn sendable(text: &str) -> Result<usize, Error>;

    #[test]
    fn the_future_is_send_when_the_alternatives_are() {
        let future = sendable("four");
        assert_send(&future);
        assert_eq!(run(future), Ok(4));
    }

    pub mod reexport {
        pub use ::fallbacks;
    }

    #[fallback(primary = send_a, then = [send_b], crate = reexport::fallbacks)]
    async fn through_reexport(text: &str) -> Result<usize, Error>;

    #[fallback(primary = send_a, then = [send_b], crate = "reexport::fallbacks")]
    async fn through_reexport_string(text: &str) -> Result<usize, Error>;

    #[test]
    fn the_crate_option_points_the_macro_at_a_reexport() {
        assert_eq!(run(through_reexport("ab")), Ok(2));
        assert_eq!(run(through_reexport_string("abc")), Ok(3));
    }
}

mod panics_and_cancellation {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::pin::pin;
    use std::task::{Context, Waker};

    use super::*;

    async fn panics(_: &Cell<usize>) -> Result<u8, Error> {
        panic!("primary panicked")
    }

    async fn counts(calls: &Cell<usize>) -> Result<u8, Error> {
        calls.set(calls.get() + 1);
        Ok(1)
    }

    #[fallback(primary = panics, then = [counts])]
    async fn panicking(calls: &Cell<usize>) -> Result<u8, Error>;

    #[test]
    fn a_panic_propagates_and_is_not_a_fallback_trigger() {
        let calls = Cell::new(0);
        let outcome = catch_unwind(AssertUnwindSafe(|| run(panicking(&calls))));
        let message = outcome.unwrap_err();
        assert_eq!(message.downcast_ref::<&str>(), Some(&"primary panicked"));
        assert_eq!(calls.get(), 0);
    }

    async fn never(_: &Cell<usize>) -> Result<u8, Error> {
        std::future::pending().await
    }

    #[fallback(primary = never, then = [counts])]
    async fn stuck(calls: &Cell<usize>) -> Result<u8, Error>;

    #[test]
    fn dropping_the_future_cancels_the_attempt_and_starts_nothing_else() {
        let calls = Cell::new(0);
        {
            let mut future = pin!(stuck(&calls));
            let mut context = Context::from_waker(Waker::noop());
            assert!(future.as_mut().poll(&mut context).is_pending());
            assert!(future.as_mut().poll(&mut context).is_pending());
        }
        assert_eq!(calls.get(), 0);
    }
}

/// `-> Result<Served<T>, E>`: the value comes with which alternative served it.
mod served {
    use fallbacks::Served;

    use super::*;

    #[fallback(primary = a, then = [b, c], on = is_transient)]
    async fn reported(script: &Script) -> Result<Served<String>, Error>;

    #[test]
    fn the_primary_serving_is_reported() {
        let script = Script::new(&[("a", Ok("from a")), ("b", OK), ("c", OK)]);
        let served = run(reported(&script)).unwrap();
        assert_eq!(
            (served.alternative(), served.index(), served.failed_before()),
            ("a", 0, 0)
        );
        assert!(!served.is_fallback());
        assert_eq!(served.into_value(), "from a");
    }

    #[test]
    fn a_fallback_serving_is_reported_with_the_failures_before_it() {
        let script = Script::new(&[("a", TRANSIENT), ("b", TRANSIENT), ("c", Ok("from c"))]);
        let served = run(reported(&script)).unwrap();
        assert_eq!(
            (served.alternative(), served.index(), served.failed_before()),
            ("c", 2, 2)
        );
        assert!(served.is_fallback());
    }

    #[test]
    fn errors_are_returned_as_usual() {
        let script = Script::new(&[("a", FATAL), ("b", OK), ("c", OK)]);
        assert_eq!(run(reported(&script)), Err(Error::Fatal("401")));
    }

    #[fallback(primary = a, then = [b, c])]
    async fn reported_collecting(script: &Script) -> Result<Served<String>, AllFailed<Error>>;

    #[test]
    fn served_and_all_failed_go_together() {
        let script = Script::new(&[("a", TRANSIENT), ("b", Ok("from b")), ("c", OK)]);
        assert_eq!(
            run(reported_collecting(&script)).unwrap().alternative(),
            "b"
        );
        let script = Script::new(&[("a", TRANSIENT), ("b", TRANSIENT), ("c", TRANSIENT)]);
        assert_eq!(run(reported_collecting(&script)).unwrap_err().len(), 3);
    }

    async fn backup(prompt: String) -> Result<String, Error> {
        Ok(format!("backup: {prompt}"))
    }

    #[fallback(then = [backup])]
    async fn body_reported(prompt: String) -> Result<Served<String>, Error> {
        if prompt.is_empty() {
            return Err(Error::Transient("empty"));
        }
        Ok(prompt)
    }

    fn sync_backup(n: u8) -> Result<u8, Error> {
        Ok(n + 1)
    }

    #[fallback(then = [sync_backup])]
    fn sync_reported(n: u8) -> Result<Served<u8>, Error> {
        if n == 0 {
            Err(Error::Transient("zero"))
        } else {
            Ok(n)
        }
    }

    #[test]
    fn a_body_primary_is_reported_by_the_functions_name() {
        assert_eq!(
            run(body_reported("hi".into())).unwrap().alternative(),
            "body_reported"
        );
        assert_eq!(
            run(body_reported(String::new())).unwrap().alternative(),
            "backup"
        );
        assert_eq!(sync_reported(0).unwrap().alternative(), "sync_backup");
        assert_eq!(sync_reported(5).unwrap().into_value(), 5);
    }
}

/// Shapes found by review, each once broken: every one must keep compiling and working.
mod edge_cases {
    use std::error::Error as StdError;
    use std::pin::Pin;

    use super::*;

    #[derive(Debug)]
    struct Plain;

    impl std::fmt::Display for Plain {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("plain")
        }
    }

    impl StdError for Plain {}

    async fn boxed_backup(n: u32) -> Result<u32, Box<dyn StdError>> {
        Ok(n + 100)
    }

    #[fallback(then = [boxed_backup])]
    async fn coerced(n: u32) -> Result<u32, Box<dyn StdError>> {
        if n == 0 {
            return Err(Box::new(Plain));
        }
        Ok(n)
    }

    #[test]
    fn an_async_body_coerces_to_the_declared_return_type() {
        assert_eq!(run(coerced(0)).unwrap(), 100);
        assert_eq!(run(coerced(1)).unwrap(), 1);
    }

    struct Named {
        name: String,
    }

    impl Named {
        async fn fallback_name(&self) -> Result<&str, Error> {
            Ok("fallback")
        }

        #[fallback(then = [Self::fallback_name])]
        async fn name(&self) -> Result<&str, Error> {
            if self.name.is_empty() {
                return Err(Error::Transient("no name"));
            }
            Ok(&self.name)
        }
    }

    #[test]
    fn an_async_body_may_return_a_borrow_that_derefs() {
        let named = Named { name: "ada".into() };
        assert_eq!(run(named.name()), Ok("ada"));
        assert_eq!(
            run(Named {
                name: String::new()
            }
            .name()),
            Ok("fallback")
        );
    }

    macro_rules! declare {
        ($name:ident, $ret:ty) => {
            #[fallback(primary = a, then = [b])]
            async fn $name(script: &Script) -> $ret;
        };
    }

    declare!(through_macro_rules, Result<String, Error>);

    #[test]
    fn a_return_type_from_a_macro_rules_fragment_works() {
        let script = Script::new(&[("a", TRANSIENT), ("b", Ok("from b"))]);
        assert_eq!(run(through_macro_rules(&script)), Ok("from b".to_string()));
    }

    #[fallback(then = [parse_strict])]
    fn with_inner_attribute(text: &str) -> Result<u32, Error> {
        #![allow(unused_variables)]
        let unused = 1;
        Err(Error::Transient(if text.is_empty() {
            "empty"
        } else {
            "body"
        }))
    }

    fn parse_strict(text: &str) -> Result<u32, Error> {
        text.parse().map_err(|_| Error::Fatal("not a number"))
    }

    #[test]
    fn inner_attributes_in_the_body_apply_to_the_function() {
        assert_eq!(with_inner_attribute("7"), Ok(7));
    }

    struct Counter {
        attempts: Vec<&'static str>,
    }

    impl Counter {
        fn first(self: Pin<&mut Self>) -> Result<usize, Error> {
            self.get_mut().attempts.push("first");
            Err(Error::Transient("first"))
        }

        fn second(self: Pin<&mut Self>) -> Result<usize, Error> {
            let this = self.get_mut();
            this.attempts.push("second");
            Ok(this.attempts.len())
        }

        #[fallback(primary = Self::first, then = [Self::first, Self::second])]
        fn pinned(self: Pin<&mut Self>) -> Result<usize, Error>;
    }

    #[test]
    fn a_pinned_mutable_receiver_is_reborrowed_for_each_attempt() {
        let mut counter = Counter { attempts: vec![] };
        assert_eq!(Pin::new(&mut counter).pinned(), Ok(3));
        assert_eq!(counter.attempts, ["first", "first", "second"]);
    }

    fn note(log: Option<&mut Vec<&'static str>>) -> Result<(), Error> {
        if let Some(log) = log {
            log.push("noted");
        }
        Err(Error::Transient("note"))
    }

    fn finish(log: Option<&mut Vec<&'static str>>) -> Result<(), Error> {
        log.map(|log| log.push("finished"))
            .ok_or(Error::Fatal("no log"))
    }

    #[fallback(primary = note, then = [note, finish])]
    fn optional_log(log: Option<&mut Vec<&'static str>>) -> Result<(), Error>;

    #[test]
    fn an_optional_mutable_reference_is_reborrowed_for_each_attempt() {
        let mut log = Vec::new();
        assert_eq!(optional_log(Some(&mut log)), Ok(()));
        assert_eq!(log, ["noted", "noted", "finished"]);
        assert_eq!(optional_log(None), Err(Error::Fatal("no log")));
    }

    /// # Safety
    /// `byte` must be valid for reads.
    unsafe fn read_checked(byte: *const u8) -> Result<u8, Error> {
        // SAFETY: the caller guarantees `byte` is valid.
        let value = unsafe { *byte };
        if value == 0 {
            Err(Error::Transient("zero"))
        } else {
            Ok(value)
        }
    }

    /// # Safety
    /// `byte` must be valid for reads.
    unsafe fn read_any(byte: *const u8) -> Result<u8, Error> {
        // SAFETY: the caller guarantees `byte` is valid.
        Ok(unsafe { *byte } + 1)
    }

    /// # Safety
    /// `byte` must be valid for reads.
    #[fallback(primary = read_checked, then = [read_any])]
    unsafe fn read(byte: *const u8) -> Result<u8, Error>;

    #[test]
    fn an_unsafe_fn_calls_its_alternatives_in_an_unsafe_context() {
        let zero = 0u8;
        // SAFETY: `zero` is a valid byte.
        assert_eq!(unsafe { read(&zero) }, Ok(1));
    }
}

/// The expansion names nothing the user could shadow: `core` is a local module here,
/// and the user's locals carry the names the generated code uses.
mod hygiene {
    #![allow(dead_code, non_snake_case, clippy::disallowed_names)]

    mod core {}
    mod std {}
    struct Result;
    struct Ok;
    struct Err;
    struct From;

    use ::fallbacks::fallback;

    type Outcome = ::core::result::Result<u8, u8>;

    async fn a(__fallback_ok: u8, __fallback_err: u8) -> Outcome {
        ::core::result::Result::Err(__fallback_ok + __fallback_err)
    }

    async fn b(__fallback_ok: u8, __fallback_err: u8) -> Outcome {
        ::core::result::Result::Ok(__fallback_ok * __fallback_err)
    }

    fn __fallback_on(_: &u8) -> bool {
        true
    }

    #[fallback(primary = a, then = [b], on = __fallback_on)]
    async fn hygienic(__fallback_ok: u8, __fallback_err: u8) -> Outcome;

    #[fallback(then = [b], on = __fallback_on)]
    async fn hygienic_body(__fallback_ok: u8, __fallback_err: u8) -> Outcome {
        let __fallback_on = __fallback_ok;
        ::core::result::Result::Err(__fallback_on)
    }

    #[test]
    fn generated_code_does_not_collide_with_user_names() {
        assert_eq!(super::run(hygienic(3, 4)), ::core::result::Result::Ok(12));
        assert_eq!(
            super::run(hygienic_body(3, 4)),
            ::core::result::Result::Ok(12)
        );
    }
}
