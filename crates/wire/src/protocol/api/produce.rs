//! Produce (key 0): appends record batches to partition logs. Versions 3+
//! carry record batch v2; 13+ name topics by id only, so 11 is the cap.
//!
//! With `acks=0` the broker sends no response at all; the connection layer
//! knows not to wait for one.
//!
//! # References
//! - KIP-98 (v3, record batch v2), KIP-467 (record errors, v8)

use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ProduceRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::{api, group_by_topic};
use crate::protocol::frame::{Frame, LENGTH_PREFIX};
use crate::protocol::header::encode_request_header;
use crate::protocol::ProtocolError;
use crate::record::EncodedBatch;

api!(ProduceRequest, "Produce", 3..=11);

/// One partition's batch in a produce request.
#[derive(Debug, Clone)]
pub struct PartitionBatch<'a> {
    /// Topic name.
    pub topic: &'a str,
    /// Partition index.
    pub partition: i32,
    /// One encoded record batch.
    pub records: Arc<EncodedBatch>,
}

/// Builds a request; batches of the same topic are grouped under one entry.
/// The batches are copied into it; [`encode_frame`] references them instead.
pub fn request<'a>(
    acks: i16,
    timeout_ms: i32,
    batches: impl IntoIterator<Item = PartitionBatch<'a>>,
) -> ProduceRequest {
    let batches: Vec<PartitionBatch<'a>> = batches.into_iter().collect();
    let topics = group_by_topic(batches.iter().map(|b| (b.topic, b)));
    let topics = topics
        .into_iter()
        .map(|(topic, parts)| {
            TopicProduceData::default()
                .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
                .with_partition_data(
                    parts
                        .into_iter()
                        .map(|p| {
                            PartitionProduceData::default()
                                .with_index(p.partition)
                                .with_records(Some(p.records.to_bytes()))
                        })
                        .collect(),
                )
        })
        .collect();
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(timeout_ms)
        .with_topic_data(topics)
}

/// Encodes a whole Produce request frame — length prefix, header, body —
/// with the record batches referenced, not copied: the same bytes as
/// [`request`] encoded at `version`, in pieces. No transactional id.
pub fn encode_frame(
    correlation_id: i32,
    client_id: Option<&StrBytes>,
    version: i16,
    acks: i16,
    timeout_ms: i32,
    batches: &[PartitionBatch<'_>],
) -> Result<Frame, ProtocolError> {
    let flexible = version >= FIRST_FLEXIBLE;
    let mut head = BytesMut::with_capacity(64 + batches.len() * 48);
    encode_request_header::<ProduceRequest>(&mut head, correlation_id, client_id, version)?;
    // TransactionalId: null.
    if flexible {
        put_unsigned_varint(&mut head, 0);
    } else {
        head.put_i16(-1);
    }
    head.put_i16(acks);
    head.put_i32(timeout_ms);
    let topics = group_by_topic(batches.iter().map(|b| (b.topic, b)));
    let mut placed = Vec::with_capacity(batches.len());
    let mut records_len = 0usize;
    put_array_len(&mut head, topics.len(), flexible);
    for (topic, parts) in topics {
        if flexible {
            put_unsigned_varint(&mut head, topic.len() as u32 + 1);
        } else {
            head.put_i16(topic.len() as i16);
        }
        head.put_slice(topic.as_bytes());
        put_array_len(&mut head, parts.len(), flexible);
        for p in parts {
            head.put_i32(p.partition);
            let len = p.records.len();
            if flexible {
                put_unsigned_varint(&mut head, len as u32 + 1);
            } else {
                head.put_i32(len as i32);
            }
            placed.push((head.len(), p.records.clone()));
            records_len += len;
            if flexible {
                head.put_u8(0); // partition's tagged fields
            }
        }
        if flexible {
            head.put_u8(0); // topic's tagged fields
        }
    }
    if flexible {
        head.put_u8(0); // request's tagged fields
    }
    let size = head.len() - LENGTH_PREFIX + records_len;
    let size = i32::try_from(size).map_err(|_| ProtocolError::Encode {
        api: "Produce",
        version,
        message: format!("request of {size} bytes"),
    })?;
    head[..LENGTH_PREFIX].copy_from_slice(&size.to_be_bytes());
    Ok(Frame::with_batches(head.freeze(), placed))
}

/// First Produce version with compact strings, arrays and tagged fields.
const FIRST_FLEXIBLE: i16 = 9;

fn put_array_len(buf: &mut BytesMut, len: usize, flexible: bool) {
    if flexible {
        put_unsigned_varint(buf, len as u32 + 1);
    } else {
        buf.put_i32(len as i32);
    }
}

fn put_unsigned_varint(buf: &mut BytesMut, mut value: u32) {
    while value >= 0x80 {
        buf.put_u8((value as u8) | 0x80);
        value >>= 7;
    }
    buf.put_u8(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::header::encode_request;
    use crate::record::{BatchBuilder, BatchParams, Header};
    use bytes::Bytes;

    fn batch(values: usize, seed: u8) -> Arc<EncodedBatch> {
        let mut b = BatchBuilder::default();
        for i in 0..values {
            let value: Bytes = (0..5000 + i).map(|j| (j as u8) ^ seed).collect();
            b.append_shared(
                1_000 + i as i64,
                Some(b"key"),
                Some(value),
                &[Header::new("h", Some("v"))][..],
            );
        }
        Arc::new(b.build(&BatchParams::default()).unwrap())
    }

    #[test]
    fn frame_is_the_request_in_pieces_at_every_version() {
        let batches = [
            PartitionBatch {
                topic: "orders",
                partition: 0,
                records: batch(3, 1),
            },
            PartitionBatch {
                topic: "payments",
                partition: 2,
                records: batch(1, 2),
            },
            PartitionBatch {
                topic: "orders",
                partition: 5,
                records: batch(2, 3),
            },
        ];
        let client_id = StrBytes::from_static_str("gateway");
        for version in 3..=11 {
            let frame = encode_frame(7, Some(&client_id), version, -1, 30_000, &batches).unwrap();
            let mut expected = BytesMut::new();
            let request = request(-1, 30_000, batches.iter().cloned());
            encode_request(&mut expected, 7, Some(&client_id), version, &request).unwrap();
            assert_eq!(frame.len(), expected.len(), "v{version}");
            assert_eq!(frame.to_bytes(), expected.freeze(), "v{version}");
            assert!(frame.as_contiguous().is_none());
        }
    }
}
