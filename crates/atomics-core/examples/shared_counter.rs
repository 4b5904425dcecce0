//! A Rust program sharing counters with Python (and C) programs through named shared memory,
//! in the segment format of the Python package `atomics` (see `docs/shared-memory.md`).
//!
//! ```text
//! cargo run --release --example shared_counter -p atomics-core -- COMMAND ...
//!
//! add NAME DELTA          adds DELTA to the atomic of atomics.atomic(8, atomics.INT, shared=True)
//!                         (NAME is its shared_name) and prints the previous value
//! create VALUE            creates a segment holding one INT of width 8 set to VALUE (Python
//!                         attaches with atomics.shared.attach(NAME)), prints its name, waits (at
//!                         most 10 s) until someone changes it, prints the new value, unlinks it
//! notify NAME VALUE MS    attaches to the INT of width 4 or 8 of segment NAME, sleeps MS
//!                         milliseconds, stores VALUE and wakes every waiter (Python obj.wait)
//! count NAME N            in the layout [counter: i64 at 0, start: u32 at 64, ready: u32 at 128]
//!                         of segment NAME: adds 1 to ready (and notifies), waits until start is
//!                         not 0, then adds 1 to counter N times
//! ```
//!
//! Errors go to stderr with exit status 1.

use std::error::Error;
use std::time::Duration;

use atomics_core::shm::{Kind, Segment};
use atomics_core::{AtomicView, MemoryOrder::SeqCst, WaitOutcome};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() {
    if let Err(e) = run(&std::env::args().skip(1).collect::<Vec<_>>()) {
        eprintln!("shared_counter: {e}");
        std::process::exit(1);
    }
}

/// The layout of `count`: each on a cache line of its own, as Python's
/// `atomics.shared.layout([8, 4, 4], cache_line_padded=True)` places them.
const COUNTER: usize = 0;
const START: usize = 64;
const READY: usize = 128;

fn run(args: &[String]) -> Result<()> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        ["add", name, delta] => add(name, delta.parse()?),
        ["create", value] => create(value.parse()?),
        ["notify", name, value, ms] => notify(name, value.parse()?, Duration::from_millis(ms.parse()?)),
        ["count", name, n] => count(name, n.parse()?),
        _ => Err("usage: shared_counter add NAME DELTA | create VALUE | notify NAME VALUE MS | count NAME N".into()),
    }
}

/// Python: `counter = atomics.atomic(8, atomics.INT, shared=True)`; `counter.shared_name`.
fn add(name: &str, delta: i64) -> Result<()> {
    let segment = Segment::open(name)?;
    // Checks that the header says: one INT of width 8.
    let counter = AtomicView::<i64>::single(&segment)?;
    println!("{}", counter.fetch_add(delta, SeqCst));
    Ok(())
}

/// Python: `atomics.shared.attach(name)` (or `attach(name, 8, atomics.INT)`).
fn create(value: i64) -> Result<()> {
    let segment = Segment::create(8, 8, Kind::Int)?;
    let outcome = {
        let atomic = AtomicView::<i64>::single(&segment)?;
        atomic.store(value, SeqCst);
        println!("{}", segment.name());
        let outcome = atomic.wait(value, Some(Duration::from_secs(10)));
        println!("{}", atomic.load(SeqCst));
        outcome
    };
    // The name is the creator's to remove; mappings elsewhere stay valid.
    segment.unlink()?;
    match outcome {
        WaitOutcome::Changed => Ok(()),
        other => Err(format!("the value did not change: {other:?}").into()),
    }
}

fn notify(name: &str, value: i64, delay: Duration) -> Result<()> {
    let segment = Segment::open(name)?;
    match segment.header().width {
        4 => {
            let atomic = AtomicView::<i32>::single(&segment)?;
            std::thread::sleep(delay);
            atomic.store(i32::try_from(value)?, SeqCst);
            atomic.notify_all();
        }
        _ => {
            let atomic = AtomicView::<i64>::single(&segment)?;
            std::thread::sleep(delay);
            atomic.store(value, SeqCst);
            atomic.notify_all();
        }
    }
    Ok(())
}

fn count(name: &str, n: u64) -> Result<()> {
    let segment = Segment::open(name)?;
    let counter = segment.view::<i64>(COUNTER)?;
    let start = segment.view::<u32>(START)?;
    let ready = segment.view::<u32>(READY)?;
    ready.fetch_add(1, SeqCst);
    ready.notify_all();
    while start.load(SeqCst) == 0 {
        if start.wait(0, Some(Duration::from_secs(60))) == WaitOutcome::TimedOut {
            return Err("no start signal within 60 s".into());
        }
    }
    for _ in 0..n {
        counter.fetch_add(1, SeqCst);
    }
    Ok(())
}
