// Row 3: `#[deprecated]` on a field reaches its accessor, so a caller is warned; the generated
// code itself names the field without a warning.
#![deny(deprecated)]

#[gilkit::per_field_lock]
pub struct Config {
    pub port: u16,
    #[deprecated(note = "use `port`")]
    pub old_port: u16,
}

fn main() {
    let c = Config::new(80, 8080);
    let _ = c.port().lock();
    let _ = c.old_port().lock();
}
