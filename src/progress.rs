//! What a request's handler is doing, shared between the handler and the protocol's deadline guard:
//! the AWS calls in flight (so that a request that runs out of time says what was running), whether
//! anything in AWS was changed yet, and the PhysicalResourceId a Create claimed. A leaf: it knows
//! nothing of resources, AWS clients or the protocol.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// What a request's handler has been doing: the AWS calls in flight, whether it has changed anything
/// in AWS yet, and the PhysicalResourceId it claimed. Shared between the handler and the guard.
#[derive(Debug, Default)]
pub struct Progress {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    /// Each step in flight: what it is, and a note on how it is going.
    in_flight: BTreeMap<u64, (String, Option<String>)>,
    last_finished: Option<String>,
    mutated: bool,
    claimed_id: Option<String>,
}

impl Progress {
    fn state(&self) -> MutexGuard<'_, State> {
        // The lock is never held across a panic point that matters; a poisoned record is still right.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `what` as in progress until the returned guard is dropped.
    pub fn step(&self, what: impl Into<String>) -> Step<'_> {
        let mut state = self.state();
        let id = state.next_id;
        state.next_id += 1;
        state.in_flight.insert(id, (what.into(), None));
        Step { progress: self, id }
    }

    /// Records that a call which may change AWS state is about to be made.
    pub fn mark_mutating(&self) {
        self.state().mutated = true;
    }

    /// `true` once any call that may change AWS state has been started.
    pub fn has_mutated(&self) -> bool {
        self.state().mutated
    }

    /// Claims the PhysicalResourceId that a failed Create answers once it has changed something.
    pub fn claim_physical_id(&self, id: impl Into<String>) {
        self.state().claimed_id = Some(id.into());
    }

    /// The claimed PhysicalResourceId, if the handler has changed something since claiming it.
    pub fn claimed_physical_id(&self) -> Option<String> {
        let state = self.state();
        if state.mutated { state.claimed_id.clone() } else { None }
    }

    /// A phrase for a reason: what is in flight, else what finished last.
    pub fn describe(&self) -> String {
        let state = self.state();
        let steps: Vec<String> = state.in_flight.values().map(described).collect();
        match (steps.as_slice(), &state.last_finished) {
            ([], Some(last)) => format!("after {last}"),
            ([], None) => "before any AWS call".to_string(),
            (many, _) => format!("during {}", many.join(", ")),
        }
    }
}

fn described((what, note): &(String, Option<String>)) -> String {
    match note {
        Some(note) => format!("{what} ({note})"),
        None => what.clone(),
    }
}

/// An in-flight step; dropping it (normally or on cancellation) ends the step.
#[derive(Debug)]
pub struct Step<'a> {
    progress: &'a Progress,
    id: u64,
}

impl Step<'_> {
    /// Notes how the step is going ("throttled 3 times"), replacing the previous note; a reason that
    /// names the step names the note too.
    pub fn note(&self, note: impl Into<String>) {
        if let Some(step) = self.progress.state().in_flight.get_mut(&self.id) {
            step.1 = Some(note.into());
        }
    }
}

impl Drop for Step<'_> {
    fn drop(&mut self) {
        let mut state = self.progress.state();
        if let Some(step) = state.in_flight.remove(&self.id) {
            state.last_finished = Some(described(&step));
        }
    }
}

#[cfg(test)]
mod tests;
