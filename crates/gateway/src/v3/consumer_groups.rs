//! v3 consumer groups: groups, their consumers and assignments, and lags
//! (per partition and as a summary), from ListGroups, DescribeGroups,
//! OffsetFetch and ListOffsets.
//!
//! # References
//! - Confluent REST Proxy API reference, "Consumer Group (v3)"

use http::StatusCode;
use serde_json::{json, Value};
use wire::admin::{GroupDescription, MemberDescription, PartitionLag};
use wire::error::ResponseError;
use wire::GroupAdmin;

use crate::error::{ApiError, ApiResult};
use crate::response::Response;
use crate::v3::{ok, Context};

async fn admin(ctx: &Context<'_>) -> ApiResult<GroupAdmin> {
    Ok(GroupAdmin::new(ctx.gateway.client().await?.clone()))
}

fn group_not_found(group: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        404,
        format!("Consumer group {group} could not be found."),
    )
}

/// `Stable` → `STABLE`, `PreparingRebalance` → `PREPARING_REBALANCE`.
fn state_name(state: &str) -> String {
    let mut out = String::with_capacity(state.len() + 4);
    for (i, c) in state.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    if out.is_empty() {
        "UNKNOWN".to_owned()
    } else {
        out
    }
}

/// A group's description; 404 when the cluster does not know it.
async fn describe(ctx: &Context<'_>, group: &str) -> ApiResult<GroupDescription> {
    let admin = admin(ctx).await?;
    match admin.describe_group(group).await {
        Ok(d) if d.state == "Dead" && d.members.is_empty() => Err(group_not_found(group)),
        // Some brokers describe any unknown group as an empty one: an empty
        // group exists only if the cluster lists it.
        Ok(d) if d.state == "Empty" && d.members.is_empty() => {
            let listed = admin.list_groups().await?;
            if listed.iter().any(|g| g.group_id == group) {
                Ok(d)
            } else {
                Err(group_not_found(group))
            }
        }
        Ok(d) => Ok(d),
        Err(e) if e.code() == Some(ResponseError::GroupIdNotFound) => Err(group_not_found(group)),
        Err(e) => Err(e.into()),
    }
}

fn group_json(ctx: &Context<'_>, d: &GroupDescription) -> Value {
    let links = &ctx.links;
    let path = format!("/consumer-groups/{}", d.group_id);
    json!({
        "kind": "KafkaConsumerGroup",
        "metadata": links.metadata(&path, &[("consumer-group", &d.group_id)]),
        "cluster_id": links.cluster_id(),
        "consumer_group_id": d.group_id,
        "is_simple": d.protocol_type.is_empty(),
        "partition_assignor": d.protocol,
        "state": state_name(&d.state),
        "coordinator": links.related(&format!("/brokers/{}", d.coordinator_id)),
        "consumers": links.related(&format!("{path}/consumers")),
        "lag_summary": links.related(&format!("{path}/lag-summary")),
    })
}

fn consumer_json(ctx: &Context<'_>, group: &str, m: &MemberDescription) -> Value {
    let links = &ctx.links;
    let path = format!("/consumer-groups/{group}/consumers/{}", m.member_id);
    json!({
        "kind": "KafkaConsumer",
        "metadata": links.metadata(&path, &[("consumer-group", group), ("consumer", &m.member_id)]),
        "cluster_id": links.cluster_id(),
        "consumer_group_id": group,
        "consumer_id": m.member_id,
        "instance_id": m.group_instance_id,
        "client_id": m.client_id,
        "assignments": links.related(&format!("{path}/assignments")),
    })
}

fn assignment_json(
    ctx: &Context<'_>,
    group: &str,
    member: &str,
    topic: &str,
    partition: i32,
) -> Value {
    let links = &ctx.links;
    let p = partition.to_string();
    json!({
        "kind": "KafkaConsumerAssignment",
        "metadata": links.metadata(
            &format!("/consumer-groups/{group}/consumers/{member}/assignments/{topic}/partitions/{p}"),
            &[("consumer-group", group), ("consumer", member), ("assignment", topic), ("partition", &p)],
        ),
        "cluster_id": links.cluster_id(),
        "consumer_group_id": group,
        "consumer_id": member,
        "topic_name": topic,
        "partition_id": partition,
        "partition": links.related(&format!("/topics/{topic}/partitions/{p}")),
        "lag": links.related(&format!("/consumer-groups/{group}/lags/{topic}/partitions/{p}")),
    })
}

/// The member a lag's partition is assigned to: (member id, instance id,
/// client id); empty ids when no member owns it.
fn owner(lag: &PartitionLag, d: &GroupDescription) -> (String, Option<String>, String) {
    match &lag.member {
        Some((member, client, _host)) => {
            let instance = d
                .members
                .iter()
                .find(|m| &m.member_id == member)
                .and_then(|m| m.group_instance_id.clone());
            (member.clone(), instance, client.clone())
        }
        None => (String::new(), None, String::new()),
    }
}

fn lag_json(ctx: &Context<'_>, group: &str, lag: &PartitionLag, d: &GroupDescription) -> Value {
    let links = &ctx.links;
    let topic = &lag.partition.topic;
    let p = lag.partition.partition.to_string();
    let (consumer, instance, client) = owner(lag, d);
    json!({
        "kind": "KafkaConsumerLag",
        "metadata": links.metadata(
            &format!("/consumer-groups/{group}/lags/{topic}/partitions/{p}"),
            &[("consumer-group", group), ("lag", topic), ("partition", &p)],
        ),
        "cluster_id": links.cluster_id(),
        "consumer_group_id": group,
        "topic_name": topic,
        "partition_id": lag.partition.partition,
        "consumer_id": consumer,
        "instance_id": instance,
        "client_id": client,
        "current_offset": lag.committed,
        "log_end_offset": lag.end,
        "lag": lag.lag,
    })
}

/// `GET .../consumer-groups`: every consumer group, described.
pub async fn list(ctx: &Context<'_>) -> ApiResult<Response> {
    let admin = admin(ctx).await?;
    let mut ids: Vec<String> = admin
        .list_groups()
        .await?
        .into_iter()
        .filter(|g| g.protocol_type == "consumer" || g.protocol_type.is_empty())
        .map(|g| g.group_id)
        .collect();
    ids.sort();
    ids.dedup();
    let names: Vec<&str> = ids.iter().map(String::as_str).collect();
    let described = if names.is_empty() {
        Vec::new()
    } else {
        admin.describe_groups(&names).await?
    };
    let data = described
        .into_iter()
        .filter_map(|(_, d)| d.ok())
        .map(|d| group_json(ctx, &d))
        .collect();
    ok(&ctx
        .links
        .list("KafkaConsumerGroupList", "/consumer-groups", data))
}

/// `GET .../consumer-groups/{group}`.
pub async fn get(ctx: &Context<'_>, group: &str) -> ApiResult<Response> {
    let d = describe(ctx, group).await?;
    ok(&group_json(ctx, &d))
}

/// `GET .../consumer-groups/{group}/consumers`.
pub async fn consumers(ctx: &Context<'_>, group: &str) -> ApiResult<Response> {
    let d = describe(ctx, group).await?;
    let data = d
        .members
        .iter()
        .map(|m| consumer_json(ctx, group, m))
        .collect();
    ok(&ctx.links.list(
        "KafkaConsumerList",
        &format!("/consumer-groups/{group}/consumers"),
        data,
    ))
}

fn member<'d>(d: &'d GroupDescription, group: &str, id: &str) -> ApiResult<&'d MemberDescription> {
    d.members.iter().find(|m| m.member_id == id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            404,
            format!("Consumer {id} could not be found in consumer group {group}."),
        )
    })
}

/// `GET .../consumers/{consumer_id}`.
pub async fn consumer(ctx: &Context<'_>, group: &str, id: &str) -> ApiResult<Response> {
    let d = describe(ctx, group).await?;
    ok(&consumer_json(ctx, group, member(&d, group, id)?))
}

/// `GET .../consumers/{consumer_id}/assignments`.
pub async fn assignments(ctx: &Context<'_>, group: &str, id: &str) -> ApiResult<Response> {
    let d = describe(ctx, group).await?;
    let m = member(&d, group, id)?;
    let data = m
        .assignment
        .iter()
        .map(|tp| assignment_json(ctx, group, id, &tp.topic, tp.partition))
        .collect();
    ok(&ctx.links.list(
        "KafkaConsumerAssignmentList",
        &format!("/consumer-groups/{group}/consumers/{id}/assignments"),
        data,
    ))
}

/// `GET .../consumers/{consumer_id}/assignments/{topic}/partitions/{p}`.
pub async fn assignment(
    ctx: &Context<'_>,
    group: &str,
    id: &str,
    topic: &str,
    partition: i32,
) -> ApiResult<Response> {
    let d = describe(ctx, group).await?;
    let m = member(&d, group, id)?;
    if !m
        .assignment
        .iter()
        .any(|tp| tp.topic == topic && tp.partition == partition)
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            40403,
            format!("Partition {partition} of topic {topic} is not assigned to consumer {id}."),
        ));
    }
    ok(&assignment_json(ctx, group, id, topic, partition))
}

/// The group's description and per-partition lags.
async fn lags_of(
    ctx: &Context<'_>,
    group: &str,
) -> ApiResult<(GroupDescription, Vec<PartitionLag>)> {
    let d = describe(ctx, group).await?;
    let lags = admin(ctx).await?.partition_lags(group).await?;
    Ok((d, lags))
}

/// `GET .../consumer-groups/{group}/lags`.
pub async fn lags(ctx: &Context<'_>, group: &str) -> ApiResult<Response> {
    let (d, lags) = lags_of(ctx, group).await?;
    let data = lags.iter().map(|l| lag_json(ctx, group, l, &d)).collect();
    ok(&ctx.links.list(
        "KafkaConsumerLagList",
        &format!("/consumer-groups/{group}/lags"),
        data,
    ))
}

/// `GET .../consumer-groups/{group}/lags/{topic}/partitions/{p}`.
pub async fn lag(
    ctx: &Context<'_>,
    group: &str,
    topic: &str,
    partition: i32,
) -> ApiResult<Response> {
    let (d, lags) = lags_of(ctx, group).await?;
    let lag = lags
        .iter()
        .find(|l| l.partition.topic == topic && l.partition.partition == partition)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                40403,
                format!("Consumer group {group} has no offset for partition {partition} of topic {topic}."),
            )
        })?;
    ok(&lag_json(ctx, group, lag, &d))
}

/// `GET .../consumer-groups/{group}/lag-summary`: the largest lag (with
/// its partition and consumer) and the total.
pub async fn lag_summary(ctx: &Context<'_>, group: &str) -> ApiResult<Response> {
    let (d, lags) = lags_of(ctx, group).await?;
    let links = &ctx.links;
    let total: i64 = lags.iter().map(|l| l.lag).sum();
    let max = lags.iter().max_by_key(|l| l.lag);
    let path = format!("/consumer-groups/{group}/lag-summary");
    let mut body = json!({
        "kind": "KafkaConsumerGroupLagSummary",
        "metadata": {
            "self": links.url(&path),
            "resource_name": format!("{}/lag-summary", links.crn(&[("consumer-group", group)])),
        },
        "cluster_id": links.cluster_id(),
        "consumer_group_id": group,
        "max_lag_consumer_id": "",
        "max_lag_instance_id": null,
        "max_lag_client_id": "",
        "max_lag_topic_name": "",
        "max_lag_partition_id": 0,
        "max_lag": 0,
        "total_lag": total,
        "max_lag_consumer": null,
        "max_lag_partition": null,
    });
    if let Some(max) = max {
        let (consumer, instance, client) = owner(max, &d);
        let topic = &max.partition.topic;
        body["max_lag_consumer_id"] = json!(consumer);
        body["max_lag_instance_id"] = json!(instance);
        body["max_lag_client_id"] = json!(client);
        body["max_lag_topic_name"] = json!(topic);
        body["max_lag_partition_id"] = json!(max.partition.partition);
        body["max_lag"] = json!(max.lag);
        if !consumer.is_empty() {
            body["max_lag_consumer"] =
                links.related(&format!("/consumer-groups/{group}/consumers/{consumer}"));
        }
        body["max_lag_partition"] = links.related(&format!(
            "/topics/{topic}/partitions/{}",
            max.partition.partition
        ));
    }
    ok(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names() {
        assert_eq!(state_name("Stable"), "STABLE");
        assert_eq!(state_name("PreparingRebalance"), "PREPARING_REBALANCE");
        assert_eq!(state_name("CompletingRebalance"), "COMPLETING_REBALANCE");
        assert_eq!(state_name("Empty"), "EMPTY");
        assert_eq!(state_name(""), "UNKNOWN");
    }
}
