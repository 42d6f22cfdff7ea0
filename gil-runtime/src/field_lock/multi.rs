//! The ordered multi-lock: any set of field locks, of one object or of many, taken in one global
//! order whatever order the caller names them in.

use std::panic::Location;

use super::field::{Lockable, OrderKey};
use super::order;

/// A set of field locks that [`lock_fields`] can take together: a tuple of up to 8 [`Lockable`]s
/// (each its own kind), or an array or `Vec` of one kind.
pub trait LockSet<'a> {
    /// The guards, in the order the caller named the locks.
    type Guards;

    #[doc(hidden)]
    fn __lock_all(self, at: &'static Location<'static>) -> Self::Guards;
}

/// Takes every lock of `set` in the global order, and returns the guards in the order of `set`.
///
/// The global order is: the address of the object, then the field's place in the declaration.
/// Every call orders the same locks the same way, so two threads that lock overlapping sets can
/// never wait on each other in a cycle, whatever order they name the locks in. Fields of one
/// object are taken in declaration order. This is the `Py_BEGIN_CRITICAL_SECTION2` of `CPython`, for N
/// locks.
///
/// ```
/// # extern crate gil_runtime as gilkit;
/// # use gil_macros::per_field_lock;
/// # fn main() {
/// #[per_field_lock]
/// struct Account {
///     balance: i64,
/// }
///
/// fn transfer(from: &Account, to: &Account, amount: i64) {
///     let (mut from, mut to) = gilkit::field_lock::lock_fields((from.balance(), to.balance()));
///     *from -= amount;
///     *to += amount;
/// }
///
/// let (a, b) = (Account::new(100), Account::new(0));
/// transfer(&a, &b, 30);
/// transfer(&b, &a, 10); // the opposite direction takes the locks in the same order
/// let (a, b) = gilkit::field_lock::lock_fields((a.balance(), b.balance()));
/// assert_eq!((*a, *b), (80, 20));
/// # }
/// ```
///
/// Within the call, the validator allows several locks of one class (the same field of several
/// objects), which it refuses for nested plain [`lock`](super::Field::lock) calls. It treats the
/// call as one step: it records the order of the locks already held before the call against each
/// lock of the call, and the declaration order among the fields of each object, but not the
/// address-dependent order between different fields of different objects.
///
/// A class of which the call takes several locks must not also be walked hand over hand with
/// [`FieldGuard::lock_next`](super::FieldGuard::lock_next): the walk takes its locks in link
/// order, this call in address order, and the two could deadlock together.
///
/// # Panics
/// If one lock appears twice in `set` (that would deadlock), or, with the validator compiled in,
/// if taking the set while holding other field locks violates the order of classes, or if `set`
/// holds several locks of a class that is walked with `lock_next` somewhere in the program.
#[track_caller]
pub fn lock_fields<'a, S: LockSet<'a>>(set: S) -> S::Guards {
    set.__lock_all(Location::caller())
}

/// Refuses a lock named twice, then fills `order` with the indices of `keys`, sorted by key.
///
/// The duplicate check looks at the locks' own addresses alone, and not at the object and
/// declaration index that the accessors supply: were those wrong, a lock named twice might not
/// sit next to itself in key order, and the call would hang instead of panicking. Up to
/// [`PAIRWISE`] locks it compares every pair (a few comparisons, cheaper than a second sort);
/// beyond, it sorts by address.
#[inline]
fn sort(keys: &[OrderKey], order: &mut [usize], at: &'static Location<'static>) {
    for (i, slot) in order.iter_mut().enumerate() {
        *slot = i;
    }
    let duplicate = if keys.len() <= PAIRWISE {
        keys.iter()
            .enumerate()
            .any(|(i, k)| keys[i + 1..].iter().any(|other| other.lock == k.lock))
    } else {
        order.sort_unstable_by_key(|&i| keys[i].lock);
        order.windows(2).any(|w| keys[w[0]].lock == keys[w[1]].lock)
    };
    assert!(
        !duplicate,
        "gil: `lock_fields` at {at} names the same field lock twice; it would deadlock on itself"
    );
    if keys.len() <= PAIRWISE {
        // An insertion sort: for a pair, one comparison.
        for i in 1..order.len() {
            let mut j = i;
            while j > 0 && keys[order[j - 1]] > keys[order[j]] {
                order.swap(j - 1, j);
                j -= 1;
            }
        }
    } else {
        order.sort_unstable_by_key(|&i| keys[i]);
    }
}

/// Up to this many locks, [`sort`] looks for a lock named twice by comparing every pair.
const PAIRWISE: usize = 8;

macro_rules! tuple_lock_set {
    ($n:literal; $($t:ident $v:ident $g:ident $i:tt),+) => {
        impl<'a, $($t: Lockable<'a>),+> LockSet<'a> for ($($t,)+) {
            type Guards = ($($t::Guard,)+);

            // Inline, so that the caller's tuple of fields reaches the locks in registers. Out of
            // line, with the validator on, each field was stored into the tuple in 8-byte pieces
            // and copied out of it in 16-byte loads, which waited for those stores (a
            // store-forwarding stall): two objects' fields took 40.7 ns in a probe on this
            // machine's AMD EPYC, 23.6 ns inline (9.2 ns without the validator), and the bench's
            // row went from 3.41x its time without the validator to 2.69x.
            #[allow(clippy::inline_always, reason = "measured: see above")]
            #[inline(always)]
            fn __lock_all(self, at: &'static Location<'static>) -> Self::Guards {
                let ($($v,)+) = self;
                let keys = [$($v.__order_key()),+];
                let mut order = [0_usize; $n];
                sort(&keys, &mut order, at);
                let group = order::new_group();
                $(let mut $v = Some($v);)+
                $(let mut $g = None;)+
                for i in order {
                    match i {
                        // SAFETY: this is `lock_fields`, and `group` was made for this call.
                        $($i => $g = $v.take().map(|l| unsafe { l.__lock(group, at) }),)+
                        _ => unreachable!(),
                    }
                }
                ($(match $g {
                    Some(guard) => guard,
                    None => unreachable!(),
                },)+)
            }
        }
    };
}

tuple_lock_set!(1; A a ga 0);
tuple_lock_set!(2; A a ga 0, B b gb 1);
tuple_lock_set!(3; A a ga 0, B b gb 1, C c gc 2);
tuple_lock_set!(4; A a ga 0, B b gb 1, C c gc 2, D d gd 3);
tuple_lock_set!(5; A a ga 0, B b gb 1, C c gc 2, D d gd 3, E e ge 4);
tuple_lock_set!(6; A a ga 0, B b gb 1, C c gc 2, D d gd 3, E e ge 4, F f gf 5);
tuple_lock_set!(7; A a ga 0, B b gb 1, C c gc 2, D d gd 3, E e ge 4, F f gf 5, G g gg 6);
tuple_lock_set!(8; A a ga 0, B b gb 1, C c gc 2, D d gd 3, E e ge 4, F f gf 5, G g gg 6, H h gh 7);

impl<'a, L: Lockable<'a>> LockSet<'a> for Vec<L> {
    type Guards = Vec<L::Guard>;

    fn __lock_all(self, at: &'static Location<'static>) -> Self::Guards {
        let keys: Vec<OrderKey> = self.iter().map(Lockable::__order_key).collect();
        let mut order = vec![0_usize; keys.len()];
        sort(&keys, &mut order, at);
        let group = order::new_group();
        let mut locks: Vec<Option<L>> = self.into_iter().map(Some).collect();
        let mut guards: Vec<Option<L::Guard>> = locks.iter().map(|_| None).collect();
        for i in order {
            // SAFETY: this is `lock_fields`, and `group` was made for this call.
            guards[i] = locks[i].take().map(|l| unsafe { l.__lock(group, at) });
        }
        guards.into_iter().flatten().collect()
    }
}

impl<'a, L: Lockable<'a>, const N: usize> LockSet<'a> for [L; N] {
    type Guards = [L::Guard; N];

    fn __lock_all(self, at: &'static Location<'static>) -> Self::Guards {
        let guards = Vec::from(self).__lock_all(at);
        match guards.try_into() {
            Ok(array) => array,
            Err(_) => unreachable!(),
        }
    }
}
