//! Protobuf (placeholder while being written).
