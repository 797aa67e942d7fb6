//! The standard descriptor traits of the socket types, written once: [`descriptor_access!`]
//! (`AsFd`, `AsRawFd`) for every type, [`try_from_fd!`] (`TryFrom<OwnedFd>` through the type's
//! `from_fd`) for every type that has a checked `from_fd`, and [`connected_descriptor!`] for
//! the connected types whose descriptor is all they own (`UnixStream`, `TcpStream`,
//! `Seqpacket`): those two, `From<T> for OwnedFd` and a `Debug` showing the descriptor and the
//! object errors name.
//!
//! Each macro is invoked next to the type, in its module, so it reaches the type's private
//! `socket` field.

/// Writes `AsFd` and `AsRawFd` for `$ty`, which must have a field `socket: Socket`.
macro_rules! descriptor_access {
    ($ty:ident) => {
        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.socket.fd()
            }
        }

        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&self.socket.fd())
            }
        }
    };
}

/// Writes `TryFrom<OwnedFd>` for `$ty` as its `from_fd`.
macro_rules! try_from_fd {
    ($ty:ident) => {
        impl TryFrom<std::os::fd::OwnedFd> for $ty {
            type Error = ipc_core::Error;

            fn try_from(fd: std::os::fd::OwnedFd) -> ipc_core::Result<Self> {
                Self::from_fd(fd)
            }
        }
    };
}

/// Writes [`descriptor_access!`] and [`try_from_fd!`] for `$ty`, `From<$ty> for OwnedFd` (the
/// socket's descriptor) and a `Debug` naming the descriptor and the object.
macro_rules! connected_descriptor {
    ($ty:ident) => {
        $crate::descriptor::descriptor_access!($ty);
        $crate::descriptor::try_from_fd!($ty);

        impl From<$ty> for std::os::fd::OwnedFd {
            fn from(connected: $ty) -> Self {
                connected.socket.into_fd()
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("fd", &std::os::fd::AsRawFd::as_raw_fd(self))
                    .field("object", &self.socket.object().to_string())
                    .finish()
            }
        }
    };
}

pub(crate) use {connected_descriptor, descriptor_access, try_from_fd};
