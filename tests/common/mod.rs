//! Helpers shared by the integration test files (`mod common;` in each).

/// The message of a caught panic, whether it was a `&str` or a formatted `String`.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}
