//! `kafka-gateway [PROPERTIES-FILE] [--<property>=<value>]...`

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::Arc;

use kafka_gateway::app::Gateway;
use kafka_gateway::config::{self, Command, Config};
use kafka_gateway::server::Bound;

/// Exit status for configuration and usage errors.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match config::parse_args(std::env::args_os().skip(1)) {
        Ok(cli) => cli,
        Err(e) => return fail(&e),
    };
    match cli.command {
        Command::Help => {
            print!("{}", config::usage());
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            println!("kafka-gateway {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Command::Run | Command::PrintConfig => {}
    }

    let loaded = match Config::load(&cli, std::env::vars_os()) {
        Ok(loaded) => loaded,
        Err(e) => return fail(&e),
    };
    let config = loaded.config;

    if cli.command == Command::PrintConfig {
        for warning in &loaded.warnings {
            eprintln!("kafka-gateway: warning: {warning}");
        }
        print!("{}", config.print_config());
        return ExitCode::SUCCESS;
    }

    init_tracing(&config.log_level);
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    let listeners: Vec<String> = config.listeners.iter().map(ToString::to_string).collect();
    let bootstrap: Vec<String> = config
        .bootstrap_servers
        .iter()
        .map(ToString::to_string)
        .collect();
    tracing::info!(
        listeners = %listeners.join(","),
        bootstrap_servers = %bootstrap.join(","),
        dev = config.dev,
        "configuration loaded"
    );

    if !config.dev {
        // Kafka client settings are checked at start-up, like every other one.
        for role in [
            config::ClientRole::Producer,
            config::ClientRole::Consumer,
            config::ClientRole::Admin,
        ] {
            if let Err(e) = kafka_gateway::kafka::client_config(&config, role) {
                return fail(&e);
            }
        }
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&e),
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            fail(&e)
        }
    }
}

/// Binds the listeners and serves until SIGINT or SIGTERM.
async fn run(config: Config) -> Result<(), String> {
    let shutdown = shutdown_signal()?;
    let mut dev_cluster = None;
    let mut bootstrap = Vec::new();
    if config.dev {
        let cluster = kafka_gateway::dev::start(usize::from(config.dev_brokers))
            .await
            .map_err(|e| format!("cannot start the development cluster: {e}"))?;
        tracing::info!(
            bootstrap = %cluster.bootstrap(),
            brokers = config.dev_brokers,
            "development cluster started (in memory; everything is lost on exit)"
        );
        bootstrap = kafka_gateway::dev::bootstrap_pairs(&cluster);
        dev_cluster = Some(cluster);
    }
    let bound = Bound::bind(&config).await.map_err(|e| e.to_string())?;
    for url in bound.local_urls() {
        tracing::info!("listening on {url}");
    }
    let gateway = Arc::new(Gateway::new(config, bootstrap));
    bound.serve(gateway, shutdown).await;
    if let Some(cluster) = dev_cluster {
        cluster.shutdown().await;
    }
    Ok(())
}

/// A future resolving on SIGINT or SIGTERM. The handlers are installed
/// here, before the listeners are announced, so an early signal is not lost.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
        let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            tracing::info!("shutdown requested");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutdown requested");
        })
    }
}

fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("kafka-gateway: {error}");
    ExitCode::from(EXIT_USAGE)
}

fn init_tracing(filter: &str) {
    // `log.level` was validated while loading the configuration.
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}
