//! `keiho demo`: the service with the 24 August 2023 Sohae launch replayed into it
//! over HTTP, as sensors would post it, on an exercise clock.

use crate::cli::DemoArgs;
use anyhow::{Context as _, bail};
use chrono::{DateTime, Duration, Utc};
use keiho_ingest::Report;
use keiho_server::config::NoticeConfig;
use keiho_server::{Clock, Role, ServerConfig};
use keiho_store::ServiceLog as _;

const SCENARIO: &str = "sohae-2023-08-24";
/// Sohae (西海) launch site, as in the scenario.
const SOHAE: (f64, f64) = (39.660, 124.705);

pub(crate) fn run(args: &DemoArgs) -> anyhow::Result<()> {
    if !(args.speed.is_finite() && args.speed > 0.0 && args.speed <= 1000.0) {
        bail!("--speed must be between 0 and 1000, got {}", args.speed);
    }
    let scenario =
        keiho_sim::Scenario::by_name(SCENARIO).with_context(|| format!("scenario {SCENARIO}"))?;
    let sim = keiho_sim::simulate(&scenario, args.seed)?;
    let Some(first) = sim.reports.first().map(|r| r.t) else {
        bail!("the scenario produced no reports");
    };
    fresh_database(&args.data_dir)?;
    let config = ServerConfig {
        listen: args.listen,
        data_dir: args.data_dir.clone(),
        public_url: format!("http://{}", args.listen),
        sender: "keiho-demo@localhost".into(),
        status: "exercise".into(),
        reorder_window_ms: 300,
        // The launch was announced (NAVAREA XI warning for 24-31 August 2023).
        notices: vec![NoticeConfig {
            lat: SOHAE.0,
            lon: SOHAE.1,
            radius_km: 50.0,
            from: sim.launch - Duration::hours(12),
            to: sim.launch + Duration::hours(12),
            max_burn_s: 720.0,
        }],
        ..ServerConfig::default()
    };
    let clock = Clock::scaled(first - Duration::seconds(5), args.speed);
    super::serve::init_logging_quiet();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(demo(args, config, clock, sim.launch, sim.reports))
}

/// The demo starts from an empty database so that its output is the same each run.
fn fresh_database(dir: &std::path::Path) -> anyhow::Result<()> {
    for name in ["keiho.db", "keiho.db-wal", "keiho.db-shm"] {
        let path = dir.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", path.display())),
        }
    }
    Ok(())
}

async fn demo(
    args: &DemoArgs,
    config: ServerConfig,
    clock: Clock,
    launch: DateTime<Utc>,
    reports: Vec<Report>,
) -> anyhow::Result<()> {
    let running = keiho_server::start(config, clock).await?;
    let base = format!("http://{}", running.addr);
    let (sensor, operator, approver) = {
        let db = running.state.db.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let mut db = db
                .lock()
                .map_err(|_| anyhow::anyhow!("database lock poisoned"))?;
            let now = Utc::now();
            let s = keiho_server::create_token(&mut db, "demo sensors", Role::Sensor, now)?;
            let o = keiho_server::create_token(&mut db, "demo operator", Role::Operator, now)?;
            let a = keiho_server::create_token(&mut db, "demo approver", Role::Approver, now)?;
            db.audit(now, "demo", "token.create", "{\"demo\":true}")?;
            Ok((s.token, o.token, a.token))
        })
        .await??
    };
    println!(
        "Keiho demo: replaying the Chollima-1 launch of 24 August 2023 from Sohae at {}x real time.",
        args.speed
    );
    println!("  dashboard    {base}/   (sign in with the operator or approver token)");
    println!("  CAP feed     {base}/cap/feed.atom");
    println!("  alert stream {base}/v1/stream   (curl -N {base}/v1/stream)");
    println!("  alerts       {base}/v1/alerts   events {base}/v1/events");
    println!("  API          {base}/openapi.json   metrics {base}/metrics");
    println!("  operator token {operator}");
    println!("  approver token {approver}");
    println!(
        "Messages are status Exercise. Times below are the exercise clock (UTC) and T+ from launch."
    );

    // Print each alert as it is issued.
    let mut alerts = running.state.engine.subscribe();
    let printer = tokio::spawn(async move {
        let mut all_clear: Option<String> = None;
        while let Ok(a) = alerts.recv().await {
            let sent = DateTime::parse_from_rfc3339(&a.alert.sent)
                .map(|t| t.with_timezone(&Utc))
                .ok();
            let t_plus = sent.map(|s| (s - launch).num_seconds()).unwrap_or(0);
            println!(
                "{} T+{:02}:{:02}  {:<6} {:<14} {}{}",
                sent.map(|s| s.format("%H:%M:%S").to_string())
                    .unwrap_or_default(),
                t_plus / 60,
                t_plus % 60,
                a.alert.msg_type,
                a.alert.stage,
                if a.alert.regions.is_empty() {
                    String::new()
                } else {
                    format!("shelter: {} ", a.alert.regions.join(" "))
                },
                if a.alert.lifted.is_empty() {
                    String::new()
                } else {
                    format!("lifted: {}", a.alert.lifted.join(" "))
                },
            );
            if a.alert.stage == "AllClear" {
                all_clear = Some(a.alert.event_id.clone());
                break;
            }
        }
        all_clear
    });

    // Plain HTTP to our own service; keiho-deliver's client installs the TLS provider
    // the workspace's reqwest needs even to be built.
    let client = keiho_deliver::webhook::http_client(std::time::Duration::from_secs(60))?;
    let clock = running.state.clock;
    let feed = feed_reports(&client, &base, &sensor, &clock, &reports);
    tokio::select! {
        r = feed => r?,
        _ = super::serve::shutdown_signal() => {
            println!("stopping");
            running.stop().await?;
            return Ok(());
        }
    }
    // The all-clear follows the outcome by up to a minute of exercise time.
    let wait = std::time::Duration::from_secs_f64((240.0 / args.speed).max(2.0));
    let done = tokio::select! {
        r = tokio::time::timeout(wait, printer) => r.ok().and_then(Result::ok).flatten(),
        _ = super::serve::shutdown_signal() => None,
    };
    if let Some(event) = &done {
        println!("The event is over: the call to take shelter was lifted.");
        println!(
            "  public page  {base}/events/{event}   (in the browser's language; ?lang=ja|en|ko)"
        );
        println!("  after-action report {base}/events/{event}/report");
    } else {
        println!("No all-clear was seen.");
    }
    if !args.exit_when_done {
        println!("Still serving on {base} (Ctrl-C stops).");
        super::serve::shutdown_signal().await;
    }
    running.stop().await?;
    if done.is_none() {
        bail!("the demo ended without an all-clear");
    }
    Ok(())
}

/// Post the reports as sensors would: each 200 ms of flight as one request, when the
/// exercise clock reaches it.
async fn feed_reports(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    clock: &Clock,
    reports: &[Report],
) -> anyhow::Result<()> {
    let url = format!("{base}/v1/reports");
    for batch in reports.chunk_by(|a, b| {
        (b.t - a.t).num_milliseconds() < 200
            && a.t.timestamp_subsec_millis() / 200 == b.t.timestamp_subsec_millis() / 200
    }) {
        let Some(last) = batch.last() else { continue };
        let ahead = (last.t - clock.now()).num_milliseconds();
        if ahead > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(
                (ahead as f64 / clock.speed()) as u64,
            ))
            .await;
        }
        let body: String = batch.iter().map(|r| r.to_json_line() + "\n").collect();
        let response = client
            .post(&url)
            .bearer_auth(token)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .with_context(|| format!("posting reports to {url}"))?;
        if !response.status().is_success() {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            bail!("the service refused a batch of reports ({status}): {text}");
        }
    }
    Ok(())
}
