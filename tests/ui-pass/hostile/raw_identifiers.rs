// Raw identifiers for fields and a struct: the accessors, parameters, markers and lock classes
// use the plain names.
#![deny(warnings)]
#![allow(non_camel_case_types)]

#[gilkit::per_field_lock(fields = FieldTwin)]
pub struct r#Struct {
    pub r#type: u8,
    #[field(rw)]
    pub r#match: u16,
}

#[gilkit::global_lock(fields = GlobalTwin)]
pub struct r#loop {
    pub r#fn: u8,
}

#[gilkit::atomic_rc]
pub struct r#async {
    pub r#mod: u8,
}

fn main() {
    let s = r#Struct::new(1, 2);
    assert_eq!(*s.r#type().lock(), 1);
    assert_eq!(*s.r#match().read(), 2);
    assert!(s.r#type().class().name().ends_with("::Struct.type"));
    let l = r#loop::new(3);
    gilkit::with_gil(|g| assert_eq!(*l.fields_mut(g).0, 3));
    let a: asyncRc = r#async { r#mod: 4 }.into_handle();
    assert_eq!(a.r#mod, 4);
    let twin = r#Struct::from(FieldTwin { r#type: 5, r#match: 6 }).into_fields();
    assert_eq!((twin.r#type, twin.r#match), (5, 6));
    let twin = r#loop::from(GlobalTwin { r#fn: 7 }).into_fields();
    assert_eq!(twin.r#fn, 7);
}
