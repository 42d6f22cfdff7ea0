// Structs written by a local `macro_rules!`, with the attribute inside or outside the macro.
#![deny(warnings)]

macro_rules! locked {
    ($name:ident, $field:ident: $ty:ty) => {
        #[gilkit::per_field_lock]
        pub struct $name {
            pub $field: $ty,
            #[field(rw)]
            pub other: u8,
        }
    };
}

macro_rules! global {
    ($(#[$attr:meta])* $name:ident($ty:ty)) => {
        $(#[$attr])*
        pub struct $name(pub $ty, pub u8);
    };
}

macro_rules! shared {
    ($name:ident<$t:ident>) => {
        #[gilkit::atomic_rc]
        pub struct $name<$t: Send + Sync> {
            pub value: $t,
        }
    };
}

locked!(Counter, hits: u64);
global!(
    #[gilkit::global_lock]
    Pair(u64)
);
shared!(Boxed<T>);

fn main() {
    let c = Counter::new(1, 2);
    *c.hits().lock() += 1;
    assert_eq!(*c.other().read(), 2);
    let p = Pair::new(1, 2);
    gilkit::with_gil(|g| assert_eq!(*p.fields_mut(g).0, 1));
    let b: BoxedRc<u8> = Boxed { value: 3 }.into_handle();
    assert_eq!(b.value, 3);
}
