//! The `range` assignor: per topic, the subscribed members in order each take
//! a consecutive range of partitions; the first `partitions % members`
//! members take one extra.

use std::collections::BTreeMap;

use super::{member_order, MemberSubscription, PartitionAssignor};
use crate::consumer::TopicPartition;

/// Java's `RangeAssignor` (without rack matching).
#[derive(Debug, Clone, Copy, Default)]
pub struct RangeAssignor;

impl PartitionAssignor for RangeAssignor {
    fn name(&self) -> &'static str {
        "range"
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
        let mut consumers_per_topic: BTreeMap<&str, Vec<&MemberSubscription>> = BTreeMap::new();
        for m in members {
            for topic in &m.subscription.topics {
                let list = consumers_per_topic.entry(topic.as_str()).or_default();
                if !list.iter().any(|x| x.member_id == m.member_id) {
                    list.push(m);
                }
            }
        }
        for (topic, mut consumers) in consumers_per_topic {
            let Some(&partitions) = partitions_per_topic.get(topic) else {
                continue;
            };
            if partitions <= 0 || consumers.is_empty() {
                continue;
            }
            consumers.sort_by(|a, b| member_order(a, b));
            let n = consumers.len() as i32;
            let per_consumer = partitions / n;
            let with_extra = partitions % n;
            for (i, consumer) in consumers.iter().enumerate() {
                let i = i as i32;
                let start = per_consumer * i + i.min(with_extra);
                let length = per_consumer + i32::from(i < with_extra);
                if let Some(list) = assignment.get_mut(&consumer.member_id) {
                    list.extend((start..start + length).map(|p| TopicPartition::new(topic, p)));
                }
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
    fn two_members_two_topics_of_three() {
        // C0 takes the first two partitions of each topic, C1 the last.
        let counts = counts(&[("t0", 3), ("t1", 3)]);
        let members = [member("C0", &["t0", "t1"]), member("C1", &["t0", "t1"])];
        let got = RangeAssignor.assign(&counts, &members);
        assert_eq!(
            show(&got),
            vec![s("C0", "t0p0 t0p1 t1p0 t1p1"), s("C1", "t0p2 t1p2")]
        );
        assert_valid(&counts, &members, &got);
    }

    #[test]
    fn seven_partitions_over_three_members() {
        // 7 / 3 = 2 each, 7 % 3 = 1 extra for the first member in order;
        // members are ordered by id, not by position in the list.
        let counts = counts(&[("t", 7)]);
        let members = [
            member("m-c", &["t"]),
            member("m-a", &["t"]),
            member("m-b", &["t"]),
        ];
        let got = RangeAssignor.assign(&counts, &members);
        assert_eq!(
            show(&got),
            vec![
                s("m-a", "tp0 tp1 tp2"),
                s("m-b", "tp3 tp4"),
                s("m-c", "tp5 tp6")
            ]
        );
    }

    #[test]
    fn topics_are_split_among_their_own_subscribers() {
        // t1 only has B; unknown topic u is skipped; C gets nothing.
        let counts = counts(&[("t0", 2), ("t1", 3)]);
        let members = [
            member("A", &["t0"]),
            member("B", &["t0", "t1", "u"]),
            member("C", &["u"]),
        ];
        let got = RangeAssignor.assign(&counts, &members);
        assert_eq!(
            show(&got),
            vec![s("A", "t0p0"), s("B", "t0p1 t1p0 t1p1 t1p2"), s("C", "")]
        );
        assert_valid(&counts, &members, &got);
    }

    #[test]
    fn more_members_than_partitions() {
        let counts = counts(&[("t", 2)]);
        let members = [
            member("a", &["t"]),
            member("b", &["t"]),
            member("c", &["t"]),
        ];
        let got = RangeAssignor.assign(&counts, &members);
        assert_eq!(show(&got), vec![s("a", "tp0"), s("b", "tp1"), s("c", "")]);
    }

    #[test]
    fn static_members_come_first() {
        let counts = counts(&[("t", 3)]);
        let mut z = member("z", &["t"]);
        z.group_instance_id = Some("instance".into());
        let members = [member("a", &["t"]), z];
        let got = RangeAssignor.assign(&counts, &members);
        assert_eq!(show(&got), vec![s("a", "tp2"), s("z", "tp0 tp1")]);
    }
}
