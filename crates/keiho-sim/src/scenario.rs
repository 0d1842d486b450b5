//! The built-in scenarios: generic vehicles tuned so that their ground tracks, timings
//! and fall areas match the public facts of past flights (FACTS.md section 3).
//!
//! Every number below is either matched to a stated public fact or invented to make a
//! plausible generic flight; the doc comment of each scenario says which. Acceleration
//! profiles and steering are fitted to the facts, not taken from any vehicle data.

use crate::sensors::Sensors;
use crate::vehicle::{Ending, Failure, Fairing, Schedule, Stage, Vehicle};
use chrono::{DateTime, TimeDelta, Utc};
use keiho_geo::frames::Geodetic;
use thiserror::Error;

/// A named flight with its sensors.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Name, as given to [`Scenario::by_name`].
    pub name: &'static str,
    /// One line on what it represents.
    pub description: &'static str,
    /// Lift-off time, UTC.
    pub launch: DateTime<Utc>,
    /// Launch point (WGS84).
    pub pad: Geodetic,
    /// Prefix of every object id, e.g. `SOHAE-2023-08-24`.
    pub object_prefix: String,
    /// Suffix of the main object's id: `PAYLOAD` for a satellite launch, `OBJ` for a
    /// missile.
    pub main_object: String,
    /// The vehicle.
    pub vehicle: Vehicle,
    /// The sensors that observe it.
    pub sensors: Sensors,
}

/// No scenario has that name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown scenario {name:?}; known: {}", Scenario::names().join(", "))]
pub struct UnknownScenario {
    /// The name asked for.
    pub name: String,
}

/// Lift-off times as Unix seconds (UTC), so constructing them cannot fail.
const AUG_2023_S: i64 = 1_692_816_600; // 2023-08-23T18:50:00Z
const NOV_2023_S: i64 = 1_700_574_148; // 2023-11-21T13:42:28Z
const MAY_2023_S: i64 = 1_685_482_020; // 2023-05-30T21:27:00Z
const OCT_2022_S: i64 = 1_664_835_720; // 2022-10-03T22:22:00Z
const JAN_2024_S: i64 = 1_705_190_400; // 2024-01-14T00:00:00Z

fn utc(unix_s: i64) -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(unix_s)
}

/// Sohae launch site, 39.660 N 124.705 E (FACTS 3).
const SOHAE: Geodetic = Geodetic {
    lat_deg: 39.660,
    lon_deg: 124.705,
    alt_m: 0.0,
};

#[allow(clippy::too_many_arguments)]
fn stage(
    name: &str,
    coast_before_s: f64,
    burn_s: f64,
    accel_mps2: (f64, f64),
    elevation_deg: &[(f64, f64)],
    azimuth_deg: &[(f64, f64)],
    spent_beta_kg_m2: Option<f64>,
) -> Stage {
    Stage {
        name: name.to_owned(),
        coast_before_s,
        burn_s,
        accel_start_mps2: accel_mps2.0,
        accel_end_mps2: accel_mps2.1,
        elevation_deg: Schedule::new(elevation_deg),
        azimuth_deg: Schedule::new(azimuth_deg),
        spent_beta_kg_m2,
    }
}

/// The first stage shared by the three Sohae flights: it must drop its spent stage in
/// the notified zone west of Taean / Eocheong-do (FACTS 3: ~220-253 km west of them,
/// i.e. about 36 N 123.5-124 E; 2016's zone 35.3-36.1 N x 124.5-124.9 E). The heading
/// is a little west of south (invented, fitted to that zone) and turns east later
/// (the dog-leg; a numeric azimuth was not found). Result: 36.1 N 124.0 E at 7.5 min,
/// matching also "one piece fell 22:50" on 21 Nov (FACTS 3).
fn sohae_stage1() -> Stage {
    stage(
        "STAGE1",
        0.0,
        150.0,
        (14.0, 32.0),
        &[(0.0, 90.0), (12.0, 90.0), (60.0, 65.0), (150.0, 40.0)],
        &[(0.0, 188.0)],
        Some(1_500.0),
    )
}

/// The fairing separates early in the second-stage burn (above 100 km) and falls west
/// of Jeju (FACTS 3: ~270-284 km west of Jeju / Jindo; brief: ~33 N ~125 E); result
/// 33.6 N 124.2 E. Time and beta invented.
const SOHAE_FAIRING: Fairing = Fairing {
    separation_s: 200.0,
    beta_kg_m2: 40.0,
};

/// The second stage of the two successful-to-stage-2 flights (Aug, Nov). Its heading
/// turns from south to south-south-east (the second leg of the dog-leg) so the track
/// passes midway between Okinawa Island and Miyako (~126.5 E at 25.6 N, FACTS 2, 3),
/// and its burnout speed is fitted so that the spent stage falls in the zone east of
/// the Philippines (FACTS 3; result 16.6 N 127.6 E, ~14 min) and the August pieces fall
/// ~15 min after launch. All numbers invented and fitted.
fn sohae_stage2() -> Stage {
    stage(
        "STAGE2",
        3.0,
        150.0,
        (14.0, 33.0),
        &[(0.0, 35.0), (150.0, 15.0)],
        &[(0.0, 172.0), (80.0, 160.0)],
        Some(2_000.0),
    )
}

impl Scenario {
    /// Names of the built-in scenarios.
    pub fn names() -> &'static [&'static str] {
        &[
            "sohae-2023-08-24",
            "sohae-2023-11-21",
            "sohae-2023-05-31",
            "irbm-2022-10-04",
            "srbm-sea-of-japan",
        ]
    }

    /// A built-in scenario by name.
    pub fn by_name(name: &str) -> Result<Self, UnknownScenario> {
        match name {
            "sohae-2023-08-24" => Ok(Self::sohae_2023_08_24()),
            "sohae-2023-11-21" => Ok(Self::sohae_2023_11_21()),
            "sohae-2023-05-31" => Ok(Self::sohae_2023_05_31()),
            "irbm-2022-10-04" => Ok(Self::irbm_2022_10_04()),
            "srbm-sea-of-japan" => Ok(Self::srbm_sea_of_japan()),
            _ => Err(UnknownScenario {
                name: name.to_owned(),
            }),
        }
    }

    /// 24 Aug 2023 (18:50 UTC 23 Aug), the second Chollima-1 flight (FACTS 2, 3):
    /// stages 1-2 normal; the third stage fails during its burn ("error in the emergency
    /// blasting system"); one piece crosses between Okinawa Island and Miyako about
    /// 10 min after launch (~04:00 JST) and the pieces fall about 15 min after launch
    /// (~04:05) some 600 km east of the Philippines. Stage 2 falls in the zone east of
    /// the Philippines (~350 km east of Samar). Invented: every burn time, acceleration
    /// and steering angle; the failure time (15 s into the third burn); fragment count,
    /// velocities and betas. Result: the pieces cross 25.6 N at 126.5-126.6 E at
    /// ~9.4 min, apogee ~317 km, and fall at 15.3-15.8 N 127.7-128.0 E at 14.7-16.4 min.
    pub fn sohae_2023_08_24() -> Self {
        let stage3 = stage(
            "STAGE3",
            5.0,
            200.0,
            (10.0, 25.0),
            &[(0.0, 5.0), (200.0, 0.0)],
            &[(0.0, 165.0)],
            None,
        );
        Self {
            name: "sohae-2023-08-24",
            description: "Chollima-1, 24 Aug 2023: third-stage failure, pieces east of the Philippines",
            launch: utc(AUG_2023_S),
            pad: SOHAE,
            object_prefix: "SOHAE-2023-08-24".to_owned(),
            main_object: "PAYLOAD".to_owned(),
            vehicle: Vehicle {
                stages: vec![sohae_stage1(), sohae_stage2(), stage3],
                stack_beta_kg_m2: 3_000.0,
                payload_beta_kg_m2: 500.0,
                fairing: Some(SOHAE_FAIRING),
                ending: Ending::Failure(Failure {
                    stage: 2,
                    after_ignition_s: 15.0,
                    fragments: 6,
                    dv_mps: (10.0, 60.0),
                    beta_kg_m2: (100.0, 10_000.0),
                    seed: 20_230_824,
                }),
            },
            sensors: Sensors::default_sites(),
        }
    }

    /// 21 Nov 2023 (13:42:28 UTC), Chollima-1 placing Malligyong-1 in orbit (FACTS 2, 3):
    /// in orbit 705 s after launch, ~493 x 512 km, 97.4 deg; the "double dog-leg"
    /// (south, then east of south, then west of south to reach the sun-synchronous
    /// plane); passing between Okinawa and Miyako (Japan: 22:55 JST, ~12.5 min); stage 1
    /// and fairing in the same zones as the other flights, stage 2 east of the
    /// Philippines. The brief's 13:42:00Z is replaced by FACTS' 22:42:28 JST. Invented:
    /// every burn time, acceleration and steering angle. Result: insertion at 708 s,
    /// 510 x 522 km, 97.39 deg. Not matched: the crossing time. This ascent passes
    /// 25.6 N (126.5 E) at ~8.8 min, not Japan's 12.5 min; being 1,570 km downrange only
    /// 45 s before a 705 s insertion needs an implausibly back-loaded ascent, and would
    /// not reach the stage-2 zone east of the Philippines.
    pub fn sohae_2023_11_21() -> Self {
        // The third leg: a long, slowly building burn that holds the second stage's
        // heading past Okinawa and Miyako, then turns west of south onto the 97.4 deg
        // plane and noses down so that the cut-off (speed = circular speed) is
        // near-circular at ~500 km. Fitted to insertion time, orbit and inclination.
        let stage3 = stage(
            "STAGE3",
            5.0,
            450.0,
            (7.6, 17.2),
            &[(0.0, 25.0), (200.0, 20.0), (450.0, -54.0)],
            &[(0.0, 165.0), (100.0, 165.0), (250.0, 239.5), (450.0, 215.0)],
            None,
        );
        Self {
            name: "sohae-2023-11-21",
            description: "Chollima-1, 21 Nov 2023: orbit ~500 km, 97.4 deg",
            launch: utc(NOV_2023_S),
            pad: SOHAE,
            object_prefix: "SOHAE-2023-11-21".to_owned(),
            main_object: "PAYLOAD".to_owned(),
            vehicle: Vehicle {
                stages: vec![sohae_stage1(), sohae_stage2(), stage3],
                stack_beta_kg_m2: 3_000.0,
                payload_beta_kg_m2: 500.0,
                fairing: Some(SOHAE_FAIRING),
                ending: Ending::Orbit { coast_s: 300.0 },
            },
            sensors: Sensors::default_sites(),
        }
    }

    /// 31 May 2023 (21:27 UTC 30 May), the first Chollima-1 flight (FACTS 2, 3): the
    /// second stage ignites abnormally and fails; the pieces fall in the Yellow Sea about
    /// 200 km west of Eocheong-do (36.12 N 125.98 E), i.e. around 36 N 123.8 E; Japan
    /// loses the object over the Yellow Sea ~06:35 JST (~8 min). Stage 1 as in the other
    /// flights. Invented: failure 5 s after second-stage ignition with low thrust,
    /// fragments. Result: pieces at 36.0-36.1 N 123.9-124.0 E (~180 km west of
    /// Eocheong-do) at 7.1-8.2 min; the fused track ends about 8 min after launch.
    pub fn sohae_2023_05_31() -> Self {
        let stage2 = stage(
            "STAGE2",
            3.0,
            150.0,
            (4.0, 4.0),
            &[(0.0, 25.0)],
            &[(0.0, 192.0)],
            None,
        );
        Self {
            name: "sohae-2023-05-31",
            description: "Chollima-1, 31 May 2023: second-stage failure, pieces in the Yellow Sea",
            launch: utc(MAY_2023_S),
            pad: SOHAE,
            object_prefix: "SOHAE-2023-05-31".to_owned(),
            main_object: "PAYLOAD".to_owned(),
            vehicle: Vehicle {
                stages: vec![sohae_stage1(), stage2],
                stack_beta_kg_m2: 3_000.0,
                payload_beta_kg_m2: 500.0,
                fairing: Some(SOHAE_FAIRING),
                ending: Ending::Failure(Failure {
                    stage: 1,
                    after_ignition_s: 5.0,
                    fragments: 5,
                    dv_mps: (10.0, 50.0),
                    beta_kg_m2: (100.0, 10_000.0),
                    seed: 20_230_531,
                }),
            },
            sensors: Sensors::default_sites(),
        }
    }

    /// 4 Oct 2022 (22:22 UTC 3 Oct), an IRBM from Jagang province (Mupyong-ni area,
    /// ~40.6 N 126.4 E) over Aomori, ~970 km apogee, ~4,600 km range, falling ~3,200 km
    /// east of Japan after ~22 min (FACTS 2, 3). Invented: a single generic stage, its
    /// acceleration and steering (fitted to those figures), the betas. Result: over
    /// Aomori at ~40.8 N, apogee 969 km, impact 31.0 N 177.1 E (4,635 km) at 22.6 min.
    pub fn irbm_2022_10_04() -> Self {
        let stage1 = stage(
            "STAGE1",
            0.0,
            170.0,
            (16.0, 70.0),
            &[(0.0, 90.0), (8.0, 90.0), (60.0, 48.5), (170.0, 32.0)],
            &[(0.0, 84.0)],
            Some(1_000.0),
        );
        Self {
            name: "irbm-2022-10-04",
            description: "IRBM, 4 Oct 2022: over Aomori, ~4,600 km into the Pacific",
            launch: utc(OCT_2022_S),
            pad: Geodetic {
                lat_deg: 40.6,
                lon_deg: 126.4,
                alt_m: 0.0,
            },
            object_prefix: "IRBM-2022-10-04".to_owned(),
            main_object: "OBJ".to_owned(),
            vehicle: Vehicle {
                stages: vec![stage1],
                stack_beta_kg_m2: 3_000.0,
                payload_beta_kg_m2: 8_000.0,
                fairing: None,
                ending: Ending::Ballistic,
            },
            sensors: Sensors::default_sites(),
        }
    }

    /// A generic short-range ballistic flight (entirely invented, no real event): from
    /// the east coast of North Korea (39.2 N 127.5 E) eastward about 400 km, apogee
    /// about 100 km, falling in the Sea of Japan more than 300 km from Japan's coast.
    /// Result: apogee 101 km, impact 40.0 N 132.2 E (414 km) at 6 min.
    pub fn srbm_sea_of_japan() -> Self {
        let stage1 = stage(
            "STAGE1",
            0.0,
            70.0,
            (25.0, 74.0),
            &[(0.0, 90.0), (5.0, 90.0), (30.0, 51.0), (70.0, 36.0)],
            &[(0.0, 75.0)],
            None,
        );
        Self {
            name: "srbm-sea-of-japan",
            description: "Generic SRBM into the Sea of Japan, ~400 km, apogee ~100 km",
            launch: utc(JAN_2024_S),
            pad: Geodetic {
                lat_deg: 39.2,
                lon_deg: 127.5,
                alt_m: 0.0,
            },
            object_prefix: "SRBM-2024-01-14".to_owned(),
            main_object: "OBJ".to_owned(),
            vehicle: Vehicle {
                stages: vec![stage1],
                stack_beta_kg_m2: 3_000.0,
                payload_beta_kg_m2: 3_000.0,
                fairing: None,
                ending: Ending::Ballistic,
            },
            sensors: Sensors::default_sites(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launch_times_are_the_stated_instants() {
        let s = |name| Scenario::by_name(name).unwrap().launch.to_rfc3339();
        assert_eq!(s("sohae-2023-08-24"), "2023-08-23T18:50:00+00:00");
        assert_eq!(s("sohae-2023-11-21"), "2023-11-21T13:42:28+00:00");
        assert_eq!(s("sohae-2023-05-31"), "2023-05-30T21:27:00+00:00");
        assert_eq!(s("irbm-2022-10-04"), "2022-10-03T22:22:00+00:00");
        assert_eq!(s("srbm-sea-of-japan"), "2024-01-14T00:00:00+00:00");
    }

    #[test]
    fn every_name_resolves_and_unknown_names_are_typed_errors() {
        for name in Scenario::names() {
            assert_eq!(Scenario::by_name(name).unwrap().name, *name);
        }
        let e = Scenario::by_name("nope").unwrap_err();
        assert!(e.to_string().contains("sohae-2023-08-24"));
    }
}
