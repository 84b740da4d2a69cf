//! The bytes a [`Corpus`](super::Corpus) searches: its header and text,
//! either built in memory or lent by whoever read the encoded corpus (a
//! memory-mapped cache file: the pages of the page cache searched in
//! place, none copied into fresh memory, which on the 2-core VM cost more
//! than the search itself).

use std::ops::Deref;
use std::sync::Arc;

/// Encoded corpus bytes owned elsewhere (a file mapping), shared by every
/// clone of the corpus.
pub type SharedBytes = Arc<dyn AsRef<[u8]> + Send + Sync>;

#[derive(Clone)]
pub(super) enum CorpusText {
    Owned(String),
    /// The first `len` bytes of `bytes`, checked to be UTF-8.
    Shared {
        bytes: SharedBytes,
        len: usize,
    },
}

impl CorpusText {
    /// `bytes[..len]`, which the caller has checked to be UTF-8.
    ///
    /// # Safety
    /// `bytes[..len]` is valid UTF-8 and `bytes` never changes.
    pub(super) unsafe fn shared_unchecked(bytes: SharedBytes, len: usize) -> CorpusText {
        assert!(len <= (*bytes).as_ref().len(), "text past the bytes");
        CorpusText::Shared { bytes, len }
    }
}

impl From<String> for CorpusText {
    fn from(s: String) -> Self {
        CorpusText::Owned(s)
    }
}

impl Deref for CorpusText {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        match self {
            CorpusText::Owned(s) => s,
            CorpusText::Shared { bytes, len } => {
                // SAFETY: checked UTF-8 when made (`shared_unchecked`), and
                // the bytes are immutable.
                unsafe { std::str::from_utf8_unchecked(&(**bytes).as_ref()[..*len]) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_text_is_the_prefix_it_was_given() {
        let bytes: SharedBytes = Arc::new(b"hello, world".to_vec());
        let text = unsafe { CorpusText::shared_unchecked(bytes, 5) };
        assert_eq!(&*text, "hello");
        assert_eq!(&*text.clone(), "hello");
        assert_eq!(&*CorpusText::from("x".to_string()), "x");
    }
}
