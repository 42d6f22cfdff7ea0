use gilkit::field_lock::{FieldLock, LockClass};

static CLASS: LockClass = LockClass::new("Forged.x");

fn main() {
    let lock = FieldLock::new(0);
    let forged_object = 0_u8;
    let field = lock.__gil_field(&lock, &CLASS, &forged_object, 0);
    let rw = ::gilkit::field_lock::RwFieldLock::new(0);
    let rw_field = rw.__gil_field(&rw, &CLASS, &forged_object, 1);
    drop((field.lock(), rw_field.read()));
}
