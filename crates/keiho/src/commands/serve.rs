//! `keiho serve`: the service until Ctrl-C (or SIGTERM).

use crate::cli::ServeArgs;
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use keiho_server::{Clock, ServerConfig};

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let mut config = match &args.config {
        Some(path) => ServerConfig::from_file(path)?,
        None => ServerConfig::default(),
    };
    if let Some(listen) = args.listen {
        config.listen = listen;
        config.public_url = format!("http://{listen}");
    }
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    let clock = match &args.clock_start {
        Some(start) => {
            let start = DateTime::parse_from_rfc3339(start)
                .with_context(|| format!("--clock-start {start:?} is not an RFC 3339 time"))?
                .with_timezone(&Utc);
            if !(args.speed.is_finite() && args.speed > 0.0) {
                anyhow::bail!("--speed must be a positive number, got {}", args.speed);
            }
            Clock::scaled(start, args.speed)
        }
        None => Clock::real(),
    };
    init_logging();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let running = keiho_server::start(config, clock).await?;
        eprintln!("keiho: serving on http://{} (Ctrl-C stops)", running.addr);
        shutdown_signal().await;
        eprintln!("keiho: stopping");
        running.stop().await.context("stopping the server")?;
        Ok(())
    })
}

/// Structured logs on stderr; `RUST_LOG` chooses the level (default: info).
pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn"));
    // A second initialisation (tests) is harmless: keep the first.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// As [`init_logging`], but only warnings unless `RUST_LOG` says otherwise: the demo
/// prints its own story.
pub(crate) fn init_logging_quiet() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
