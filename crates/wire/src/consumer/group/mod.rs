//! Consumer groups: the coordinator of a group, a member's lifecycle
//! (join, sync, heartbeat, leave). Their administration (listing,
//! describing, deleting groups and their offsets) is [`crate::admin::groups`].
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_JoinGroup> and the group
//!   APIs after it
//! - <https://cwiki.apache.org/confluence/display/KAFKA/Kafka+Client-side+Assignment+Proposal>

pub(crate) mod coordinator;
pub(crate) mod membership;
