//! Partition assignors: run by the member the coordinator elects leader, they
//! turn every member's subscription into an assignment.
//!
//! `range` and `roundrobin` compute exactly what the Java client's
//! `RangeAssignor` and `RoundRobinAssignor` compute (and librdkafka's
//! assignors of the same names), so a group may mix clients and any of them
//! may lead. Both order members the Java way ([`member_order`]): members
//! with a `group.instance.id` first, by that id, then the others by member
//! id, comparing strings by UTF-16 code units as Java does. Both are
//! *eager*: every member gives up all its partitions before rejoining.
//!
//! `cooperative-sticky` ([`CooperativeStickyAssignor`]) is the protocol of
//! Java's `CooperativeStickyAssignor` and librdkafka's assignor of that
//! name: balanced, keeping the partitions members report owning, and never
//! handing a member a partition another member still owns. It lets a
//! consumer of this crate join groups whose other members only speak it,
//! and lead them. This crate's consumer itself stays an *eager* member
//! whatever the protocol, as a Java consumer does when its assignor list
//! mixes eager and cooperative assignors: it gives up all its partitions
//! before each rejoin and reports owning none.
//!
//! The rack-aware refinement of `range` (KIP-881) is not applied: it only
//! changes the result when members announce racks and partitions have
//! replicas on them, and the result without it is still a valid assignment.
//!
//! # References
//! - Java `org.apache.kafka.clients.consumer.RangeAssignor`,
//!   `RoundRobinAssignor`, `internals.AbstractPartitionAssignor.MemberInfo`
//! - KIP-345 (ordering by group instance id)

mod cooperative_sticky;
mod range;
mod roundrobin;

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

pub use cooperative_sticky::CooperativeStickyAssignor;
pub use range::RangeAssignor;
pub use roundrobin::RoundRobinAssignor;

use super::TopicPartition;
use crate::error::{Error, Result};
use crate::protocol::consumer_protocol::Subscription;

/// One member of the group as the leader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSubscription {
    /// The member id.
    pub member_id: String,
    /// The static member id, if the member has one.
    pub group_instance_id: Option<String>,
    /// What the member subscribed to.
    pub subscription: Subscription,
}

/// Computes a group's assignment.
pub trait PartitionAssignor: Send + Sync + fmt::Debug {
    /// The protocol name members announce in JoinGroup.
    fn name(&self) -> &'static str;

    /// The partitions of each member, keyed by member id; every member has
    /// an entry (possibly empty). `partitions_per_topic` holds the partition
    /// count of every subscribed topic the cluster knows; topics missing
    /// from it are not assigned.
    fn assign(
        &self,
        partitions_per_topic: &BTreeMap<String, i32>,
        members: &[MemberSubscription],
    ) -> BTreeMap<String, Vec<TopicPartition>>;
}

/// Compares strings as Java's `String.compareTo` does (UTF-16 code units).
pub fn java_string_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The order the Java assignors put members in: members with a group
/// instance id first, ordered by it, then the others by member id.
pub fn member_order(a: &MemberSubscription, b: &MemberSubscription) -> Ordering {
    match (&a.group_instance_id, &b.group_instance_id) {
        (Some(x), Some(y)) => java_string_cmp(x, y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => java_string_cmp(&a.member_id, &b.member_id),
    }
}

/// The assignor for a `partition.assignment.strategy` entry: `range` or
/// `roundrobin` or `cooperative-sticky`, or the Java class names of those.
pub fn by_name(name: &str) -> Result<Box<dyn PartitionAssignor>> {
    match name.trim() {
        "range" | "org.apache.kafka.clients.consumer.RangeAssignor" => Ok(Box::new(RangeAssignor)),
        "roundrobin" | "org.apache.kafka.clients.consumer.RoundRobinAssignor" => {
            Ok(Box::new(RoundRobinAssignor))
        }
        "cooperative-sticky" | "org.apache.kafka.clients.consumer.CooperativeStickyAssignor" => {
            Ok(Box::new(CooperativeStickyAssignor))
        }
        other => Err(Error::Config(format!(
            "partition.assignment.strategy: '{other}' is not supported \
             (use range, roundrobin or cooperative-sticky)"
        ))),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub(crate) fn member(id: &str, topics: &[&str]) -> MemberSubscription {
        MemberSubscription {
            member_id: id.to_owned(),
            group_instance_id: None,
            subscription: Subscription {
                topics: topics.iter().map(|t| (*t).to_owned()).collect(),
                ..Subscription::default()
            },
        }
    }

    pub(crate) fn counts(topics: &[(&str, i32)]) -> BTreeMap<String, i32> {
        topics.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
    }

    /// `member -> "t0p0 t0p1 ..."`, partitions sorted, for compact assertions.
    pub(crate) fn show(
        assignment: &BTreeMap<String, Vec<TopicPartition>>,
    ) -> Vec<(String, String)> {
        assignment
            .iter()
            .map(|(m, parts)| {
                let mut parts = parts.clone();
                parts.sort();
                (
                    m.clone(),
                    parts
                        .iter()
                        .map(|tp| format!("{}p{}", tp.topic, tp.partition))
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            })
            .collect()
    }

    /// Every partition of the subscribed topics is assigned exactly once,
    /// and only to a member subscribed to its topic.
    pub(crate) fn assert_valid(
        counts: &BTreeMap<String, i32>,
        members: &[MemberSubscription],
        assignment: &BTreeMap<String, Vec<TopicPartition>>,
    ) {
        let mut seen = std::collections::BTreeSet::new();
        for m in members {
            let parts = assignment
                .get(&m.member_id)
                .expect("every member has an entry");
            for tp in parts {
                assert!(
                    m.subscription.topics.contains(&tp.topic),
                    "{tp} not subscribed"
                );
                assert!(seen.insert(tp.clone()), "{tp} assigned twice");
            }
        }
        for (topic, n) in counts {
            if members
                .iter()
                .any(|m| m.subscription.topics.contains(topic))
            {
                for p in 0..*n {
                    assert!(seen.contains(&TopicPartition::new(topic.clone(), p)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_compare_by_utf16_code_units() {
        // U+FF61 is one unit 0xFF61; U+10000 is the pair 0xD800 0xDC00, so
        // Java puts it first although its UTF-8 bytes sort last.
        assert_eq!(java_string_cmp("\u{10000}", "\u{FF61}"), Ordering::Less);
        assert_eq!("\u{10000}".cmp("\u{FF61}"), Ordering::Greater);
        assert_eq!(java_string_cmp("a", "b"), Ordering::Less);
        assert_eq!(java_string_cmp("ab", "a"), Ordering::Greater);
    }

    #[test]
    fn static_members_sort_first() {
        let mut a = test_support::member("a", &[]);
        let mut z = test_support::member("z", &[]);
        assert_eq!(member_order(&a, &z), Ordering::Less);
        z.group_instance_id = Some("i2".into());
        assert_eq!(member_order(&a, &z), Ordering::Greater);
        a.group_instance_id = Some("i3".into());
        assert_eq!(member_order(&a, &z), Ordering::Greater);
    }

    #[test]
    fn names_and_java_class_names() {
        assert_eq!(by_name("range").unwrap().name(), "range");
        assert_eq!(
            by_name("org.apache.kafka.clients.consumer.RoundRobinAssignor")
                .unwrap()
                .name(),
            "roundrobin"
        );
        assert_eq!(
            by_name("org.apache.kafka.clients.consumer.CooperativeStickyAssignor")
                .unwrap()
                .name(),
            "cooperative-sticky"
        );
        assert_eq!(
            by_name(" cooperative-sticky ").unwrap().name(),
            "cooperative-sticky"
        );
        assert!(by_name("sticky").is_err());
        assert!(by_name("org.apache.kafka.clients.consumer.StickyAssignor").is_err());
    }
}
