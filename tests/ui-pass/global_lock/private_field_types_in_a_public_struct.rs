// A public struct may keep private fields of private types, as any struct may: nothing the
// attribute generates puts a field's type in a public interface (the impl behind `fields_mut` is
// for a private wrapper, not for the struct). Also with a generic, unsized last field and a
// `#[cfg]`-gated field.
#![deny(warnings)]
#![allow(dead_code)]

mod bank {
    struct Secret(u64);
    pub(crate) struct Internal(u64);

    #[gilkit::global_lock(debug)]
    pub struct Vault<T: ?Sized> {
        secret: Secret,
        internal: Internal,
        #[cfg(any())]
        never: Secret,
        pub data: T,
    }

    impl core::fmt::Debug for Secret {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("<secret>")
        }
    }

    impl core::fmt::Debug for Internal {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            write!(f, "{}", self.0)
        }
    }

    pub fn open() -> Vault<[u8; 2]> {
        Vault::new(Secret(1), Internal(2), [3, 4])
    }

    pub fn spend(vault: &Vault<[u8]>) -> u64 {
        gilkit::with_gil(|g| {
            let (secret, internal, data) = vault.fields_mut(g);
            secret.0 += u64::from(data[0]);
            internal.0 += 1;
            secret.0 + internal.0
        })
    }
}

fn main() {
    let vault: Box<bank::Vault<[u8]>> = Box::new(bank::open());
    assert_eq!(bank::spend(&vault), 7);
    gilkit::with_gil(|g| {
        assert_eq!(
            format!("{:?}", vault.debug(g)),
            "Vault { secret: <secret>, internal: 3, data: [3, 4] }"
        );
    });
}
