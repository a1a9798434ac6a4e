//! `fallback_chain!`, the inline form (SPEC §2), and the previous error handed to the
//! next alternative, in both macros: each test is one rule, asserting which operands
//! ran, in what order, and what came back.

use std::cell::{Cell, RefCell};
use std::future::Future;

use fallbacks::{fallback, fallback_chain, AllFailed};

fn run<F: Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Error {
    Transient(&'static str),
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

fn is_transient(error: &Error) -> bool {
    matches!(error, Error::Transient(_))
}

/// Records what ran: operands' argument expressions and the operands themselves.
#[derive(Default)]
struct Log(RefCell<Vec<String>>);

impl Log {
    /// Records that an argument expression was evaluated, and passes `value` on.
    fn arg<T>(&self, name: &str, value: T) -> T {
        self.0.borrow_mut().push(format!("arg {name}"));
        value
    }

    fn entries(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

async fn op(log: &Log, name: &str, outcome: Result<&'static str, Error>) -> Result<String, Error> {
    log.0.borrow_mut().push(format!("run {name}"));
    outcome.map(String::from)
}

mod order_and_laziness {
    use super::*;

    #[test]
    fn operands_run_in_order_until_one_succeeds() {
        let log = Log::default();
        let reply = run(fallback_chain!(
            op(&log, "a", Err(Error::Transient("a")))
                | op(&log, "b", Err(Error::Transient("b")))
                | op(&log, "c", Ok("from c"))
        ));
        assert_eq!(reply, Ok("from c".to_string()));
        assert_eq!(log.entries(), ["run a", "run b", "run c"]);
    }

    #[test]
    fn an_operands_arguments_are_evaluated_only_when_its_turn_comes() {
        let log = Log::default();
        let reply = run(fallback_chain!(
            op(&log, log.arg("a", "a"), Ok("from a")) | op(&log, log.arg("b", "b"), Ok("from b"))
        ));
        assert_eq!(reply, Ok("from a".to_string()));
        assert_eq!(log.entries(), ["arg a", "run a"]);
    }

    #[test]
    fn nothing_runs_before_the_first_poll() {
        let log = Log::default();
        let chain = fallback_chain!(op(&log, log.arg("a", "a"), Ok("a")) | op(&log, "b", Ok("b")));
        assert!(log.entries().is_empty());
        drop(chain);
        assert!(log.entries().is_empty());
    }

    #[test]
    fn brackets_and_braces_work_too() {
        let log = Log::default();
        let brackets = run(fallback_chain![
            op(&log, "a", Err(Error::Fatal("a"))) | op(&log, "b", Ok("b"))
        ]);
        let braces = run(fallback_chain! { op(&log, "c", Ok("c")) | op(&log, "d", Ok("d")) });
        assert_eq!(
            (brackets, braces),
            (Ok("b".to_string()), Ok("c".to_string()))
        );
        assert_eq!(log.entries(), ["run a", "run b", "run c"]);
    }

    #[test]
    fn async_blocks_are_operands() {
        let counter = Cell::new(0);
        let reply = run(fallback_chain!(
            async {
                counter.set(counter.get() + 1);
                Err::<u32, _>(Error::Transient("block"))
            } | async {
                counter.set(counter.get() + 10);
                Ok(counter.get())
            }
        ));
        assert_eq!(reply, Ok(11));
    }

    #[test]
    fn a_bitwise_or_inside_brackets_is_not_a_separator() {
        async fn flags(bits: u8) -> Result<u8, Error> {
            Ok(bits)
        }
        let reply = run(fallback_chain!(
            async { Err(Error::Transient("first")) } | flags(0b01 | 0b10) | (flags)(0b100)
        ));
        assert_eq!(reply, Ok(0b11));
    }
}

mod borrowing {
    use super::*;

    async fn length(text: &str) -> Result<usize, Error> {
        if text.is_empty() {
            Err(Error::Transient("empty"))
        } else {
            Ok(text.len())
        }
    }

    async fn owned_length(text: String) -> Result<usize, Error> {
        Ok(text.len() + 100)
    }

    #[test]
    fn operands_borrow_locals_which_stay_usable_afterwards() {
        let request = String::new();
        let reply = run(fallback_chain!(length(&request) | length("fallback")));
        assert_eq!(reply, Ok(8));
        assert_eq!(request, "", "still ours: borrowed, not moved or cloned");
    }

    #[test]
    fn the_last_operand_may_move_what_the_earlier_ones_borrowed() {
        let request = String::new();
        let reply = run(fallback_chain!(length(&request) | owned_length(request)));
        assert_eq!(reply, Ok(100));
    }

    #[test]
    fn a_turbofish_with_commas_is_one_operand() {
        async fn pick<A: Default + std::fmt::Debug, B: Default + std::fmt::Debug>(
        ) -> Result<String, Error> {
            Ok(format!("{:?} {:?}", A::default(), B::default()))
        }
        let reply = run(fallback_chain!(
            async { Err(Error::Transient("no")) } | pick::<u8, bool>(),
            on = is_transient,
        ));
        assert_eq!(reply, Ok("0 false".to_string()));
    }
}

mod filter_and_errors {
    use super::*;

    #[test]
    fn a_rejected_error_is_returned_without_trying_later_operands() {
        let log = Log::default();
        let reply = run(fallback_chain!(
            op(&log, "a", Err(Error::Fatal("401"))) | op(&log, "b", Ok("b")),
            on = is_transient
        ));
        assert_eq!(reply, Err(Error::Fatal("401")));
        assert_eq!(log.entries(), ["run a"]);
    }

    #[test]
    fn a_closure_is_a_filter() {
        let log = Log::default();
        let reply = run(fallback_chain!(
            op(&log, "a", Err(Error::Transient("stop"))) | op(&log, "b", Ok("b")),
            on = |error| *error != Error::Transient("stop"),
        ));
        assert_eq!(reply, Err(Error::Transient("stop")));
    }

    #[test]
    fn when_every_operand_fails_the_last_error_is_returned() {
        let log = Log::default();
        let reply = run(fallback_chain!(
            op(&log, "a", Err(Error::Transient("a"))) | op(&log, "b", Err(Error::Fatal("b")))
        ));
        assert_eq!(reply, Err(Error::Fatal("b")));
    }

    #[test]
    fn all_failed_holds_every_error_tagged_with_its_operand() {
        let log = Log::default();
        let errors = run(fallback_chain!(
            op(&log, "a", Err(Error::Transient("a down")))
                | op(&log, "b", Err(Error::Transient("b down"))),
            error = AllFailed<Error>,
        ))
        .unwrap_err();
        assert_eq!(
            errors.to_string(),
            "all 2 alternatives failed: [0] op(&log, \"a\", Err(Error::Transient(\"a down\"))): \
             transient: a down; [1] op(&log, \"b\", Err(Error::Transient(\"b down\"))): \
             transient: b down"
        );
    }

    async fn quick(id: u8) -> Result<u8, Error> {
        Err(Error::Transient(if id == 0 { "zero" } else { "other" }))
    }

    #[test]
    fn all_failed_of_inferred_errors_collects_without_converting() {
        let errors = run(fallback_chain!(quick(0) | quick(1), error = AllFailed<_>)).unwrap_err();
        let names: Vec<_> = errors
            .iter()
            .map(|f| (f.alternative(), f.error().clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("quick(0)", Error::Transient("zero")),
                ("quick(1)", Error::Transient("other"))
            ]
        );
    }

    #[test]
    fn all_failed_stops_at_a_rejected_error() {
        let log = Log::default();
        let errors = run(fallback_chain!(
            op(&log, "a", Err(Error::Fatal("a"))) | op(&log, "b", Ok("b")),
            on = is_transient,
            error = AllFailed<Error>,
        ))
        .unwrap_err();
        assert!(errors.stopped_early());
        assert_eq!(errors.len(), 1);
        assert_eq!(log.entries(), ["run a"]);
    }

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

    async fn disk() -> Result<&'static str, std::io::Error> {
        Err(std::io::Error::other("disk gone"))
    }

    #[test]
    fn the_error_option_converts_each_operands_error_with_from() {
        let reply = run(fallback_chain!(http(503) | disk(), error = AppError));
        assert_eq!(reply, Err(AppError::Io("disk gone".into())));
        let reply = run(fallback_chain!(
            http(401) | disk(),
            error = AppError,
            on = |e: &AppError| *e != AppError::Http(401),
        ));
        assert_eq!(reply, Err(AppError::Http(401)));
        let errors = run(fallback_chain!(http(503) | disk(), error = AllFailed<AppError>))
            .unwrap_err()
            .into_iter()
            .map(|failure| failure.into_error())
            .collect::<Vec<_>>();
        assert_eq!(
            errors,
            [AppError::Http(503), AppError::Io("disk gone".into())]
        );
    }
}

mod previous_error {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct TooLong {
        limit: usize,
    }

    async fn strict(text: &str, limit: usize) -> Result<String, TooLong> {
        if text.len() > limit {
            Err(TooLong { limit })
        } else {
            Ok(text.to_string())
        }
    }

    async fn truncated(text: &str, previous: &TooLong) -> Result<String, TooLong> {
        Ok(text.chars().take(previous.limit).collect())
    }

    #[test]
    fn an_operand_sees_the_error_the_previous_one_failed_with() {
        let reply = run(fallback_chain!(strict("abcdefgh", 3) | err => truncated("abcdefgh", err)));
        assert_eq!(reply, Ok("abc".to_string()));
    }

    #[test]
    fn each_operand_sees_the_error_just_before_it() {
        let seen = RefCell::new(Vec::new());
        let reply = run(fallback_chain!(
            strict("abcdefgh", 3)
                | first => {
                    seen.borrow_mut().push(first.limit);
                    strict("abcdefgh", 5)
                }
                | second => {
                    seen.borrow_mut().push(second.limit);
                    truncated("abcdefgh", second)
                }
        ));
        assert_eq!(reply, Ok("abcde".to_string()));
        assert_eq!(*seen.borrow(), [3, 5]);
    }

    #[test]
    fn the_previous_error_is_there_when_collecting_too() {
        let errors = run(fallback_chain!(
            strict("abcdefgh", 3) | err => strict("abcdefgh", err.limit + 1),
            error = AllFailed<TooLong>,
        ))
        .unwrap_err();
        let limits: Vec<_> = errors.errors().map(|error| error.limit).collect();
        assert_eq!(limits, [3, 4]);
    }

    #[test]
    fn the_previous_error_is_the_converted_one_with_the_error_option() {
        #[derive(Debug, PartialEq)]
        struct Wrapped(TooLong);
        impl From<TooLong> for Wrapped {
            fn from(inner: TooLong) -> Self {
                Wrapped(inner)
            }
        }
        async fn from_wrapped(previous: &Wrapped) -> Result<usize, Wrapped> {
            Ok(previous.0.limit)
        }
        let reply = run(fallback_chain!(
            async { Err::<usize, _>(TooLong { limit: 7 }) } | err => from_wrapped(err),
            error = Wrapped,
        ));
        assert_eq!(reply, Ok(7));
    }

    async fn summarize(text: &str) -> Result<String, TooLong> {
        strict(text, 4).await
    }

    async fn shorten(text: &str, previous: &TooLong) -> Result<String, TooLong> {
        truncated(text, previous).await
    }

    #[fallback(primary = summarize, then = [err => shorten(text, err)])]
    async fn summary(text: &str) -> Result<String, TooLong>;

    #[fallback(primary = summarize, then = [err => shorten(text, err)], on = |e: &TooLong| e.limit > 0)]
    async fn summary_filtered(text: &str) -> Result<String, AllFailed<TooLong>>;

    fn parse_decimal(text: &str) -> Result<u32, String> {
        text.parse().map_err(|_| format!("not decimal: {text}"))
    }

    fn parse_hex_reporting(text: &str, previous: &str) -> Result<u32, String> {
        u32::from_str_radix(text, 16).map_err(|_| format!("{previous}; not hex either"))
    }

    #[fallback(primary = parse_decimal, then = [err => parse_hex_reporting(text, err)])]
    fn parse(text: &str) -> Result<u32, String>;

    #[test]
    fn a_fallback_alternative_sees_the_previous_error_too() {
        assert_eq!(run(summary("abcdefgh")), Ok("abcd".to_string()));
        assert_eq!(
            run(summary_filtered("abcdefgh")).ok(),
            Some("abcd".to_string())
        );
        assert_eq!(parse("ff"), Ok(255));
        assert_eq!(
            parse("zz"),
            Err("not decimal: zz; not hex either".to_string())
        );
    }
}

mod signatures_and_cancellation {
    use std::pin::pin;
    use std::task::{Context, Waker};

    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    async fn send_op(text: &str) -> Result<usize, Error> {
        Ok(text.len())
    }

    #[test]
    fn the_chain_is_send_when_its_operands_are() {
        let text = String::from("four");
        let chain = fallback_chain!(send_op(&text) | send_op("fallback"), on = is_transient);
        assert_send(&chain);
        assert_eq!(run(chain), Ok(4));
    }

    #[test]
    fn dropping_the_chain_cancels_the_operand_in_flight_and_starts_nothing_else() {
        let log = Log::default();
        {
            let mut chain = pin!(fallback_chain!(
                std::future::pending::<Result<String, Error>>() | op(&log, "b", Ok("b"))
            ));
            let mut context = Context::from_waker(Waker::noop());
            assert!(chain.as_mut().poll(&mut context).is_pending());
        }
        assert!(log.entries().is_empty());
    }

    mod hygiene {
        #![allow(dead_code, non_snake_case)]

        mod core {}
        struct Result;
        struct Ok;
        struct Err;

        use ::fallbacks::fallback_chain;

        async fn zero() -> ::core::result::Result<u8, u8> {
            ::core::result::Result::Err(0)
        }

        async fn one(__fallback_ok: u8) -> ::core::result::Result<u8, u8> {
            ::core::result::Result::Ok(__fallback_ok)
        }

        #[test]
        fn the_chain_names_nothing_the_user_could_shadow() {
            let __fallback_ok = 5u8;
            let __fallback_err = 6u8;
            let reply = super::run(fallback_chain!(
                zero() | one(__fallback_ok + __fallback_err)
            ));
            assert_eq!(reply, ::core::result::Result::Ok(11));
        }
    }
}
