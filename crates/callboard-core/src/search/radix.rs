//! Sorting the ranking's sort keys (`u64`s: score, then display position;
//! see `rank::display_key`) by radix rather than by comparison.
//!
//! A short query at 100k+ records matches most of them, and sorting half a
//! million keys a thread by comparison was ~10 % of a keystroke's CPU. A
//! least-significant-digit radix sort reads and writes each key once per
//! digit, and only the digits where the keys differ are sorted: the
//! position's 17-20 bits and the score's few, four passes or so, whatever
//! the count. The order is exactly `u64`'s (each pass is stable).

/// Bits per digit: 2,048 counters (8 KB) stay in the L1 cache.
const DIGIT_BITS: u32 = 11;
const DIGITS: usize = 1 << DIGIT_BITS;
/// Below this many keys a comparison sort is as fast (and allocates nothing).
const RADIX_MIN: usize = 4096;

/// Sort `keys` ascending: the same order as `keys.sort_unstable()`.
pub(super) fn sort_keys(keys: &mut Vec<u64>) {
    if keys.len() < RADIX_MIN {
        keys.sort_unstable();
        return;
    }
    let (mut any, mut all) = (0u64, u64::MAX);
    for &k in keys.iter() {
        any |= k;
        all &= k;
    }
    // The bits where some keys differ: only those digits need a pass.
    let varying = any ^ all;
    let mut from = std::mem::take(keys);
    let mut to = vec![0u64; from.len()];
    let mut shift = 0u32;
    while shift < 64 {
        let rest = varying >> shift;
        if rest == 0 {
            break;
        }
        // Start the digit at the next varying bit (constant bits between
        // the position and the score cost no pass).
        shift += rest.trailing_zeros();
        scatter(&from, &mut to, shift);
        std::mem::swap(&mut from, &mut to);
        shift += DIGIT_BITS;
    }
    *keys = from;
}

/// One stable counting-sort pass of `from` into `to` by the digit at `shift`.
fn scatter(from: &[u64], to: &mut [u64], shift: u32) {
    let digit = |k: u64| ((k >> shift) as usize) & (DIGITS - 1);
    let mut count = vec![0u32; DIGITS];
    for &k in from {
        count[digit(k)] += 1;
    }
    let mut at = 0u32;
    for c in count.iter_mut() {
        let n = *c;
        *c = at;
        at += n;
    }
    for &k in from {
        let slot = &mut count[digit(k)];
        to[*slot as usize] = k;
        *slot += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(mut keys: Vec<u64>) {
        let mut expected = keys.clone();
        expected.sort_unstable();
        sort_keys(&mut keys);
        assert_eq!(keys, expected);
    }

    /// Keys as the ranking makes them: a few scores, distinct positions
    /// in a scattered order, sizes around the threshold and large.
    #[test]
    fn sorts_ranking_keys_like_a_comparison_sort() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in [
            0,
            1,
            RADIX_MIN - 1,
            RADIX_MIN,
            RADIX_MIN + 1,
            50_000,
            300_001,
        ] {
            for scores in [1u64, 3, 40, 70_000] {
                let keys: Vec<u64> = (0..n as u64)
                    .map(|p| {
                        let position = (p * 2_654_435_761) % (n as u64).max(1);
                        let score = u32::MAX as u64 - next() % scores;
                        (score << 32) | position
                    })
                    .collect();
                check(keys);
            }
        }
        // Equal keys, the extremes, every bit varying.
        check(vec![7; RADIX_MIN * 2]);
        check((0..RADIX_MIN as u64 * 3).map(|_| next()).collect());
        check(
            (0..RADIX_MIN as u64 * 2)
                .map(|i| if i % 2 == 0 { u64::MAX } else { 0 })
                .collect(),
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn sorts_any_keys(
            keys in proptest::collection::vec(any::<u64>(), RADIX_MIN..RADIX_MIN * 3),
            mask in any::<u64>(),
        ) {
            // Masked: keys that agree on many bits, differ on a few.
            check(keys.iter().map(|k| k & mask).collect());
        }
    }
}
