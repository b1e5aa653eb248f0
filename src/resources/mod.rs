//! The resource types, one module each, and what they share: property decoding, the ownership rules
//! (docs/reference.md, section 2), the caller check (section 7) and the parameter-name rules.
//! [`ResourceHandler`] is the [`Handler`] the protocol runs: it checks the caller beside the handler of
//! the request's resource type. A resource handler gets a [`Context`] and returns an [`Outcome`] or an
//! [`Error`]; it never sees how the answer is delivered.

pub mod caller;
pub mod context;
pub mod cross_region_parameter;
pub mod ownership;
pub mod parameter_names;
pub mod parameter_reader;
pub mod properties;
pub mod replica_key;
pub mod target_account;

pub use context::{Context, Scope};

use crate::Error;
use crate::aws::Clients;
use crate::aws::write_gate::WriteGate;
use crate::error::ConfigProblem;
use crate::protocol::{Handler, Invocation, Outcome, Request, RequestType};

/// The resource types this provider serves.
pub const SUPPORTED_TYPES: [&str; 3] = [
    replica_key::RESOURCE_TYPE,
    cross_region_parameter::RESOURCE_TYPE,
    parameter_reader::RESOURCE_TYPE,
];

/// The [`Handler`] the protocol runs: the AWS clients and the scope every resource type shares, and a
/// configuration problem that fails every request.
pub struct ResourceHandler {
    clients: Clients,
    scope: Scope,
    problem: Option<ConfigProblem>,
}

impl ResourceHandler {
    /// A handler with the given clients and scope; `problem`, when there is one, fails every request
    /// (an init error would leave the stack waiting).
    pub fn new(clients: Clients, scope: Scope, problem: Option<ConfigProblem>) -> Self {
        ResourceHandler {
            clients,
            scope,
            problem,
        }
    }
}

impl Handler for ResourceHandler {
    /// Runs the handler of the request's resource type beside the check of its caller
    /// ([`caller::check_stack_arn`] first, then [`caller::confirm`]): the handler's reads go ahead at
    /// once, its changes wait until the caller is verified ([`WriteGate`]), and its outcome or error
    /// counts only then. A refused caller ends the request, the handler's work dropped where it stands,
    /// before any change.
    async fn handle(&self, invocation: &Invocation) -> Result<Outcome, Error> {
        if let Some(problem) = &self.problem {
            return Err(problem.clone().into());
        }
        // What the ARNs alone refuse is refused before the handler starts: not even its reads run.
        let region = caller::check_stack_arn(invocation)?;
        let (gate, keeper) = WriteGate::closed();
        let verified = async {
            caller::confirm(&self.clients, invocation, region, could_have_had).await?;
            keeper.open();
            Ok::<(), Error>(())
        };
        let cx = Context {
            clients: &self.clients,
            scope: &self.scope,
            invocation,
            gate: &gate,
        };
        let handled = async move {
            let request = cx.request();
            match request.resource_type.as_str() {
                replica_key::RESOURCE_TYPE => replica_key::handle(cx).await,
                cross_region_parameter::RESOURCE_TYPE => cross_region_parameter::handle(cx).await,
                parameter_reader::RESOURCE_TYPE => parameter_reader::handle(cx).await,
                // Nothing of an unsupported type was ever created, so there is nothing to delete.
                _ if request.request_type == RequestType::Delete => {
                    Ok(Outcome::id(request.physical_resource_id.clone().unwrap_or_default()))
                }
                other => Err(Error::UnsupportedResourceType {
                    resource_type: other.to_string(),
                    supported: SUPPORTED_TYPES.join(", "),
                }),
            }
        };
        let (mut verified, mut handled) = (std::pin::pin!(verified), std::pin::pin!(handled));
        // The verdict decides first: a refused caller learns nothing from the handler, not even its error.
        tokio::select! {
            verdict = &mut verified => {
                verdict?;
                handled.await
            }
            outcome = &mut handled => {
                verified.await?;
                outcome
            }
        }
    }
}

/// Whether a resource of the request's type and logical id could have had `former` before its
/// `current` PhysicalResourceId: the caller check accepts a Delete of a former id only then. A replica
/// key's id is the ARN of a primary key, and a replacement names another primary, so a former id is
/// the ARN of a primary whose key id is not the current one's (a Delete of the current key's id in
/// another spelling would reach the current replicas). The parameter types keep one id for their
/// whole life, so no other id was ever theirs.
pub fn could_have_had(request: &Request, former: &str, current: Option<&str>) -> bool {
    match request.resource_type.as_str() {
        replica_key::RESOURCE_TYPE => {
            let current_key = current.and_then(replica_key::KeyArn::parse).map(|arn| arn.key_id);
            replica_key::KeyArn::parse(former).is_some_and(|former| Some(former.key_id) != current_key)
        }
        _ => former == context::stack_scoped_id(request),
    }
}
