//! The `roundrobin` assignor: every partition of every subscribed topic, in
//! topic then partition order, goes to the next member in a circular order
//! that is subscribed to its topic.

use std::collections::{BTreeMap, BTreeSet};

use super::{java_string_cmp, member_order, MemberSubscription, PartitionAssignor};
use crate::consumer::TopicPartition;

/// Java's `RoundRobinAssignor`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoundRobinAssignor;

impl PartitionAssignor for RoundRobinAssignor {
    fn name(&self) -> &'static str {
        "roundrobin"
    }

    fn assign(
        &self,
        partitions_per_topic: &BTreeMap<String, i32>,
        members: &[MemberSubscription],
    ) -> BTreeMap<String, Vec<TopicPartition>> {
        let mut assignment: BTreeMap<String, Vec<TopicPartition>> = members
            .iter()
            .map(|m| (m.member_id.clone(), Vec::new()))
            .collect();
        let mut sorted: Vec<&MemberSubscription> = members.iter().collect();
        sorted.sort_by(|a, b| member_order(a, b));
        let subscribed: Vec<BTreeSet<&str>> = sorted
            .iter()
            .map(|m| m.subscription.topics.iter().map(String::as_str).collect())
            .collect();
        let mut topics: Vec<&str> = subscribed.iter().flatten().copied().collect();
        topics.sort_by(|a, b| java_string_cmp(a, b));
        topics.dedup();
        let mut next = 0usize;
        for topic in topics {
            let Some(&count) = partitions_per_topic.get(topic) else {
                continue;
            };
            for partition in 0..count.max(0) {
                // Some member subscribes to `topic`, so this ends within one lap.
                let mut steps = 0;
                while !subscribed[next].contains(topic) && steps < sorted.len() {
                    next = (next + 1) % sorted.len();
                    steps += 1;
                }
                if let Some(list) = assignment.get_mut(&sorted[next].member_id) {
                    list.push(TopicPartition::new(topic, partition));
                }
                next = (next + 1) % sorted.len();
            }
        }
        assignment
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_valid, counts, member, show};
    use super::*;

    fn s(m: &str, parts: &str) -> (String, String) {
        (m.to_owned(), parts.to_owned())
    }

    #[test]
    fn uniform_subscriptions_alternate() {
        // t0p0 C0, t0p1 C1, t0p2 C0, t1p0 C1, t1p1 C0, t1p2 C1.
        let counts = counts(&[("t0", 3), ("t1", 3)]);
        let members = [member("C1", &["t0", "t1"]), member("C0", &["t1", "t0"])];
        let got = RoundRobinAssignor.assign(&counts, &members);
        assert_eq!(
            show(&got),
            vec![s("C0", "t0p0 t0p2 t1p1"), s("C1", "t0p1 t1p0 t1p2")]
        );
        assert_valid(&counts, &members, &got);
    }

    #[test]
    fn unequal_subscriptions_skip_members_not_subscribed() {
        // t0p0 -> C0; t1p0: C1; t1p1: C2; t2p0..2: only C2 subscribes.
        let counts = counts(&[("t0", 1), ("t1", 2), ("t2", 3)]);
        let members = [
            member("C0", &["t0"]),
            member("C1", &["t0", "t1"]),
            member("C2", &["t0", "t1", "t2"]),
        ];
        let got = RoundRobinAssignor.assign(&counts, &members);
        assert_eq!(
            show(&got),
            vec![
                s("C0", "t0p0"),
                s("C1", "t1p0"),
                s("C2", "t1p1 t2p0 t2p1 t2p2")
            ]
        );
        assert_valid(&counts, &members, &got);
    }

    #[test]
    fn the_circle_carries_over_between_topics() {
        // Three members, topics a (2) and b (2): a0 m1, a1 m2, b0 m3, b1 m1.
        let counts = counts(&[("a", 2), ("b", 2)]);
        let members = [
            member("m3", &["a", "b"]),
            member("m1", &["a", "b"]),
            member("m2", &["a", "b"]),
        ];
        let got = RoundRobinAssignor.assign(&counts, &members);
        assert_eq!(
            show(&got),
            vec![s("m1", "ap0 bp1"), s("m2", "ap1"), s("m3", "bp0")]
        );
    }

    #[test]
    fn unknown_topics_and_empty_groups() {
        let counts = counts(&[("t", 1)]);
        let members = [member("a", &["missing"]), member("b", &["t"])];
        let got = RoundRobinAssignor.assign(&counts, &members);
        assert_eq!(show(&got), vec![s("a", ""), s("b", "tp0")]);
        assert!(RoundRobinAssignor.assign(&counts, &[]).is_empty());
    }
}
