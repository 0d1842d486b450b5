//! Putting the service together: open the data folder, the signing key and the
//! database, start the engine, build the router and serve until told to stop.

use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::config::ServerConfig;
use crate::engine::{EngineConfig, EngineError, EngineHandle};
use crate::metrics::Metrics;
use keiho_alert::cap::Status;
use keiho_alert::compose::Language;
use keiho_pipeline::{LaunchNotice, Pipeline, PipelineConfig};
use keiho_store::{SqliteStore, StoreError};
use keiho_types::{CountryCode, GeoPoint};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The engine.
    pub engine: EngineHandle,
    /// A connection for reads and for tokens, drafts and the audit log.
    pub db: Arc<Mutex<SqliteStore>>,
    /// Token verification.
    pub auth: Authenticator,
    /// Metrics.
    pub metrics: Metrics,
    /// The clock.
    pub clock: Clock,
    /// Settings.
    pub config: Arc<ServerConfig>,
    /// The public key that verifies this deployment's messages (PEM).
    pub public_key_pem: Arc<str>,
    pub(crate) engine_config: EngineConfig,
    /// The orbit catalogue (element sets with history).
    pub catalogue: Arc<Mutex<keiho_orbit::Catalogue>>,
    /// Delivery: the outbox, webhooks, MQTT and subscribers.
    pub delivery: Arc<keiho_deliver::Delivery>,
    /// Set when the service is stopping: open streams end so shutdown can finish.
    pub closing: Arc<tokio::sync::watch::Sender<bool>>,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The data folder could not be made.
    #[error("data folder {path}: {source}")]
    DataDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The signing key could not be loaded or made.
    #[error("signing key: {0}")]
    Key(String),
    /// The database could not be opened.
    #[error("database {path}: {source}")]
    Database {
        /// The file.
        path: PathBuf,
        /// Why.
        source: StoreError,
    },
    /// The region data failed to load.
    #[error("regions: {0}")]
    Regions(String),
    /// Recovery or the engine failed.
    #[error("engine: {0}")]
    Engine(#[from] EngineError),
    /// The address could not be bound.
    #[error("listening on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The configuration is inconsistent.
    #[error("configuration: {0}")]
    Config(String),
}

/// The pipeline settings a configuration describes.
pub fn pipeline_config(config: &ServerConfig) -> Result<PipelineConfig, ServerError> {
    let status = match config.status.as_str() {
        "actual" => Status::Actual,
        "test" => Status::Test,
        _ => Status::Exercise,
    };
    let mut p = PipelineConfig::japan(&config.sender, status);
    p.assess.alert_neighbours = config.neighbours;
    p.assess.jurisdiction = config
        .jurisdiction
        .iter()
        .map(|c| CountryCode::parse(c))
        .collect::<Result<_, _>>()
        .map_err(|e| ServerError::Config(format!("jurisdiction: {e}")))?;
    if config.jurisdiction.iter().any(|c| c == "KR") {
        p.deployment.languages.push(Language::Ko);
    }
    for n in &config.notices {
        p.notices.push(LaunchNotice {
            site: GeoPoint::new(n.lat, n.lon)
                .map_err(|e| ServerError::Config(format!("notice site: {e}")))?,
            radius_km: n.radius_km,
            from: n.from,
            to: n.to,
            max_burn_s: n.max_burn_s,
        });
    }
    Ok(p)
}

/// Open everything and start the engine (recovering from the inbox).
pub fn build_state(config: ServerConfig, clock: Clock) -> Result<AppState, ServerError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| ServerError::DataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    let key = keiho_sign::load_or_create_key(&config.data_dir.join("signing-key.pem"))
        .map_err(|e| ServerError::Key(e.to_string()))?;
    let public_key_pem: Arc<str> = key
        .public_key_pem()
        .map_err(|e| ServerError::Key(e.to_string()))?
        .into();
    let db_path = config.data_dir.join("keiho.db");
    let open = || {
        SqliteStore::open(&db_path).map_err(|source| ServerError::Database {
            path: db_path.clone(),
            source,
        })
    };
    let store = open()?;
    let db = Arc::new(Mutex::new(open()?));
    let mut pconfig = pipeline_config(&config)?;
    pconfig.signing_key = Some(key);
    let regions =
        keiho_geo::RegionSet::bundled().map_err(|e| ServerError::Regions(e.to_string()))?;
    let pipeline = Pipeline::new(pconfig, regions, store);
    let metrics = Metrics::default();
    let engine_config = EngineConfig {
        reorder_window: std::time::Duration::from_millis(config.reorder_window_ms),
        future_tolerance: std::time::Duration::from_millis(config.future_tolerance_ms),
    };
    let mut dconfig = keiho_deliver::DeliveryConfig::default();
    if let Some(m) = &config.delivery.mqtt {
        if let Some((host, port)) = m.rsplit_once(':') {
            let port = port
                .parse::<u16>()
                .map_err(|_| ServerError::Config(format!("delivery.mqtt {m:?}")))?;
            dconfig.mqtt = Some(keiho_deliver::MqttConfig::new(host, port));
        }
    }
    let delivery = Arc::new(
        keiho_deliver::Delivery::open(&db_path, dconfig)
            .map_err(|e| ServerError::Config(format!("delivery: {e}")))?,
    );
    let catalogue = Arc::new(Mutex::new(
        keiho_orbit::Catalogue::open(&db_path)
            .map_err(|e| ServerError::Config(format!("orbit catalogue: {e}")))?,
    ));
    let (engine, clock, _thread) =
        crate::engine::start(pipeline, clock, engine_config.clone(), metrics.clone())?;
    Ok(AppState {
        engine,
        auth: Authenticator::new(db.clone()),
        db,
        metrics,
        clock,
        config: Arc::new(config),
        public_key_pem,
        engine_config,
        closing: Arc::new(tokio::sync::watch::channel(false).0),
        delivery,
        catalogue,
    })
}

/// A running service.
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state (for in-process callers such as `keiho demo`).
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stop accepting, finish open requests, and return.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.state.closing.send_replace(true);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    /// Wait until the server ends by itself (it does not, unless it fails).
    pub async fn wait(self) -> std::io::Result<()> {
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Start the service on its configured address.
pub async fn start(config: ServerConfig, clock: Clock) -> Result<Running, ServerError> {
    let addr = config.listen;
    let state = tokio::task::spawn_blocking(move || build_state(config, clock))
        .await
        .map_err(|e| ServerError::Config(format!("start-up task: {e}")))??;
    // Delivery: queue what the log holds, then every alert as it is issued.
    let backlog = {
        let db = state.db.clone();
        tokio::task::spawn_blocking(move || {
            db.lock()
                .ok()
                .and_then(|s| keiho_store::AlertLog::alerts(&*s).ok())
                .unwrap_or_default()
        })
        .await
        .unwrap_or_default()
    };
    crate::delivery::spawn(
        state.delivery.clone(),
        state.engine.subscribe(),
        backlog,
        state.metrics.clone(),
        state.closing.subscribe(),
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServerError::Bind { addr, source })?;
    let app = crate::routes::router_with_limits(state.clone())
        .into_make_service_with_connect_info::<SocketAddr>();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    tracing::info!(%addr, "keiho listening");
    Ok(Running {
        addr,
        state,
        shutdown: Some(tx),
        task,
    })
}
