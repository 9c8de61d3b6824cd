//! Consumer groups: the coordinator of a group, a member's lifecycle
//! (join, sync, heartbeat, leave) and group administration.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_JoinGroup> and the group
//!   APIs after it
//! - <https://cwiki.apache.org/confluence/display/KAFKA/Kafka+Client-side+Assignment+Proposal>

pub mod admin;
pub(crate) mod coordinator;
pub(crate) mod membership;
