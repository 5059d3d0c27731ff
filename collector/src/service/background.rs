//! Work a background pass spreads over this machine's cores, on threads
//! that yield to the server's: a pass over every stored answer (scoring
//! them again after a coding changes) uses the CPU that requests leave
//! idle, and submissions are not held up behind it.

/// The nice value of a background pass's threads: under the server's (0),
/// so a request's thread runs first, yet above idle, so a pass still ends
/// on a busy machine.
const NICE: i32 = 10;

/// The fewest items a thread takes at a time: few, so that the threads
/// end together however long each item takes.
const TAKE: usize = 8;

/// The threads every pass shares, one per core, each at [`NICE`]: started
/// at the first pass and kept. A pass hands them runs of a few hundred
/// answers; threads started afresh for each run began each one with an
/// empty stem cache, n-gram buffers and allocator heap (a whole pass
/// over 1.3M comments already coded took 74–96 s, against 56–73 s on kept
/// threads with words remembered: `bench_learning --whole`, README).
fn pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(std::thread::available_parallelism().map_or(1, |n| n.get()))
            .thread_name(|i| format!("background-{i}"))
            .start_handler(|_| yield_to_server())
            .build()
            .expect("the background threads start")
    })
}

/// Runs `f` on every item of `items` and returns its results in order, on
/// the background threads (one per core, each at [`NICE`] on Linux;
/// elsewhere at the server's priority), which split the items among them
/// as they free up, in pieces of at least [`TAKE`]. The caller waits. A
/// panic in `f` is passed on.
pub fn map<T: Send, R: Send>(items: &mut [T], f: impl Fn(&mut T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    pool().install(|| items.par_iter_mut().with_min_len(TAKE).map(f).collect())
}

/// Lowers the calling thread's priority to [`NICE`] (never raises it).
/// On Linux the nice value is a thread's own (`setpriority(2)` with no
/// pid names the calling thread), so the server's threads keep theirs. A
/// failure (not expected when lowering a priority) leaves the thread as it
/// was.
fn yield_to_server() {
    #[cfg(target_os = "linux")]
    if let Ok(now) = nice() {
        let _ = rustix::process::setpriority_process(None, NICE.max(now));
    }
}

/// The nice value of the calling thread (Linux).
#[cfg(target_os = "linux")]
fn nice() -> std::io::Result<i32> {
    Ok(rustix::process::getpriority_process(None)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_mapped_once_in_order() {
        let mut items: Vec<u64> = (0..1001).collect();
        let out = map(&mut items, |x| {
            *x += 1;
            *x * 2
        });
        assert_eq!(items, (1..1002).collect::<Vec<_>>());
        assert_eq!(out, (1..1002).map(|x| x * 2).collect::<Vec<_>>());
        assert!(map(&mut Vec::<u64>::new(), |x| *x).is_empty());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_work_runs_below_the_callers_priority_and_the_caller_keeps_its_own() {
        let before = nice().unwrap();
        let seen = map(&mut [(); 64], |_| nice().unwrap());
        assert!(seen.iter().all(|&n| n == NICE.max(before)), "{seen:?}");
        assert!(NICE > before, "the test runs at the server's priority");
        assert_eq!(
            nice().unwrap(),
            before,
            "the calling thread is left as it was"
        );
    }

    #[test]
    #[should_panic(expected = "boom")]
    fn a_panic_in_the_work_is_passed_on() {
        map(&mut [1, 2, 3], |x| {
            if *x == 2 {
                panic!("boom");
            }
        });
    }
}
