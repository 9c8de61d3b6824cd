//! Command-line arguments:
//! `kafka-gateway [PROPERTIES-FILE] [--<property>[=]<value>]... [--dev] [--print-config]`.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use super::{is_sensitive, ConfigError, REDACTED};

/// What the invocation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Command {
    /// Start the gateway.
    #[default]
    Run,
    /// Print the effective configuration and exit.
    PrintConfig,
    /// Print usage and exit.
    Help,
    /// Print the version and exit.
    Version,
}

/// Parsed command line.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Cli {
    /// What to do.
    pub command: Command,
    /// The properties file given as positional argument.
    pub config_file: Option<PathBuf>,
    /// `--<property> <value>` settings, in command-line order (later wins).
    /// `--dev` is recorded as `("dev", "true")`.
    pub overrides: Vec<(String, String)>,
}

impl fmt::Debug for Cli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let overrides: Vec<(&str, &str)> = self
            .overrides
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    if is_sensitive(k) {
                        REDACTED
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("Cli")
            .field("command", &self.command)
            .field("config_file", &self.config_file)
            .field("overrides", &overrides)
            .finish()
    }
}

/// Settings that are switches: `--name` alone means `--name=true`, and a
/// following `true`/`false` argument is taken as the value.
const SWITCHES: &[&str] = &["dev", "debug", "api.v2.enable", "api.v3.enable"];

/// Usage text for `--help`.
pub fn usage() -> String {
    format!(
        "\
kafka-gateway {version}
Confluent-compatible Kafka REST Proxy (v2 and v3 APIs) for any Kafka cluster.

USAGE:
    kafka-gateway [PROPERTIES-FILE] [OPTIONS] [--<property>=<value>]...

ARGUMENTS:
    PROPERTIES-FILE    kafka-rest.properties style file (Java .properties syntax)

OPTIONS:
    --<property>=<value>, --<property> <value>
                       Set any setting, e.g. --bootstrap.servers=127.0.0.1:9092
                       or --listeners http://0.0.0.0:8082
    --dev              Start against the built-in development cluster;
                       bootstrap.servers is not needed
    --print-config     Print the effective configuration (secrets redacted) and exit
    -h, --help         Print this help and exit
    -V, --version      Print the version and exit

Settings are read from defaults, then the properties file, then KAFKA_REST_<NAME>
environment variables (NAME is the property upper-cased with '.' as '_', '_' as
'__' and '-' as '___', e.g. KAFKA_REST_BOOTSTRAP_SERVERS), then the command line;
later sources win. See docs/configuration.md for every setting.
",
        version = env!("CARGO_PKG_VERSION")
    )
}

fn usage_error(message: impl Into<String>) -> ConfigError {
    ConfigError::Usage(message.into())
}

/// Parses the arguments after the program name.
pub fn parse_args<I>(args: I) -> Result<Cli, ConfigError>
where
    I: IntoIterator<Item = OsString>,
{
    let args: Vec<OsString> = args.into_iter().collect();

    // --help and --version win over everything else on the line, so that
    // they work even next to a mistake.
    for arg in &args {
        match arg.to_str() {
            Some("--") => break,
            Some("-h" | "--help") => {
                return Ok(Cli {
                    command: Command::Help,
                    ..Cli::default()
                })
            }
            Some("-V" | "--version") => {
                return Ok(Cli {
                    command: Command::Version,
                    ..Cli::default()
                })
            }
            _ => {}
        }
    }

    let mut cli = Cli::default();
    let mut args = args.into_iter().peekable();
    let mut options_done = false;
    while let Some(arg) = args.next() {
        let is_option =
            !options_done && arg.as_encoded_bytes().first() == Some(&b'-') && arg.len() > 1;
        if !is_option {
            if cli.config_file.is_some() {
                return Err(usage_error(format!(
                    "unexpected argument `{}`: only one properties file can be given",
                    arg.to_string_lossy()
                )));
            }
            cli.config_file = Some(PathBuf::from(arg));
            continue;
        }
        let Some(arg) = arg.to_str() else {
            return Err(usage_error(format!(
                "option `{}` is not valid UTF-8",
                arg.to_string_lossy()
            )));
        };
        if arg == "--" {
            options_done = true;
            continue;
        }
        let Some(option) = arg.strip_prefix("--") else {
            return Err(usage_error(format!(
                "unknown option `{arg}` (settings are given as --<property>=<value>; see --help)"
            )));
        };
        let (name, inline_value) = match option.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (option, None),
        };
        if name.is_empty() {
            return Err(usage_error(format!("option `{arg}` has no name")));
        }
        if name == "print-config" {
            if inline_value.is_some() {
                return Err(usage_error("--print-config takes no value"));
            }
            cli.command = Command::PrintConfig;
            continue;
        }
        let value = match inline_value {
            Some(value) => value,
            None if SWITCHES.contains(&name) => {
                let explicit = args.next_if(|next| {
                    matches!(
                        next.to_str().map(str::to_ascii_lowercase).as_deref(),
                        Some("true" | "false")
                    )
                });
                explicit.map_or_else(|| "true".to_owned(), |v| v.to_string_lossy().into_owned())
            }
            None => match args.next() {
                Some(next) if !next.as_encoded_bytes().starts_with(b"--") => {
                    next.into_string().map_err(|_| {
                        usage_error(format!("the value of --{name} is not valid UTF-8"))
                    })?
                }
                _ => {
                    return Err(usage_error(format!(
                        "--{name} needs a value (--{name}=<value> or --{name} <value>)"
                    )))
                }
            },
        };
        cli.overrides.push((name.to_owned(), value));
    }
    Ok(cli)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, ConfigError> {
        parse_args(args.iter().map(OsString::from))
    }

    fn overrides(args: &[&str]) -> Vec<(String, String)> {
        parse(args).expect("parses").overrides
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    fn usage_message(args: &[&str]) -> String {
        match parse(args) {
            Err(ConfigError::Usage(message)) => message,
            other => panic!("expected a usage error for {args:?}, got {other:?}"),
        }
    }

    #[test]
    fn no_arguments() {
        let cli = parse(&[]).unwrap();
        assert_eq!(cli, Cli::default());
        assert_eq!(cli.command, Command::Run);
    }

    #[test]
    fn property_flags_in_both_forms() {
        assert_eq!(
            overrides(&[
                "--bootstrap.servers",
                "127.0.0.1:9092",
                "--listeners=http://0.0.0.0:8082"
            ]),
            vec![
                pair("bootstrap.servers", "127.0.0.1:9092"),
                pair("listeners", "http://0.0.0.0:8082"),
            ]
        );
        // Only the first `=` separates name from value.
        assert_eq!(
            overrides(&["--client.sasl.jaas.config=a b=c;"]),
            vec![pair("client.sasl.jaas.config", "a b=c;")]
        );
        assert_eq!(overrides(&["--id="]), vec![pair("id", "")]);
        // Negative numbers are values, not options.
        assert_eq!(
            overrides(&["--fetch.min.bytes", "-1"]),
            vec![pair("fetch.min.bytes", "-1")]
        );
    }

    #[test]
    fn properties_file_argument() {
        let cli = parse(&[
            "--id",
            "x",
            "/etc/kafka-rest/kafka-rest.properties",
            "--dev",
        ])
        .unwrap();
        assert_eq!(
            cli.config_file.as_deref(),
            Some(std::path::Path::new(
                "/etc/kafka-rest/kafka-rest.properties"
            ))
        );
        assert_eq!(cli.overrides, vec![pair("id", "x"), pair("dev", "true")]);
        assert_eq!(parse(&["-"]).unwrap().config_file, Some(PathBuf::from("-")));
    }

    #[test]
    fn double_dash_ends_options() {
        let cli = parse(&["--dev", "--", "--weird-file-name"]).unwrap();
        assert_eq!(cli.config_file, Some(PathBuf::from("--weird-file-name")));
        assert_eq!(cli.overrides, vec![pair("dev", "true")]);
        // --help after `--` is a file name, not a request for help.
        let cli = parse(&["--", "--help"]).unwrap();
        assert_eq!(cli.command, Command::Run);
    }

    #[test]
    fn switches() {
        assert_eq!(overrides(&["--dev"]), vec![pair("dev", "true")]);
        assert_eq!(overrides(&["--dev=false"]), vec![pair("dev", "false")]);
        assert_eq!(overrides(&["--dev", "false"]), vec![pair("dev", "false")]);
        assert_eq!(overrides(&["--dev", "TRUE"]), vec![pair("dev", "TRUE")]);
        assert_eq!(
            overrides(&["--debug", "--dev", "--api.v2.enable", "false"]),
            vec![
                pair("debug", "true"),
                pair("dev", "true"),
                pair("api.v2.enable", "false")
            ]
        );
        // A switch does not swallow a following file name.
        let cli = parse(&["--dev", "kafka-rest.properties"]).unwrap();
        assert_eq!(cli.overrides, vec![pair("dev", "true")]);
        assert_eq!(
            cli.config_file,
            Some(PathBuf::from("kafka-rest.properties"))
        );
    }

    #[test]
    fn commands() {
        assert_eq!(
            parse(&["--print-config"]).unwrap().command,
            Command::PrintConfig
        );
        for help in ["--help", "-h"] {
            assert_eq!(parse(&[help]).unwrap().command, Command::Help);
            // Help wins even next to errors.
            assert_eq!(
                parse(&["--bogus", help, "a", "b"]).unwrap().command,
                Command::Help
            );
        }
        for version in ["--version", "-V"] {
            assert_eq!(
                parse(&["--dev", version]).unwrap().command,
                Command::Version
            );
        }
    }

    #[test]
    fn usage_errors() {
        assert!(
            usage_message(&["a.properties", "b.properties"]).contains("only one properties file")
        );
        assert!(usage_message(&["--id"]).contains("--id needs a value"));
        assert!(usage_message(&["--id", "--dev"]).contains("--id needs a value"));
        assert!(usage_message(&["-x"]).contains("unknown option `-x`"));
        assert!(usage_message(&["--=x"]).contains("has no name"));
        assert!(usage_message(&["--print-config=yes"]).contains("takes no value"));
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let cli = parse(&["--client.sasl.password", "hunter2", "--id", "visible"]).unwrap();
        let debug = format!("{cli:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("visible"), "{debug}");
    }

    #[test]
    fn usage_mentions_every_option() {
        let text = usage();
        for option in [
            "--dev",
            "--print-config",
            "--help",
            "--version",
            "KAFKA_REST_",
        ] {
            assert!(text.contains(option), "{option}");
        }
    }
}
