//! The bytes a [`Corpus`](super::Corpus) searches: its header and text,
//! either built in memory or lent by whoever read the encoded corpus (a
//! memory-mapped cache file: the pages of the page cache searched in
//! place, none copied into fresh memory, which on the 2-core VM cost more
//! than the search itself).

use std::ops::Deref;
use std::sync::Arc;

/// Encoded corpus bytes owned elsewhere (a file mapping), shared by every
/// clone of the corpus. They must never change.
pub type SharedBytes = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// The text, read as a plain pointer and length: every field of every
/// record is read through it on each keystroke, so the owner (a `String`
/// or [`SharedBytes`] behind a trait object) is not asked each time.
pub(super) struct CorpusText {
    ptr: *const u8,
    len: usize,
    owner: Owner,
}

enum Owner {
    Owned(String),
    Shared(SharedBytes),
}

// SAFETY: `ptr..ptr + len` are bytes `owner` keeps alive and never changes
// (a `String` no one mutates, or immutable `SharedBytes`, both Send + Sync).
unsafe impl Send for CorpusText {}
unsafe impl Sync for CorpusText {}

impl CorpusText {
    /// `bytes[..len]`, which the caller has checked to be UTF-8.
    ///
    /// # Safety
    /// `bytes[..len]` is valid UTF-8 and `bytes` never changes.
    pub(super) unsafe fn shared_unchecked(bytes: SharedBytes, len: usize) -> CorpusText {
        let all = (*bytes).as_ref();
        assert!(len <= all.len(), "text past the bytes");
        CorpusText {
            ptr: all.as_ptr(),
            len,
            owner: Owner::Shared(bytes),
        }
    }
}

impl From<String> for CorpusText {
    fn from(s: String) -> Self {
        CorpusText {
            ptr: s.as_ptr(),
            len: s.len(),
            owner: Owner::Owned(s),
        }
    }
}

impl Clone for CorpusText {
    fn clone(&self) -> Self {
        match &self.owner {
            Owner::Owned(s) => CorpusText::from(s.clone()),
            Owner::Shared(bytes) => CorpusText {
                ptr: self.ptr,
                len: self.len,
                owner: Owner::Shared(Arc::clone(bytes)),
            },
        }
    }
}

impl Deref for CorpusText {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        // SAFETY: UTF-8 checked when made (a `String`, or
        // `shared_unchecked`'s contract), alive and unchanged as long as
        // `self.owner` (see the `Send`/`Sync` note).
        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.ptr, self.len)) }
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
        drop(text);
    }

    #[test]
    fn owned_text_survives_moves_and_clones() {
        let text = CorpusText::from("owned text".to_string());
        let moved = vec![text];
        let copy = moved[0].clone();
        drop(moved);
        assert_eq!(&*copy, "owned text");
        assert_eq!(&*CorpusText::from(String::new()), "");
    }
}
