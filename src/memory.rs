//! How much memory a cache of N entries costs in CPython, by what it stores. DJM404's
//! message uses it; `rules/DJM404.md` explains the figures (measured on CPython 3.11,
//! 64-bit).

use crate::semantic::containers::{CacheType, Shape};

/// Bytes the container itself spends on one entry, beyond the key and value objects.
/// Measured with tracemalloc, averaged over caches of 100 000 to 1 000 000 entries
/// (CPython 3.11, cachetools 8.0; the figures and method are in rules/DJM404.md), with
/// the key and value objects subtracted.
fn overhead(cache: CacheType) -> u64 {
    match cache {
        // A dict slot plus the 4-slot link list of the C implementation.
        CacheType::LruCache => 100,
        // cachetools: the data dict, the size dict, and the ordering structure.
        CacheType::Cachetools => 130,
        CacheType::LfuCache => 165,
        CacheType::RrCache => 115,
        // TTLCache also keeps a link object with the expiry per key.
        CacheType::TtlCache => 215,
        // A pointer in a deque block.
        CacheType::Deque => 8,
        CacheType::ProjectClass => 130,
    }
}

pub(crate) fn shape_bytes(shape: &Shape) -> u64 {
    match shape {
        // A short ASCII str: 49 bytes of header plus its characters.
        Shape::Str => 60,
        Shape::Int => 32,
        Shape::Float => 24,
        // A small dict (up to 5 keys): its literal keys are shared, its values are not.
        Shape::Dict(values) => 184 + values.iter().map(shape_bytes).sum::<u64>(),
        Shape::Tuple(items) => {
            40 + 8 * items.len() as u64 + items.iter().map(shape_bytes).sum::<u64>()
        }
        // An object of unknown shape: a small class instance with a few attributes.
        Shape::Unknown => 230,
    }
}

/// Estimated bytes one entry costs: container overhead, key, value. `value_bytes` is
/// what the stored values cost where insertions show them (0: unknown).
pub(crate) fn per_entry(cache: CacheType, key_arguments: usize, value_bytes: u64) -> u64 {
    let value = if value_bytes == 0 {
        shape_bytes(&Shape::Unknown)
    } else {
        value_bytes
    };
    let key = match cache {
        CacheType::Deque => 0,
        // Each argument of a cached call is kept in the key (between a small int and a
        // short str); two or more are also wrapped in a tuple.
        CacheType::LruCache => {
            let arguments = key_arguments.max(1) as u64;
            46 * arguments + if arguments > 1 { 40 + 8 * arguments } else { 0 }
        }
        _ => shape_bytes(&Shape::Str),
    };
    overhead(cache) + key + value
}

/// The most any of `shapes` costs (0 when there are none).
pub(crate) fn largest(shapes: &[Shape]) -> u64 {
    shapes.iter().map(shape_bytes).max().unwrap_or(0)
}

/// `350_000_000` -> "334 MiB".
pub(crate) fn human(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    let mib = bytes as f64 / MIB;
    if mib >= 1024.0 {
        format!("{:.1} GiB", mib / 1024.0)
    } else if mib >= 10.0 {
        format!("{mib:.0} MiB")
    } else {
        format!("{mib:.1} MiB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_match_what_was_measured() {
        let small_dict = largest(&[Shape::Dict(vec![Shape::Str, Shape::Float])]);
        // measured (rules/DJM404.md): TTLCache 533, LRUCache 445, LFUCache 477 bytes an
        // entry for str -> small dict; a deque of (float, int) tuples 120
        assert_eq!(per_entry(CacheType::TtlCache, 1, small_dict), 543);
        assert_eq!(per_entry(CacheType::Cachetools, 1, small_dict), 458);
        assert_eq!(per_entry(CacheType::LfuCache, 1, small_dict), 493);
        let pair = largest(&[Shape::Tuple(vec![Shape::Float, Shape::Int])]);
        assert_eq!(per_entry(CacheType::Deque, 1, pair), 120);
        assert_eq!(human(350_000_000), "334 MiB");
        assert_eq!(human(1_400_000_000), "1.3 GiB");
    }

    #[test]
    fn lru_cache_keys_grow_with_their_arguments() {
        // One argument: the key is the argument itself (46 bytes), with no tuple.
        assert_eq!(per_entry(CacheType::LruCache, 1, 0), 100 + 46 + 230);
        // No argument is still one key.
        assert_eq!(per_entry(CacheType::LruCache, 0, 0), 100 + 46 + 230);
        // Three arguments: three objects in a 3-tuple (40 + 3 pointers).
        assert_eq!(
            per_entry(CacheType::LruCache, 3, 60),
            100 + 3 * 46 + 40 + 3 * 8 + 60
        );
        assert_eq!(per_entry(CacheType::RrCache, 1, 32), 115 + 60 + 32);
        assert_eq!(per_entry(CacheType::ProjectClass, 2, 0), 130 + 60 + 230);
        assert_eq!(largest(&[]), 0);
        assert_eq!(largest(&[Shape::Int, Shape::Unknown, Shape::Str]), 230);
    }

    #[test]
    fn sizes_read_in_the_unit_that_fits() {
        assert_eq!(human(5_000_000), "4.8 MiB");
        assert_eq!(human(10 * 1024 * 1024), "10 MiB");
        assert_eq!(human(1024 * 1024 * 1024), "1.0 GiB");
    }
}
