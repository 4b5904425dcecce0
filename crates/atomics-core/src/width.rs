//! The widths an atomic can have, their alignment, and whether the hardware can operate on
//! them lock-free.

use crate::arch;

/// The size in bytes of one atomic value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Width {
    /// 1 byte (`u8`).
    W1,
    /// 2 bytes (`u16`).
    W2,
    /// 4 bytes (`u32`).
    W4,
    /// 8 bytes (`u64`).
    W8,
    /// 16 bytes (`u128`): on x86_64 where the CPU has `cmpxchg16b`, on every aarch64 CPU.
    W16,
}

impl Width {
    /// Every width, ascending.
    pub const ALL: [Width; 5] = [Width::W1, Width::W2, Width::W4, Width::W8, Width::W16];

    /// The width of `bytes` bytes, if an atomic can have that width on some CPU.
    ///
    /// This says nothing about the running CPU: see [`Width::is_lock_free`].
    pub const fn from_bytes(bytes: usize) -> Option<Width> {
        match bytes {
            1 => Some(Width::W1),
            2 => Some(Width::W2),
            4 => Some(Width::W4),
            8 => Some(Width::W8),
            16 => Some(Width::W16),
            _ => None,
        }
    }

    /// The width of `bytes` bytes if the running CPU can operate on it lock-free.
    pub fn supported(bytes: usize) -> Option<Width> {
        Width::from_bytes(bytes).filter(|w| w.is_lock_free())
    }

    /// The number of bytes.
    #[inline]
    pub const fn bytes(self) -> usize {
        match self {
            Width::W1 => 1,
            Width::W2 => 2,
            Width::W4 => 4,
            Width::W8 => 8,
            Width::W16 => 16,
        }
    }

    /// The number of bits.
    #[inline]
    pub const fn bits(self) -> u32 {
        self.bytes() as u32 * 8
    }

    /// The all-ones value of this width.
    #[inline]
    pub const fn mask(self) -> u128 {
        u128::MAX >> (128 - self.bits())
    }

    /// The alignment every address of this width must have: the width itself (natural
    /// alignment), so a value never straddles a cache line.
    #[inline]
    pub const fn alignment(self) -> usize {
        self.bytes()
    }

    /// The value whose native-endian bytes are `bytes` (which must be `self.bytes()` long).
    pub fn from_ne_bytes(self, bytes: &[u8]) -> u128 {
        assert_eq!(bytes.len(), self.bytes(), "wrong number of bytes for {self:?}");
        let mut full = [0u8; 16];
        if cfg!(target_endian = "little") {
            full[..bytes.len()].copy_from_slice(bytes);
        } else {
            full[16 - bytes.len()..].copy_from_slice(bytes);
        }
        u128::from_ne_bytes(full)
    }

    /// The native-endian bytes of `value` (its low `self.bytes()` bytes), in the first
    /// `self.bytes()` places of the result.
    pub fn to_ne_bytes(self, value: u128) -> [u8; 16] {
        let full = value.to_ne_bytes();
        let mut out = [0u8; 16];
        let n = self.bytes();
        if cfg!(target_endian = "little") {
            out[..n].copy_from_slice(&full[..n]);
        } else {
            out[..n].copy_from_slice(&full[16 - n..]);
        }
        out
    }

    /// The width of `bytes` if regions of that width exist for this access on the running
    /// CPU: every operation lock-free, or for read-only memory a true load.
    pub fn for_access(bytes: usize, readonly: bool) -> Option<Width> {
        Width::from_bytes(bytes).filter(|w| if readonly { w.has_read_only_load() } else { w.is_lock_free() })
    }

    /// Whether every operation on this width is a lock-free, address-free hardware atomic
    /// on the running CPU. Widths 1 to 8 always are; 16 needs `cmpxchg16b` on x86_64, is
    /// always lock-free on aarch64 and never elsewhere.
    pub fn is_lock_free(self) -> bool {
        match self {
            Width::W16 => arch::has_cas16(),
            _ => true,
        }
    }

    /// Whether memory of this width can be loaded atomically without writing to it, so that
    /// a read-only region of this width can be read. For 16 bytes this needs a true 16-byte
    /// load (AVX `vmovdqa` on Intel and AMD, `ldp` with FEAT_LSE2 on aarch64), not a
    /// compare-exchange.
    pub fn has_read_only_load(self) -> bool {
        match self {
            Width::W16 => arch::has_load16(),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_powers_of_two_up_to_sixteen_exist() {
        for n in 0..64 {
            let expected = matches!(n, 1 | 2 | 4 | 8 | 16);
            assert_eq!(Width::from_bytes(n).is_some(), expected, "width {n}");
        }
        for w in Width::ALL {
            assert_eq!(Width::from_bytes(w.bytes()), Some(w));
            assert_eq!(w.alignment(), w.bytes());
            assert_eq!(w.mask().count_ones(), w.bits());
        }
    }

    #[test]
    fn native_endian_bytes_round_trip() {
        for w in Width::ALL {
            let value = 0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10u128 & w.mask();
            let bytes = w.to_ne_bytes(value);
            assert_eq!(w.from_ne_bytes(&bytes[..w.bytes()]), value);
            assert!(bytes[w.bytes()..].iter().all(|&b| b == 0));
        }
        assert_eq!(Width::W4.to_ne_bytes(0x0102_0304)[..4], 0x0102_0304u32.to_ne_bytes());
    }

    #[test]
    fn native_widths_are_lock_free() {
        for w in [Width::W1, Width::W2, Width::W4, Width::W8] {
            assert!(w.is_lock_free() && w.has_read_only_load());
        }
        // A read-only 16-byte load implies the writable operations exist too.
        assert!(!Width::W16.has_read_only_load() || Width::W16.is_lock_free());
    }
}
