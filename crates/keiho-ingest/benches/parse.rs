//! Throughput of JSON-line parse + validate, and of TDM parsing, on the test inputs.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keiho_ingest::{TdmContext, Validator};
use std::hint::black_box;

const LINES: [&str; 3] = [
    r#"{"t":"2023-08-23T18:50:12.300Z","object":"T1","sensor":"EW-1","kind":"launch","lat_deg":39.66,"lon_deg":124.705,"sigma_m":2000}"#,
    r#"{"t":"2023-08-23T18:50:40Z","object":"T1","sensor":"FUSE","kind":"position","lat_deg":38.2,"lon_deg":124.9,"alt_m":120000,"sigma_m":500,"vel_ecef_mps":[1200,-800,-1500]}"#,
    r#"{"t":"2023-08-23T18:50:50Z","object":"T1","sensor":"RDR-OKI","kind":"radar","site":{"lat_deg":26.2124,"lon_deg":127.6809,"alt_m":85},"range_m":900000,"az_deg":320,"el_deg":20,"sigma":{"range_m":50,"angle_deg":0.05}}"#,
];
const FIXTURE: &str = include_str!("../tests/fixtures/two_radars.tdm");

fn parse(c: &mut Criterion) {
    let now = chrono::DateTime::parse_from_rfc3339("2023-08-23T18:54:00Z")
        .map(|t| t.to_utc())
        .unwrap_or_default();
    let v = Validator::new(now);
    // 3,000 lines, one third of each kind, as a feed would deliver them.
    let batch: String = LINES
        .iter()
        .cycle()
        .take(3_000)
        .map(|l| format!("{l}\n"))
        .collect();
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Elements(3_000));
    g.bench_function("json_lines_3000", |b| {
        b.iter(|| v.parse_lines(black_box(&batch)))
    });
    g.throughput(Throughput::Elements(8));
    let ctx = TdmContext {
        sites: [(
            "KEIHO-RDR-MYK".to_owned(),
            keiho_ingest::SiteGeodetic {
                lat_deg: 24.805,
                lon_deg: 125.281,
                alt_m: 60.0,
            },
        )]
        .into(),
        ..TdmContext::default()
    };
    g.bench_function("tdm_fixture_8_reports", |b| {
        b.iter(|| v.parse_tdm(black_box(FIXTURE), &ctx))
    });
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
