//! IncrementalAlterConfigs (key 44): changes single configs of a topic or a
//! broker: SET (0) a value, DELETE (1) an override, APPEND (2) or SUBTRACT
//! (3) items of a list config (starting from the current value, or the
//! default when unset); `validate_only` checks and changes nothing.
//!
//! Errors, per resource (nothing of a resource is applied when one of its
//! configs fails): those of AlterConfigs for the resource and values, plus
//! `INVALID_REQUEST` for a config named twice, a null value to SET, or an
//! unknown operation, and `INVALID_CONFIG` for APPEND or SUBTRACT on a
//! config that is not a list.
//!
//! # References
//! - KIP-339

use kafka_protocol::messages::incremental_alter_configs_request::AlterConfigsResource;
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse};
use kafka_protocol::protocol::VersionRange;

use super::alter_configs::{duplicates, ConfigTarget};
use super::{str_bytes, Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::configs::split_list;
use crate::testkit::state::{Failure, State};

const SET: i8 = 0;
const DELETE: i8 = 1;
const APPEND: i8 = 2;
const SUBTRACT: i8 = 3;

impl Handler for IncrementalAlterConfigsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 1 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<IncrementalAlterConfigsResponse> {
        let dups = duplicates(
            self.resources
                .iter()
                .map(|r| (r.resource_type, r.resource_name.as_str())),
        );
        let responses = self
            .resources
            .iter()
            .map(|r| {
                let outcome = if dups.contains(&(r.resource_type, r.resource_name.to_string())) {
                    Err(Failure::new(
                        ResponseError::InvalidRequest,
                        "Error due to duplicate config resources",
                    ))
                } else {
                    alter(ctx.state, r, self.validate_only)
                };
                let response = AlterConfigsResourceResponse::default()
                    .with_resource_type(r.resource_type)
                    .with_resource_name(r.resource_name.clone());
                match outcome {
                    Ok(()) => response.with_error_message(None),
                    Err(f) => response
                        .with_error_code(f.code.code())
                        .with_error_message(Some(str_bytes(f.message))),
                }
            })
            .collect();
        Reply::Now(IncrementalAlterConfigsResponse::default().with_responses(responses))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<IncrementalAlterConfigsResponse> {
        let responses = self
            .resources
            .iter()
            .map(|r| {
                AlterConfigsResourceResponse::default()
                    .with_resource_type(r.resource_type)
                    .with_resource_name(r.resource_name.clone())
                    .with_error_code(code)
                    .with_error_message(None)
            })
            .collect();
        Reply::Now(IncrementalAlterConfigsResponse::default().with_responses(responses))
    }
}

fn alter(state: &mut State, r: &AlterConfigsResource, validate_only: bool) -> Result<(), Failure> {
    let target = ConfigTarget::resolve(state, r.resource_type, r.resource_name.as_str())?;
    let mut names: Vec<&str> = r.configs.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(Failure::new(
            ResponseError::InvalidRequest,
            "Error due to duplicate config keys",
        ));
    }
    let mut configs = target.current(state);
    for c in &r.configs {
        let name = c.name.as_str();
        let value = c.value.as_ref().map(|v| v.to_string());
        match c.config_operation {
            SET => {
                let value = value.ok_or_else(|| {
                    Failure::new(
                        ResponseError::InvalidRequest,
                        format!("Null value not supported for : {name}"),
                    )
                })?;
                target.validate(name, &value)?;
                configs.insert(name.to_owned(), value);
            }
            DELETE => {
                target.validate_name(name)?;
                configs.remove(name);
            }
            APPEND | SUBTRACT => {
                target.validate_name(name)?;
                if !target.is_list(name) {
                    let op = if c.config_operation == APPEND {
                        "append"
                    } else {
                        "subtract"
                    };
                    return Err(Failure::new(
                        ResponseError::InvalidConfig,
                        format!("Config value {op} is not allowed for config key: {name}"),
                    ));
                }
                let mut items = split_list(
                    configs
                        .get(name)
                        .map(String::as_str)
                        .or(target.default_value(name))
                        .unwrap_or(""),
                );
                let given = split_list(value.as_deref().unwrap_or(""));
                if c.config_operation == APPEND {
                    for item in given {
                        if !items.contains(&item) {
                            items.push(item);
                        }
                    }
                } else {
                    items.retain(|i| !given.contains(i));
                }
                let joined = items.join(",");
                target.validate(name, &joined)?;
                configs.insert(name.to_owned(), joined);
            }
            other => {
                return Err(Failure::new(
                    ResponseError::InvalidRequest,
                    format!("Unknown config operation {other}"),
                ))
            }
        }
    }
    if !validate_only {
        target.store(state, configs);
    }
    Ok(())
}
