//! GIL domains: independent GILs, each with its own lock, switch interval, statistics and pending
//! pool; two taken together only through the ordered `with_gils`, and any other nested
//! acquisition refused.

mod common;
use common::panic_message;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use gilkit::{DefaultDomain, Domain, Gil, GilCell, GilRc, TryAcquireError};

gilkit::domain!(
    /// The domain most tests use beside the default one.
    pub Physics
);
gilkit::domain!(Audio);

/// Tests that take the default domain or `Physics` run one at a time (a test that holds a domain
/// would make another's `try_acquire` fail).
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

#[gilkit::global_lock(domain = Physics)]
struct Body {
    position: i64,
    velocity: i64,
}

#[gilkit::global_lock]
struct Frame {
    number: u64,
}

#[test]
fn a_struct_in_a_domain_is_reached_with_that_domains_token() {
    let _s = serial();
    let body = Body::new(1, 2).into_handle();
    Physics::with_gil(|p| {
        let (position, velocity) = body.fields_mut(p);
        *position += *velocity;
        assert_eq!(*body.position.get(p), 3);
        let other: GilRc<Body, Physics> = body.clone_ref(p);
        assert_eq!(GilRc::count(&other, p), 2);
    });
}

#[test]
fn a_generic_struct_can_take_its_domain_as_a_parameter() {
    #[gilkit::global_lock(domain = D)]
    struct Slot<D: Domain, T> {
        value: T,
    }
    let _s = serial();
    let audio = Slot::<Audio, _>::new(5_u8);
    let physics = Slot::<Physics, _>::new("x");
    Audio::with_gil(|a| *audio.value.get_mut(a) += 1);
    Physics::with_gil(|p| assert_eq!(*physics.value.get(p), "x"));
    Audio::with_gil(|a| assert_eq!(*audio.value.get(a), 6));
}

#[test]
fn a_thread_holding_one_domain_never_blocks_another() {
    let _s = serial();
    let frame = Frame::new(0);
    let body = Body::new(0, 0);
    let held = Barrier::new(2);
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            gilkit::with_gil(|g| {
                held.wait();
                // Holds the default GIL until the other thread has used its domain.
                while !done.load(Ordering::Acquire) {
                    std::thread::yield_now();
                }
                *frame.number.get_mut(g) += 1;
            });
        });
        held.wait();
        Physics::with_gil(|p| *body.position.get_mut(p) += 1);
        assert_eq!(
            gilkit::try_acquire().unwrap_err(),
            TryAcquireError::WouldBlock,
            "the default domain is still held by the other thread"
        );
        done.store(true, Ordering::Release);
    });
    gilkit::with_gil(|g| assert_eq!(*frame.number.get(g), 1));
}

#[test]
fn each_domain_has_its_own_switch_interval_and_statistics() {
    let _s = serial();
    Audio::set_switch_interval(Duration::from_micros(700));
    assert_eq!(Audio::switch_interval(), Duration::from_micros(700));
    assert_eq!(gilkit::switch_interval(), gilkit::DEFAULT_SWITCH_INTERVAL);
    Audio::set_switch_policy(gilkit::SwitchPolicy::Priority);
    assert_eq!(gilkit::switch_policy(), gilkit::SwitchPolicy::Interval);
    Audio::set_switch_policy(gilkit::SwitchPolicy::Interval);
    Audio::set_switch_interval(gilkit::DEFAULT_SWITCH_INTERVAL);

    let default_before = gilkit::with_gil(|g| g.stats().acquisitions);
    let audio_before = Audio::with_gil(|a| a.stats().acquisitions);
    for _ in 0..3 {
        Audio::with_gil(|_| {});
    }
    assert_eq!(
        Audio::with_gil(|a| a.stats().acquisitions),
        audio_before + 4
    );
    assert_eq!(
        gilkit::with_gil(|g| g.stats().acquisitions),
        default_before + 1
    );
}

#[test]
fn a_handle_dropped_without_its_domain_is_drained_by_that_domain() {
    let _s = serial();
    let body = Body::new(0, 0).into_handle();
    let other = Physics::with_gil(|p| body.clone_ref(p));
    let drained = Physics::with_gil(|p| p.stats().deferred_decrefs_drained);
    // Holding the default domain is not holding `Physics`: the decref waits in Physics's pool.
    gilkit::with_gil(|_| drop(other));
    Physics::with_gil(|p| {
        assert_eq!(p.stats().deferred_decrefs_drained, drained + 1);
        assert_eq!(GilRc::count(&body, p), 1);
    });
}

#[test]
fn acquiring_a_second_domain_is_refused_outside_with_gils() {
    let _s = serial();
    gilkit::with_gil(|_| {
        let panic = std::panic::catch_unwind(|| drop(Physics::acquire())).unwrap_err();
        assert!(
            panic_message(&*panic).contains("holds another GIL domain"),
            "{}",
            panic_message(&*panic)
        );
        assert_eq!(
            Physics::try_acquire().unwrap_err(),
            TryAcquireError::OtherDomainHeld
        );
    });
    // Both are free again, and were never left held.
    drop(gilkit::acquire_gils::<DefaultDomain, Physics>());
}

#[test]
fn with_gils_takes_two_domains_named_in_either_order_without_deadlock() {
    let _s = serial();
    let frame = Frame::new(0);
    let body = Body::new(0, 0);
    let rounds = if cfg!(miri) { 50 } else { 2_000 };
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..rounds {
                gilkit::with_gils(|g: &mut Gil, p: &mut Gil<Physics>| {
                    *frame.number.get_mut(g) += 1;
                    *body.position.get_mut(p) += 1;
                });
            }
        });
        for _ in 0..rounds {
            gilkit::with_gils(|p: &mut Gil<Physics>, g: &mut Gil| {
                *frame.number.get_mut(g) += 1;
                *body.position.get_mut(p) += 1;
            });
        }
    });
    gilkit::with_gils(|g: &mut Gil, p: &mut Gil<Physics>| {
        assert_eq!(*frame.number.get(g), 2 * rounds);
        assert_eq!(*body.position.get(p), 2 * i64::try_from(rounds).unwrap());
    });
}

#[test]
fn with_gils_refuses_one_domain_twice() {
    let _s = serial();
    let panic =
        std::panic::catch_unwind(|| drop(gilkit::acquire_gils::<Physics, Physics>())).unwrap_err();
    assert!(panic_message(&*panic).contains("one domain twice"));
    assert!(Physics::try_acquire().is_ok(), "nothing was left held");
}

#[test]
fn a_checkpoint_holding_two_domains_does_not_switch() {
    let _s = serial();
    Physics::set_switch_interval(Duration::from_micros(100));
    let cell: GilCell<u32, Physics> = GilCell::new_in(0);
    std::thread::scope(|s| {
        let (g, mut p) = gilkit::acquire_gils::<DefaultDomain, Physics>();
        let switches = p.stats().forced_switches;
        // A waiter for `Physics` asks the holder to let go after 100 µs.
        let waiter = s.spawn(|| Physics::with_gil(|p| *cell.get_mut(p) += 1));
        std::thread::sleep(Duration::from_millis(20));
        for _ in 0..10 {
            p.checkpoint(); // would switch, but this thread also holds the default domain
        }
        assert_eq!(p.stats().forced_switches, switches);
        assert!(!waiter.is_finished());
        drop((g, p)); // letting go of the pair lets the waiter in
        waiter.join().unwrap();
    });
    Physics::with_gil(|p| assert_eq!(*cell.get(p), 1));
    Physics::set_switch_interval(gilkit::DEFAULT_SWITCH_INTERVAL);
}

#[test]
fn allow_threads_holding_two_domains_is_refused() {
    let _s = serial();
    let panic = std::panic::catch_unwind(|| {
        gilkit::with_gils(|g: &mut Gil, _: &mut Gil<Physics>| g.allow_threads(|| ()));
    })
    .unwrap_err();
    assert!(panic_message(&*panic).contains("holds two GIL domains"));
    assert!(
        gilkit::try_acquire().is_ok(),
        "the guards released both on unwinding"
    );
    assert!(Physics::try_acquire().is_ok());
}
