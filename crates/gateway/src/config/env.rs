//! Settings from environment variables, following the convention of
//! Confluent's container images: `KAFKA_REST_<NAME>`, where `<NAME>` is the
//! property name upper-cased with `.` written as `_`, `_` as `__` and `-` as
//! `___`.

use std::ffi::OsString;

/// Prefix of the environment variables that carry settings.
pub const ENV_PREFIX: &str = "KAFKA_REST_";

/// Environment variable that sets `log.level` when `KAFKA_REST_LOG_LEVEL`
/// is not set.
pub(crate) const RUST_LOG: &str = "RUST_LOG";

/// Variables with the prefix that Confluent's launch scripts and images use
/// for the JVM, not for settings; they are ignored.
const LAUNCHER_VARIABLES: &[&str] = &[
    "KAFKA_REST_CLASSPATH",
    "KAFKA_REST_HEAP_OPTS",
    "KAFKA_REST_JMX_HOSTNAME",
    "KAFKA_REST_JMX_OPTS",
    "KAFKA_REST_JMX_PORT",
    "KAFKA_REST_JVM_PERFORMANCE_OPTS",
    "KAFKA_REST_LOG4J_LOGGERS",
    "KAFKA_REST_LOG4J_OPTS",
    "KAFKA_REST_LOG4J_ROOT_LOGLEVEL",
    "KAFKA_REST_LOG4J_TOOLS_ROOT_LOGLEVEL",
    "KAFKA_REST_LOG_DIR",
    "KAFKA_REST_OPTS",
];

/// The environment variable that sets `property`.
///
/// ```
/// use kafka_gateway::config::env_var_for_property;
/// assert_eq!(env_var_for_property("bootstrap.servers"), "KAFKA_REST_BOOTSTRAP_SERVERS");
/// assert_eq!(env_var_for_property("client.sasl.jaas.config"), "KAFKA_REST_CLIENT_SASL_JAAS_CONFIG");
/// ```
pub fn env_var_for_property(property: &str) -> String {
    let mut name = String::from(ENV_PREFIX);
    for c in property.chars() {
        match c {
            '.' => name.push('_'),
            '_' => name.push_str("__"),
            '-' => name.push_str("___"),
            c => name.extend(c.to_uppercase()),
        }
    }
    name
}

/// The property an environment variable sets, or `None` if the variable does
/// not start with [`ENV_PREFIX`] (or is nothing but the prefix).
///
/// The name after the prefix is lower-cased; every run of `n` underscores
/// becomes `n / 3` dashes followed by `.` if `n % 3 == 1` or `_` if
/// `n % 3 == 2`, which is what Confluent's images do.
pub fn property_for_env_var(name: &str) -> Option<String> {
    let rest = name.strip_prefix(ENV_PREFIX)?;
    if rest.is_empty() {
        return None;
    }
    let mut property = String::with_capacity(rest.len());
    let mut underscores = 0usize;
    let flush = |property: &mut String, underscores: &mut usize| {
        for _ in 0..*underscores / 3 {
            property.push('-');
        }
        match *underscores % 3 {
            1 => property.push('.'),
            2 => property.push('_'),
            _ => {}
        }
        *underscores = 0;
    };
    for c in rest.chars() {
        if c == '_' {
            underscores += 1;
        } else {
            flush(&mut property, &mut underscores);
            property.extend(c.to_lowercase());
        }
    }
    flush(&mut property, &mut underscores);
    Some(property)
}

/// The JVM option variables of Confluent's launch scripts and images. Of
/// their options only `-Djava.security.auth.login.config=<file>` (the JAAS
/// file of HTTP Basic authentication) is read, as the setting of that name,
/// below every other setting from the environment.
const JVM_OPTIONS: &[&str] = &["KAFKAREST_OPTS", "KAFKA_REST_OPTS"];
const LOGIN_CONFIG_OPTION: &str = "-Djava.security.auth.login.config=";

/// The JAAS file named in JVM options, if any.
fn login_config_option(options: &str) -> Option<String> {
    options
        .split_whitespace()
        .filter_map(|option| option.strip_prefix(LOGIN_CONFIG_OPTION))
        .next_back()
        .map(|path| path.trim_matches(|c| c == '"' || c == '\'').to_owned())
        .filter(|path| !path.is_empty())
}

/// Why an environment variable with the prefix is not read as a setting.
fn ignore_reason(name: &str, value: &OsString) -> Option<&'static str> {
    if LAUNCHER_VARIABLES.contains(&name) {
        return Some("JVM launcher setting");
    }
    // Kubernetes injects service links for a service named `kafka-rest`:
    // KAFKA_REST_SERVICE_HOST, KAFKA_REST_SERVICE_PORT[_<NAME>],
    // KAFKA_REST_PORT=tcp://10.0.0.1:8082, KAFKA_REST_PORT_8082_TCP[_*].
    let rest = &name[ENV_PREFIX.len()..];
    let is_service_link = rest == "SERVICE_HOST"
        || rest == "SERVICE_PORT"
        || rest.starts_with("SERVICE_PORT_")
        || (rest == "PORT" && value.to_string_lossy().contains("://"))
        || rest
            .strip_prefix("PORT_")
            .is_some_and(|tail| tail.starts_with(|c: char| c.is_ascii_digit()));
    is_service_link.then_some("Kubernetes service link")
}

/// A setting read from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvSetting {
    pub(crate) var: String,
    pub(crate) property: String,
    pub(crate) value: String,
}

/// What [`read_env`] found.
#[derive(Debug, Default)]
pub(crate) struct EnvSettings {
    /// Settings, in the order they should be applied (later wins).
    pub(crate) settings: Vec<EnvSetting>,
    /// Prefixed variables that were skipped, with the reason.
    pub(crate) ignored: Vec<(String, &'static str)>,
}

/// Picks the settings out of an environment. Variables are taken in name
/// order so that the result does not depend on the environment's order.
pub(crate) fn read_env<I>(vars: I) -> Result<EnvSettings, super::ConfigError>
where
    I: IntoIterator<Item = (OsString, OsString)>,
{
    let mut vars: Vec<(String, OsString)> = vars
        .into_iter()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value)))
        .filter(|(name, _)| {
            name.starts_with(ENV_PREFIX) || name == RUST_LOG || JVM_OPTIONS.contains(&name.as_str())
        })
        .collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));

    let mut found = EnvSettings::default();
    let mut rust_log = None;
    let mut jvm = Vec::new();
    for (name, value) in vars {
        if JVM_OPTIONS.contains(&name.as_str()) {
            match login_config_option(&value.to_string_lossy()) {
                Some(path) => jvm.push(EnvSetting {
                    var: name,
                    property: "java.security.auth.login.config".to_owned(),
                    value: path,
                }),
                None if name.starts_with(ENV_PREFIX) => {
                    found.ignored.push((name, "JVM launcher setting"))
                }
                None => {}
            }
            continue;
        }
        if name != RUST_LOG {
            if let Some(reason) = ignore_reason(&name, &value) {
                found.ignored.push((name, reason));
                continue;
            }
        }
        let Some(property) = (if name == RUST_LOG {
            Some("log.level".to_owned())
        } else {
            property_for_env_var(&name)
        }) else {
            continue;
        };
        let value = value
            .into_string()
            .map_err(|_| super::ConfigError::NonUnicodeEnv { var: name.clone() })?;
        let setting = EnvSetting {
            var: name,
            property,
            value,
        };
        if setting.var == RUST_LOG {
            rust_log = Some(setting);
        } else {
            found.settings.push(setting);
        }
    }
    // RUST_LOG and the JVM options go first so that the settings of their
    // own names override them.
    if let Some(setting) = rust_log {
        found.settings.insert(0, setting);
    }
    found.settings.splice(0..0, jvm);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        vars.iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    #[test]
    fn jaas_file_from_jvm_options() {
        let found = read_env(env(&[(
            "KAFKAREST_OPTS",
            "-Xmx1g -Djava.security.auth.login.config=/etc/kafka-rest/jaas.conf -Dother=1",
        )]))
        .unwrap();
        assert_eq!(
            found.settings,
            [EnvSetting {
                var: "KAFKAREST_OPTS".into(),
                property: "java.security.auth.login.config".into(),
                value: "/etc/kafka-rest/jaas.conf".into(),
            }]
        );
        // The setting's own variable wins; options without it are ignored.
        let found = read_env(env(&[
            (
                "KAFKA_REST_OPTS",
                "-Djava.security.auth.login.config=\"/a.conf\"",
            ),
            ("KAFKA_REST_JAVA_SECURITY_AUTH_LOGIN_CONFIG", "/b.conf"),
            ("KAFKAREST_OPTS", "-Xmx1g"),
        ]))
        .unwrap();
        let values: Vec<&str> = found.settings.iter().map(|s| s.value.as_str()).collect();
        assert_eq!(values, ["/a.conf", "/b.conf"]);
        assert!(found.ignored.is_empty(), "{:?}", found.ignored);
        let found = read_env(env(&[("KAFKA_REST_OPTS", "-Xmx1g")])).unwrap();
        assert_eq!(
            found.ignored,
            [("KAFKA_REST_OPTS".to_owned(), "JVM launcher setting")]
        );
    }

    #[test]
    fn property_to_env_var() {
        assert_eq!(
            env_var_for_property("bootstrap.servers"),
            "KAFKA_REST_BOOTSTRAP_SERVERS"
        );
        assert_eq!(
            env_var_for_property("client.security.protocol"),
            "KAFKA_REST_CLIENT_SECURITY_PROTOCOL"
        );
        assert_eq!(env_var_for_property("id"), "KAFKA_REST_ID");
        assert_eq!(env_var_for_property("a_b"), "KAFKA_REST_A__B");
        assert_eq!(env_var_for_property("a-b"), "KAFKA_REST_A___B");
        assert_eq!(env_var_for_property("x.y_z-w"), "KAFKA_REST_X_Y__Z___W");
    }

    #[test]
    fn env_var_to_property() {
        let cases = [
            ("KAFKA_REST_BOOTSTRAP_SERVERS", "bootstrap.servers"),
            (
                "KAFKA_REST_CLIENT_SECURITY_PROTOCOL",
                "client.security.protocol",
            ),
            ("KAFKA_REST_A__B", "a_b"),
            ("KAFKA_REST_A___B", "a-b"),
            ("KAFKA_REST_A____B", "a-.b"),
            ("KAFKA_REST_A_____B", "a-_b"),
            ("KAFKA_REST_A______B", "a--b"),
            ("KAFKA_REST_X_Y__Z___W", "x.y_z-w"),
            ("KAFKA_REST_Mixed_Case", "mixed.case"),
            ("KAFKA_REST__LEADING", ".leading"),
            ("KAFKA_REST_TRAILING_", "trailing."),
        ];
        for (var, property) in cases {
            assert_eq!(
                property_for_env_var(var).as_deref(),
                Some(property),
                "{var}"
            );
        }
        assert_eq!(property_for_env_var("KAFKA_REST_"), None);
        assert_eq!(property_for_env_var("KAFKA_BOOTSTRAP_SERVERS"), None);
        assert_eq!(property_for_env_var("kafka_rest_id"), None);
    }

    #[test]
    fn mapping_round_trips_for_every_known_setting() {
        for &property in super::super::KNOWN_SETTINGS
            .iter()
            .chain(super::super::tls::SETTINGS)
            .chain(super::super::auth::SETTINGS)
            .chain(crate::schema_registry::SSL_SETTINGS)
            .chain(
                [
                    "client.sasl.jaas.config",
                    "producer.max.in.flight.requests.per.connection",
                    "consumer.auto.offset.reset",
                ]
                .iter(),
            )
        {
            let var = env_var_for_property(property);
            assert_eq!(
                property_for_env_var(&var).as_deref(),
                Some(property),
                "{var}"
            );
        }
    }

    #[test]
    fn reads_prefixed_variables_in_name_order() {
        let found = read_env(env(&[
            ("PATH", "/usr/bin"),
            ("KAFKA_REST_ID", "b"),
            ("KAFKA_REST_BOOTSTRAP_SERVERS", "k:9092"),
            ("KAFKA_BROKER_ID", "1"),
        ]))
        .unwrap();
        let got: Vec<(&str, &str, &str)> = found
            .settings
            .iter()
            .map(|s| (s.var.as_str(), s.property.as_str(), s.value.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "KAFKA_REST_BOOTSTRAP_SERVERS",
                    "bootstrap.servers",
                    "k:9092"
                ),
                ("KAFKA_REST_ID", "id", "b"),
            ]
        );
        assert!(found.ignored.is_empty());
    }

    #[test]
    fn rust_log_is_applied_before_kafka_rest_log_level() {
        let found = read_env(env(&[
            ("KAFKA_REST_LOG_LEVEL", "warn"),
            ("RUST_LOG", "debug"),
        ]))
        .unwrap();
        let order: Vec<&str> = found.settings.iter().map(|s| s.var.as_str()).collect();
        assert_eq!(order, vec!["RUST_LOG", "KAFKA_REST_LOG_LEVEL"]);
        assert!(found.settings.iter().all(|s| s.property == "log.level"));
    }

    #[test]
    fn launcher_variables_and_service_links_are_ignored() {
        let found = read_env(env(&[
            ("KAFKA_REST_HEAP_OPTS", "-Xmx1g"),
            ("KAFKA_REST_LOG4J_ROOT_LOGLEVEL", "INFO"),
            ("KAFKA_REST_SERVICE_HOST", "10.0.0.1"),
            ("KAFKA_REST_SERVICE_PORT", "8082"),
            ("KAFKA_REST_SERVICE_PORT_HTTP", "8082"),
            ("KAFKA_REST_PORT", "tcp://10.0.0.1:8082"),
            ("KAFKA_REST_PORT_8082_TCP", "tcp://10.0.0.1:8082"),
            ("KAFKA_REST_PORT_8082_TCP_ADDR", "10.0.0.1"),
        ]))
        .unwrap();
        assert!(found.settings.is_empty(), "{:?}", found.settings);
        assert_eq!(found.ignored.len(), 8);
    }

    #[test]
    fn numeric_port_variable_is_a_setting() {
        let found = read_env(env(&[("KAFKA_REST_PORT", "8083")])).unwrap();
        assert_eq!(found.settings.len(), 1);
        assert_eq!(found.settings[0].property, "port");
    }

    #[cfg(unix)]
    #[test]
    fn non_unicode_values_are_rejected() {
        use std::os::unix::ffi::OsStringExt;
        let vars = vec![(
            OsString::from("KAFKA_REST_ID"),
            OsString::from_vec(vec![0x66, 0xff]),
        )];
        let err = read_env(vars).unwrap_err();
        assert!(err.to_string().contains("KAFKA_REST_ID"), "{err}");
    }
}
