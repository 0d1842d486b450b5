//! Crash safety of `keiho serve`: the Sohae scenario is posted over HTTP while the
//! server is killed (SIGKILL) and restarted 50 times; nothing acknowledged may be
//! lost, no alert issued twice, and the messages must be those of an uninterrupted run.
//!
//! Runs the built binary (`cargo test --release -p keiho --test crash`); HTTP is
//! hand-written HTTP/1.0 over `std::net::TcpStream` so the test needs no client crate.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const SCENARIO: &str = "sohae-2023-08-24";
/// Exercise clock speed: the ~10 min of reports take ~15 s of real time.
const SPEED: f64 = 40.0;
/// Kills (KEIHO_CRASH_KILLS overrides, e.g. 0 to compare two uninterrupted runs).
const KILLS: usize = 50;
/// Random kill delay after the server is ready, ms (real time).
const KILL_DELAY_MS: (u64, u64) = (50, 500);
/// The server's clock restarts this far before the first unacknowledged report.
/// (Its exercise clock starts when it is ready, after recovery, so how long a
/// restart takes does not move it.)
const RESUME_BEFORE_S: i64 = 2;

fn clock_start(resume: DateTime<Utc>) -> DateTime<Utc> {
    resume - Duration::seconds(RESUME_BEFORE_S)
}

const CONFIG: &str = r#"
sender = "keiho-crash@localhost"
status = "exercise"
reorder_window_ms = 300
[limits]
per_second = 10000
burst = 10000
# The launch was announced (NAVAREA XI warning), as in `keiho demo`.
[[notices]]
lat = 39.660
lon = 124.705
radius_km = 50
from = "2023-08-23T06:50:00Z"
to = "2023-08-24T06:50:00Z"
max_burn_s = 720
"#;

fn keiho() -> Command {
    Command::new(env!("CARGO_BIN_EXE_keiho"))
}

/// SplitMix64: a seeded generator for the kill delays, so a failure can be replayed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

/// One HTTP/1.0 exchange (the server closes the connection after the answer, so the
/// body is whatever follows the headers). Errors are transport errors: the server died.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(2))?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return Err(std::io::Error::other(format!("truncated answer: {text:?}")));
    };
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line: {head:?}")))?;
    Ok((status, body.to_owned()))
}

/// Reports grouped as sensors send them: each 200 ms of flight in one request.
struct Batch {
    /// Time of the batch's last report (it is posted when the clock reaches it).
    last_t: DateTime<Utc>,
    first_t: DateTime<Utc>,
    body: String,
    len: usize,
}

fn batches(reports: &str) -> Vec<Batch> {
    let lines: Vec<(DateTime<Utc>, &str)> = reports
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let t = DateTime::parse_from_rfc3339(v["t"].as_str().unwrap())
                .unwrap()
                .with_timezone(&Utc);
            (t, l)
        })
        .collect();
    lines
        .chunk_by(|a, b| {
            (b.0 - a.0).num_milliseconds() < 200
                && a.0.timestamp_subsec_millis() / 200 == b.0.timestamp_subsec_millis() / 200
        })
        .map(|c| Batch {
            first_t: c[0].0,
            last_t: c[c.len() - 1].0,
            body: c.iter().map(|(_, l)| format!("{l}\n")).collect(),
            len: c.len(),
        })
        .collect()
}

fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// A `keiho serve` process and the exercise clock it was started with.
struct Server {
    child: Arc<Mutex<Child>>,
    addr: SocketAddr,
    clock_start: DateTime<Utc>,
    started: Instant,
}

impl Server {
    fn start(dir: &Path, config: &Path, clock_start: DateTime<Utc>) -> Self {
        let addr = free_port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .unwrap();
        let child = keiho()
            .args(["serve", "--config"])
            .arg(config)
            .arg("--data-dir")
            .arg(dir)
            .args(["--listen", &addr.to_string()])
            .args(["--clock-start", &clock_start.to_rfc3339()])
            .args(["--speed", &SPEED.to_string()])
            .env("RUST_LOG", "warn,keiho_server::recovery=info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = Self {
            child: Arc::new(Mutex::new(child)),
            addr,
            clock_start,
            started: Instant::now(),
        };
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let asked = Instant::now();
            if let Ok((200, _)) = http(addr, "GET", "/readyz", &[], b"") {
                // Its clock started just before it began to listen: after the last
                // refused probe, so at most a probe's interval before `asked`.
                server.started = asked;
                break;
            }
            if let Some(status) = server.child.lock().unwrap().try_wait().unwrap() {
                panic!(
                    "the server exited before it was ready ({status}); see {}",
                    dir.join("server.log").display()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the server was not ready in 60 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        server
    }

    /// The exercise time now, as the server reads it (this is behind by at most a
    /// readiness probe's interval: 10 ms, 0.4 s of exercise time).
    fn now(&self) -> DateTime<Utc> {
        let us = self.started.elapsed().as_secs_f64() * SPEED * 1e6;
        self.clock_start + Duration::microseconds(us as i64)
    }

    /// Sleep until the exercise clock reads `t`.
    fn wait_until(&self, t: DateTime<Utc>) {
        let ahead = (t - self.now()).num_microseconds().unwrap_or(0);
        if ahead > 0 {
            std::thread::sleep(std::time::Duration::from_secs_f64(
                ahead as f64 / 1e6 / SPEED,
            ));
        }
    }

    fn kill(&self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }

    fn get_json(&self, path: &str) -> Value {
        let (status, body) = http(self.addr, "GET", path, &[], b"").unwrap();
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }
}

/// What the client knows for sure: what the server acknowledged.
#[derive(Default)]
struct Ledger {
    /// Index of the first batch not yet acknowledged.
    next: usize,
    reports_accepted: usize,
    /// Refused as duplicates: accepted earlier, the answer lost in a crash.
    reports_duplicate: usize,
    /// Refused for any other reason (reason -> count).
    reports_rejected: BTreeMap<String, usize>,
    /// Every alert identifier named in a 202 answer's `issued`.
    issued: BTreeSet<String>,
    requests_lost: usize,
}

impl Ledger {
    /// Post the batches the clock has reached until the server stops answering or
    /// `stop` says so; returns false when the server died.
    fn post(
        &mut self,
        server: &Server,
        token: &str,
        all: &[Batch],
        stop: &dyn Fn() -> bool,
    ) -> bool {
        let auth = format!("Bearer {token}");
        while self.next < all.len() && !stop() {
            let batch = &all[self.next];
            server.wait_until(batch.last_t);
            let answer = http(
                server.addr,
                "POST",
                "/v1/reports",
                &[
                    ("Authorization", &auth),
                    ("Content-Type", "application/x-ndjson"),
                ],
                batch.body.as_bytes(),
            );
            let (status, body) = match answer {
                Ok(a) => a,
                Err(_) => {
                    self.requests_lost += 1;
                    return false;
                }
            };
            // 202: some accepted; 422: none (all duplicates, for instance).
            assert!(
                status == 202 || status == 422,
                "batch {}: {status} {body}",
                self.next
            );
            let v: Value = serde_json::from_str(&body).unwrap();
            let results = v["results"].as_array().unwrap();
            assert_eq!(results.len(), batch.len, "{body}");
            for r in results {
                match r["status"].as_str().unwrap() {
                    "accepted" => self.reports_accepted += 1,
                    _ => {
                        let reason = r["reason"].as_str().unwrap_or("");
                        if reason.starts_with("duplicate") {
                            self.reports_duplicate += 1;
                        } else {
                            let kind = reason.split(':').next().unwrap_or("").to_owned();
                            *self.reports_rejected.entry(kind).or_default() += 1;
                        }
                    }
                }
            }
            if let Some(issued) = v["issued"].as_array() {
                for id in issued {
                    self.issued.insert(id.as_str().unwrap().to_owned());
                }
            }
            self.next += 1;
        }
        true
    }
}

fn simulate(dir: &Path) -> String {
    let out = dir.join("s.jsonl");
    let status = keiho()
        .args(["simulate", "--scenario", SCENARIO, "--out"])
        .arg(&out)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read_to_string(out).unwrap()
}

fn create_token(dir: &Path, name: &str, role: &str) -> String {
    let out = keiho()
        .args(["token", "create", "--data-dir"])
        .arg(dir)
        .args(["--name", name, "--role", role])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A webhook receiver: records the `Idempotency-Key` of every delivery it is sent
/// (a receiver sees at-least-once; it deduplicates on the key).
fn webhook_receiver() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let keys: std::sync::Arc<std::sync::Mutex<Vec<String>>> = std::sync::Arc::default();
    let sink = keys.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut raw = Vec::new();
            let mut buf = [0u8; 8192];
            // Headers, then Content-Length bytes of body.
            let (head, want) = loop {
                let Ok(n) = conn.read(&mut buf) else {
                    break (String::new(), 0);
                };
                if n == 0 {
                    break (String::new(), 0);
                }
                raw.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&raw).into_owned();
                if let Some((head, _)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    break (head.to_owned(), head.len() + 4 + len);
                }
            };
            while raw.len() < want {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => raw.extend_from_slice(&buf[..n]),
                }
            }
            if let Some(key) = head.lines().find_map(|l| {
                let lower = l.to_ascii_lowercase();
                lower
                    .starts_with("idempotency-key:")
                    .then(|| l["idempotency-key:".len()..].trim().to_owned())
            }) {
                sink.lock().unwrap().push(key);
            }
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (addr, keys)
}

fn write_config(dir: &Path) -> PathBuf {
    let path = dir.join("keiho.toml");
    std::fs::write(&path, CONFIG).unwrap();
    path
}

/// Post what is left, let the clock pass the end by three minutes, and return the
/// alert list.
fn finish(server: &Server, ledger: &mut Ledger, token: &str, all: &[Batch]) -> Vec<Value> {
    assert!(
        ledger.post(server, token, all, &|| false),
        "the final server died"
    );
    let end = all.last().unwrap().last_t;
    server.wait_until(end + Duration::minutes(3));
    server.get_json("/v1/alerts").as_array().unwrap().clone()
}

fn stages(alerts: &[Value]) -> Vec<(String, String, Vec<String>)> {
    alerts
        .iter()
        .map(|a| {
            let regions = a["regions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect();
            (
                a["msg_type"].as_str().unwrap().to_owned(),
                a["stage"].as_str().unwrap().to_owned(),
                regions,
            )
        })
        .collect()
}

/// One line per alert, for failure messages.
fn describe(alerts: &[Value]) -> String {
    alerts
        .iter()
        .map(|a| {
            format!(
                "  {} {} #{} {} {} regions {} lifted {} ({})",
                a["sent"],
                a["event_id"],
                a["sequence"],
                a["msg_type"],
                a["stage"],
                a["regions"],
                a["lifted"],
                a["cause"]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every alert on the SSE stream from the start, exactly once and in order.
fn check_stream(server: &Server, alerts: &[Value]) {
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        s,
        "GET /v1/stream HTTP/1.0\r\nHost: {}\r\nLast-Event-ID: 0\r\n\r\n",
        server.addr
    )
    .unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let want = alerts.len();
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    let mut got: Vec<(i64, String)> = Vec::new();
    while Instant::now() < deadline {
        let n = match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(_) => break,
        };
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw);
        let Some((_, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        got = body
            .split("\n\n")
            .filter(|e| e.contains("event: alert"))
            .filter_map(|e| {
                let data = e.lines().find_map(|l| l.strip_prefix("data: "))?;
                let v: Value = serde_json::from_str(data).ok()?;
                let id: i64 = e
                    .lines()
                    .find_map(|l| l.strip_prefix("id: "))?
                    .parse()
                    .ok()?;
                assert_eq!(v["seq"].as_i64(), Some(id));
                Some((id, v["identifier"].as_str()?.to_owned()))
            })
            .collect();
        if got.len() >= want {
            // A little longer: anything more would be a duplicate.
            s.set_read_timeout(Some(std::time::Duration::from_millis(300)))
                .unwrap();
        }
    }
    let identifiers: Vec<&str> = alerts
        .iter()
        .map(|a| a["identifier"].as_str().unwrap())
        .collect();
    let streamed: Vec<&str> = got.iter().map(|(_, i)| i.as_str()).collect();
    assert_eq!(
        streamed, identifiers,
        "the stream differs from the alert log"
    );
    assert!(
        got.windows(2).all(|w| w[0].0 < w[1].0),
        "stream ids not increasing: {got:?}"
    );
}

enum Root {
    Temp(tempfile::TempDir),
    Kept(PathBuf),
}

impl Root {
    fn path(&self) -> &Path {
        match self {
            Root::Temp(t) => t.path(),
            Root::Kept(p) => p,
        }
    }
}

#[test]
fn sigkill_50_times_while_posting_loses_nothing_and_issues_nothing_twice() {
    let began = Instant::now();
    let tmp = tempfile::Builder::new()
        .prefix("keiho-crash-")
        .tempdir()
        .unwrap();
    // KEIHO_CRASH_KEEP=1 keeps the data folders (and their logs) for a post-mortem.
    let tmp = if std::env::var_os("KEIHO_CRASH_KEEP").is_some() {
        let path = tmp.keep();
        eprintln!("crash test: keeping {}", path.display());
        Root::Kept(path)
    } else {
        Root::Temp(tmp)
    };
    let reports = simulate(tmp.path());
    let all = batches(&reports);
    let first = all[0].first_t;
    let n_reports: usize = all.iter().map(|b| b.len).sum();

    // The reference: one uninterrupted server on the same data.
    let ref_dir = tmp.path().join("reference");
    std::fs::create_dir_all(&ref_dir).unwrap();
    let config = write_config(tmp.path());
    let ref_token = create_token(&ref_dir, "crash test sensors", "sensor");
    let reference = {
        let server = Server::start(
            &ref_dir,
            &config,
            first - Duration::seconds(RESUME_BEFORE_S),
        );
        let mut ledger = Ledger::default();
        let alerts = finish(&server, &mut ledger, &ref_token, &all);
        server.kill();
        assert_eq!(ledger.reports_accepted, n_reports);
        alerts
    };
    let ref_secs = began.elapsed().as_secs_f64();

    // The same data, killed 50 times.
    let dir = tmp.path().join("crashed");
    std::fs::create_dir_all(&dir).unwrap();
    let token = create_token(&dir, "crash test sensors", "sensor");
    let operator = create_token(&dir, "crash test operator", "operator");
    let (hook_addr, hook_keys) = webhook_receiver();
    let kills: usize = std::env::var("KEIHO_CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(KILLS);
    let seed: u64 = std::env::var("KEIHO_CRASH_SEED")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(20_230_824);
    let mut rng = SplitMix(seed);
    let mut ledger = Ledger::default();
    // How far the exercise clock got (so restarts after the last report move on).
    let mut reached = first;
    let mut died_mid_posting = 0;
    for round in 0..kills {
        let resume = match all.get(ledger.next) {
            Some(b) => b.first_t.min(reached),
            None => reached,
        };
        let server = Server::start(&dir, &config, clock_start(resume));
        if round == 0 {
            // Okinawa's webhook: every message for JP-47 goes to the receiver.
            let body =
                format!("{{\"url\": \"http://{hook_addr}/hook\", \"regions\": [\"JP-47\"]}}");
            let auth = format!("Bearer {operator}");
            let (status, answer) = http(
                server.addr,
                "POST",
                "/v1/webhooks",
                &[
                    ("Authorization", auth.as_str()),
                    ("Content-Type", "application/json"),
                ],
                body.as_bytes(),
            )
            .unwrap();
            assert_eq!(status, 201, "{answer}");
        }
        let delay = std::time::Duration::from_millis(rng.between(KILL_DELAY_MS.0, KILL_DELAY_MS.1));
        let kill_at = Instant::now() + delay;
        // The kill comes from another thread, so it lands in the middle of requests.
        let killer = {
            let child = server.child.clone();
            std::thread::spawn(move || {
                std::thread::sleep(kill_at.saturating_duration_since(Instant::now()));
                let _ = child.lock().unwrap().kill();
            })
        };
        let alive = ledger.post(&server, &token, &all, &|| Instant::now() >= kill_at);
        if !alive {
            died_mid_posting += 1;
        }
        killer.join().unwrap();
        reached = reached.max(server.now());
        server.kill();
    }
    let posted_before_final = ledger.next;

    // A last server, left to finish the scenario.
    let resume = match all.get(ledger.next) {
        Some(b) => b.first_t.min(reached),
        None => reached,
    };
    let server = Server::start(&dir, &config, clock_start(resume));
    let alerts = finish(&server, &mut ledger, &token, &all);

    // (a) every acknowledged alert is in the log.
    let logged: BTreeSet<&str> = alerts
        .iter()
        .map(|a| a["identifier"].as_str().unwrap())
        .collect();
    for id in &ledger.issued {
        assert!(
            logged.contains(id.as_str()),
            "acknowledged alert {id} was lost"
        );
    }
    // Nothing acknowledged was lost: every report was answered accepted once, or as
    // a duplicate of a copy accepted before a crash swallowed the answer.
    assert!(
        ledger.reports_rejected.is_empty(),
        "reports refused: {:?}",
        ledger.reports_rejected
    );
    assert_eq!(ledger.next, all.len());
    // (b) no identifier twice; per event, sequences 1..n.
    assert_eq!(logged.len(), alerts.len(), "an identifier appears twice");
    let mut per_event: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for a in &alerts {
        per_event
            .entry(a["event_id"].as_str().unwrap())
            .or_default()
            .push(a["sequence"].as_u64().unwrap());
    }
    for (event, seqs) in &per_event {
        let want: Vec<u64> = (1..=seqs.len() as u64).collect();
        assert_eq!(seqs, &want, "event {event}: sequences");
    }
    // (c) the same messages as the uninterrupted run, ending with an all-clear after
    // Okinawa was told to take shelter.
    let got = stages(&alerts);
    assert!(
        got.iter()
            .any(|(_, s, r)| s == "TakeShelter" && r.iter().any(|r| r == "JP-47")),
        "no TakeShelter for JP-47: {got:?}"
    );
    assert!(
        got.iter().any(|(_, s, _)| s == "AllClear"),
        "no AllClear: {got:?}"
    );
    if got != stages(&reference) {
        panic!(
            "the crashed run's messages differ from the uninterrupted run's\ncrashed:\n{}\nuninterrupted:\n{}",
            describe(&alerts),
            describe(&reference)
        );
    }
    // (d) the stream from the start delivers each alert once, in order.
    check_stream(&server, &alerts);
    // (e) every queued delivery is made, exactly once per idempotency key: the
    // receiver gets each Okinawa message's key (at least once on the wire) and the
    // outbox holds one delivered row per key.
    let okinawa: Vec<&str> = alerts
        .iter()
        .filter(|a| {
            a["regions"]
                .as_array()
                .unwrap()
                .iter()
                .chain(a["lifted"].as_array().unwrap())
                .any(|r| r == "JP-47")
        })
        .map(|a| a["identifier"].as_str().unwrap())
        .collect();
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    let delivered_keys = loop {
        let keys: BTreeSet<String> = hook_keys.lock().unwrap().iter().cloned().collect();
        let done = okinawa
            .iter()
            .all(|id| keys.iter().any(|k| k.starts_with(&format!("{id}:"))));
        if done || Instant::now() > deadline {
            break keys;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    for id in &okinawa {
        let n = delivered_keys
            .iter()
            .filter(|k| k.starts_with(&format!("{id}:")))
            .count();
        assert_eq!(
            n, 1,
            "alert {id}: {n} idempotency keys delivered ({delivered_keys:?})"
        );
    }
    assert_eq!(
        delivered_keys.len(),
        okinawa.len(),
        "deliveries of alerts that were never issued: {delivered_keys:?}"
    );
    server.kill();
    let on_the_wire = hook_keys.lock().unwrap().len();
    let outbox_rows: Vec<(String, String)> = {
        let c = rusqlite::Connection::open(dir.join("keiho.db")).unwrap();
        let mut stmt = c
            .prepare("SELECT idempotency_key, state FROM deliver_outbox WHERE channel = 'webhook'")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(outbox_rows.len(), okinawa.len(), "{outbox_rows:?}");
    assert!(
        outbox_rows.iter().all(|(_, state)| state == "delivered"),
        "{outbox_rows:?}"
    );
    println!(
        "crash test: {} webhook deliveries ({on_the_wire} on the wire) for {} Okinawa messages",
        outbox_rows.len(),
        okinawa.len()
    );
    // A batch re-posted after its answer was lost is refused as duplicate, even by a
    // restarted server (it knows the inbox): no report is stored twice.
    let inbox = {
        use keiho_store::ServiceLog as _;
        let store = keiho_store::SqliteStore::open(&dir.join("keiho.db")).unwrap();
        store.inbox().unwrap()
    };
    let distinct: BTreeSet<&str> = inbox.iter().map(|r| r.json.as_str()).collect();
    let inbox_duplicates = inbox.len() - distinct.len();
    assert_eq!(inbox_duplicates, 0, "reports stored twice in the inbox");

    println!(
        "crash test: {kills} kills (seed {seed}; {died_mid_posting} cut a request; {posted_before_final}/{} batches acknowledged before the final server), \
         {n_reports} reports: {} accepted, {} refused as duplicates, \
         {} requests lost, {inbox_duplicates} reports twice in the inbox, {} alerts ({} acknowledged in answers, {} events); \
         reference run {ref_secs:.1} s, whole test {:.1} s",
        all.len(),
        ledger.reports_accepted,
        ledger.reports_duplicate,
        ledger.requests_lost,
        alerts.len(),
        ledger.issued.len(),
        per_event.len(),
        began.elapsed().as_secs_f64()
    );
}
