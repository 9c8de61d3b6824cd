//! Parsers for the structured values in settings (URLs, `host:port`, log
//! filters, media types) and redaction of secrets.

use std::borrow::Cow;
use std::fmt;
use std::net::Ipv6Addr;

/// Placeholder printed instead of a secret.
pub const REDACTED: &str = "[redacted]";

/// URL scheme of a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// An HTTP endpoint: `scheme://host:port`, as used by `listeners` and
/// `advertised.listeners`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Listener {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Host name or IP address, without brackets for IPv6. For `listeners`
    /// an empty host in the URL means all interfaces and is stored as
    /// `0.0.0.0`.
    pub host: String,
    /// TCP port; 0 (only allowed in `listeners`) picks a free port.
    pub port: u16,
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}",
            self.scheme.as_str(),
            HostPort(&self.host, self.port)
        )
    }
}

/// A Kafka bootstrap server, `host:port`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BrokerAddress {
    /// Host name or IP address, without brackets for IPv6.
    pub host: String,
    /// TCP port, never 0.
    pub port: u16,
}

impl fmt::Display for BrokerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        HostPort(&self.host, self.port).fmt(f)
    }
}

/// Formats `host:port`, bracketing IPv6 addresses.
struct HostPort<'a>(&'a str, u16);

impl fmt::Display for HostPort<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.contains(':') {
            write!(f, "[{}]:{}", self.0, self.1)
        } else {
            write!(f, "{}:{}", self.0, self.1)
        }
    }
}

/// Splits a comma-separated list, trimming entries and dropping empty ones.
pub(crate) fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(str::to_owned)
        .collect()
}

fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// Splits `host:port`, `[v6]:port` or `v6:port`. The host may be empty;
/// the port is required.
pub(crate) fn split_host_port(text: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("`{text}` has an unterminated `[`"))?;
        if host.parse::<Ipv6Addr>().is_err() {
            return Err(format!("`{host}` is not an IPv6 address"));
        }
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| format!("`{text}` has no port (expected host:port)"))?;
        (host, port)
    } else {
        let (host, port) = text
            .rsplit_once(':')
            .ok_or_else(|| format!("`{text}` has no port (expected host:port)"))?;
        if host.contains(':') {
            if host.parse::<Ipv6Addr>().is_err() {
                return Err(format!("`{host}` is not an IPv6 address"));
            }
        } else if !host.is_empty() && !is_host_name(host) {
            return Err(format!("`{host}` is not a valid host name"));
        }
        (host, port)
    };
    if port.is_empty() {
        return Err(format!("`{text}` has no port (expected host:port)"));
    }
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("`{port}` is not a valid port number (0-65535)"))?;
    Ok((host.to_owned(), port))
}

/// Parses `http://host:port` or `https://host:port` (a trailing `/` is
/// allowed; paths, queries and user information are not).
pub(crate) fn parse_listener(text: &str) -> Result<Listener, String> {
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| format!("`{text}` is not a URL of the form http://host:port"))?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        _ => {
            return Err(format!(
                "`{text}` has unsupported scheme `{scheme}` (expected http or https)"
            ))
        }
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains('@') {
        return Err(format!(
            "`{}` must not contain user information",
            redact_url_credentials(text)
        ));
    }
    if authority.contains(['/', '?', '#']) {
        return Err(format!("`{text}` must not have a path, query or fragment"));
    }
    let (host, port) = split_host_port(authority)?;
    Ok(Listener { scheme, host, port })
}

/// Parses one `bootstrap.servers` entry: `host:port` with an optional
/// `PROTOCOL://` prefix (as in `PLAINTEXT://broker:9092`), which is returned
/// separately.
pub(crate) fn parse_broker(text: &str) -> Result<(Option<String>, BrokerAddress), String> {
    let (protocol, address) = match text.split_once("://") {
        Some((protocol, address)) => {
            if protocol.is_empty()
                || !protocol
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(format!(
                    "`{text}` has an invalid protocol prefix `{protocol}://`"
                ));
            }
            (Some(protocol.to_owned()), address)
        }
        None => (None, text),
    };
    let (host, port) = split_host_port(address)?;
    if host.is_empty() {
        return Err(format!("`{text}` has no host"));
    }
    if port == 0 {
        return Err(format!("`{text}` has port 0"));
    }
    Ok((protocol, BrokerAddress { host, port }))
}

/// Checks a media type such as `application/vnd.kafka.v2+json`, optionally
/// with parameters.
pub(crate) fn is_media_type(text: &str) -> bool {
    let essence = text.split(';').next().unwrap_or_default().trim();
    let token = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+*".contains(c))
    };
    matches!(essence.split_once('/'), Some((kind, subtype)) if token(kind) && token(subtype))
}

/// Log level names accepted by `log.level`.
const LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error", "off"];

/// Checks a `log.level` value: a level name, or a `RUST_LOG`-style filter.
pub(crate) fn check_log_filter(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("expected a log level such as `info`, got an empty value".into());
    }
    if !text.contains(['=', ',', '[']) {
        if LEVELS.iter().any(|level| level.eq_ignore_ascii_case(text)) {
            return Ok(());
        }
        return Err(format!(
            "`{text}` is not a log level (expected trace, debug, info, warn, error or off, \
             or a RUST_LOG-style filter such as `info,kafka_gateway=debug`)"
        ));
    }
    tracing_subscriber::EnvFilter::try_new(text)
        .map(drop)
        .map_err(|e| format!("`{text}` is not a valid log filter: {e}"))
}

/// Whether the value of a setting is a secret that must not be printed.
///
/// Matches any setting (including `client.*`, `producer.*`, `consumer.*`,
/// and `admin.*` ones) whose name contains `password`, `secret`,
/// `jaas.config`, `credential`, `basic.auth.user.info`, `private.key`,
/// `key.pem` or `keystore.key`.
pub fn is_sensitive(key: &str) -> bool {
    const MARKERS: &[&str] = &[
        "password",
        "secret",
        "jaas.config",
        "credential",
        "basic.auth.user.info",
        "private.key",
        "key.pem",
        "keystore.key",
    ];
    let key = key.to_ascii_lowercase();
    MARKERS.iter().any(|marker| key.contains(marker))
}

/// Replaces user information in URLs (`scheme://user:pass@host`) with
/// [`REDACTED`]; the value may be a comma-separated list of URLs.
pub fn redact_url_credentials(value: &str) -> Cow<'_, str> {
    if !value.contains('@') || !value.contains("://") {
        return Cow::Borrowed(value);
    }
    let parts: Vec<String> = value
        .split(',')
        .map(|part| {
            let Some(scheme_end) = part.find("://") else {
                return part.to_owned();
            };
            let authority_start = scheme_end + 3;
            let authority_end = part[authority_start..]
                .find(['/', '?', '#'])
                .map_or(part.len(), |i| authority_start + i);
            match part[authority_start..authority_end].rfind('@') {
                Some(at) => format!(
                    "{}{REDACTED}{}",
                    &part[..authority_start],
                    &part[authority_start + at..]
                ),
                None => part.to_owned(),
            }
        })
        .collect();
    Cow::Owned(parts.join(","))
}

/// The printable form of a setting's value (an empty secret stays empty).
pub fn redact<'a>(key: &str, value: &'a str) -> Cow<'a, str> {
    if is_sensitive(key) && !value.is_empty() {
        Cow::Borrowed(REDACTED)
    } else {
        redact_url_credentials(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port() {
        assert_eq!(split_host_port("broker:9092"), Ok(("broker".into(), 9092)));
        assert_eq!(split_host_port("10.0.0.1:1"), Ok(("10.0.0.1".into(), 1)));
        assert_eq!(split_host_port("[::1]:9092"), Ok(("::1".into(), 9092)));
        assert_eq!(split_host_port("::1:9092"), Ok(("::1".into(), 9092)));
        assert_eq!(split_host_port(":8082"), Ok((String::new(), 8082)));
        assert_eq!(
            split_host_port("my_host-1.example.com:80"),
            Ok(("my_host-1.example.com".into(), 80))
        );
        for (bad, expected) in [
            ("broker", "has no port"),
            ("broker:", "has no port"),
            ("[::1]", "has no port"),
            ("[::1", "unterminated"),
            ("[zz]:1", "not an IPv6 address"),
            ("broker:65536", "not a valid port number"),
            ("broker:-1", "not a valid port number"),
            ("broker:http", "not a valid port number"),
            ("bro ker:1", "not a valid host name"),
            ("user@broker:1", "not a valid host name"),
        ] {
            let err = split_host_port(bad).expect_err(bad);
            assert!(err.contains(expected), "{bad}: {err}");
        }
    }

    #[test]
    fn listeners() {
        let l = parse_listener("http://0.0.0.0:8082").unwrap();
        assert_eq!(
            (l.scheme, l.host.as_str(), l.port),
            (Scheme::Http, "0.0.0.0", 8082)
        );
        assert_eq!(l.to_string(), "http://0.0.0.0:8082");
        let l = parse_listener("HTTPS://[::]:443/").unwrap();
        assert_eq!(
            (l.scheme, l.host.as_str(), l.port),
            (Scheme::Https, "::", 443)
        );
        assert_eq!(l.to_string(), "https://[::]:443");
        for (bad, expected) in [
            ("0.0.0.0:8082", "not a URL"),
            ("ftp://host:21", "unsupported scheme `ftp`"),
            ("internal://host:1", "unsupported scheme `internal`"),
            ("http://host:8082/v3", "must not have a path"),
            ("http://host:8082?x", "must not have a path"),
            ("http://user:secret@host:8082", "user information"),
            ("http://host", "has no port"),
        ] {
            let err = parse_listener(bad).expect_err(bad);
            assert!(err.contains(expected), "{bad}: {err}");
            assert!(!err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn brokers() {
        let (protocol, b) = parse_broker("PLAINTEXT://broker-1:9092").unwrap();
        assert_eq!(protocol.as_deref(), Some("PLAINTEXT"));
        assert_eq!(b.to_string(), "broker-1:9092");
        let (protocol, b) = parse_broker("[fe80::1]:9093").unwrap();
        assert_eq!(protocol, None);
        assert_eq!(b.to_string(), "[fe80::1]:9093");
        for (bad, expected) in [
            (":9092", "has no host"),
            ("broker:0", "port 0"),
            ("broker", "has no port"),
            ("://broker:1", "invalid protocol prefix"),
            ("SA SL://broker:1", "invalid protocol prefix"),
        ] {
            let err = parse_broker(bad).expect_err(bad);
            assert!(err.contains(expected), "{bad}: {err}");
        }
    }

    #[test]
    fn lists() {
        assert_eq!(split_list(" a, b ,,c ,"), vec!["a", "b", "c"]);
        assert!(split_list("").is_empty());
        assert!(split_list(" , ").is_empty());
    }

    #[test]
    fn media_types() {
        assert!(is_media_type("application/json"));
        assert!(is_media_type("application/vnd.kafka.v2+json"));
        assert!(is_media_type("application/vnd.kafka.v2+json; qs=0.9"));
        assert!(!is_media_type("json"));
        assert!(!is_media_type("application/"));
        assert!(!is_media_type("/json"));
        assert!(!is_media_type("application/js on"));
    }

    #[test]
    fn log_filters() {
        for ok in [
            "info",
            "DEBUG",
            "off",
            "warn,kafka_gateway=debug",
            "kafka_gateway=trace",
        ] {
            assert_eq!(check_log_filter(ok), Ok(()), "{ok}");
        }
        for bad in ["", "verbose", "infoo", "kafka_gateway=loud"] {
            assert!(check_log_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sensitive_keys() {
        for key in [
            "client.sasl.jaas.config",
            "client.sasl.password",
            "client.ssl.key.password",
            "client.ssl.keystore.password",
            "client.ssl.truststore.password",
            "producer.ssl.key.password",
            "client.ssl.key.pem",
            "client.ssl.keystore.key",
            "client.sasl.oauthbearer.client.secret",
            "schema.registry.basic.auth.user.info",
            "SASL.PASSWORD",
        ] {
            assert!(is_sensitive(key), "{key}");
        }
        for key in [
            "client.sasl.username",
            "client.sasl.mechanism",
            "client.ssl.key.location",
            "client.ssl.keystore.location",
            "client.ssl.certificate.location",
            "bootstrap.servers",
            "producer.acks",
        ] {
            assert!(!is_sensitive(key), "{key}");
        }
    }

    #[test]
    fn url_credentials() {
        assert_eq!(redact_url_credentials("http://sr:8081"), "http://sr:8081");
        assert_eq!(
            redact_url_credentials("https://user:pw@sr:8081/path@x"),
            "https://[redacted]@sr:8081/path@x"
        );
        assert_eq!(
            redact_url_credentials("http://a:b@h1:1,http://h2:2,https://c@h3:3"),
            "http://[redacted]@h1:1,http://h2:2,https://[redacted]@h3:3"
        );
        assert_eq!(
            redact_url_credentials("user@example.com"),
            "user@example.com"
        );
    }

    #[test]
    fn redaction() {
        assert_eq!(redact("client.sasl.password", "hunter2"), REDACTED);
        assert_eq!(redact("client.sasl.username", "alice"), "alice");
        assert_eq!(
            redact("schema.registry.url", "http://u:p@sr:8081"),
            "http://[redacted]@sr:8081"
        );
    }
}
