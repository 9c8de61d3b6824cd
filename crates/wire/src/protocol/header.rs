//! Request and response headers, in the header version each API version needs
//! (v1/v0 before an API's flexible versions, v2/v1 with tagged fields after).
//!
//! # References
//! - <https://kafka.apache.org/protocol#protocol_messages>
//! - KIP-482: request header v2 and response header v1 carry tagged fields.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};

use super::api::Api;
use super::ProtocolError;

/// Appends one complete request frame (length prefix, header, body) to `buf`.
pub fn encode_request<R: Api>(
    buf: &mut BytesMut,
    correlation_id: i32,
    client_id: Option<&StrBytes>,
    version: i16,
    request: &R,
) -> Result<(), ProtocolError> {
    let start = buf.len();
    encode_request_header::<R>(buf, correlation_id, client_id, version)?;
    request
        .encode(buf, version)
        .map_err(|e| encode_error::<R>(version, e))?;
    let size = (buf.len() - start - 4) as i32;
    buf[start..start + 4].copy_from_slice(&size.to_be_bytes());
    Ok(())
}

/// Appends a placeholder length prefix (zero) and the request header of API
/// `R` at `version`; the caller writes the body and then the length.
pub fn encode_request_header<R: Api>(
    buf: &mut BytesMut,
    correlation_id: i32,
    client_id: Option<&StrBytes>,
    version: i16,
) -> Result<(), ProtocolError> {
    buf.put_i32(0);
    RequestHeader::default()
        .with_request_api_key(R::KEY)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(client_id.cloned())
        .encode(buf, R::header_version(version))
        .map_err(|e| encode_error::<R>(version, e))
}

fn encode_error<R: Api>(version: i16, e: CodecError) -> ProtocolError {
    ProtocolError::Encode {
        api: R::NAME,
        version,
        message: e.to_string(),
    }
}

/// Decodes a response frame (without its length prefix) of API `R` at `version`.
pub fn decode_response<R: Api>(
    mut frame: Bytes,
    version: i16,
) -> Result<(ResponseHeader, R::Response), ProtocolError> {
    let decode_err = |e: CodecError| ProtocolError::Decode {
        api: R::NAME,
        version,
        message: e.to_string(),
    };
    let header = ResponseHeader::decode(
        &mut frame,
        <R::Response as HeaderVersion>::header_version(version),
    )
    .map_err(decode_err)?;
    let body = R::Response::decode(&mut frame, version).map_err(decode_err)?;
    Ok((header, body))
}

/// The error type the `kafka-protocol` message codecs return (internal only).
type CodecError = anyhow::Error;
