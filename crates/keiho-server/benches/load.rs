//! Load benchmark of the service over loopback (not a criterion bench, not a test):
//! (a) 10,000 SSE clients connected, one alert issued, time until each client has it;
//! (b) ~5,000 reports per second posted for ~10 s, latency per request.
//!
//! `cargo bench -p keiho-server --bench load` (options after `--`: `--clients N`,
//! `--rate R`, `--seconds S`, `--batches 1,50`). Figures go in BENCHMARKS.md.

#![allow(clippy::unwrap_used)] // a benchmark: a panic is the failure report

use chrono::{Duration, Utc};
use keiho_ingest::Report;
use keiho_server::config::Limits;
use keiho_server::{Clock, Role, ServerConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

struct Args {
    /// Set in the child process that hosts the SSE clients: the server's address.
    child_of: Option<SocketAddr>,
    clients: usize,
    rate: f64,
    seconds: f64,
    batches: Vec<usize>,
}

fn args() -> Args {
    let mut a = Args {
        child_of: None,
        clients: 10_000,
        rate: 5_000.0,
        seconds: 10.0,
        batches: vec![1, 50],
    };
    let argv: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < argv.len() {
        let value = argv.get(i + 1).cloned().unwrap_or_default();
        match argv[i].as_str() {
            "--clients" => a.clients = value.parse().unwrap(),
            "--sse-clients-for" => a.child_of = Some(value.parse().unwrap()),
            "--rate" => a.rate = value.parse().unwrap(),
            "--seconds" => a.seconds = value.parse().unwrap(),
            "--batches" => a.batches = value.split(',').map(|b| b.parse().unwrap()).collect(),
            // `cargo bench` passes `--bench`; anything else is ignored too.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    a
}

/// Quantile of sorted durations, ms.
fn q(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

struct Service {
    running: keiho_server::Running,
    _dir: tempfile::TempDir,
}

async fn service(clock: Clock) -> Service {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: dir.path().to_owned(),
        // One client address sends everything here: lift the per-address limits.
        limits: Limits {
            body_bytes: 4 << 20,
            per_second: 1_000_000,
            burst: 1_000_000,
        },
        ..ServerConfig::default()
    };
    let running = keiho_server::start(config, clock).await.unwrap();
    Service { running, _dir: dir }
}

fn token(s: &Service, role: Role) -> String {
    let mut db = s.running.state.db.lock().unwrap();
    keiho_server::create_token(&mut db, "load bench", role, Utc::now())
        .unwrap()
        .token
}

/// One SSE client: connect, wait for the response head, count itself connected, then
/// read until an alert arrives; returns when it did.
async fn sse_client(
    addr: SocketAddr,
    connecting: Arc<tokio::sync::Semaphore>,
    connected: Arc<AtomicUsize>,
) -> Option<Instant> {
    let permit = connecting.acquire().await.ok()?;
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    s.write_all(b"GET /v1/stream HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")
        .await
        .ok()?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut seen = Vec::new();
    loop {
        let n = s.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        seen.extend_from_slice(&buf[..n]);
        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            if !seen.starts_with(b"HTTP/1.1 200") {
                eprintln!("stream refused: {}", String::from_utf8_lossy(&seen[..end]));
                return None;
            }
            seen.drain(..end + 4);
            break;
        }
    }
    drop(permit);
    connected.fetch_add(1, Ordering::Relaxed);
    loop {
        if seen.windows(12).any(|w| w == b"event: alert") {
            return Some(Instant::now());
        }
        let n = s.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        // Only the tail matters for the search.
        let keep = seen.len().saturating_sub(16);
        seen.drain(..keep);
        seen.extend_from_slice(&buf[..n]);
    }
}

fn epoch_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// The child process: `n` SSE clients of the server at `addr`. Prints `connected N`
/// once all are connected (or gave up), then one line per client that got the alert
/// (the wall-clock time in ns since the epoch), then `done`.
async fn sse_clients(addr: SocketAddr, n: usize) {
    let connecting = Arc::new(tokio::sync::Semaphore::new(512));
    let connected = Arc::new(AtomicUsize::new(0));
    let began = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u128>();
    for _ in 0..n {
        let (connecting, connected, tx) = (connecting.clone(), connected.clone(), tx.clone());
        tokio::spawn(async move {
            if sse_client(addr, connecting, connected).await.is_some() {
                let _ = tx.send(epoch_ns());
            }
        });
    }
    drop(tx);
    while connected.load(Ordering::Relaxed) < n && began.elapsed().as_secs() < 120 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    println!("connected {}", connected.load(Ordering::Relaxed));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while let Ok(Some(at)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        println!("{at}");
    }
    println!("done");
}

/// (a): the service here, its SSE clients in a child process (each connection is a
/// descriptor on both sides; one process would need 20,000 for 10,000 clients).
async fn fanout(n: usize) {
    let s = service(Clock::real()).await;
    let addr = s.running.addr;
    let operator = token(&s, Role::Operator);
    let began = Instant::now();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--sse-clients-for",
            &addr.to_string(),
            "--clients",
            &n.to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The child's lines, read on a thread (tokio's process feature is not enabled).
    let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut up = 0usize;
    while let Some(line) = lines.recv().await {
        if let Some(c) = line.strip_prefix("connected ") {
            up = c.parse().unwrap();
            break;
        }
    }
    let connect_s = began.elapsed().as_secs_f64();
    // Let the last streams settle into waiting.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let http = keiho_deliver::webhook::http_client(std::time::Duration::from_secs(60)).unwrap();
    let posted_ns = epoch_ns();
    let posted = Instant::now();
    let answer = http
        .post(format!("http://{addr}/v1/manual"))
        .bearer_auth(&operator)
        .header("content-type", "application/json")
        .body(r#"{"status":"exercise","regions":["JP-47"],"cause":"load test"}"#)
        .send()
        .await
        .unwrap();
    let post_ms = posted.elapsed().as_secs_f64() * 1e3;
    assert!(answer.status().is_success(), "{}", answer.status());
    let mut lat = Vec::with_capacity(n);
    while let Some(line) = lines.recv().await {
        if line == "done" {
            break;
        }
        if let Ok(at) = line.parse::<u128>() {
            lat.push(at.saturating_sub(posted_ns) as f64 / 1e6);
        }
    }
    let _ = child.wait();
    lat.sort_by(f64::total_cmp);
    println!();
    println!(
        "(a) fan-out: {n} SSE clients on loopback (in a child process), one manual Exercise alert"
    );
    println!(
        "| clients connected | connect time | POST /v1/manual answered | received | p50 | p99 | max |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {up} / {n} | {connect_s:.1} s | {post_ms:.1} ms | {} / {n} | {:.0} ms | {:.0} ms | {:.0} ms |",
        lat.len(),
        q(&lat, 0.5),
        q(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN),
    );
    let _ = s.running.stop().await;
}

/// Reports for `total` reports: the scenario repeated, each copy after the last with
/// its objects renamed (a new flight), times in order.
fn reports(total: usize) -> (Vec<Report>, f64) {
    let scenario = keiho_sim::Scenario::by_name("sohae-2023-08-24").unwrap();
    let sim = keiho_sim::simulate(&scenario, 1).unwrap();
    let first = sim.reports[0].t;
    let last = sim.reports[sim.reports.len() - 1].t;
    let span = last - first + Duration::seconds(1);
    let per_copy = sim.reports.len();
    let copies = total.div_ceil(per_copy);
    let mut out = Vec::with_capacity(copies * per_copy);
    for k in 0..copies {
        for r in &sim.reports {
            let mut r = r.clone();
            r.t += span * k as i32;
            r.object = format!("{}-R{k}", r.object);
            out.push(r);
        }
    }
    out.truncate(total);
    // Reports per second of exercise time.
    let density = per_copy as f64 / span.as_seconds_f64();
    (out, density)
}

#[derive(Default)]
struct Outcome {
    accepted: usize,
    rejected: std::collections::BTreeMap<String, usize>,
    failed: usize,
}

async fn ingest(rate: f64, seconds: f64, per_request: usize) {
    let total = (rate * seconds) as usize;
    let (mut all, density) = reports(total);
    // Play the scenario fast enough that `rate` reports arrive per second.
    let speed = rate / density;
    let s = service(Clock::scaled(all[0].t, speed)).await;
    let addr = s.running.addr;
    let clock = s.running.state.clock;
    let sensor = token(&s, Role::Sensor);
    // Shift the reports so the first is due 200 ms (real) from now on the clock.
    let shift = clock.now() + Duration::milliseconds((200.0 * speed) as i64) - all[0].t;
    for r in &mut all {
        r.t += shift;
    }
    // The workspace's reqwest has no TLS provider of its own; keiho-deliver installs one.
    let _ = keiho_deliver::webhook::http_client(std::time::Duration::from_secs(1));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()
        .unwrap();
    let url = format!("http://{addr}/v1/reports");
    let outcome = Arc::new(std::sync::Mutex::new(Outcome::default()));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(f64, f64)>();
    // At most this many requests in flight (connections): beyond it requests wait in
    // the client, which "p99 from due time" shows. Unbounded, a slow server makes the
    // client open connections until descriptors run out.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(256));
    let started = Instant::now();
    let t0 = clock.now();
    let mut requests = 0usize;
    for chunk in all.chunks(per_request) {
        let due = chunk[chunk.len() - 1].t;
        let wait_us = ((due - t0).num_microseconds().unwrap_or(0) as f64 / speed) as u64;
        let at = started + std::time::Duration::from_micros(wait_us);
        tokio::time::sleep_until(at.into()).await;
        let body: String = chunk.iter().map(|r| r.to_json_line() + "\n").collect();
        let (http, url, sensor, outcome, tx) = (
            http.clone(),
            url.clone(),
            sensor.clone(),
            outcome.clone(),
            tx.clone(),
        );
        requests += 1;
        let permit = in_flight.clone().acquire_owned();
        tokio::spawn(async move {
            let _permit = permit.await;
            let sent = Instant::now();
            let answer = http
                .post(&url)
                .bearer_auth(&sensor)
                .header("content-type", "application/x-ndjson")
                .body(body)
                .send()
                .await;
            let text = match answer {
                Ok(a) => a.text().await.ok(),
                Err(_) => None,
            };
            let done = Instant::now();
            let mut o = outcome.lock().unwrap();
            let ok = text.is_some();
            match text.and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok()) {
                Some(v) => {
                    for r in v["results"].as_array().into_iter().flatten() {
                        if r["status"] == "accepted" {
                            o.accepted += 1;
                        } else {
                            let why = r["reason"].as_str().unwrap_or("?");
                            let kind = why.split(':').next().unwrap_or("?").to_owned();
                            *o.rejected.entry(kind).or_default() += 1;
                        }
                    }
                }
                None => o.failed += 1,
            }
            // Latency of answered requests only; failures are counted apart.
            if ok {
                let _ = tx.send((
                    done.duration_since(sent).as_secs_f64() * 1e3,
                    done.duration_since(at).as_secs_f64() * 1e3,
                ));
            }
        });
    }
    drop(tx);
    let mut lat = Vec::with_capacity(requests);
    let mut late = Vec::with_capacity(requests);
    while let Some((l, d)) = rx.recv().await {
        lat.push(l);
        late.push(d);
    }
    let wall = started.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    late.sort_by(f64::total_cmp);
    let o = std::mem::take(&mut *outcome.lock().unwrap());
    println!(
        "| {per_request} | {requests} | {:.0} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {}{} |",
        total as f64 / wall,
        o.accepted,
        o.rejected.values().sum::<usize>(),
        q(&lat, 0.5),
        q(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN),
        q(&late, 0.99),
        if o.failed > 0 {
            format!("{} requests failed; ", o.failed)
        } else {
            String::new()
        },
        if o.rejected.is_empty() {
            format!("speed {speed:.0}x, {wall:.1} s")
        } else {
            format!("rejected: {:?}", o.rejected)
        }
    );
    let _ = s.running.stop().await;
}

fn main() {
    let a = args();
    // One descriptor per SSE client in each process, and some to spare.
    let want = a.clients as u64 + 4096;
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    if soft < want {
        let raised = rlimit::setrlimit(rlimit::Resource::NOFILE, want, want.max(hard));
        if raised.is_err() {
            let _ = rlimit::increase_nofile_limit(want);
        }
    }
    let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if let Some(addr) = a.child_of {
        rt.block_on(sse_clients(addr, a.clients));
        return;
    }
    println!("keiho-server load bench: open files limit {soft}");
    rt.block_on(async {
        if a.clients > 0 {
            fanout(a.clients).await;
        }
        if a.rate > 0.0 {
            println!();
            println!(
                "(b) ingest: {:.0} reports/s offered for {:.0} s (Sohae scenario repeated, exercise clock sped up to match)",
                a.rate, a.seconds
            );
            println!("| reports per request | requests | reports/s achieved | accepted | rejected | p50 | p99 | max | p99 from due time | notes |");
            println!("|---|---|---|---|---|---|---|---|---|---|");
            for &b in &a.batches {
                ingest(a.rate, a.seconds, b).await;
            }
        }
    });
}
