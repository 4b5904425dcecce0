//! The round trip of wait/notify between two processes: this program starts a copy of itself,
//! and the two pass a value back and forth in a shared segment (store, notify, wait for the
//! answer), as `atomics.sync` and the benchmark's ping-pong do. Prints the median and the
//! 90th percentile of the round trips after a warm-up.
//!
//! ```text
//! cargo run --release --example wait_round_trip -p atomics-core [-- ROUNDS]
//! ```

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use atomics_core::shm::{Kind, Segment};
use atomics_core::{AtomicView, MemoryOrder::SeqCst};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const WARM_UP: u32 = 200;
const PATIENCE: Duration = Duration::from_secs(60);

/// Waits until the value differs from `old`.
fn wait_for_change(ball: AtomicView<'_, u32>, old: u32) -> Result<u32> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = ball.load(SeqCst);
        if now != old {
            return Ok(now);
        }
        let left = deadline.checked_duration_since(Instant::now()).ok_or("no answer within 60 s")?;
        ball.wait(old, Some(left));
    }
}

/// The child: answers every odd value with the next even one.
fn pong(name: &str, rounds: u32) -> Result<()> {
    let segment = Segment::open(name)?;
    let ball = segment.view::<u32>(0)?;
    for round in 0..rounds {
        wait_for_change(ball, 2 * round)?;
        ball.store(2 * round + 2, SeqCst);
        ball.notify_all();
    }
    Ok(())
}

fn ping(rounds: u32) -> Result<()> {
    let segment = Segment::create(64, 0, Kind::Layout)?;
    let ball = segment.view::<u32>(0)?;
    let mut child = Command::new(std::env::current_exe()?)
        .args(["pong", segment.name(), &(WARM_UP + rounds).to_string()])
        .stdin(Stdio::null())
        .spawn()?;
    let mut trips = Vec::with_capacity(rounds as usize);
    for round in 0..WARM_UP + rounds {
        let start = Instant::now();
        ball.store(2 * round + 1, SeqCst);
        ball.notify_all();
        wait_for_change(ball, 2 * round + 1)?;
        if round >= WARM_UP {
            trips.push(start.elapsed());
        }
    }
    if !child.wait()?.success() {
        return Err("the other process failed".into());
    }
    segment.unlink()?;
    trips.sort();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "wait/notify round trip between two processes: median {:.1} µs, 90th percentile {:.1} µs ({rounds} rounds)",
        micros(trips[trips.len() / 2]),
        micros(trips[trips.len() * 9 / 10]),
    );
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args[..] {
        ["pong", name, rounds] => rounds.parse().map_err(Into::into).and_then(|r| pong(name, r)),
        [rounds] => rounds.parse().map_err(Into::into).and_then(ping),
        [] => ping(2000),
        _ => Err("usage: wait_round_trip [ROUNDS]".into()),
    };
    if let Err(e) = result {
        eprintln!("wait_round_trip: {e}");
        std::process::exit(1);
    }
}
