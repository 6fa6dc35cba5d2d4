//! Heketi's brick space arithmetic (thin pool + pool metadata, rounded to LVM extents).

use super::error::PlacementError;

/// 1 GiB in KiB, the unit of every device and brick size.
pub const GIB: u64 = 1024 * 1024;
/// 1 MiB in KiB.
pub const MIB: u64 = 1024;
/// LVM extent size used when a device reports none (4 MiB, Heketi's default).
pub const DEFAULT_EXTENT_KIB: u64 = 4096;
/// Default average file size for arbiter sizing (KiB).
pub const DEFAULT_AVERAGE_FILE_SIZE_KIB: u64 = 64;
/// Pool metadata is capped at 16 GiB.
const METADATA_CAP: u64 = 16 * GIB;
/// Smallest arbiter brick: the smallest XFS with 4 KiB blocks.
const ARBITER_MIN: u64 = 16 * MIB;

/// Heketi's space formula (§1.6): `tp = roundUpToExtent(floor(size*factor))`,
/// `meta = roundUpToExtent(min(floor(tp*0.005), 16 GiB))`. Sizes in KiB.
///
/// An extent of 0 is read as the 4 MiB default. Arithmetic saturates at `u64::MAX`.
pub fn space_needed(size_kib: u64, snapshot_factor: f64, extent_kib: u64) -> (u64, u64) {
    let extent = if extent_kib == 0 {
        DEFAULT_EXTENT_KIB
    } else {
        extent_kib
    };
    // `as` saturates for out-of-range floats and maps NaN to 0: no panic on odd input.
    let tp = round_up((size_kib as f64 * snapshot_factor).floor() as u64, extent);
    let meta = ((tp as f64 * 0.005).floor() as u64).min(METADATA_CAP);
    (tp, round_up(meta, extent))
}

/// A lower bound of `tp + meta` for any extent size (the formula with 1 KiB extents).
pub(super) fn space_needed_lower_bound(size_kib: u64, snapshot_factor: f64) -> u64 {
    let (tp, meta) = space_needed(size_kib, snapshot_factor, 1);
    tp.saturating_add(meta)
}

fn round_up(value: u64, extent: u64) -> u64 {
    match value % extent {
        0 => value,
        rem => value.saturating_add(extent - rem),
    }
}

/// Arbiter brick size (§1.10): `max(16 MiB, data_brick / average_file_size)`, i.e. one
/// KiB of arbiter per expected file. An average file size of 0 means the 64 KiB default.
///
/// Fails when the data brick is smaller than one average file.
pub fn arbiter_brick_size(
    data_brick_kib: u64,
    average_file_size_kib: u64,
) -> Result<u64, PlacementError> {
    let average = if average_file_size_kib == 0 {
        DEFAULT_AVERAGE_FILE_SIZE_KIB
    } else {
        average_file_size_kib
    };
    if data_brick_kib < average {
        return Err(PlacementError::Invalid(format!(
            "Brick size {data_brick_kib} KiB is smaller than the average file size {average} KiB"
        )));
    }
    Ok((data_brick_kib / average).max(ARBITER_MIN))
}

/// `kib` as GiB with two decimals, e.g. `10.05 GiB`.
pub(super) fn fmt_gib(kib: u64) -> String {
    format!("{:.2} GiB", kib as f64 / GIB as f64)
}
