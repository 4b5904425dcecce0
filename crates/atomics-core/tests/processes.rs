//! Segments and wait/notify between processes: this test binary starts copies of itself as
//! child processes (the `child` test, told what to do through an environment variable), so
//! that the same tests run natively and, cross-compiled, on Windows under wine.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use atomics_core::shm::{self, Kind, Segment, ShmError};
use atomics_core::{AtomicView, MemoryOrder::SeqCst, WaitOutcome};

/// The environment variable that makes the `child` test act: a role and its arguments.
const ROLE: &str = "ATOMICS_TEST_CHILD";
/// Generous: a process started under emulation takes a while to run.
const PATIENCE: Duration = Duration::from_secs(60);

/// The layout the roles share: counter (u64) at 0, start (u32) at 64, ready (u32) at 128,
/// and one value of each waitable width from 192 (u8 at 192, u16 at 200, u32 at 208, u64 at
/// 216).
const COUNTER: usize = 0;
const START: usize = 64;
const READY: usize = 128;
const SIZE: usize = 256;

fn width_offset(width: usize) -> usize {
    match width {
        1 => 192,
        2 => 200,
        4 => 208,
        _ => 216,
    }
}

/// Starts this test binary as a child playing `role`.
fn spawn(role: &str) -> Child {
    Command::new(std::env::current_exe().expect("the test binary's path"))
        .args(["--exact", "child", "--nocapture", "--test-threads=1", "-q"])
        .env(ROLE, role)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start a child process")
}

/// Waits for `child` and checks that it succeeded; returns what it printed.
fn finish(child: Child) -> String {
    let out = child.wait_with_output().expect("wait for a child process");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "child failed ({}):\n{stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    stdout
}

/// What a child printed after `key: ` (the test harness prints around it).
fn said<'a>(printed: &'a str, key: &str) -> &'a str {
    printed
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no {key}: {printed}"))
}

/// Waits while the `T` at `view` equals `old`, within `PATIENCE`.
fn wait_until_not<T: atomics_core::Waitable>(view: AtomicView<'_, T>, old: T) {
    let deadline = Instant::now() + PATIENCE;
    while view.load(SeqCst) == old {
        let left = deadline.checked_duration_since(Instant::now()).expect("no change within the patience");
        view.wait(old, Some(left));
    }
}

/// What a child does (nothing when run as an ordinary test).
#[test]
fn child() {
    let Ok(role) = std::env::var(ROLE) else { return };
    let args: Vec<&str> = role.split(' ').collect();
    let open = |name: &str| Segment::open(name).unwrap_or_else(|e| panic!("open {name}: {e}"));
    match args[..] {
        // Reads the u64 at 0, writes its double at 8, prints what it read.
        ["double", name] => {
            let segment = open(name);
            let value = segment.view::<u64>(0).unwrap().load(SeqCst);
            segment.view::<u64>(8).unwrap().store(value * 2, SeqCst);
            println!("read: {value}");
        }
        // Says it is ready, waits for the start, adds 1 to the counter `n` times.
        ["count", name, n] => {
            let segment = open(name);
            let (counter, start, ready) = (
                segment.view::<u64>(COUNTER).unwrap(),
                segment.view::<u32>(START).unwrap(),
                segment.view::<u32>(READY).unwrap(),
            );
            ready.fetch_add(1, SeqCst);
            ready.notify_all();
            wait_until_not(start, 0);
            for _ in 0..n.parse::<u64>().unwrap() {
                counter.fetch_add(1, SeqCst);
            }
        }
        // Sleeps, then stores 1 (or, for 8 bytes, changes the high half) at the value of
        // `width` bytes and notifies.
        ["notify", name, width, ms] => {
            let segment = open(name);
            std::thread::sleep(Duration::from_millis(ms.parse().unwrap()));
            let offset = width_offset(width.parse().unwrap());
            match width {
                "1" => store_and_notify(segment.view::<u8>(offset).unwrap(), 1),
                "2" => store_and_notify(segment.view::<u16>(offset).unwrap(), 1),
                "4" => store_and_notify(segment.view::<u32>(offset).unwrap(), 1),
                _ => store_and_notify(segment.view::<u64>(offset).unwrap(), 1 << 40),
            }
        }
        // Answers `rounds` pings on the u32 at START: waits for an odd value, stores the
        // next even one, notifies.
        ["pong", name, rounds] => {
            let segment = open(name);
            let ball = segment.view::<u32>(START).unwrap();
            for round in 0..rounds.parse::<u32>().unwrap() {
                wait_until_not(ball, 2 * round);
                assert_eq!(ball.load(SeqCst), 2 * round + 1, "round {round}");
                ball.store(2 * round + 2, SeqCst);
                ball.notify_all();
            }
        }
        // Holds the segment open until the u32 at START is not 0.
        ["hold", name] => {
            let segment = open(name);
            let ready = segment.view::<u32>(READY).unwrap();
            ready.store(1, SeqCst);
            ready.notify_all();
            wait_until_not(segment.view::<u32>(START).unwrap(), 0);
        }
        // Prints whether the segment can be opened.
        ["probe", name] => match Segment::open(name) {
            Ok(_) => println!("probe: opened"),
            Err(ShmError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => println!("probe: not found"),
            Err(e) => println!("probe: error: {e}"),
        },
        _ => panic!("unknown role {role:?}"),
    }
}

fn store_and_notify<T: atomics_core::Waitable>(view: AtomicView<'_, T>, value: T) {
    view.store(value, SeqCst);
    view.notify_all();
}

#[test]
fn two_processes_share_a_segment() {
    let segment = Segment::create(SIZE, 0, Kind::Layout).unwrap();
    segment.view::<u64>(0).unwrap().store(21, SeqCst);
    let printed = finish(spawn(&format!("double {}", segment.name())));
    assert_eq!(said(&printed, "read"), "21");
    assert_eq!(segment.view::<u64>(8).unwrap().load(SeqCst), 42);
    segment.unlink().unwrap();
}

#[test]
fn processes_counting_together_lose_no_update() {
    const CHILDREN: u32 = 4;
    const EACH: u64 = 25_000;
    let segment = Segment::create(SIZE, 0, Kind::Layout).unwrap();
    let children: Vec<Child> = (0..CHILDREN).map(|_| spawn(&format!("count {} {EACH}", segment.name()))).collect();
    let ready = segment.view::<u32>(READY).unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = ready.load(SeqCst);
        if now == CHILDREN {
            break;
        }
        ready.wait(now, Some(deadline.checked_duration_since(Instant::now()).expect("children never got ready")));
    }
    let start = segment.view::<u32>(START).unwrap();
    start.store(1, SeqCst);
    start.notify_all();
    children.into_iter().for_each(|c| drop(finish(c)));
    assert_eq!(segment.view::<u64>(COUNTER).unwrap().load(SeqCst), u64::from(CHILDREN) * EACH);
    segment.unlink().unwrap();
}

#[test]
fn a_process_wakes_another_for_every_width() {
    let segment = Segment::create(SIZE, 0, Kind::Layout).unwrap();
    for width in [1, 2, 4, 8] {
        let child = spawn(&format!("notify {} {width} 200", segment.name()));
        let offset = width_offset(width);
        let started = Instant::now();
        let outcome = match width {
            1 => segment.view::<u8>(offset).unwrap().wait(0, Some(PATIENCE)),
            2 => segment.view::<u16>(offset).unwrap().wait(0, Some(PATIENCE)),
            4 => segment.view::<u32>(offset).unwrap().wait(0, Some(PATIENCE)),
            _ => segment.view::<u64>(offset).unwrap().wait(0, Some(PATIENCE)),
        };
        assert_eq!(outcome, WaitOutcome::Changed, "width {width}");
        assert!(started.elapsed() < PATIENCE, "width {width}: woken by the timeout");
        finish(child);
    }
    segment.unlink().unwrap();
}

#[test]
fn ping_pong_between_processes_loses_no_wake_up() {
    const ROUNDS: u32 = 500;
    let segment = Segment::create(SIZE, 0, Kind::Layout).unwrap();
    let child = spawn(&format!("pong {} {ROUNDS}", segment.name()));
    let ball = segment.view::<u32>(START).unwrap();
    for round in 0..ROUNDS {
        ball.store(2 * round + 1, SeqCst);
        ball.notify_all();
        wait_until_not(ball, 2 * round + 1);
        assert_eq!(ball.load(SeqCst), 2 * round + 2, "round {round}");
    }
    finish(child);
    segment.unlink().unwrap();
}

/// Unlinking removes the name for every process at once, even one that holds it open (on
/// Windows, where a name lives while some process holds it, the segment is marked unlinked).
#[test]
fn unlinking_removes_the_name_for_every_process() {
    let segment = Segment::create(SIZE, 0, Kind::Layout).unwrap();
    let name = segment.name().to_owned();
    let holder = spawn(&format!("hold {name}"));
    wait_until_not(segment.view::<u32>(READY).unwrap(), 0);
    segment.unlink().unwrap();
    let seen = finish(spawn(&format!("probe {name}")));
    assert_eq!(said(&seen, "probe"), "not found", "while another process holds {name}");
    let start = segment.view::<u32>(START).unwrap();
    start.store(1, SeqCst);
    start.notify_all();
    finish(holder);
    assert!(matches!(shm::unlink(&name), Err(e) if e.kind() == std::io::ErrorKind::NotFound));
}
