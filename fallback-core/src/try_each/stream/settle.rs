//! Settling one try of a stream chain: the attempt lifecycle's verdict (`Attempt::judge`)
//! turned into what the stream yields and where it goes next.

use std::collections::VecDeque;
use std::time::Duration;

use super::poll::Event;
use super::Mode;
use crate::attempt::{Attempt, Judge, Observer, Policy, Tried, Verdict};
use crate::trace::Ended;
use crate::try_each::chain::{Chain, LastError, Only};
use crate::try_each::slot::Gather;
use crate::try_each::{Breakers, Empty, Names};
use crate::EventKind;

/// What follows a settled try.
pub(super) enum After<T> {
    Idle,
    // Ended: failed, or with a complete answer.
    Done,
    Served,
    Drain(VecDeque<T>),
    Pause(Duration),
}

/// The pieces of a stream chain that settling a try touches.
#[allow(non_camel_case_types)]
pub(super) struct Ended_<'a, It: Iterator, F, E, T, P, O, C, R, N, M, B> {
    pub(super) chain: &'a mut Chain<It, F, P, O, C, R, N, M, B>,
    pub(super) attempt: &'a mut Attempt,
    pub(super) mode: Mode,
    pub(super) buffer: &'a mut Vec<T>,
    pub(super) item: &'a mut Option<It::Item>,
    pub(super) last_error: &'a mut Option<LastError<Only<E>>>,
}

impl<It, F, T, E, P, O, C, R, N, M, B> Ended_<'_, It, F, E, T, P, O, C, R, N, M, B>
where
    It: Iterator,
    P: Judge<(), E>,
    O: Observer<E>,
    N: Empty<E>,
    M: Names<It::Item>,
    B: Breakers,
{
    /// The chain's error, from the error that ends it (an earlier item's kept error goes
    /// to the errors the chain collects, before it).
    fn end(&mut self, error: E, index: usize, name: &'static str) -> N::Error {
        if let Some((Only(earlier), at, named)) = self.last_error.take() {
            self.chain.set_aside(earlier, at, named);
        }
        self.chain.fail(error, index, name)
    }

    /// A try ended (its stream's end, or a failure), `committed` if after its first
    /// item: judged as every attempt is, then what to yield and where to go. A committed
    /// stream cannot fall back: judged without retries, its failure ends it. A
    /// restarting one is not retried past its first item either (the same alternative
    /// again would follow what it had shown with no marker between): its failure
    /// announces the discard and moves on.
    pub(super) fn settle(
        mut self,
        tried: Tried<(), E>,
        committed: bool,
        left: Option<Duration>,
    ) -> (Option<Event<T, N::Error>>, After<T>) {
        let after_commit = committed && self.mode == Mode::Committed;
        // Past the first item only a buffered stream, which has shown nothing, retries.
        let may_retry = !committed || self.mode == Mode::Buffered;
        let index = self.attempt.index();
        let name = self.attempt.alternative();
        let (shared, breaker, empty) = self.chain.judging_into(index);
        let judge = &shared.filter;
        let (on, retry_on, retry_after) = judge.parts();
        let policy = Policy {
            retries: if may_retry { shared.policy.retries } else { 0 },
            ..shared.policy
        };
        let verdict = self.attempt.judge(
            tried,
            &policy,
            breaker,
            || left,
            &mut Gather {
                tally: &mut shared.tally,
                empty,
            },
            on,
            retry_on,
            retry_after,
            &shared.observer,
            |error| Ended::Failed(judge.show(error)),
        );
        match verdict {
            Verdict::Served(()) if self.mode == Mode::Buffered => {
                (None, After::Drain(std::mem::take(self.buffer).into()))
            }
            Verdict::Served(()) => (Some(Event::End), After::Served),
            Verdict::Retry(pause) => {
                self.buffer.clear();
                (None, After::Pause(pause))
            }
            Verdict::Stop(error) => (
                Some(Event::Failed(self.end(error, index, name))),
                After::Done,
            ),
            Verdict::MoveOn(error) if after_commit => (
                Some(Event::Failed(self.end(error, index, name))),
                After::Done,
            ),
            Verdict::MoveOn(error) => {
                self.buffer.clear();
                *self.item = None;
                if committed && self.mode == Mode::Restart && self.chain.has_next() {
                    let observer = &self.chain.shared.observer;
                    self.attempt.moment(observer, EventKind::Restarted);
                    // Said once, with the error, before the next alternative starts.
                    let error = self.chain.announce(error, index, name);
                    let discard = Event::Discard {
                        alternative: name,
                        index,
                        error,
                    };
                    return (Some(discard), After::Idle);
                }
                if let Some((Only(earlier), at, named)) =
                    self.last_error.replace((Only(error), index, name))
                {
                    self.chain.set_aside(earlier, at, named);
                }
                (None, After::Idle)
            }
        }
    }
}
