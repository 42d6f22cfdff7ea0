// Row 6: a `?Sized` last field is supported, as `GilCell<T: ?Sized>` allows: the methods that
// move the struct ask for `T: Sized`, and a sized struct coerces to the unsized one.
#![deny(warnings)]

#[gilkit::global_lock]
pub struct Dst<T: ?Sized + Send + Sync> {
    pub len: usize,
    pub data: T,
}

#[gilkit::global_lock]
pub struct Slice<T>
where
    T: Send,
{
    pub len: usize,
    pub data: [T],
}

fn main() {
    let sized: Box<Dst<[u8; 3]>> = Box::new(Dst::new(3, [1, 2, 3]));
    let unsized_: Box<Dst<[u8]>> = sized;
    gilkit::with_gil(|g| {
        assert_eq!(*unsized_.len.get(g), 3);
        let (len, data) = unsized_.fields_mut(g);
        data[0] = 7;
        *len = data.len();
        assert_eq!(unsized_.data.get(g), [7, 2, 3]);
    });
    let handle = Dst::new(1, [0_u8; 1]).into_handle();
    gilkit::with_gil(|g| assert_eq!(*handle.len.get(g), 1));
    let _ = std::mem::size_of::<&Slice<u8>>();
}
