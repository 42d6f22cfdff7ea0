gilkit::domain!(pub Physics);

#[gilkit::global_lock(domain = Physics, domain = Physics)]
pub struct Body {
    pub position: f64,
}

fn main() {}
