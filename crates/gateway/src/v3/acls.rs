//! v3 ACLs: list the bindings matching query parameters, create one or a
//! batch, delete the bindings matching query parameters (answering with
//! the deleted ones).
//!
//! Names are Kafka's (`TOPIC`, `PREFIXED`, `DESCRIBE_CONFIGS`, `ALLOW`,
//! any case). In a list filter every parameter may be left out (any); a
//! delete filter needs `resource_type`, `pattern_type`, `operation` and
//! `permission` (which may be `ANY`, or `MATCH` for the pattern type).
//!
//! # References
//! - Confluent REST Proxy API reference, "ACL (v3)"
//! - KIP-140 (ACL admin APIs), KIP-290 (prefixed ACLs)

use serde_json::{json, Value};
use wire::admin::{
    AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AclResourceType, PatternType,
};

use crate::error::{ApiError, ApiResult};
use crate::request::Request;
use crate::response::{self, Response};
use crate::v3::body::Fields;
use crate::v3::{ok, Context, KafkaResultExt as _};

/// Percent-encodes a query parameter value (RFC 3986 unreserved kept).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'*') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An ACL resource; its `self` is the list URL that selects exactly it.
pub fn acl_json(ctx: &Context<'_>, b: &AclBinding) -> Value {
    let query = format!(
        "resource_type={}&resource_name={}&pattern_type={}&principal={}&host={}&operation={}\
         &permission={}",
        b.resource_type,
        encode(&b.resource_name),
        b.pattern_type,
        encode(&b.principal),
        encode(&b.host),
        b.operation,
        b.permission
    );
    json!({
        "kind": "KafkaAcl",
        "metadata": { "self": ctx.links.url(&format!("/acls?{query}")) },
        "cluster_id": ctx.links.cluster_id(),
        "resource_type": b.resource_type.as_str(),
        "resource_name": b.resource_name,
        "pattern_type": b.pattern_type.as_str(),
        "principal": b.principal,
        "host": b.host,
        "operation": b.operation.as_str(),
        "permission": b.permission.as_str(),
    })
}

/// Parses a Kafka enum name, or says which values `field` takes.
fn parse_enum<T>(field: &str, text: &str, all: &[T]) -> ApiResult<T>
where
    T: std::str::FromStr + std::fmt::Display + Copy,
{
    text.parse().map_err(|_| {
        let names: Vec<String> = all.iter().map(ToString::to_string).collect();
        ApiError::bad_request(format!(
            "{field}: `{text}` is not one of {}",
            names.join(", ")
        ))
    })
}

/// The filter of a list (`required`: false) or delete (`required`: true)
/// request, from its query parameters.
fn filter(request: &Request, required: bool) -> ApiResult<AclBindingFilter> {
    fn param<T>(request: &Request, name: &str, all: &[T], any: T, required: bool) -> ApiResult<T>
    where
        T: std::str::FromStr + std::fmt::Display + Copy,
    {
        match request.query_param(name).filter(|v| !v.is_empty()) {
            Some(text) if !text.eq_ignore_ascii_case("UNKNOWN") => parse_enum(name, text, all),
            Some(_) | None if required => Err(ApiError::bad_request(format!(
                "{name} cannot be unspecified or UNKNOWN"
            ))),
            Some(_) => Err(ApiError::bad_request(format!("{name} cannot be UNKNOWN"))),
            None => Ok(any),
        }
    }
    let text = |name: &str| {
        request
            .query_param(name)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Ok(AclBindingFilter {
        resource_type: param(
            request,
            "resource_type",
            AclResourceType::ALL,
            AclResourceType::Any,
            required,
        )?,
        resource_name: text("resource_name"),
        pattern_type: param(
            request,
            "pattern_type",
            PatternType::ALL,
            PatternType::Any,
            required,
        )?,
        principal: text("principal"),
        host: text("host"),
        operation: param(
            request,
            "operation",
            AclOperation::ALL,
            AclOperation::Any,
            required,
        )?,
        permission: param(
            request,
            "permission",
            AclPermissionType::ALL,
            AclPermissionType::Any,
            required,
        )?,
    })
}

/// The list URL of the request (its query kept, re-encoded).
fn self_url(ctx: &Context<'_>, request: &Request) -> String {
    let query: Vec<String> = request
        .query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    if query.is_empty() {
        ctx.links.url("/acls")
    } else {
        ctx.links.url(&format!("/acls?{}", query.join("&")))
    }
}

/// `GET /clusters/{cluster_id}/acls`.
pub async fn list(ctx: &Context<'_>, request: &Request) -> ApiResult<Response> {
    let filter = filter(request, false)?;
    let bindings = ctx
        .gateway
        .admin()
        .await?
        .describe_acls(&filter)
        .await
        .v3()?;
    let data: Vec<Value> = bindings.iter().map(|b| acl_json(ctx, b)).collect();
    ok(&json!({
        "kind": "KafkaAclList",
        "metadata": { "self": self_url(ctx, request), "next": null },
        "data": data,
    }))
}

/// Reads one binding of a create request.
fn binding(fields: &Fields) -> ApiResult<AclBinding> {
    let resource_type = parse_enum(
        &fields.path_of("resource_type"),
        fields.str("resource_type")?,
        AclResourceType::ALL,
    )?;
    let pattern_type = parse_enum(
        &fields.path_of("pattern_type"),
        fields.str("pattern_type")?,
        PatternType::ALL,
    )?;
    let operation = parse_enum(
        &fields.path_of("operation"),
        fields.str("operation")?,
        AclOperation::ALL,
    )?;
    let permission = parse_enum(
        &fields.path_of("permission"),
        fields.str("permission")?,
        AclPermissionType::ALL,
    )?;
    let filter_only = |field: &str, value: &dyn std::fmt::Display| {
        ApiError::bad_request(format!(
            "{}: {value} is only for filters; an ACL needs a concrete value",
            fields.path_of(field)
        ))
    };
    if resource_type == AclResourceType::Any {
        return Err(filter_only("resource_type", &resource_type));
    }
    if matches!(pattern_type, PatternType::Any | PatternType::Match) {
        return Err(filter_only("pattern_type", &pattern_type));
    }
    if operation == AclOperation::Any {
        return Err(filter_only("operation", &operation));
    }
    if permission == AclPermissionType::Any {
        return Err(filter_only("permission", &permission));
    }
    Ok(AclBinding {
        resource_type,
        resource_name: fields.str("resource_name")?.to_owned(),
        pattern_type,
        principal: fields.str("principal")?.to_owned(),
        host: fields.str("host")?.to_owned(),
        operation,
        permission,
    })
}

async fn create_bindings(ctx: &Context<'_>, bindings: &[AclBinding]) -> ApiResult<Response> {
    let results = ctx
        .gateway
        .admin()
        .await?
        .create_acls(bindings)
        .await
        .v3()?;
    for result in results {
        result.v3()?;
    }
    let mut response = response::no_content();
    *response.status_mut() = http::StatusCode::CREATED;
    Ok(response)
}

/// `POST /clusters/{cluster_id}/acls` (201).
pub async fn create(ctx: &Context<'_>, request: &mut Request) -> ApiResult<Response> {
    let body = Fields::read(request).await?;
    create_bindings(ctx, &[binding(&body)?]).await
}

/// `POST /clusters/{cluster_id}/acls:batch` with `{"data": [...]}` (201).
pub async fn create_batch(ctx: &Context<'_>, request: &mut Request) -> ApiResult<Response> {
    let body = Fields::read(request).await?;
    let data = body
        .opt_array("data")?
        .ok_or_else(|| ApiError::bad_request("data: this field is required"))?;
    let bindings = data
        .iter()
        .enumerate()
        .map(|(i, item)| binding(&Fields::of(item.clone(), &format!("data[{i}]"))?))
        .collect::<ApiResult<Vec<_>>>()?;
    create_bindings(ctx, &bindings).await
}

/// `DELETE /clusters/{cluster_id}/acls`: `{"data": [deleted ACLs]}`.
pub async fn delete(ctx: &Context<'_>, request: &Request) -> ApiResult<Response> {
    let filter = filter(request, true)?;
    let mut results = ctx
        .gateway
        .admin()
        .await?
        .delete_acls(std::slice::from_ref(&filter))
        .await
        .v3()?;
    let deleted = results.pop().unwrap_or_else(|| Ok(Vec::new())).v3()?;
    let data: Vec<Value> = deleted.iter().map(|b| acl_json(ctx, b)).collect();
    ok(&json!({ "data": data }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> Request {
        let parts = http::Request::builder()
            .uri(format!("/v3/clusters/c/acls?{query}"))
            .body(())
            .unwrap()
            .into_parts()
            .0;
        Request::new(
            parts,
            crate::request::RequestBody::Full(bytes::Bytes::new()),
            1024,
            "http",
            None,
            "localhost",
        )
        .unwrap()
    }

    #[test]
    fn filters_from_query_parameters() {
        let f = filter(&request("principal=User%3Aalice&operation=read"), false).unwrap();
        assert_eq!(f.principal.as_deref(), Some("User:alice"));
        assert_eq!(f.operation, AclOperation::Read);
        assert_eq!(f.resource_type, AclResourceType::Any);
        assert_eq!(f.resource_name, None);
        let e = filter(&request("resource_type=TABLE"), false).unwrap_err();
        assert_eq!(e.error_code, 400);
        assert!(e
            .message
            .starts_with("resource_type: `TABLE` is not one of ANY, TOPIC"));
        let e = filter(
            &request("pattern_type=ANY&operation=ANY&permission=ANY"),
            true,
        )
        .unwrap_err();
        assert_eq!(e.message, "resource_type cannot be unspecified or UNKNOWN");
        let e = filter(
            &request("resource_type=UNKNOWN&pattern_type=ANY&operation=ANY&permission=ANY"),
            true,
        )
        .unwrap_err();
        assert_eq!(e.message, "resource_type cannot be unspecified or UNKNOWN");
        let f = filter(
            &request("resource_type=TOPIC&pattern_type=MATCH&operation=ANY&permission=ALLOW&resource_name=t"),
            true,
        )
        .unwrap();
        assert_eq!(f.pattern_type, PatternType::Match);
        assert_eq!(f.permission, AclPermissionType::Allow);
    }

    #[test]
    fn bindings_from_bodies() {
        let body = json!({"resource_type": "CLUSTER", "resource_name": "kafka-cluster",
            "pattern_type": "LITERAL", "principal": "User:bob", "host": "*",
            "operation": "DESCRIBE", "permission": "DENY"});
        let b = binding(&Fields::of(body.clone(), "").unwrap()).unwrap();
        assert_eq!(b.resource_type, AclResourceType::Cluster);
        assert_eq!(b.permission, AclPermissionType::Deny);
        let mut any = body.clone();
        any["operation"] = json!("ANY");
        let e = binding(&Fields::of(any, "data[1]").unwrap()).unwrap_err();
        assert!(
            e.message
                .starts_with("data[1].operation: ANY is only for filters"),
            "{e}"
        );
        let mut missing = body;
        missing.as_object_mut().unwrap().remove("principal");
        let e = binding(&Fields::of(missing, "").unwrap()).unwrap_err();
        assert_eq!(e.message, "principal: this field is required");
    }

    #[test]
    fn acl_self_links_select_the_binding() {
        let gateway = crate::app::Gateway::new(
            crate::config::Config::load(
                &crate::config::parse_args(
                    ["--bootstrap.servers=127.0.0.1:1"]
                        .iter()
                        .map(std::ffi::OsString::from),
                )
                .unwrap(),
                std::iter::empty(),
            )
            .unwrap()
            .config,
            Vec::new(),
        );
        let ctx = Context {
            gateway: &gateway,
            links: crate::resource::Links::new("http://h/v3".into(), "c1".into()),
        };
        let b = AclBinding {
            resource_type: AclResourceType::Topic,
            resource_name: "topic-".into(),
            pattern_type: PatternType::Prefixed,
            principal: "User:alice".into(),
            host: "*".into(),
            operation: AclOperation::All,
            permission: AclPermissionType::Allow,
        };
        let j = acl_json(&ctx, &b);
        assert_eq!(
            j["metadata"]["self"],
            "http://h/v3/clusters/c1/acls?resource_type=TOPIC&resource_name=topic-&pattern_type=PREFIXED&principal=User%3Aalice&host=*&operation=ALL&permission=ALLOW"
        );
        assert_eq!(j["operation"], "ALL");
        assert_eq!(j["cluster_id"], "c1");
    }
}
