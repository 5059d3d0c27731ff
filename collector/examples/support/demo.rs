//! What the city-scale benchmarks share: a data folder of generated
//! community-safety responses, bulk-imported, and a collector opened over
//! it. Included by `bench_analytics` and `bench_export` with `#[path]`.

use collector::index::Indexes;
use collector::service::import;
use collector::store::{SledStore, Store};
use std::path::Path;
use std::time::{Duration, Instant};

/// The form the benchmarks load.
pub const FORM: &str = "community-safety";

/// A collector over `data` with the example forms, rate limit and bot
/// checks off.
pub fn config(data: &Path) -> collector::Config {
    collector::Config {
        addr: "127.0.0.1:0".parse().expect("address"),
        data: data.to_path_buf(),
        forms: synth::forms_dir(),
        rate_limit: 0,
        global_rate_limit: 0,
        bot_checks: false,
        ..collector::Config::default()
    }
}

/// Runs `f` until sled stops saying the folder is in use (the import's
/// store releasing its lock), for up to 10 s.
pub fn retry_in_use<T>(mut f: impl FnMut() -> collector::store::Result<T>) -> anyhow::Result<T> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match f() {
            Ok(v) => return Ok(v),
            Err(collector::store::Error::Storage(sled::Error::Io(io)))
                if Instant::now() < deadline && io.kind() == std::io::ErrorKind::WouldBlock =>
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Opens the collector, retrying while sled still releases the folder's
/// lock after the import's store was dropped; how long the open took.
pub fn open_timed(data: &Path) -> anyhow::Result<(collector::AppState, Duration)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let started = Instant::now();
        match collector::open(config(data)) {
            Ok(state) => return Ok((state, started.elapsed())),
            Err(e) if Instant::now() < deadline && e.to_string().contains("in use") => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(e),
        }
    }
}

/// What [`import`] did.
pub struct Imported {
    /// Responses stored.
    pub count: usize,
    /// Generating, validating, coding and writing them.
    pub took: Duration,
    /// The first open after the import, which replays sled's log (once).
    pub replay: Duration,
}

/// Imports `count` generated responses (seed `seed`) into a new sled
/// folder `data`, then opens it once so that sled replays its log out of
/// the way of what is measured next.
pub fn import(data: &Path, count: usize, seed: u64) -> anyhow::Result<Imported> {
    let store = SledStore::open(data)?;
    collector::publish_folder(&store, &synth::forms_dir())?;
    let form = store.form(FORM).expect("community-safety is published");
    let started = Instant::now();
    let generated = synth::submissions(
        &form.form,
        synth::Options {
            seed,
            count,
            ..synth::Options::default()
        },
    )?;
    let count = import::load(
        &store,
        // The default configuration's coding, as `collector demo-data`.
        &Indexes::new(analysis::Scorer::new())
            .with_sentiment_model()
            .with_theme_model(),
        &form.form,
        generated,
    )?;
    let took = started.elapsed();
    drop(store);
    let replay = retry_in_use(|| SledStore::refresh_snapshot(data))?;
    Ok(Imported {
        count,
        took,
        replay,
    })
}
