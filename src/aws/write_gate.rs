//! The gate a request's calls pass before its caller is verified (docs/reference.md, section 7): every change, every
//! KMS call, every decrypting read and every reach into another account (AssumeRole, or a role's
//! credentials reused) waits here until the caller check has passed. Only the caller check's own calls
//! and plain reads in the function's own account (SSM reads that decrypt nothing, CloudFormation) go
//! ahead beside it, so that the check costs the common request no round trip of its own.
//! [`super::kms::Kms`], [`super::ssm::Ssm`] and [`super::Clients::assume_role`] pass it themselves, so
//! no handler can call past it.
//!
//! # Invariant
//!
//! Nothing that changes AWS, calls KMS, decrypts, or reaches into another account happens for a request
//! before its caller check has passed; a check that fails drops the gate's keeper unopened, and every
//! call still waiting is refused. What the gate buys is concurrency: the caller check (one
//! DescribeStackResource, two for a Delete of a former id) runs beside the handler's plain reads
//! instead of before them, which saves that round trip wherever a request reads before it writes: a
//! `Custom::CrossRegionParameterReader` without decryption answers after one round trip instead of two
//! (`reader-1-name-cold` in docs/benchmarks.md, "The second trust review"). A request whose first call
//! is a write or a KMS call (a writer's Create, every ReplicaKey request) waits for the check as it
//! would if the check ran first.

use tokio::sync::watch;

use crate::Error;
use crate::error::Bug;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The verification is still running.
    Closed,
    /// The caller is verified: changes go ahead.
    Open,
}

/// Where a request's changes wait for its verification. Cheap to pass by reference.
#[derive(Debug)]
pub struct WriteGate {
    state: watch::Receiver<State>,
}

/// Opens its [`WriteGate`]; dropped without opening it, the gate refuses every change.
#[derive(Debug)]
pub struct GateKeeper {
    state: watch::Sender<State>,
}

impl WriteGate {
    /// A closed gate and the keeper that opens it.
    pub fn closed() -> (WriteGate, GateKeeper) {
        let (sender, receiver) = watch::channel(State::Closed);
        (WriteGate { state: receiver }, GateKeeper { state: sender })
    }

    /// A gate that is open from the start, for calls that need no verification (the AWS layer's own
    /// tests).
    pub fn open() -> WriteGate {
        let (gate, keeper) = WriteGate::closed();
        keeper.open();
        gate
    }

    /// Waits until the gate opens; an error if its keeper was dropped without opening it.
    pub async fn pass(&self) -> Result<(), Error> {
        let mut state = self.state.clone();
        match state.wait_for(|state| *state == State::Open).await {
            Ok(_) => Ok(()),
            Err(_) => Err(Bug::UnverifiedWrite.into()),
        }
    }
}

impl GateKeeper {
    /// Lets every waiting and later change go ahead.
    pub fn open(&self) {
        // A gate that nobody holds any more has no one to let through.
        let _ = self.state.send(State::Open);
    }
}

#[cfg(test)]
mod tests;
