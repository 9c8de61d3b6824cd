//! SCRAM-SHA-256 / SCRAM-SHA-512 client authentication (RFC 5802, RFC 7677)
//! as used by Kafka's `SaslAuthenticate` exchange (KIP-84).
//!
//! The client is sans-I/O: the caller sends [`ScramClient::client_first`],
//! feeds the broker's first answer to [`ScramClient::handle_server_first`],
//! sends the returned client-final message and finally checks the broker's
//! last answer with [`ScramClient::handle_server_final`].
//!
//! Like Kafka's own client, no SASLprep normalisation is applied: the user
//! name is only escaped (`=` becomes `=3D`, `,` becomes `=2C`) and the
//! password is used as its UTF-8 bytes. Channel binding is not supported
//! (GS2 header `n,,`), which is what Kafka expects.

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::distributions::Alphanumeric;
use rand::Rng;
use sha2::{Digest, Sha256, Sha512};

/// The lowest iteration count accepted from a server; Kafka refuses to
/// store SCRAM credentials with fewer iterations than this.
pub const MIN_ITERATIONS: u32 = 4096;

/// The highest iteration count accepted from a server. Each iteration costs
/// an HMAC computation, so an unbounded count would let a hostile or
/// misconfigured server pin a CPU for a long time.
pub const MAX_ITERATIONS: u32 = 1_000_000;

/// GS2 header for "no channel binding, no authorization identity".
const GS2_HEADER: &str = "n,,";

/// `base64(GS2_HEADER)`, sent back as the channel binding attribute.
const CHANNEL_BINDING: &str = "biws";

/// Length of the random client nonce.
const NONCE_LEN: usize = 32;

/// The SCRAM hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScramMechanism {
    /// `SCRAM-SHA-256` (RFC 7677).
    Sha256,
    /// `SCRAM-SHA-512`.
    Sha512,
}

impl ScramMechanism {
    /// The SASL mechanism name, as sent in `SaslHandshake`.
    pub fn name(self) -> &'static str {
        match self {
            ScramMechanism::Sha256 => "SCRAM-SHA-256",
            ScramMechanism::Sha512 => "SCRAM-SHA-512",
        }
    }

    /// Parses a SASL mechanism name (`SCRAM-SHA-256` or `SCRAM-SHA-512`,
    /// ASCII case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("SCRAM-SHA-256") {
            Some(ScramMechanism::Sha256)
        } else if name.eq_ignore_ascii_case("SCRAM-SHA-512") {
            Some(ScramMechanism::Sha512)
        } else {
            None
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
        match self {
            ScramMechanism::Sha256 => {
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
                    .expect("HMAC accepts keys of any length");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
            ScramMechanism::Sha512 => {
                let mut mac = <Hmac<Sha512> as Mac>::new_from_slice(key)
                    .expect("HMAC accepts keys of any length");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramMechanism::Sha256 => Sha256::digest(data).to_vec(),
            ScramMechanism::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// `Hi(password, salt, iterations)`, i.e. PBKDF2 with HMAC of the hash.
    fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            ScramMechanism::Sha256 => {
                let mut out = vec![0u8; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
                out
            }
            ScramMechanism::Sha512 => {
                let mut out = vec![0u8; 64];
                pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut out);
                out
            }
        }
    }
}

impl fmt::Display for ScramMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failed SCRAM exchange.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScramError {
    /// The server message is not valid UTF-8.
    #[error("malformed SCRAM server message: not valid UTF-8")]
    InvalidUtf8,
    /// The server message does not follow the SCRAM grammar.
    #[error("malformed SCRAM server message: {0}")]
    Malformed(&'static str),
    /// The server demands a mandatory extension (`m=`) this client does not know.
    #[error("SCRAM server requires an unsupported mandatory extension")]
    UnsupportedExtension,
    /// The server nonce does not extend the client nonce.
    #[error("SCRAM server nonce does not start with the client nonce")]
    NonceMismatch,
    /// The server reported an error (`e=...`).
    #[error("SCRAM authentication failed: server error {0:?}")]
    Server(String),
    /// The server signature (`v=...`) does not match: the server does not
    /// know the credentials, or the exchange was tampered with.
    #[error("SCRAM server signature does not match; the server could not prove it knows the credentials")]
    InvalidServerSignature,
    /// The iteration count is below [`MIN_ITERATIONS`].
    #[error("SCRAM iteration count {iterations} is below the minimum of {min}")]
    IterationsTooLow {
        /// The count the server sent.
        iterations: u32,
        /// The accepted minimum.
        min: u32,
    },
    /// The iteration count is above [`MAX_ITERATIONS`].
    #[error("SCRAM iteration count {iterations} is above the maximum of {max}")]
    IterationsTooHigh {
        /// The count the server sent.
        iterations: u32,
        /// The accepted maximum.
        max: u32,
    },
    /// A method was called out of order (for example the server-final
    /// message before the server-first message).
    #[error("SCRAM exchange out of order: {0}")]
    InvalidState(&'static str),
}

/// Where the exchange stands.
enum State {
    /// `client_first` may be sent; waiting for the server-first message.
    Initial,
    /// The client-final message was produced; waiting for the server-final message.
    ClientFinalSent { server_signature: Vec<u8> },
}

/// A SCRAM client for one authentication exchange.
pub struct ScramClient {
    mechanism: ScramMechanism,
    password: String,
    nonce: String,
    /// `n=<saslname>,r=<nonce>`.
    client_first_bare: String,
    state: State,
}

impl fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramClient")
            .field("mechanism", &self.mechanism)
            .field("client_first_bare", &self.client_first_bare)
            .field("password", &"<redacted>")
            .field(
                "state",
                &match self.state {
                    State::Initial => "initial",
                    State::ClientFinalSent { .. } => "client-final sent",
                },
            )
            .finish()
    }
}

impl ScramClient {
    /// A client with a fresh random nonce.
    pub fn new(mechanism: ScramMechanism, username: &str, password: &str) -> Self {
        let nonce: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(NONCE_LEN)
            .map(char::from)
            .collect();
        Self::with_nonce(mechanism, username, password, &nonce)
    }

    /// A client with the given nonce; meant for tests with known vectors.
    /// The nonce should be printable ASCII without `,`.
    pub fn with_nonce(
        mechanism: ScramMechanism,
        username: &str,
        password: &str,
        nonce: &str,
    ) -> Self {
        let client_first_bare = format!("n={},r={}", escape_saslname(username), nonce);
        ScramClient {
            mechanism,
            password: password.to_owned(),
            nonce: nonce.to_owned(),
            client_first_bare,
            state: State::Initial,
        }
    }

    /// The mechanism this client authenticates with.
    pub fn mechanism(&self) -> ScramMechanism {
        self.mechanism
    }

    /// The client-first message: `n,,n=<saslname>,r=<nonce>`.
    pub fn client_first(&self) -> Vec<u8> {
        format!("{GS2_HEADER}{}", self.client_first_bare).into_bytes()
    }

    /// Processes the server-first message (`r=...,s=...,i=...`) and returns
    /// the client-final message (`c=biws,r=...,p=...`).
    pub fn handle_server_first(&mut self, msg: &[u8]) -> Result<Vec<u8>, ScramError> {
        if !matches!(self.state, State::Initial) {
            return Err(ScramError::InvalidState(
                "server-first message already handled",
            ));
        }
        let server_first = std::str::from_utf8(msg).map_err(|_| ScramError::InvalidUtf8)?;
        let mut attrs = server_first.split(',');

        let mut first = attribute(attrs.next())?;
        match first.0 {
            'm' => return Err(ScramError::UnsupportedExtension),
            'e' => return Err(ScramError::Server(first.1.to_owned())),
            _ => {}
        }
        if first.0 != 'r' {
            return Err(ScramError::Malformed("expected nonce attribute r="));
        }
        let server_nonce = first.1;
        if !server_nonce.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(ScramError::Malformed(
                "nonce contains non-printable characters",
            ));
        }
        if server_nonce.len() <= self.nonce.len() || !server_nonce.starts_with(self.nonce.as_str())
        {
            return Err(ScramError::NonceMismatch);
        }

        first = attribute(attrs.next())?;
        if first.0 != 's' {
            return Err(ScramError::Malformed("expected salt attribute s="));
        }
        let salt = BASE64
            .decode(first.1)
            .map_err(|_| ScramError::Malformed("salt is not valid base64"))?;
        if salt.is_empty() {
            return Err(ScramError::Malformed("salt is empty"));
        }

        first = attribute(attrs.next())?;
        if first.0 != 'i' {
            return Err(ScramError::Malformed(
                "expected iteration count attribute i=",
            ));
        }
        let iterations = parse_iterations(first.1)?;
        if iterations < MIN_ITERATIONS {
            return Err(ScramError::IterationsTooLow {
                iterations,
                min: MIN_ITERATIONS,
            });
        }
        if iterations > MAX_ITERATIONS {
            return Err(ScramError::IterationsTooHigh {
                iterations,
                max: MAX_ITERATIONS,
            });
        }
        // Any further attributes are optional extensions, which are ignored;
        // they still have to be well formed.
        for attr in attrs {
            attribute(Some(attr))?;
        }

        let mech = self.mechanism;
        let salted_password = mech.salted_password(self.password.as_bytes(), &salt, iterations);
        let client_key = mech.hmac(&salted_password, b"Client Key");
        let stored_key = mech.hash(&client_key);
        let server_key = mech.hmac(&salted_password, b"Server Key");

        let client_final_without_proof = format!("c={CHANNEL_BINDING},r={server_nonce}");
        let auth_message = format!(
            "{},{},{}",
            self.client_first_bare, server_first, client_final_without_proof
        );
        let client_signature = mech.hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_signature = mech.hmac(&server_key, auth_message.as_bytes());

        self.state = State::ClientFinalSent { server_signature };
        Ok(format!("{client_final_without_proof},p={}", BASE64.encode(proof)).into_bytes())
    }

    /// Verifies the server-final message (`v=...`). An `e=...` message
    /// becomes [`ScramError::Server`].
    pub fn handle_server_final(&self, msg: &[u8]) -> Result<(), ScramError> {
        let State::ClientFinalSent { server_signature } = &self.state else {
            return Err(ScramError::InvalidState(
                "server-final message received before the server-first message",
            ));
        };
        let text = std::str::from_utf8(msg).map_err(|_| ScramError::InvalidUtf8)?;
        let mut attrs = text.split(',');
        let (name, value) = attribute(attrs.next())?;
        match name {
            'e' => Err(ScramError::Server(value.to_owned())),
            'v' => {
                for attr in attrs {
                    attribute(Some(attr))?;
                }
                let signature = BASE64
                    .decode(value)
                    .map_err(|_| ScramError::Malformed("server signature is not valid base64"))?;
                if constant_time_eq(&signature, server_signature) {
                    Ok(())
                } else {
                    Err(ScramError::InvalidServerSignature)
                }
            }
            _ => Err(ScramError::Malformed(
                "expected verifier attribute v= or error e=",
            )),
        }
    }
}

/// Escapes a user name for the `n=` attribute (RFC 5802 `saslname`).
fn escape_saslname(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '=' => out.push_str("=3D"),
            ',' => out.push_str("=2C"),
            c => out.push(c),
        }
    }
    out
}

/// Splits one `x=value` attribute; the name is a single ASCII letter.
fn attribute(attr: Option<&str>) -> Result<(char, &str), ScramError> {
    let attr = attr.ok_or(ScramError::Malformed("message ends too early"))?;
    let bytes = attr.as_bytes();
    if bytes.len() < 2 || !bytes[0].is_ascii_alphabetic() || bytes[1] != b'=' {
        return Err(ScramError::Malformed(
            "expected an attribute of the form x=value",
        ));
    }
    Ok((char::from(bytes[0]), &attr[2..]))
}

fn parse_iterations(value: &str) -> Result<u32, ScramError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ScramError::Malformed(
            "iteration count is not a positive integer",
        ));
    }
    // All digits, so the only possible failure is overflow.
    value
        .parse::<u32>()
        .map_err(|_| ScramError::IterationsTooHigh {
            iterations: u32::MAX,
            max: MAX_ITERATIONS,
        })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RFC7677_SERVER_FIRST: &str =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    const RFC7677_CLIENT_FINAL: &str =
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
         p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const RFC7677_SERVER_FINAL: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    fn rfc7677_client() -> ScramClient {
        ScramClient::with_nonce(
            ScramMechanism::Sha256,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO",
        )
    }

    #[test]
    fn rfc7677_sha256_vector() {
        let mut client = rfc7677_client();
        assert_eq!(client.client_first(), b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let client_final = client
            .handle_server_first(RFC7677_SERVER_FIRST.as_bytes())
            .unwrap();
        assert_eq!(
            String::from_utf8(client_final).unwrap(),
            RFC7677_CLIENT_FINAL
        );
        client
            .handle_server_final(RFC7677_SERVER_FINAL.as_bytes())
            .unwrap();
    }

    #[test]
    fn rfc5802_client_first_structure() {
        // RFC 5802 section 5 example (its SHA-1 proofs are not checked: only
        // SHA-256 and SHA-512 are supported).
        let client = ScramClient::with_nonce(
            ScramMechanism::Sha256,
            "user",
            "pencil",
            "fyko+d2lbbFgONRv9qkxdawL",
        );
        assert_eq!(
            client.client_first(),
            b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
        );
    }

    #[test]
    fn mechanism_names() {
        assert_eq!(ScramMechanism::Sha256.name(), "SCRAM-SHA-256");
        assert_eq!(ScramMechanism::Sha512.name(), "SCRAM-SHA-512");
        assert_eq!(
            ScramMechanism::from_name("scram-sha-512"),
            Some(ScramMechanism::Sha512)
        );
        assert_eq!(
            ScramMechanism::from_name("SCRAM-SHA-256"),
            Some(ScramMechanism::Sha256)
        );
        assert_eq!(ScramMechanism::from_name("SCRAM-SHA-1"), None);
        assert_eq!(ScramMechanism::Sha512.to_string(), "SCRAM-SHA-512");
    }

    #[test]
    fn username_is_escaped() {
        let client = ScramClient::with_nonce(ScramMechanism::Sha256, "a=b,c", "p", "abc");
        assert_eq!(client.client_first(), b"n,,n=a=3Db=2Cc,r=abc");
    }

    #[test]
    fn random_nonce_is_printable_and_unique() {
        let a = ScramClient::new(ScramMechanism::Sha256, "u", "p");
        let b = ScramClient::new(ScramMechanism::Sha256, "u", "p");
        assert!(a.nonce.len() >= 24);
        assert!(a
            .nonce
            .bytes()
            .all(|c| (0x21..=0x7e).contains(&c) && c != b','));
        assert_ne!(a.nonce, b.nonce);
        let first = String::from_utf8(a.client_first()).unwrap();
        assert_eq!(first, format!("n,,n=u,r={}", a.nonce));
    }

    #[test]
    fn debug_redacts_password() {
        let client = ScramClient::new(ScramMechanism::Sha512, "alice", "hunter2");
        let text = format!("{client:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("alice"));
    }

    #[test]
    fn wrong_server_signature_is_rejected() {
        let mut client = rfc7677_client();
        client
            .handle_server_first(RFC7677_SERVER_FIRST.as_bytes())
            .unwrap();
        let bad = format!("v={}", BASE64.encode([0u8; 32]));
        assert!(matches!(
            client.handle_server_final(bad.as_bytes()),
            Err(ScramError::InvalidServerSignature)
        ));
        assert!(matches!(
            client.handle_server_final(b"v=AAAA"),
            Err(ScramError::InvalidServerSignature)
        ));
        assert!(matches!(
            client.handle_server_final(b"v=***"),
            Err(ScramError::Malformed(_))
        ));
        assert!(matches!(
            client.handle_server_final(b"x=1"),
            Err(ScramError::Malformed(_))
        ));
        assert!(matches!(
            client.handle_server_final(b""),
            Err(ScramError::Malformed(_))
        ));
        assert!(matches!(
            client.handle_server_final(&[0xff, 0xfe]),
            Err(ScramError::InvalidUtf8)
        ));
        // Extensions after the verifier are tolerated.
        let with_ext = format!("{RFC7677_SERVER_FINAL},x=ext");
        client.handle_server_final(with_ext.as_bytes()).unwrap();
    }

    #[test]
    fn server_error_in_final_message() {
        let mut client = rfc7677_client();
        client
            .handle_server_first(RFC7677_SERVER_FIRST.as_bytes())
            .unwrap();
        match client.handle_server_final(b"e=invalid-proof") {
            Err(ScramError::Server(e)) => assert_eq!(e, "invalid-proof"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn server_error_in_first_message() {
        let mut client = rfc7677_client();
        match client.handle_server_first(b"e=unknown-user") {
            Err(ScramError::Server(e)) => assert_eq!(e, "unknown-user"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn out_of_order_calls() {
        let mut client = rfc7677_client();
        assert!(matches!(
            client.handle_server_final(RFC7677_SERVER_FINAL.as_bytes()),
            Err(ScramError::InvalidState(_))
        ));
        client
            .handle_server_first(RFC7677_SERVER_FIRST.as_bytes())
            .unwrap();
        assert!(matches!(
            client.handle_server_first(RFC7677_SERVER_FIRST.as_bytes()),
            Err(ScramError::InvalidState(_))
        ));
    }

    #[test]
    fn malformed_server_first_messages() {
        type Check = fn(&ScramError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("", |e| matches!(e, ScramError::Malformed(_))),
            ("r=", |e| matches!(e, ScramError::NonceMismatch)),
            ("r=rOprNGfwEbeRWgbNEkqO", |e| {
                matches!(e, ScramError::NonceMismatch)
            }),
            ("r=someoneElseNonce123,s=QSXCR+Q6sek8bf92,i=4096", |e| {
                matches!(e, ScramError::NonceMismatch)
            }),
            ("r=rOprNGfwEbeRWgbNEkqOxyz", |e| {
                matches!(e, ScramError::Malformed(_))
            }),
            ("r=rOprNGfwEbeRWgbNEkqOxyz,i=4096,s=QSXCR+Q6sek8bf92", |e| {
                matches!(e, ScramError::Malformed(_))
            }),
            ("r=rOprNGfwEbeRWgbNEkqOxyz,s=!!!,i=4096", |e| {
                matches!(e, ScramError::Malformed(_))
            }),
            ("r=rOprNGfwEbeRWgbNEkqOxyz,s=,i=4096", |e| {
                matches!(e, ScramError::Malformed(_))
            }),
            ("r=rOprNGfwEbeRWgbNEkqOxyz,s=QSXCR+Q6sek8bf92,i=", |e| {
                matches!(e, ScramError::Malformed(_))
            }),
            (
                "r=rOprNGfwEbeRWgbNEkqOxyz,s=QSXCR+Q6sek8bf92,i=+4096",
                |e| matches!(e, ScramError::Malformed(_)),
            ),
            ("r=rOprNGfwEbeRWgbNEkqOxyz,s=QSXCR+Q6sek8bf92,i=-1", |e| {
                matches!(e, ScramError::Malformed(_))
            }),
            ("r=rOprNGfwEbeRWgbNEkqOxyz,s=QSXCR+Q6sek8bf92,i=4095", |e| {
                matches!(
                    e,
                    ScramError::IterationsTooLow {
                        iterations: 4095,
                        ..
                    }
                )
            }),
            (
                "r=rOprNGfwEbeRWgbNEkqOxyz,s=QSXCR+Q6sek8bf92,i=1000001",
                |e| {
                    matches!(
                        e,
                        ScramError::IterationsTooHigh {
                            iterations: 1_000_001,
                            ..
                        }
                    )
                },
            ),
            (
                "r=rOprNGfwEbeRWgbNEkqOxyz,s=QSXCR+Q6sek8bf92,i=99999999999999999999",
                |e| matches!(e, ScramError::IterationsTooHigh { .. }),
            ),
            (
                "r=rOprNGfwEbeRWgbNEkqOxyz,s=QSXCR+Q6sek8bf92,i=4096,garbage",
                |e| matches!(e, ScramError::Malformed(_)),
            ),
            (
                "m=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=QSXCR+Q6sek8bf92,i=4096",
                |e| matches!(e, ScramError::UnsupportedExtension),
            ),
            (
                "r=rOprNGfwEbeRWgbNEkqO\u{7f}x,s=QSXCR+Q6sek8bf92,i=4096",
                |e| matches!(e, ScramError::Malformed(_)),
            ),
            ("r=rOprNGfwEbeRWgbNEkqOé,s=QSXCR+Q6sek8bf92,i=4096", |e| {
                matches!(e, ScramError::Malformed(_))
            }),
        ];
        for (msg, check) in cases {
            let mut client = rfc7677_client();
            let err = client.handle_server_first(msg.as_bytes()).unwrap_err();
            assert!(check(&err), "{msg:?} gave {err:?}");
            // A failed attempt leaves the client able to try again.
            assert!(matches!(client.state, State::Initial));
        }
        let mut client = rfc7677_client();
        assert!(matches!(
            client.handle_server_first(&[b'r', b'=', 0xc3]),
            Err(ScramError::InvalidUtf8)
        ));
    }

    #[test]
    fn extensions_after_iterations_are_ignored() {
        let mut client = rfc7677_client();
        let msg = format!("{RFC7677_SERVER_FIRST},x=something");
        client.handle_server_first(msg.as_bytes()).unwrap();
    }

    /// A minimal SCRAM server, written directly against the hash crates so
    /// that it does not share code with the client.
    mod server {
        use super::BASE64;
        use base64::Engine as _;
        use hmac::{Hmac, Mac};
        use sha2::{Digest, Sha512};

        fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
            let mut mac = <Hmac<Sha512> as Mac>::new_from_slice(key).unwrap();
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }

        pub(super) struct Sha512Server {
            stored_key: Vec<u8>,
            server_key: Vec<u8>,
            salt: Vec<u8>,
            iterations: u32,
            username: String,
            auth_prefix: Option<(String, String)>,
        }

        impl Sha512Server {
            pub(super) fn new(
                username: &str,
                password: &str,
                salt: &[u8],
                iterations: u32,
            ) -> Self {
                let mut salted = [0u8; 64];
                pbkdf2::pbkdf2_hmac::<Sha512>(password.as_bytes(), salt, iterations, &mut salted);
                let client_key = hmac(&salted, b"Client Key");
                Sha512Server {
                    stored_key: Sha512::digest(&client_key).to_vec(),
                    server_key: hmac(&salted, b"Server Key"),
                    salt: salt.to_vec(),
                    iterations,
                    username: username.to_owned(),
                    auth_prefix: None,
                }
            }

            pub(super) fn first(
                &mut self,
                client_first: &[u8],
                server_nonce_suffix: &str,
            ) -> Vec<u8> {
                let text = std::str::from_utf8(client_first).unwrap();
                let bare = text.strip_prefix("n,,").expect("gs2 header");
                let mut parts = bare.split(',');
                let name = parts.next().unwrap().strip_prefix("n=").unwrap();
                assert_eq!(name.replace("=2C", ",").replace("=3D", "="), self.username);
                let nonce = parts.next().unwrap().strip_prefix("r=").unwrap();
                let server_first = format!(
                    "r={nonce}{server_nonce_suffix},s={},i={}",
                    BASE64.encode(&self.salt),
                    self.iterations
                );
                self.auth_prefix = Some((bare.to_owned(), server_first.clone()));
                server_first.into_bytes()
            }

            pub(super) fn finish(&self, client_final: &[u8]) -> Vec<u8> {
                let text = std::str::from_utf8(client_final).unwrap();
                let (without_proof, proof) = text.rsplit_once(",p=").unwrap();
                let (bare, server_first) = self.auth_prefix.as_ref().unwrap();
                let auth_message = format!("{bare},{server_first},{without_proof}");
                let proof = BASE64.decode(proof).unwrap();
                let client_signature = hmac(&self.stored_key, auth_message.as_bytes());
                let client_key: Vec<u8> = proof
                    .iter()
                    .zip(&client_signature)
                    .map(|(p, s)| p ^ s)
                    .collect();
                if Sha512::digest(&client_key).as_slice() != self.stored_key.as_slice() {
                    return b"e=invalid-proof".to_vec();
                }
                let signature = hmac(&self.server_key, auth_message.as_bytes());
                format!("v={}", BASE64.encode(signature)).into_bytes()
            }
        }
    }

    #[test]
    fn sha512_round_trip() {
        let mut server =
            server::Sha512Server::new("bob,the=admin", "pa,ss=wörd", b"some salt bytes", 4096);
        let mut client = ScramClient::new(ScramMechanism::Sha512, "bob,the=admin", "pa,ss=wörd");
        let server_first = server.first(&client.client_first(), "srv-NONCE_42");
        let client_final = client.handle_server_first(&server_first).unwrap();
        assert!(client_final.starts_with(b"c=biws,r="));
        let server_final = server.finish(&client_final);
        assert!(server_final.starts_with(b"v="));
        client.handle_server_final(&server_final).unwrap();
    }

    #[test]
    fn sha512_wrong_password() {
        let mut server = server::Sha512Server::new("bob", "right", b"salt", 4096);
        let mut client = ScramClient::new(ScramMechanism::Sha512, "bob", "wrong");
        let server_first = server.first(&client.client_first(), "xyz");
        let client_final = client.handle_server_first(&server_first).unwrap();
        let server_final = server.finish(&client_final);
        assert!(
            matches!(client.handle_server_final(&server_final), Err(ScramError::Server(e)) if e == "invalid-proof")
        );
    }

    proptest! {
        #[test]
        fn arbitrary_server_first_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut client = rfc7677_client();
            let _ = client.handle_server_first(&bytes);
        }

        #[test]
        fn arbitrary_server_first_strings_never_panic(s in "[rsimeVv=,a-zA-Z0-9+/%$)]{0,120}") {
            let mut client = rfc7677_client();
            let _ = client.handle_server_first(s.as_bytes());
        }

        #[test]
        fn arbitrary_server_final_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            // Skip the PBKDF2 work of the first step: put the client straight
            // into the state the RFC 7677 exchange leaves it in.
            let mut client = rfc7677_client();
            let signature = BASE64.decode(&RFC7677_SERVER_FINAL[2..]).unwrap();
            client.state = State::ClientFinalSent { server_signature: signature };
            prop_assert!(client.handle_server_final(RFC7677_SERVER_FINAL.as_bytes()).is_ok());
            prop_assert!(client.handle_server_final(&bytes).is_err());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn structured_server_first_never_panics(
            suffix in "[!-+\\--~]{0,16}",
            salt in proptest::collection::vec(any::<u8>(), 0..24),
            iterations in prop_oneof![Just(4096u32), 0u32..5000, 1_000_001u32..=u32::MAX],
            tail in "(,[a-z]=[^,]{0,8}){0,2}",
        ) {
            let mut client = rfc7677_client();
            let msg = format!(
                "r=rOprNGfwEbeRWgbNEkqO{suffix},s={},i={iterations}{tail}",
                BASE64.encode(&salt)
            );
            let result = client.handle_server_first(msg.as_bytes());
            if let Ok(client_final) = result {
                let text = String::from_utf8(client_final).unwrap();
                let expected_prefix = format!("c=biws,r=rOprNGfwEbeRWgbNEkqO{suffix},p=");
                prop_assert!(text.starts_with(&expected_prefix));
            }
        }
    }
}
