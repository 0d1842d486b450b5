//! Command-line arguments (clap derive).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Keiho: a real-time public warning system for rocket and missile overflights.
#[derive(Debug, Parser)]
#[command(name = "keiho", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Administrative regions: list them, locate points, find the regions a hazard hits.
    #[command(subcommand)]
    Regions(RegionsCommand),
    /// The instantaneous impact point of an ECEF state: where it would come down if its
    /// engine stopped now. Prints `{"lat_deg":..,"lon_deg":..,"tof_s":..}`.
    Iip {
        /// Position X,Y,Z in metres, ECEF WGS84 (e.g. `--ecef -3.9e6,3.4e6,3.7e6`).
        #[arg(long, allow_hyphen_values = true, value_parser = parse_vector3)]
        ecef: [f64; 3],
        /// Velocity VX,VY,VZ in m/s, ECEF (Earth-fixed) frame.
        #[arg(long, allow_hyphen_values = true, value_parser = parse_vector3)]
        vel: [f64; 3],
        /// Ballistic coefficient m/(Cd*A) in kg/m^2: integrate with drag (US Standard
        /// Atmosphere 1976) and J2. Without it: the closed-form vacuum IIP.
        #[arg(long)]
        beta: Option<f64>,
    },
    /// Track and predict from a file of sensor reports: state, IIP with its 99%
    /// ellipse, Monte Carlo footprint with drag, IIP trace, ground track and debris
    /// footprint for every object, at the given time (default: the last report).
    Predict {
        /// Sensor reports, JSON lines (`-` for stdin).
        #[arg(long)]
        tracks: PathBuf,
        /// Time to predict for (RFC 3339 UTC); reports after it are ignored.
        #[arg(long)]
        at: Option<String>,
        /// Monte Carlo samples for the impact footprint with drag (0: none).
        #[arg(long, default_value_t = 1000)]
        samples: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PredictFormat::Json)]
        format: PredictFormat,
        /// Continue past invalid lines (each is still reported on stderr).
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Replay recorded reports through the whole pipeline (track, predict, assess,
    /// policy, CAP) into a database, with a simulated clock.
    Replay(ReplayArgs),
    /// Run the service: HTTP ingest, the alert log, the CAP feed, push streams and
    /// operators' actions (see /openapi.json once running).
    Serve(ServeArgs),
    /// The whole system at once: start the service on 127.0.0.1:8080, replay the
    /// 24 August 2023 Sohae launch into it over HTTP on an exercise clock, print each
    /// alert as it is issued. Ctrl-C stops it.
    Demo(DemoArgs),
    /// API tokens of a service's database: create (shown once), list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Issued alerts in a database.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Simulate a scenario: write realistic sensor reports (JSON lines) to OUT and the
    /// truth to OUT with `.truth.jsonl` in place of `.jsonl`. Deterministic by seed.
    Simulate {
        /// Scenario name (see `--list`).
        #[arg(long, required_unless_present = "list")]
        scenario: Option<String>,
        /// Reports file to write.
        #[arg(long, required_unless_present = "list")]
        out: Option<PathBuf>,
        /// Seed for sensor noise, delays and dropouts.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// List the scenarios and exit.
        #[arg(long)]
        list: bool,
    },
    /// CAP 1.2 messages: check them against the standard.
    #[command(subcommand)]
    Cap(CapCommand),
    /// After-action report of recorded events: one self-contained HTML file per event
    /// (timeline, figures, J-Alert comparison, what went wrong or was late).
    Report(ReportArgs),
    /// Public pages of a recorded event: what happened, in Japanese, English and
    /// Korean, with the FAQ computed from the record.
    #[command(subcommand)]
    Event(EventCommand),
    /// Orbit watch: element sets (TLE, CCSDS OMM KVN or XML) kept with their history.
    #[command(subcommand)]
    Orbit(OrbitCommand),
    /// Satellite passes over regions or a place, from element sets (SGP4).
    Passes(PassesArgs),
}

/// Arguments of `keiho report`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["event", "all"])))]
pub(crate) struct ReportArgs {
    /// The database (`keiho replay` or the service wrote it).
    #[arg(long)]
    pub(crate) db: PathBuf,
    /// The event to report on (see `keiho alerts list`).
    #[arg(long)]
    pub(crate) event: Option<String>,
    /// Every event: OUT is a folder, one report per event plus index.html.
    #[arg(long)]
    pub(crate) all: bool,
    /// The HTML file to write (with --all: the folder, created if missing).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// The simulator's truth file (`OUT.truth.jsonl` of `keiho simulate`): adds the IIP
    /// error against the true impacts.
    #[arg(long)]
    pub(crate) truth: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum EventCommand {
    /// Write the public page as static HTML: DIR/ja.html, en.html, ko.html, an
    /// index.html linking them, and the event's CAP messages in DIR/cap/ (the folder
    /// works offline and from a file:// URL).
    Page {
        /// The database (`keiho replay` or the service wrote it).
        #[arg(long)]
        db: PathBuf,
        /// The event (see `keiho alerts list`).
        #[arg(long)]
        event: String,
        /// The folder to write (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum OrbitCommand {
    /// Add the element sets of a file (TLE, OMM KVN or OMM XML) to the catalogue;
    /// sets already there (same object and epoch) are left as they are.
    Add {
        /// Element sets file (`-` for stdin).
        file: PathBuf,
        /// SQLite database (created if missing; shared with the alert log is fine).
        #[arg(long, default_value = "keiho.db")]
        db: PathBuf,
    },
    /// One line per object in the catalogue (or JSON with --json).
    List {
        /// SQLite database.
        #[arg(long, default_value = "keiho.db")]
        db: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `keiho passes`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["region", "lat"])))]
pub(crate) struct PassesArgs {
    /// Element sets file (TLE, OMM KVN or OMM XML). With several sets of one object,
    /// the one whose epoch is nearest the middle of the window is used.
    #[arg(long)]
    pub(crate) elements: PathBuf,
    /// Regions to watch (codes, comma-separated, e.g. `JP-47,JP-46`).
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["lat", "lon"])]
    pub(crate) region: Vec<String>,
    /// Latitude of a place, degrees north (with --lon).
    #[arg(long, allow_hyphen_values = true, requires = "lon")]
    pub(crate) lat: Option<f64>,
    /// Longitude of a place, degrees east (with --lat).
    #[arg(long, allow_hyphen_values = true, requires = "lat")]
    pub(crate) lon: Option<f64>,
    /// Height of the place above the WGS84 ellipsoid, m.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub(crate) alt_m: f64,
    /// Start of the window: RFC 3339 (`2024-06-06T05:00:00Z`) or a UTC date.
    #[arg(long)]
    pub(crate) from: String,
    /// Length of the window, days.
    #[arg(long, default_value_t = 1.0)]
    pub(crate) days: f64,
    /// Minimum elevation of a pass over a place, degrees.
    #[arg(long, default_value_t = 10.0, allow_hyphen_values = true)]
    pub(crate) min_elevation: f64,
    /// Half-angle of a nadir-pointing sensor's cone, degrees; 0: the sub-satellite
    /// point must be inside the region.
    #[arg(long, default_value_t = 0.0)]
    pub(crate) half_angle: f64,
    /// JSON output.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Arguments of `keiho replay`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReplayArgs {
    /// Sensor reports, JSON lines.
    #[arg(long)]
    pub(crate) tracks: PathBuf,
    /// SQLite database to write (created if missing).
    #[arg(long)]
    pub(crate) db: PathBuf,
    /// `max` (as fast as possible) or a real-time factor (1 = real time).
    #[arg(long, default_value = "max")]
    pub(crate) speed: String,
    /// Countries to alert (ISO 3166-1 alpha-2).
    #[arg(long, value_delimiter = ',', default_value = "JP")]
    pub(crate) jurisdiction: Vec<String>,
    /// CAP status of the messages; replays default to Exercise.
    #[arg(long, value_enum, default_value_t = CapStatus::Exercise)]
    pub(crate) status: CapStatus,
    /// A launch announced in advance: `LAT,LON,FROM,TO,MAX_BURN_S` (times RFC 3339),
    /// e.g. a NAVAREA warning of a satellite launch. Repeatable.
    #[arg(long)]
    pub(crate) notice: Vec<String>,
    /// CAP sender.
    #[arg(long, default_value = "keiho.local")]
    pub(crate) sender: String,
    /// Also alert the regions bordering each region at risk.
    #[arg(long)]
    pub(crate) neighbours: bool,
}

/// CAP status for replayed messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CapStatus {
    /// Real: only for live deployments.
    Actual,
    /// A drill (the default for replays).
    Exercise,
    /// A technical test.
    Test,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AlertsCommand {
    /// One line per issued message (or JSON with --json).
    List {
        /// The database.
        #[arg(long)]
        db: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Write each message's exact CAP XML to DIR/IDENTIFIER.xml.
    Export {
        /// The database.
        #[arg(long)]
        db: PathBuf,
        /// Output folder (created if missing).
        #[arg(long)]
        dir: PathBuf,
    },
}

/// Output format of `keiho predict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PredictFormat {
    /// One JSON object with every product.
    Json,
    /// A GeoJSON FeatureCollection (IIP, ellipses, traces, footprints).
    Geojson,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CapCommand {
    /// Check CAP 1.2 files (schema structure and CAP's text rules); prints one line per
    /// problem and exits non-zero if any file has one.
    Validate {
        /// CAP XML files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RegionsCommand {
    /// List the bundled regions as CSV: code, country, name_en, name_local.
    List {
        /// Only regions of this country (ISO 3166-1 alpha-2, e.g. JP).
        #[arg(long)]
        country: Option<String>,
    },
    /// Read `lon,lat` lines (CSV, optional header) on stdin; write `lon,lat,code` lines
    /// in input order (empty code where no region).
    Locate,
    /// Print the codes of the regions a GeoJSON geometry (or a FeatureCollection of them)
    /// touches, one per line, sorted.
    Hit {
        /// GeoJSON file (`-` for stdin).
        #[arg(long)]
        geojson: PathBuf,
        /// Grow the geometry by this geodesic distance first (km).
        #[arg(long, default_value_t = 0.0)]
        buffer_km: f64,
        /// Only regions of these countries (comma-separated ISO 3166-1 alpha-2).
        #[arg(long, value_delimiter = ',')]
        country: Vec<String>,
    },
    /// Print `code,distance_km` for regions within KM of a point, nearest first.
    Near {
        /// Latitude, degrees north.
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        /// Longitude, degrees east.
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// Search radius, km (geodesic).
        #[arg(long)]
        km: f64,
    },
}

/// Parse `X,Y,Z` into three finite numbers.
fn parse_vector3(s: &str) -> Result<[f64; 3], String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [x, y, z] = parts.as_slice() else {
        return Err(format!(
            "expected three comma-separated numbers X,Y,Z, got {s:?}"
        ));
    };
    let num = |t: &str| -> Result<f64, String> {
        t.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{t:?} is not a finite number"))
    };
    Ok([num(x)?, num(y)?, num(z)?])
}

/// `keiho serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Configuration file (TOML); without it, the defaults (see `keiho.example.toml`).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Listen here instead of the configured address.
    #[arg(long)]
    pub(crate) listen: Option<std::net::SocketAddr>,
    /// Keep data here instead of the configured folder.
    #[arg(long)]
    pub(crate) data_dir: Option<PathBuf>,
    /// Run on an exercise clock that reads this time (RFC 3339) when the service is
    /// ready, after recovery, instead of the real clock: drills and replays of past
    /// events through the live path.
    #[arg(long)]
    pub(crate) clock_start: Option<String>,
    /// Speed of the exercise clock (1 = real time).
    #[arg(long, default_value_t = 1.0, requires = "clock_start")]
    pub(crate) speed: f64,
}

/// `keiho demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// Address of the service.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) listen: std::net::SocketAddr,
    /// Replay speed: 1 is real time (the flight takes about 10 minutes).
    #[arg(long, default_value_t = 5.0)]
    pub(crate) speed: f64,
    /// Folder for the demo's database and key (its database is started afresh).
    #[arg(long, default_value = "keiho-demo")]
    pub(crate) data_dir: PathBuf,
    /// Seed of the simulated sensors.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Stop once the event is over instead of serving until Ctrl-C.
    #[arg(long)]
    pub(crate) exit_when_done: bool,
}

/// `keiho token ...`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum TokenCommand {
    /// Create a token and print it (it is stored only as a hash: keep it).
    Create {
        /// The service's data folder.
        #[arg(long, default_value = "keiho-data")]
        data_dir: PathBuf,
        /// Who or what will hold it.
        #[arg(long)]
        name: String,
        /// sensor, operator, approver, admin or viewer.
        #[arg(long)]
        role: String,
    },
    /// List tokens (never their secrets).
    List {
        /// The service's data folder.
        #[arg(long, default_value = "keiho-data")]
        data_dir: PathBuf,
    },
    /// Revoke a token by id.
    Revoke {
        /// The service's data folder.
        #[arg(long, default_value = "keiho-data")]
        data_dir: PathBuf,
        /// Token id.
        id: String,
    },
}
