// Row 12: fields named like the generated methods, and methods of the user's own named like
// them, once the generated methods are renamed.
#![deny(warnings)]

#[gilkit::per_field_lock(constructor = create, into_handle = share)]
pub struct Node {
    pub new: bool,
    pub into_handle: u8,
}

impl Node {
    pub fn make() -> Self {
        Self::create(true, 0)
    }
}

#[gilkit::global_lock(constructor = create, into_handle = share, fields_mut = all_mut)]
pub struct G {
    pub new: bool,
}

impl G {
    pub fn new() -> Self {
        Self::create(false)
    }
    pub fn into_handle(self) -> u8 {
        1
    }
    pub fn fields_mut(&self) -> u8 {
        2
    }
}

#[gilkit::atomic_rc(handle = NodeRef, into_handle = share)]
pub struct Shared {
    pub value: u8,
}

pub type SharedRc = ();

impl Shared {
    pub fn into_handle(self) -> u8 {
        self.value
    }
}

fn main() {
    let n = Node::make().share();
    assert!(*n.new().lock());
    *n.into_handle().lock() += 1;
    let g = G::new();
    assert_eq!(g.fields_mut(), 2);
    gilkit::with_gil(|t| *g.all_mut(t).0 = true);
    let _: gilkit::GilRc<G> = G::new().share();
    assert_eq!(G::create(true).into_handle(), 1);
    let s: NodeRef = Shared { value: 3 }.share();
    assert_eq!(s.value, 3);
    let _: SharedRc = ();
}
