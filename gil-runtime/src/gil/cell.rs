use std::marker::PhantomData;

use super::{DefaultDomain, Domain, Gil};
use crate::sync::{const_unless_loom, UnsafeCell};

/// Data that only the thread holding the GIL of domain `D` (by default, [`DefaultDomain`]) can
/// reach.
///
/// Access costs nothing at run time: the [`Gil<D>`](Gil) token is the proof, and the borrow
/// checker ties every reference to it. `&Gil<D>` gives shared access, `&mut Gil<D>` exclusive
/// access; a token of another domain is a type error.
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::GilCell;
///
/// let names = GilCell::new(vec!["a"]);
/// gilkit::with_gil(|g| {
///     names.get_mut(g).push("b");
///     assert_eq!(names.get(g).len(), 2);
/// });
/// ```
///
/// A reference cannot outlive the token it came from:
///
/// ```compile_fail,E0597
/// # use gil_runtime as gilkit;
/// let cell = gilkit::GilCell::new(1);
/// let r = {
///     let g = gilkit::acquire();
///     cell.get(&g)
/// };
/// println!("{r}");
/// ```
#[repr(transparent)]
pub struct GilCell<T: ?Sized, D = DefaultDomain> {
    /// Invariant in `D`: a cell of one domain never coerces to another's.
    domain: PhantomData<fn(D) -> D>,
    value: UnsafeCell<T>,
}

// SAFETY: only the one thread that holds the domain's GIL reaches the value, so it behaves like a
// `Mutex<T>`: sharing it between threads moves `T` between them, which needs `T: Send`.
unsafe impl<T: ?Sized + Send, D: Domain> Sync for GilCell<T, D> {}

impl<T> GilCell<T> {
    const_unless_loom! {
        /// Wraps `value` in a cell of the default domain. No token is needed: nobody else can
        /// see it yet. [`GilCell::new_in`] makes a cell of another domain.
        #[must_use]
        pub fn new(value: T) -> Self {
            Self::new_in(value)
        }
    }
}

impl<T, D: Domain> GilCell<T, D> {
    const_unless_loom! {
        /// Wraps `value` in a cell of domain `D`, the one the cell's type names (a separate
        /// function from [`GilCell::new`], which would leave `D` to inference).
        ///
        /// ```
        /// # use gil_runtime as gilkit;
        /// gilkit::domain!(pub Physics);
        /// static SPEED: gilkit::GilCell<f64, Physics> = gilkit::GilCell::new_in(0.0);
        /// ```
        #[must_use]
        pub fn new_in(value: T) -> Self {
            Self {
                domain: PhantomData,
                value: UnsafeCell::new(value),
            }
        }
    }

    /// Unwraps the value; owning the cell is proof enough.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized, D: Domain> GilCell<T, D> {
    /// Shared access, for as long as the token is borrowed.
    #[inline]
    pub fn get<'a>(&'a self, _gil: &'a Gil<D>) -> &'a T {
        // SAFETY: `_gil` proves this thread holds the GIL, and any `&mut` to this value would
        // need `&mut Gil`, which cannot coexist with `&'a Gil`.
        self.value.with(|p| unsafe { &*p })
    }

    /// Exclusive access, for as long as the token is mutably borrowed.
    #[inline]
    pub fn get_mut<'a>(&'a self, gil: &'a mut Gil<D>) -> &'a mut T {
        let _ = gil;
        // SAFETY: `gil` proves this thread holds the GIL and that no other reference obtained
        // through the token is alive.
        unsafe { self.get_mut_unchecked() }
    }

    /// Exclusive access without a token.
    ///
    /// # Safety
    /// The current thread holds the GIL of domain `D` and no other reference to the value is alive for `'a`.
    /// Prefer [`GilCell::get_mut`] or [`Gil::get_mut2`].
    #[allow(clippy::mut_from_ref, reason = "the caller promises exclusivity")]
    #[inline]
    pub unsafe fn get_mut_unchecked(&self) -> &mut T {
        // SAFETY: forwarded to the caller.
        self.value.with_mut(|p| unsafe { &mut *p })
    }

    /// Exclusive access through an owned or `&mut` cell, which needs no token.
    pub fn get_mut_owned(&mut self) -> &mut T {
        // SAFETY: `&mut self` is exclusive.
        self.value.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: Default, D: Domain> Default for GilCell<T, D> {
    fn default() -> Self {
        Self::new_in(T::default())
    }
}

impl<T: ?Sized, D: Domain> std::fmt::Debug for GilCell<T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GilCell { .. }")
    }
}

mod sealed {
    pub trait Sealed {}
}

/// Cells of domain `D` to borrow mutably at once with [`Gil::get_mut_many`]: a
/// `&GilCell<T, D>`, or a tuple of up to 12 of these (tuples nest, for more).
///
/// Sealed: the crate implements it for exactly these shapes.
pub trait CellsMut<'a, D = DefaultDomain>: sealed::Sealed {
    /// The borrows: the same shape, with `&'a mut T` for each `&'a GilCell<T, D>`.
    type Mut;

    /// Calls `f` with the address and size of each cell.
    #[doc(hidden)]
    fn __for_each_range(&self, f: &mut impl FnMut(usize, usize));

    /// # Safety
    /// This thread holds the GIL of `D`, no other reference to any of the values is alive for `'a`,
    /// and no two of the cells overlap.
    #[doc(hidden)]
    unsafe fn __get_mut_unchecked(self) -> Self::Mut;
}

impl<T: ?Sized, D: Domain> sealed::Sealed for &GilCell<T, D> {}

impl<'a, T: ?Sized, D: Domain> CellsMut<'a, D> for &'a GilCell<T, D> {
    type Mut = &'a mut T;

    fn __for_each_range(&self, f: &mut impl FnMut(usize, usize)) {
        f(
            std::ptr::from_ref::<GilCell<T, D>>(*self).cast::<u8>() as usize,
            size_of_val(*self),
        );
    }

    unsafe fn __get_mut_unchecked(self) -> &'a mut T {
        // SAFETY: forwarded to the caller.
        unsafe { self.get_mut_unchecked() }
    }
}

macro_rules! tuple_cells_mut {
    ($($c:ident),+) => {
        impl<$($c: sealed::Sealed),+> sealed::Sealed for ($($c,)+) {}

        impl<'a, Dom: Domain, $($c: CellsMut<'a, Dom>),+> CellsMut<'a, Dom> for ($($c,)+) {
            type Mut = ($(<$c as CellsMut<'a, Dom>>::Mut,)+);

            #[allow(non_snake_case, reason = "one binding per type parameter")]
            fn __for_each_range(&self, f: &mut impl FnMut(usize, usize)) {
                let ($($c,)+) = self;
                $($c.__for_each_range(f);)+
            }

            #[allow(non_snake_case, reason = "one binding per type parameter")]
            unsafe fn __get_mut_unchecked(self) -> Self::Mut {
                let ($($c,)+) = self;
                // SAFETY: forwarded to the caller; the elements are disjoint parts of the set.
                unsafe { ($($c.__get_mut_unchecked(),)+) }
            }
        }
    };
}

tuple_cells_mut!(A);
tuple_cells_mut!(A, B);
tuple_cells_mut!(A, B, C);
tuple_cells_mut!(A, B, C, D);
tuple_cells_mut!(A, B, C, D, E);
tuple_cells_mut!(A, B, C, D, E, F);
tuple_cells_mut!(A, B, C, D, E, F, G);
tuple_cells_mut!(A, B, C, D, E, F, G, H);
tuple_cells_mut!(A, B, C, D, E, F, G, H, I);
tuple_cells_mut!(A, B, C, D, E, F, G, H, I, J);
tuple_cells_mut!(A, B, C, D, E, F, G, H, I, J, K);
tuple_cells_mut!(A, B, C, D, E, F, G, H, I, J, K, L);
