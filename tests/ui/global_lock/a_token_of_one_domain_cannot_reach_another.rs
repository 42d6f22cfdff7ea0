// A token of one GIL domain reaches only that domain's data: every way in is a type error.
use gilkit::{Domain, GilRc};

gilkit::domain!(pub Physics);

#[gilkit::global_lock(domain = Physics)]
pub struct Body {
    pub position: f64,
}

#[gilkit::global_lock]
pub struct Frame {
    pub number: u64,
}

fn main() {
    let body = Body::new(0.0).into_handle();
    let frame = Frame::new(0);
    gilkit::with_gil(|g| {
        let _ = body.position.get(g); // a `Gil`, not a `Gil<Physics>`
        *body.position.get_mut(g) += 1.0;
        let _ = body.fields_mut(g);
        let _ = body.clone_ref(g);
        let _ = GilRc::count(&body, g);
    });
    Physics::with_gil(|p| {
        let _ = frame.number.get(p); // a `Gil<Physics>`, not a `Gil`
    });
}
