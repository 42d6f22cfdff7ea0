// Const parameters with defaults, type parameters with defaults and lifetimes, on all three.
#![deny(warnings)]

#[gilkit::global_lock]
pub struct G<T: Send + Default = u8, const N: usize = 2> {
    pub data: [T; N],
}

#[gilkit::per_field_lock]
pub struct P<const N: usize = 3, T = u8> {
    pub data: [T; N],
}

#[gilkit::atomic_rc]
pub struct A<'a, const N: usize = 1> {
    pub name: &'a str,
    pub data: [u8; N],
}

fn main() {
    let g: G = G::new([1, 2]);
    gilkit::with_gil(|t| assert_eq!(g.fields_mut(t).0.len(), 2));
    let p: P = P::new([0; 3]);
    assert_eq!(p.data().lock().len(), 3);
    let a: ARc<'_> = A {
        name: "a",
        data: [1],
    }
    .into_handle();
    assert_eq!(a.data.len(), 1);
}
